/**
 * The local learning coefficient estimator of Lau et al. (2023), eq. 13:
 *
 *   λ̂(w*) = nβ · ( E_w[L_n(w)] − L_n(w*) ),   β = 1/log n by default (nβ = n / log n)
 *
 * E_w is over the localized tempered posterior, sampled by SGLD (sgld.ts); it is
 * estimated by the mean minibatch loss over the kept draws. L_n(w*) is computed
 * once on the *full* training set and shared by all chains (a single minibatch there
 * makes estimates noisy and correlated across chains).
 *
 * Works for any model given as a loss function of (weights, batch). The weights w*
 * passed in are never modified.
 */
import { backendName, tf } from './backend';
import { blocks, DeviceSplit, gatherBatch } from './batches';
import { diagnose, Diagnostics, DiagnosticThresholds, mean } from './diagnostics';
import { LossFn } from './models';
import { deriveSeed, fillNormal, makeRng, Rng } from './rng';
import { SgldStepSettings, sgldUpdate } from './sgld';

export interface LlcOptions {
  /** SGLD step size ε (default 2e-4, the write-up's). */
  epsilon?: number;
  /** Localization strength γ (default 10, the write-up's). */
  gamma?: number;
  /** nβ: a number, or 'auto' for n / log n (default 'auto'). */
  nbeta?: number | 'auto';
  /** Independent chains from w*, each with its own derived seed (default 4). */
  numChains?: number;
  /** Draws kept per chain (default 1000). */
  numDraws?: number;
  /** SGLD steps discarded at the start of each chain (default 100). */
  numBurnin?: number;
  /** SGLD steps per kept draw (default 1). */
  stepsBetweenDraws?: number;
  /** Minibatch size m, drawn with replacement (default 256). */
  batchSize?: number;
  /** Seed of minibatches and noise (default 0). */
  seed?: number;
  /** Batch size for the full-data pass computing L_n(w*) (default 1024). */
  evalBatchSize?: number;
  /** Diagnostic thresholds (see diagnostics.ts). */
  thresholds?: DiagnosticThresholds;
  /** Progress: called after every SGLD step, over all chains. */
  onStep?: (step: number, totalSteps: number) => void;
}

/** Every setting of an estimate, resolved (as saved with results). */
export type LlcSettings = Required<Omit<LlcOptions, 'onStep' | 'thresholds' | 'nbeta'>> & { nbeta: number };

export const LLC_DEFAULTS = {
  epsilon: 2e-4,
  gamma: 10,
  nbeta: 'auto' as number | 'auto',
  numChains: 4,
  numDraws: 1000,
  numBurnin: 100,
  stepsBetweenDraws: 1,
  batchSize: 256,
  seed: 0,
  evalBatchSize: 1024,
};

/** The write-up's exact setting: γ = 10, ε = 2e-4, 2000 steps, m = 256, 1 chain, no burn-in, nβ = n/log n. */
export const WRITEUP_LLC: LlcOptions = {
  epsilon: 2e-4,
  gamma: 10,
  nbeta: 'auto',
  numChains: 1,
  numDraws: 2000,
  numBurnin: 0,
  stepsBetweenDraws: 1,
  batchSize: 256,
};

export interface LlcResult {
  /** Mean of λ̂ over chains that did not fail. */
  llcMean: number;
  /** Standard deviation of λ̂ over those chains (n − 1; 0 with one chain). */
  llcStd: number;
  llcPerChain: number[];
  /** Minibatch loss at every kept draw, per chain. */
  lossTraces: number[][];
  /** L_n(w*) on the full training set. */
  initLoss: number;
  numParams: number;
  settings: LlcSettings;
  backend: string;
  seconds: number;
  diagnostics: Diagnostics;
}

/** β = 1/log n (Watanabe's WBIC temperature), so nβ = n / log n. */
export function defaultNbeta(n: number): number {
  return n / Math.log(n);
}

/** Pure: λ̂ from the draws' losses and L_n(w*) (Lau et al. 2023, eq. 13). */
export function llcFromLosses(losses: ArrayLike<number>, initLoss: number, nbeta: number): number {
  return nbeta * (mean(losses) - initLoss);
}

