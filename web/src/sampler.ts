/**
 * lib/llc.ts estimateLlc, run in pieces: the same chains (lib's sgldChain, seeded as its
 * runChain seeds them), the same L_n(w*) (fullLoss), the same λ̂ (llcFromLosses) and
 * diagnostics (diagnose), but the caller sees every block of steps as it is taken (the loss
 * trace and the running λ̂ for the live plots) and the event loop gets a turn between blocks.
 *
 * What is re-stated here, because lib/llc.ts keeps it private: runChain's loop (stop a
 * chain whose loss is no longer finite, checked every READBACK_BLOCK steps), keptDraws,
 * meanAcceptance, and the mean/sd over the chains that did not fail. test/web.test.ts
 * checks that the page's λ̂ equals lib's estimateLlc (through runCell) for the same seed.
 * Lib change that removes this file: an incremental estimator in lib/llc.ts (e.g.
 * `llcEstimator(...)` with `step(n)`, `progress()` and `result()`) that estimateLlc itself
 * runs to completion.
 */
import { backendName, tf } from '../../lib/backend';
import { DeviceSplit } from '../../lib/batches';
import { diagnose } from '../../lib/diagnostics';
import { fullLoss, llcFromLosses, LlcOptions, LlcResult, LlcSettings, resolveLlcSettings, sgldChain } from '../../lib/llc';
import { LossFn } from '../../lib/models';
import { deriveSeed, makeRng } from '../../lib/rng';
import { mean } from '../../lib/stats';

/** lib/llc.ts READBACK_BLOCK: runChain checks a chain for divergence every this many steps. */
const READBACK_BLOCK = 100;

export interface ChainProgress {
  chain: number;
  /** Steps of this chain taken so far (burn-in included), of `stepsPerChain`. */
  step: number;
  stepsPerChain: number;
  /** Minibatch losses of the steps taken since the last report. */
  newLosses: number[];
  /** λ̂ of this chain from its kept draws so far (NaN during burn-in). */
  runningLlc: number;
  /** The running λ̂ after each kept draw of this piece: [kept draws so far, λ̂]. */
  newRunning: Array<[number, number]>;
  initLoss: number;
  nbeta: number;
}

export interface AsyncLlcOptions extends Omit<LlcOptions, 'onStep'> {
  /** Steps per piece: progress is reported and the event loop runs after each (default 50). */
  stepsPerPiece?: number;
  onProgress?: (p: ChainProgress) => void;
  /** Called between pieces; may wait (e.g. to yield to the event loop). */
  between?: () => Promise<void>;
}

/** Indices of the kept draws among a chain's steps (lib/llc.ts keptDraws). */
function keptIndices(s: LlcSettings): number[] {
  return Array.from({ length: s.numDraws }, (_, i) => s.numBurnin + (i + 1) * s.stepsBetweenDraws - 1);
}

/** lib/llc.ts meanAcceptance: the first step (no move) is NaN and skipped. */
function meanAcceptance(trace: number[]): number {
  const moves = Number.isNaN(trace[0]) ? trace.slice(1) : trace;
  return moves.length ? mean(moves) : NaN;
}

/** estimateLlc, in pieces (see the module comment). */
export async function estimateLlcInPieces(lossFn: LossFn, weights: tf.Tensor[], data: DeviceSplit, options: AsyncLlcOptions = {}): Promise<LlcResult> {
  const { stepsPerPiece = 50, onProgress, between = async () => {}, ...llcOptions } = options;
  const s = resolveLlcSettings(llcOptions, data.n);
  const start = Date.now();
  const numParams = weights.reduce((a, t) => a + t.size, 0);
  const initLoss = fullLoss(lossFn, weights, data, s.evalBatchSize);
  const stepsPerChain = s.numBurnin + s.numDraws * s.stepsBetweenDraws;
  const kept = keptIndices(s);
  const lossTraces: number[][] = [];
  const acceptanceTraces: number[][] = [];
  for (let chain = 0; chain < s.numChains; chain++) {
    const c = sgldChain(lossFn, weights, data, s, makeRng(deriveSeed(s.seed, 'sgld-chain', chain)), { acceptance: true, capacity: stepsPerChain });
    let losses = new Float32Array(0);
    let acceptance = new Float64Array(0);
    let reported = 0;
    let nextKept = 0;
    let keptSum = 0;
    let runningLlc = NaN;
    try {
      for (let step = 0; step < stepsPerChain; ) {
        const end = Math.min(step + stepsPerPiece, stepsPerChain);
        let diverged = false;
        while (step < end && !diverged) {
          c.step();
          step++;
          if (step % READBACK_BLOCK === 0) diverged = !Number.isFinite(c.flush().losses[step - 1]);
        }
        const trace = c.flush();
        losses = trace.losses;
        acceptance = trace.acceptance;
        const newRunning: Array<[number, number]> = [];
        for (; nextKept < kept.length && kept[nextKept] < step; nextKept++) {
          keptSum += losses[kept[nextKept]];
          newRunning.push([nextKept + 1, s.nbeta * (keptSum / (nextKept + 1) - initLoss)]);
        }
        if (newRunning.length) runningLlc = newRunning[newRunning.length - 1][1];
        onProgress?.({ chain, step, stepsPerChain, newLosses: Array.from(losses.subarray(reported, step)), runningLlc, newRunning, initLoss, nbeta: s.nbeta });
        reported = step;
        if (diverged) {
          // As runChain: the rest of a chain whose loss is no longer finite is NaN.
          const l = new Float32Array(stepsPerChain).fill(NaN);
          const a = new Float64Array(stepsPerChain).fill(NaN);
          l.set(losses.subarray(0, step));
          a.set(acceptance.subarray(0, step));
          [losses, acceptance] = [l, a];
          break;
        }
        await between();
      }
    } finally {
      c.dispose();
    }
    lossTraces.push(kept.map((i) => losses[i]));
    acceptanceTraces.push(kept.map((i) => acceptance[i]));
  }
  const acceptancePerChain = acceptanceTraces.map(meanAcceptance);
  const llcPerChain = lossTraces.map((trace) => llcFromLosses(trace, initLoss, s.nbeta));
  const diagnostics = diagnose({ llcPerChain, lossTraces, numParams, nbeta: s.nbeta, initLoss, acceptance: acceptancePerChain }, options.thresholds);
  const ok = llcPerChain.filter((_, c) => !diagnostics.failedChains.includes(c));
  const llcMean = ok.length ? mean(ok) : NaN;
  const llcStd = ok.length > 1 ? Math.sqrt(ok.reduce((a, v) => a + (v - llcMean) ** 2, 0) / (ok.length - 1)) : NaN;
  return { llcMean, llcStd, llcMcse: diagnostics.mcse, llcPerChain, lossTraces, acceptancePerChain, acceptanceTraces, initLoss, numParams, settings: s, backend: backendName(), seconds: (Date.now() - start) / 1000, diagnostics };
}
