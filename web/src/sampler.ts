/**
 * lib/estimator/llc.ts estimateLlc, run in pieces: the same fixed part (beginEstimate: settings,
 * L_n(w*), ‖∇L_n(w*)‖), the same chains (startChain, advanced a piece at a time where runChain
 * takes them whole) and the same λ̂ and diagnostics (finish); but the caller sees every block
 * of steps as it is taken (the loss trace and the running λ̂ for the live plots), and the event
 * loop gets a turn between blocks. test/web.test.ts checks that the page's λ̂ equals runCell's
 * for the same cell.
 */
import { tf } from '../../lib/engine/backend';
import { DeviceSplit } from '../../lib/data/batches';
import { beginEstimate, ChainTrace, keptIndices, LlcOptions, LlcResult, startChain } from '../../lib/estimator/llc';
import { LossFn } from '../../lib/models/models';

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

/** estimateLlc, in pieces (see the module comment). */
export async function estimateLlcInPieces(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: AsyncLlcOptions = {},
): Promise<LlcResult> {
  const { stepsPerPiece = 50, onProgress, between = async () => {}, ...llcOptions } = options;
  const estimate = beginEstimate(lossFn, weights, data, llcOptions);
  const { settings: s, initLoss } = estimate;
  const stepsPerChain = s.numBurnin + s.numDraws * s.stepsBetweenDraws;
  const kept = keptIndices(s);
  const traces: ChainTrace[] = [];
  for (let chain = 0; chain < s.numChains; chain++) {
    const run = startChain(lossFn, weights, data, s, chain);
    let reported = 0;
    let nextKept = 0;
    let keptSum = 0;
    let runningLlc = NaN;
    try {
      while (!run.done) {
        run.advance(stepsPerPiece);
        const { losses } = run.trace();
        const newRunning: Array<[number, number]> = [];
        for (; nextKept < kept.length && kept[nextKept] < run.step; nextKept++) {
          keptSum += losses[kept[nextKept]];
          newRunning.push([nextKept + 1, s.nbeta * (keptSum / (nextKept + 1) - initLoss)]);
        }
        if (newRunning.length) runningLlc = newRunning[newRunning.length - 1][1];
        onProgress?.({
          chain,
          step: run.step,
          stepsPerChain,
          newLosses: Array.from(losses.subarray(reported, run.step)),
          runningLlc,
          newRunning,
          initLoss,
          nbeta: s.nbeta,
        });
        reported = run.step;
        if (run.stopped) break;
        await between();
      }
      traces.push(run.trace());
    } finally {
      run.dispose();
    }
  }
  return estimate.finish(traces);
}
