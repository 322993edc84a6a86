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
import { backendName, tf } from '../engine/backend';
import { DeviceSplit, EVAL_BATCH_SIZE, blocks, gatherBatch } from '../data/batches';
import { diagnose, Diagnostics, DiagnosticThresholds } from './diagnostics';
import { mean } from '../math/stats';
import { LossFn } from '../models/models';
import { deriveSeed, fillNormal, makeRng, Rng } from '../math/rng';
import { flatLoss, flatten, segmentSizes, unflatten } from '../models/params';
import {
  acceptanceFromLogRatio,
  malaInnerProducts,
  malaLogRatio,
  sgldDrift,
  sgldPotential,
  SgldStepSettings,
  sgldUpdate,
  virialFromDrift,
} from './sgld';
import { checkPositive } from '../math/checks';

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
  /** Batch size for the full-data pass computing L_n(w*) (default EVAL_BATCH_SIZE, 1024). */
  evalBatchSize?: number;
  /**
   * Estimate E_w[L_n(w)] − L_n(w*) by the mean of L_m(w_t) − L_m(w*), both on step t's own
   * minibatch (default false). The same expectation (E over minibatches of L_m(w*) is L_n(w*)),
   * with the minibatch's noise, which is most of a draw's variance, cancelled: one forward pass
   * at w* per step more. Absent when false, so results without it keep their keys.
   */
  controlVariate?: boolean;
  /** Diagnostic thresholds (see diagnostics.ts). */
  thresholds?: DiagnosticThresholds;
  /** The loss of uniform predictions (log k for k classes): enables the collapse check (diagnostics.ts); not a sampler setting. */
  chanceLoss?: number;
  /** Progress: called after every SGLD step, over all chains. */
  onStep?: (step: number, totalSteps: number) => void;
}

/** Every setting of an estimate, resolved (as saved with results). */
export type LlcSettings = Required<
  Omit<LlcOptions, 'onStep' | 'thresholds' | 'chanceLoss' | 'nbeta' | 'controlVariate'>
> & {
  nbeta: number;
  /** Present (true) only when on: see LlcOptions.controlVariate. */
  controlVariate?: true;
};

/** The write-up's sampler (its code's SGLD settings), which every default below starts from. */
const WRITEUP_SAMPLER = {
  /** Step size ε = 2e-4, the write-up's. */
  epsilon: 2e-4,
  /** Localization γ = 10, the write-up's. */
  gamma: 10,
  /** nβ = n / log n: β = 1/log n, Watanabe's WBIC temperature (Lau et al. 2023, §4). */
  nbeta: 'auto' as number | 'auto',
  /** Every step is a draw, as in the write-up and devinterp. */
  stepsBetweenDraws: 1,
  /** Minibatch m = 256, the write-up's. */
  batchSize: 256,
};

/**
 * The library's defaults: the write-up's sampler, with what its single chain cannot give — 4
 * chains (so R̂ and the between-chain check exist) and 100 burn-in steps (the first draws are
 * at w*, not yet in the localized posterior) — and 1000 draws per chain (4000 in all, 2× the
 * write-up's).
 */
export const LLC_DEFAULTS = {
  ...WRITEUP_SAMPLER,
  numChains: 4,
  numDraws: 1000,
  numBurnin: 100,
  /** Seed of minibatches and noise; each chain derives its own from it. */
  seed: 0,
  /** L_n(w*) is computed in blocks of this many examples (data/batches.ts EVAL_BATCH_SIZE). */
  evalBatchSize: EVAL_BATCH_SIZE,
};

/** The write-up's exact setting: its sampler, 1 chain of 2000 steps from w*, no burn-in. */
export const WRITEUP_LLC: LlcOptions = { ...WRITEUP_SAMPLER, numChains: 1, numDraws: 2000, numBurnin: 0 };

