/**
 * Models whose learning coefficient is known exactly, to validate the estimator:
 *   - linear regression with d parameters and full-rank inputs: λ = d/2 (regular);
 *   - deep linear networks (DLNs) y = W_L ··· W_1 x: λ from Aoyagi (2024), see aoyagi.ts.
 * Each problem gives a loss as a pure function of (weights, batch), the data on the
 * backend, the truth, and w* — a minimum of the empirical loss L_n reached by full-batch
 * Adam from the true parameter (the estimator assumes w* is a local minimum of L_n).
 */
import { tf } from '../engine/backend';
import { dlnLambda, parameterCount } from './aoyagi';
import { DeviceSplit } from '../data/batches';
import { LossFn } from '../models/models';
import { deriveSeed, fillNormal, makeRng } from '../math/rng';

export interface GroundTruthProblem {
  name: string;
  lossFn: LossFn;
  data: DeviceSplit;
  wStar: tf.Tensor[];
  /** The true learning coefficient λ. */
  truth: number;
  numParams: number;
  dispose(): void;
}

export interface DlnOptions {
  /** Layer widths [input, hidden..., output]; one layer (two widths) is linear regression. */
  widths: number[];
  /** Rank of the true product matrix (default: the smallest width = full rank). */
  rank?: number;
  /** Training examples (default 2000). */
  n?: number;
  seed?: number;
  /** Full-batch Adam steps from the true parameter to the empirical minimum (default 500). */
  fitSteps?: number;
}

/** Gaussian negative log-likelihood (σ = 1, up to a constant): ½ · mean over examples of ||y − f(x)||². */
function dlnLoss(ws: tf.Tensor[], x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const out = ws.reduce((h, w) => tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D), x);
    return tf.mul(tf.mean(tf.sum(tf.square(tf.sub(out, y)), 1)), 0.5) as tf.Scalar;
  });
}

/** The true weights W_l (row-major widths[l] × widths[l+1]), entries N(0, 1/widths[l]), product of rank `rank`. */
function drawTrueWeights(
  widths: number[],
  rank: number,
  normal: (size: number, scale: number) => Float32Array,
): Float32Array[] {
  const ws = Array.from({ length: widths.length - 1 }, (_, l) =>
    normal(widths[l] * widths[l + 1], 1 / Math.sqrt(widths[l])),
  );
  // Rank r: only the first r hidden units of the first layer are connected.
  for (let i = 0; i < widths[0]; i++) for (let j = rank; j < widths[1]; j++) ws[0][i * widths[1] + j] = 0;
  return ws;
}

/** The true weights of dlnProblem({ widths, rank, seed }), without building the problem (pure JS, no tensors). */
export function dlnTrueWeights(widths: number[], rank: number, seed: number): Float32Array[] {
  const rng = makeRng(deriveSeed(seed, 'dln', ...widths, rank));
  return drawTrueWeights(widths, rank, (size, scale) => fillNormal(new Float32Array(size), rng).map((v) => v * scale));
}

/** A deep linear network regression problem with a true product of the given rank. */
export function dlnProblem(options: DlnOptions): GroundTruthProblem {
  const { widths } = options;
  const rank = options.rank ?? Math.min(...widths);
  const n = options.n ?? 2000;
  const seed = options.seed ?? 0;
  const truth = dlnLambda(widths, rank);
  const rng = makeRng(deriveSeed(seed, 'dln', ...widths, rank));
  const normal = (size: number, scale: number) => fillNormal(new Float32Array(size), rng).map((v) => v * scale);
  const layers = widths.length - 1;
  const trueWeights = drawTrueWeights(widths, rank, normal);
  const x = tf.tensor2d(normal(n * widths[0], 1), [n, widths[0]]);
  const w0 = trueWeights.map((w, l) => tf.tensor2d(w, [widths[l], widths[l + 1]]));
  const y = tf.tidy(() =>
    tf.add(
      w0.reduce((h, w) => tf.matMul(h as tf.Tensor2D, w), x as tf.Tensor2D),
      tf.tensor2d(normal(n * widths[layers], 1), [n, widths[layers]]),
    ),
  );
  const vars = w0.map((t) => tf.variable(t));
  const opt = tf.train.adam(1e-2);
  for (let i = 0; i < (options.fitSteps ?? 500); i++) opt.minimize(() => dlnLoss(vars, x, y), false, vars);
  const wStar = vars.map((v) => tf.clone(v));
  opt.dispose();
  tf.dispose([...vars, ...w0]);
  return {
    name: `DLN ${widths.join('-')} rank ${rank}`,
    lossFn: dlnLoss,
    data: { x, y, n },
    wStar,
    truth,
    numParams: parameterCount(widths),
    dispose: () => tf.dispose([x, y, ...wStar]),
  };
}