/** Resolve and validate options (errors name the bad value). */
export function resolveLlcSettings(options: LlcOptions, n: number): LlcSettings {
  const { onStep: _s, thresholds: _t, ...rest } = options;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const s = { ...LLC_DEFAULTS, ...given };
  const positive = (name: string, v: number, integer = false) => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new Error(`llc: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
    }
  };
  positive('epsilon', s.epsilon);
  if (!(s.gamma >= 0) || !Number.isFinite(s.gamma)) throw new Error(`llc: gamma must be a number ≥ 0, got ${s.gamma}`);
  positive('numChains', s.numChains, true);
  positive('numDraws', s.numDraws, true);
  positive('stepsBetweenDraws', s.stepsBetweenDraws, true);
  positive('batchSize', s.batchSize, true);
  if (!Number.isInteger(s.numBurnin) || s.numBurnin < 0) throw new Error(`llc: numBurnin must be an integer ≥ 0, got ${s.numBurnin}`);
  if (s.nbeta !== 'auto') positive('nbeta', s.nbeta as number);
  const nbeta = s.nbeta === 'auto' ? defaultNbeta(n) : (s.nbeta as number);
  return { ...s, nbeta } as LlcSettings;
}

/** Mean loss of `weights` on a whole split, in blocks (one read-back). */
export function fullLoss(lossFn: LossFn, weights: tf.Tensor[], data: DeviceSplit, batchSize = 1024): number {
  const total = tf.tidy(() => {
    let sum: tf.Tensor = tf.scalar(0);
    for (const [s, e] of blocks(data.n, batchSize)) {
      const loss = lossFn(weights, tf.slice(data.x, s, e - s), tf.slice(data.y, s, e - s));
      sum = tf.add(sum, tf.mul(loss, e - s));
    }
    return sum;
  });
  const v = total.dataSync()[0] / data.n;
  total.dispose();
  return v;
}

/** Standard normals for every parameter, from the chain's own generator. */
function normals(shapes: number[][], rng: Rng): tf.Tensor[] {
  return shapes.map((shape) => {
    const z = fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), rng);
    return tf.tensor(z, shape, 'float32');
  });
}

/** Minibatch indices drawn with replacement. */
export function batchIndices(n: number, m: number, rng: Rng): Int32Array {
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = rng.int(n);
  return idx;
}

/**
 * One SGLD step from w (Lau et al. 2023, Algorithm 1): draw a minibatch with
 * replacement and the Gaussian noise from the chain's generator (in that order),
 * then the update of sgld.ts, all in one tidy. Returns the new weights and the
 * minibatch loss at w (kept on the backend). Does not dispose w.
 */
export function sgldStep(lossFn: LossFn, w: tf.Tensor[], wStar: tf.Tensor[], data: DeviceSplit, rng: Rng, s: SgldStepSettings & { batchSize: number }): { next: tf.Tensor[]; loss: tf.Scalar } {
  const idx = batchIndices(data.n, s.batchSize, rng);
  const noise = normals(w.map((t) => t.shape), rng);
  try {
    return tf.tidy(() => {
      const { x, y } = gatherBatch(data, idx);
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => lossFn(ws, x, y))(w);
      return { next: sgldUpdate(w, grads, wStar, noise, s), loss: value as tf.Scalar };
    });
  } finally {
    tf.dispose(noise);
  }
}

/** Losses are read back in blocks of this many steps, not per step. */
const READBACK_BLOCK = 100;

/** Run one SGLD chain from w*; returns the minibatch loss at every step. */
function runChain(lossFn: LossFn, wStar: tf.Tensor[], data: DeviceSplit, s: LlcSettings, chain: number, tick: () => void): Float32Array {
  const rng = makeRng(deriveSeed(s.seed, 'sgld-chain', chain));
  const totalSteps = s.numBurnin + s.numDraws * s.stepsBetweenDraws;
  const losses = new Float32Array(totalSteps);
  let w = wStar.map((t) => tf.clone(t));
  let pending: tf.Scalar[] = [];
  let flushed = 0;
  const flush = () => {
    if (pending.length === 0) return;
    const stacked = tf.stack(pending);
    losses.set(stacked.dataSync() as Float32Array, flushed);
    flushed += pending.length;
    stacked.dispose();
    pending.forEach((t) => t.dispose());
    pending = [];
  };
  try {
    for (let step = 0; step < totalSteps; step++) {
      const { next, loss } = sgldStep(lossFn, w, wStar, data, rng, s);
      w.forEach((t) => t.dispose());
      w = next;
      pending.push(loss);
      if (pending.length >= READBACK_BLOCK) flush();
      tick();
    }
    flush();
  } finally {
    w.forEach((t) => t.dispose());
    pending.forEach((t) => t.dispose());
  }
  return losses;
}

/** Keep every `stepsBetweenDraws`-th step after burn-in. */
function keptDraws(losses: Float32Array, s: LlcSettings): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.numDraws; i++) out.push(losses[s.numBurnin + (i + 1) * s.stepsBetweenDraws - 1]);
  return out;
}

/**
 * Estimate λ̂ at w* with SGLD. `lossFn` is the mean loss of a batch; `data` is the
 * full training set on the backend (n examples); `weights` is w*.
 */
export function estimateLlc(lossFn: LossFn, weights: tf.Tensor[], data: DeviceSplit, options: LlcOptions = {}): LlcResult {
  const s = resolveLlcSettings(options, data.n);
  const start = Date.now();
  const numParams = weights.reduce((a, t) => a + t.size, 0);
  const initLoss = fullLoss(lossFn, weights, data, s.evalBatchSize);
  const totalSteps = s.numChains * (s.numBurnin + s.numDraws * s.stepsBetweenDraws);
  let done = 0;
  const tick = () => options.onStep?.(++done, totalSteps);
  const lossTraces: number[][] = [];
  for (let chain = 0; chain < s.numChains; chain++) {
    lossTraces.push(keptDraws(runChain(lossFn, weights, data, s, chain, tick), s));
  }
  const llcPerChain = lossTraces.map((trace) => llcFromLosses(trace, initLoss, s.nbeta));
  const diagnostics = diagnose({ llcPerChain, lossTraces, numParams, nbeta: s.nbeta, initLoss }, options.thresholds);
  const ok = llcPerChain.filter((_, c) => !diagnostics.failedChains.includes(c));
  const llcMean = ok.length ? mean(ok) : NaN;
  const llcStd = ok.length > 1 ? Math.sqrt(ok.reduce((a, v) => a + (v - llcMean) ** 2, 0) / (ok.length - 1)) : 0;
  return { llcMean, llcStd, llcPerChain, lossTraces, initLoss, numParams, settings: s, backend: backendName(), seconds: (Date.now() - start) / 1000, diagnostics };
}