export interface LlcResult {
  /** Mean of λ̂ over chains that did not fail. */
  llcMean: number;
  /** Standard deviation of λ̂ over those chains (n − 1; NaN with one chain). */
  llcStd: number;
  /** Monte-Carlo standard error of llcMean (diagnostics.ts mcseOfMean; with one chain, its autocorrelation-corrected error): report λ̂ ± this. */
  llcMcse: number;
  llcPerChain: number[];
  /** Minibatch loss at every kept draw, per chain. */
  lossTraces: number[][];
  /** Mean MALA acceptance probability of each chain's moves into its kept draws (sgld.ts malaLogRatio). */
  acceptancePerChain: number[];
  /** MALA acceptance of the move into every kept draw, per chain (NaN for a chain's first step, which no move precedes). */
  acceptanceTraces: number[][];
  /**
   * Equipartition per chain: the mean over kept draws of the virial (w − w*)·∇U(w), divided by
   * d. At equilibrium of exp(−U) it is 1 exactly (sgld.ts virialFromDrift); below 1 the chain has
   * not spread into the localized posterior yet (burn-in too short for 1/(εγ)), above 1 it is
   * hotter than the posterior (ε too large, or minibatch noise). NaN without the MALA terms.
   */
  equipartitionPerChain: number[];
  /** L_n(w*) on the full training set. */
  initLoss: number;
  /** ‖∇L_n(w*)‖ (fullGradNorm): ~0 where w* is a minimum, as the estimator presumes; NaN when not computed. */
  gradNorm: number;
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

/** The nβ setting `factor` × n/log n; 'auto' when the factor is 1, so such a cell is (and keeps the key of) the default. */
export function nbetaFromFactor(factor: number, n: number): number | 'auto' {
  return factor === 1 ? 'auto' : factor * defaultNbeta(n);
}

/** The inverse: an nβ setting as a factor of n/log n, to 1/1000 (so f × n/log n reads back as f). */
export function nbetaFactorOf(nbeta: number | 'auto' | undefined, n: number): number {
  return nbeta == null || nbeta === 'auto' ? 1 : Math.round((1000 * nbeta) / defaultNbeta(n)) / 1000;
}

/** Pure: λ̂ from the draws' losses and L_n(w*) (Lau et al. 2023, eq. 13). */
export function llcFromLosses(losses: ArrayLike<number>, initLoss: number, nbeta: number): number {
  return nbeta * (mean(losses) - initLoss);
}

/** Resolve and validate options (errors name the bad value). */
export function resolveLlcSettings(options: LlcOptions, n: number): LlcSettings {
  const { onStep: _s, thresholds: _t, chanceLoss: _c, controlVariate, ...rest } = options;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const unknown = Object.keys(given).filter((k) => !(k in LLC_DEFAULTS));
  if (unknown.length)
    throw new Error(
      `llc: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${[...Object.keys(LLC_DEFAULTS), 'controlVariate'].join(', ')}`,
    );
  if (controlVariate !== undefined && typeof controlVariate !== 'boolean')
    throw new Error(`llc: controlVariate must be true or false, got ${JSON.stringify(controlVariate)}`);
  const s = { ...LLC_DEFAULTS, ...given };
  const positive = (name: string, v: unknown, integer = false) => checkPositive(`llc: ${name}`, v, integer);
  positive('epsilon', s.epsilon);
  if (!(s.gamma >= 0) || !Number.isFinite(s.gamma)) throw new Error(`llc: gamma must be a number ≥ 0, got ${s.gamma}`);
  positive('numChains', s.numChains, true);
  positive('numDraws', s.numDraws, true);
  positive('stepsBetweenDraws', s.stepsBetweenDraws, true);
  positive('batchSize', s.batchSize, true);
  if (!Number.isInteger(s.numBurnin) || s.numBurnin < 0)
    throw new Error(`llc: numBurnin must be an integer ≥ 0, got ${s.numBurnin}`);
  if (s.nbeta !== 'auto') positive('nbeta', s.nbeta as number);
  const nbeta = s.nbeta === 'auto' ? defaultNbeta(n) : (s.nbeta as number);
  return { ...s, nbeta, ...(controlVariate ? { controlVariate: true } : {}) } as LlcSettings;
}

/** Mean loss of `weights` on a whole split, in blocks (one read-back). */
export function fullLoss(lossFn: LossFn, weights: tf.Tensor[], data: DeviceSplit, batchSize = EVAL_BATCH_SIZE): number {
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

/**
 * ‖∇L_n(w*)‖: the norm of the full-data gradient at w*. The estimator (eq. 13) presumes w* is
 * a local minimum of L_n; where the gradient is not ~0 the chain can descend below L_n(w*) and
 * λ̂ measures that descent, not degeneracy (negative at small ε). Summed block by block.
 */
export function fullGradNorm(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  batchSize = EVAL_BATCH_SIZE,
): number {
  const g = fullGradient(lossFn, weights, data, batchSize);
  const sq = tf.tidy(() => tf.addN(g.map((t) => tf.sum(tf.square(t)))));
  const v = Math.sqrt(sq.dataSync()[0]);
  tf.dispose([sq, ...g]);
  return v;
}

/** ∇L_n(w): the full-data gradient, one tensor per weight tensor (the caller disposes them), summed block by block. */
export function fullGradient(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  batchSize = EVAL_BATCH_SIZE,
): tf.Tensor[] {
  let sum = weights.map((w) => tf.zerosLike(w));
  for (const [s, e] of blocks(data.n, batchSize)) {
    const next = tf.tidy(() => {
      const x = tf.slice(data.x, s, e - s);
      const y = tf.slice(data.y, s, e - s);
      const g = tf.grads((...ws: tf.Tensor[]) => tf.mul(lossFn(ws, x, y), (e - s) / data.n))(weights);
      return sum.map((a, i) => tf.add(a, g[i]));
    });
    tf.dispose(sum);
    sum = next;
  }
  return sum;
}

/**
 * Standard normals for every tensor of w, from the chain's own generator. A tensor can be
 * filled in segments (the flat θ of params.ts is filled parameter by parameter), so that
 * the stream of numbers is the same whether the chain holds θ or the per-parameter tensors.
 */
function normals(shapes: number[][], rng: Rng, segments?: number[]): tf.Tensor[] {
  return shapes.map((shape) => {
    const z = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let o = 0;
    for (const size of segments ?? [z.length]) fillNormal(z.subarray(o, (o += size)), rng);
    if (o !== z.length) throw new Error(`noise segments cover ${o} of ${z.length} numbers`);
    return tf.tensor(z, shape, 'float32');
  });
}

/** Minibatch indices drawn with replacement. */
export function batchIndices(n: number, m: number, rng: Rng): Int32Array {
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = rng.int(n);
  return idx;
}

export type SgldStepOptions = SgldStepSettings & {
  batchSize: number;
  /** With a single flat θ: the parameter sizes its noise is drawn in (see normals). */
  noiseSegments?: number[];
  /** Also return the drift at w and ‖w − w*‖², for the MALA acceptance (flat θ only; default false). */
  withDrift?: boolean;
  /** Also return the minibatch loss at w*, on the same minibatch (LlcOptions.controlVariate; default false). */
  withBaseLoss?: boolean;
};

export interface SgldStepResult {
  next: tf.Tensor[];
  /** Minibatch loss at w. */
  loss: tf.Scalar;
  /** With `withDrift`: −(ε/2)∇U(w), ‖w − w*‖² and (w − w*)·drift (sgld.ts; the last gives the virial). */
  drift?: tf.Tensor;
  sqDistance?: tf.Scalar;
  driftDot?: tf.Scalar;
  /** With `withBaseLoss`: the minibatch loss at w* on this step's minibatch. */
  baseLoss?: tf.Scalar;
}

/**
 * One SGLD step from w (Lau et al. 2023, Algorithm 1): draw a minibatch with
 * replacement and the Gaussian noise from the chain's generator (in that order),
 * then the update of sgld.ts, all in one tidy. Returns the new weights and the
 * minibatch loss at w (kept on the backend). Does not dispose w.
 */
export function sgldStep(
  lossFn: LossFn,
  w: tf.Tensor[],
  wStar: tf.Tensor[],
  data: DeviceSplit,
  rng: Rng,
  s: SgldStepOptions,
): SgldStepResult {
  const idx = batchIndices(data.n, s.batchSize, rng);
  const noise = normals(
    w.map((t) => t.shape),
    rng,
    w.length === 1 ? s.noiseSegments : undefined,
  );
  try {
    return tf.tidy(() => {
      const { x, y } = gatherBatch(data, idx);
      const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => lossFn(ws, x, y))(w);
      const loss = value as tf.Scalar;
      const base = s.withBaseLoss ? { baseLoss: lossFn(wStar, x, y) } : {};
      if (!s.withDrift) return { next: sgldUpdate(w, grads, wStar, noise, s), loss, ...base };
      if (w.length !== 1)
        throw new Error(`sgldStep: withDrift needs the flat θ (one tensor, params.ts), got ${w.length} tensors`);
      const drift = sgldDrift(w[0], grads[0], wStar[0], s);
      const offset = tf.sub(w[0], wStar[0]);
      const sqDistance = tf.sum(tf.square(offset)) as tf.Scalar;
      const driftDot = tf.sum(tf.mul(offset, drift)) as tf.Scalar;
      return { next: sgldUpdate(w, grads, wStar, noise, s, [drift]), loss, drift, sqDistance, driftDot, ...base };
    });
  } finally {
    tf.dispose(noise);
  }
}

/** A new array of `length` of a's type holding a's first values, the rest `fill`. */
function resized<A extends Float32Array | Float64Array>(a: A, length: number, fill = 0): A {
  const b = new (a.constructor as new (n: number) => A)(length);
  b.fill(fill);
  b.set(a.subarray(0, length));
  return b;
}

/** Losses are read back in blocks of this many steps, not per step (and a chain is checked for divergence as often). */
export const READBACK_BLOCK = 100;

/** Per step of one chain: the minibatch loss at w_t and the MALA acceptance of the move w_{t−1} → w_t (NaN at t = 0). */
export interface ChainTrace {
  losses: Float32Array;
  acceptance: Float64Array;
  /** The virial (w_t − w*)·∇U(w_t) on step t's minibatch (sgld.ts virialFromDrift; NaN without the MALA terms). */
  virial: Float64Array;
  /** With the control variate: the loss at w* on step t's minibatch. */
  baseLosses?: Float32Array;
}

/** An SGLD chain in progress (see sgldChain). */
export interface SgldChain {
  /** Take one step (losses stay on the backend until a block of READBACK_BLOCK is read back). */
  step(): void;
  /** Read back what is pending; returns the trace so far (losses and acceptances of steps taken). */
  flush(): ChainTrace;
  /** θ now, as per-parameter tensors (new tensors; the caller disposes them). */
  weights(): tf.Tensor[];
  dispose(): void;
}

/**
 * One SGLD chain from w* on the flat θ (params.ts), stepped by the caller: the estimator's
 * runChain and the benchmark take the same steps. Per step, with `acceptance`, one
 * [loss, ‖w − w*‖², b·c, ‖c‖²] tensor stays on the backend until a block is read back,
 * and the MALA ratio (sgld.ts) is computed on the host in float64.
 */
export function sgldChain(
  lossFn: LossFn,
  wStar: tf.Tensor[],
  data: DeviceSplit,
  s: SgldStepSettings & { batchSize: number; controlVariate?: boolean },
  rng: Rng,
  { acceptance = true, capacity = 0 }: { acceptance?: boolean; capacity?: number } = {},
): SgldChain {
  const shapes = wStar.map((t) => t.shape);
  const flat = flatLoss(lossFn, shapes);
  const thetaStar = [flatten(wStar)];
  const withBaseLoss = s.controlVariate === true;
  const options: SgldStepOptions = { ...s, noiseSegments: segmentSizes(shapes), withDrift: acceptance, withBaseLoss };
  let losses = new Float32Array(Math.max(capacity, READBACK_BLOCK));
  let accepted = new Float64Array(losses.length).fill(NaN);
  let virial = new Float64Array(losses.length).fill(NaN);
  let baseLosses = new Float32Array(withBaseLoss ? losses.length : 0);
  let theta: tf.Tensor[] = [tf.clone(thetaStar[0])];
  let prev: { w: tf.Tensor; drift: tf.Tensor } | null = null;
  let pending: tf.Tensor[] = [];
  let flushed = 0;
  let potentialPrev = NaN;
  const grow = (size: number) => {
    if (size <= losses.length) return;
    const n = Math.max(size, 2 * losses.length);
    losses = resized(losses, n);
    accepted = resized(accepted, n, NaN);
    virial = resized(virial, n, NaN);
    if (withBaseLoss) baseLosses = resized(baseLosses, n);
  };
  const flush = (): ChainTrace => {
    if (pending.length > 0) {
      const stacked = tf.stack(pending);
      const v = stacked.dataSync();
      stacked.dispose();
      // Per step: [loss, (‖w − w*‖², (w − w*)·drift, b·c, ‖c‖² with acceptance), (base loss with the control variate)].
      const width = (acceptance ? 5 : 1) + (withBaseLoss ? 1 : 0);
      grow(flushed + pending.length);
      for (let i = 0; i < pending.length; i++) {
        const t = flushed + i;
        losses[t] = v[i * width];
        if (withBaseLoss) baseLosses[t] = v[i * width + width - 1];
        if (!acceptance) continue;
        const potential = sgldPotential(v[i * width], v[i * width + 1], s);
        virial[t] = virialFromDrift(v[i * width + 2], s.epsilon);
        if (t > 0)
          accepted[t] = acceptanceFromLogRatio(
            malaLogRatio(v[i * width + 3], v[i * width + 4], potentialPrev, potential, s.epsilon),
          );
        potentialPrev = potential;
      }
      flushed += pending.length;
      tf.dispose(pending);
      pending = [];
    }
    return {
      losses: losses.subarray(0, flushed),
      acceptance: accepted.subarray(0, flushed),
      virial: virial.subarray(0, flushed),
      ...(withBaseLoss ? { baseLosses: baseLosses.subarray(0, flushed) } : {}),
    };
  };
  return {
    step() {
      const { next, loss, drift, sqDistance, driftDot, baseLoss } = sgldStep(
        flat,
        theta,
        thetaStar,
        data,
        rng,
        options,
      );
      if (acceptance) {
        const cur = { w: theta[0], drift: drift! };
        const p = prev;
        pending.push(
          tf.tidy(() =>
            tf.concat([
              tf.stack([loss, sqDistance!, driftDot!]),
              p ? malaInnerProducts(p.w, p.drift, cur.w, cur.drift) : tf.zeros([2]),
              ...(baseLoss ? [tf.reshape(baseLoss, [1])] : []),
            ]),
          ),
        );
        tf.dispose([loss, sqDistance!, driftDot!]);
        if (p) tf.dispose([p.w, p.drift]);
        prev = cur; // θ_t stays alive for the next move's ratio
      } else {
        pending.push(baseLoss ? tf.tidy(() => tf.stack([loss, baseLoss])) : loss);
        if (baseLoss) tf.dispose(loss);
        tf.dispose(theta);
      }
      if (baseLoss) tf.dispose(baseLoss);
      theta = next;
      if (pending.length >= READBACK_BLOCK) flush();
    },
    flush,
    weights: () => tf.tidy(() => unflatten(theta[0], shapes)),
    dispose() {
      if (prev) tf.dispose([prev.w, prev.drift]);
      tf.dispose([...theta, ...thetaStar, ...pending]);
      prev = null;
      pending = [];
    },
  };
}

/**
 * One chain of an estimate, taken a piece at a time: runChain takes it whole, the browser page
 * in pieces (drawing between them), so both take exactly the same steps. Seeded per chain as
 * every estimate seeds it; a chain whose loss is no longer finite (checked every
 * READBACK_BLOCK steps) stays so (NaN weights) and is stopped, the rest of its trace NaN.
 */
export interface ChainRun {
  readonly totalSteps: number;
  /** Steps taken so far (burn-in included). */
  readonly step: number;
  /** The loss stopped being finite: no more steps will be taken. */
  readonly stopped: boolean;
  /** Every step taken, or the chain stopped. */
  readonly done: boolean;
  /** Take up to `steps` more steps; `onStep` after each, and once for every step an early stop skips. */
  advance(steps: number, onStep?: () => void): void;
  /** Every step's loss and MALA acceptance so far (over all totalSteps: NaN where not taken). */
  trace(): ChainTrace;
  /** The chain's weights now, as per-parameter tensors (new tensors; the caller disposes them). */
  weights(): tf.Tensor[];
  dispose(): void;
}

/** Start chain number `chain` of an estimate with settings `s` (see ChainRun). */
export function startChain(
  lossFn: LossFn,
  wStar: tf.Tensor[],
  data: DeviceSplit,
  s: LlcSettings,
  chain: number,
  acceptance = true,
): ChainRun {
  const totalSteps = s.numBurnin + s.numDraws * s.stepsBetweenDraws;
  const c = sgldChain(lossFn, wStar, data, s, makeRng(deriveSeed(s.seed, 'sgld-chain', chain)), {
    acceptance,
    capacity: totalSteps,
  });
  let step = 0;
  let stoppedTrace: ChainTrace | null = null;
  return {
    totalSteps,
    get step() {
      return step;
    },
    get stopped() {
      return stoppedTrace != null;
    },
    get done() {
      return stoppedTrace != null || step >= totalSteps;
    },
    advance(steps, onStep = () => {}) {
      const end = Math.min(totalSteps, step + steps);
      while (step < end && stoppedTrace == null) {
        c.step();
        step++;
        onStep();
        if (step % READBACK_BLOCK === 0 && !Number.isFinite(c.flush().losses[step - 1])) {
          for (let rest = step; rest < totalSteps; rest++) onStep();
          stoppedTrace = nanPadded(c.flush(), totalSteps);
        }
      }
    },
    trace() {
      if (stoppedTrace) return stoppedTrace;
      const t = c.flush();
      return {
        losses: t.losses.slice(),
        acceptance: t.acceptance.slice(),
        virial: t.virial.slice(),
        ...(t.baseLosses ? { baseLosses: t.baseLosses.slice() } : {}),
      };
    },
    weights: () => c.weights(),
    dispose: () => c.dispose(),
  };
}

/** Run one chain of an estimate whole: every step's loss and, unless `acceptance` is false, every move's MALA acceptance. */
export function runChain(
  lossFn: LossFn,
  wStar: tf.Tensor[],
  data: DeviceSplit,
  s: LlcSettings,
  chain: number,
  tick: () => void = () => {},
  acceptance = true,
): ChainTrace {
  const run = startChain(lossFn, wStar, data, s, chain, acceptance);
  try {
    run.advance(run.totalSteps, tick);
    return run.trace();
  } finally {
    run.dispose();
  }
}

/**
 * A stopped chain's trace over all `totalSteps`: the steps not taken are NaN, as running on
 * would have made them once the loss stopped being finite.
 */
export function nanPadded(trace: ChainTrace, totalSteps: number): ChainTrace {
  return {
    losses: resized(trace.losses, totalSteps, NaN),
    acceptance: resized(trace.acceptance, totalSteps, NaN),
    virial: resized(trace.virial, totalSteps, NaN),
    ...(trace.baseLosses ? { baseLosses: resized(trace.baseLosses, totalSteps, NaN) } : {}),
  };
}

/** The steps kept as draws: every `stepsBetweenDraws`-th after burn-in. */
export function keptIndices(s: LlcSettings): number[] {
  return Array.from({ length: s.numDraws }, (_, i) => s.numBurnin + (i + 1) * s.stepsBetweenDraws - 1);
}

/** Mean acceptance over a chain's moves; the first step (no move) is NaN by construction and skipped, a diverged move (NaN) makes it NaN. */
function meanAcceptance(trace: number[]): number {
  const moves = Number.isNaN(trace[0]) ? trace.slice(1) : trace;
  return moves.length ? mean(moves) : NaN;
}

/** λ̂ mean and sd (n − 1; NaN with fewer than 2) over the chains that did not fail; the mean is NaN if all failed. */
export function chainStatistics(llcPerChain: number[], failedChains: number[]): { llcMean: number; llcStd: number } {
  const ok = llcPerChain.filter((_, c) => !failedChains.includes(c));
  const llcMean = ok.length ? mean(ok) : NaN;
  return {
    llcMean,
    llcStd: ok.length > 1 ? Math.sqrt(ok.reduce((a, v) => a + (v - llcMean) ** 2, 0) / (ok.length - 1)) : NaN,
  };
}

/**
 * The estimate from the chains' per-step traces (eq. 13 on the kept draws of each chain), with
 * its diagnostics: what estimateLlc returns, for callers that run the chains themselves.
 */
export function llcFromChains(
  traces: ChainTrace[],
  ctx: {
    initLoss: number;
    gradNorm?: number;
    chanceLoss?: number;
    numParams: number;
    settings: LlcSettings;
    thresholds?: DiagnosticThresholds;
    startedAt: number;
  },
): LlcResult {
  const s = ctx.settings;
  const kept = keptIndices(s);
  // With the control variate a draw is L_m(w_t) − L_m(w*) + L_n(w*): the same mean as L_m(w_t),
  // so λ̂ (eq. 13) and every diagnostic read it as they read the plain loss.
  const lossTraces = traces.map((t) =>
    kept.map((i) => (t.baseLosses ? t.losses[i] - t.baseLosses[i] + ctx.initLoss : t.losses[i])),
  );
  const acceptanceTraces = traces.map((t) => kept.map((i) => t.acceptance[i]));
  const acceptancePerChain = acceptanceTraces.map(meanAcceptance);
  const equipartitionPerChain = traces.map((t) => mean(kept.map((i) => t.virial[i])) / ctx.numParams);
  const llcPerChain = lossTraces.map((trace) => llcFromLosses(trace, ctx.initLoss, s.nbeta));
  const diagnostics = diagnose(
    {
      llcPerChain,
      lossTraces,
      numParams: ctx.numParams,
      nbeta: s.nbeta,
      initLoss: ctx.initLoss,
      acceptance: acceptancePerChain,
      gradNorm: ctx.gradNorm,
      chanceLoss: ctx.chanceLoss,
      equipartition: equipartitionPerChain,
    },
    ctx.thresholds,
  );
  const { llcMean, llcStd } = chainStatistics(llcPerChain, diagnostics.failedChains);
  return {
    llcMean,
    llcStd,
    llcMcse: diagnostics.mcse,
    llcPerChain,
    lossTraces,
    acceptancePerChain,
    acceptanceTraces,
    equipartitionPerChain,
    initLoss: ctx.initLoss,
    gradNorm: ctx.gradNorm ?? NaN,
    numParams: ctx.numParams,
    settings: s,
    backend: backendName(),
    seconds: (Date.now() - ctx.startedAt) / 1000,
    diagnostics,
  };
}

/**
 * Estimate λ̂ at w* with SGLD. `lossFn` is the mean loss of a batch; `data` is the
 * full training set on the backend (n examples); `weights` is w*.
 */
export function estimateLlc(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: LlcOptions = {},
): LlcResult {
  const estimate = beginEstimate(lossFn, weights, data, options);
  const s = estimate.settings;
  const totalSteps = s.numChains * (s.numBurnin + s.numDraws * s.stepsBetweenDraws);
  let done = 0;
  const tick = () => options.onStep?.(++done, totalSteps);
  const traces: ChainTrace[] = [];
  for (let chain = 0; chain < s.numChains; chain++) traces.push(runChain(lossFn, weights, data, s, chain, tick));
  return estimate.finish(traces);
}

/**
 * An estimate's fixed part, for callers that run its chains themselves (estimateLlc whole, the
 * browser page in pieces): the resolved settings, L_n(w*) and ‖∇L_n(w*)‖ once, and `finish`,
 * which turns the chains' traces into the result (llcFromChains).
 */
export function beginEstimate(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: LlcOptions,
): { settings: LlcSettings; initLoss: number; finish(traces: ChainTrace[]): LlcResult } {
  const settings = resolveLlcSettings(options, data.n);
  const startedAt = Date.now();
  const numParams = weights.reduce((a, t) => a + t.size, 0);
  const initLoss = fullLoss(lossFn, weights, data, settings.evalBatchSize);
  const gradNorm = fullGradNorm(lossFn, weights, data, settings.evalBatchSize);
  const { chanceLoss, thresholds } = options;
  return {
    settings,
    initLoss,
    finish: (traces) =>
      llcFromChains(traces, { initLoss, gradNorm, chanceLoss, numParams, settings, thresholds, startedAt }),
  };
}
