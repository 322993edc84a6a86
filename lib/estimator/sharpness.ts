/**
 * The sharpness of L_n at w* — its largest Hessian eigenvalue λ_max — and the step size above
 * which SGLD cannot be stable there.
 *
 * Lau et al.'s update (eq. 14) Δw = −(ε/2)(nβ ∇L_m(w) + γ (w − w*)) + N(0, ε) multiplies a
 * deviation along an eigenvector of the Hessian with eigenvalue h by 1 − (ε/2)(nβ h + γ) per
 * step (to first order). Once ε > 4 / (nβ λ_max + γ) that factor is below −1: the injected noise
 * grows geometrically along the sharpest direction until the nonlinearity stops it — a spike in
 * the loss trace, or a blow-up. The bound is necessary, not sufficient (minibatch noise and
 * curvature that changes along the chain are not in it), and it needs no sampling.
 *
 * λ_max by power iteration on Hessian-vector products, each a central difference of two full-data
 * gradients: H v ≈ (∇L_n(w* + r v) − ∇L_n(w* − r v)) / 2r (exact for a quadratic).
 */
import { tf } from '../engine/backend';
import { DeviceSplit, EVAL_BATCH_SIZE } from '../data/batches';
import { LossFn } from '../models/models';
import { fillNormal, makeRng } from '../math/rng';
import { fullGradient } from './llc';
import { checkPositive } from '../math/checks';

export interface SharpnessOptions {
  /** Power iterations at most (default 30). */
  iterations?: number;
  /** Stop once λ changes by less than this, relative, between iterations (default 1e-3). */
  tolerance?: number;
  /** Finite-difference radius r in weight space (default 1e-3; ‖w*‖ is ~25–40 for our models). */
  radius?: number;
  /** Seed of the starting vector (default 0). */
  seed?: number;
  /** Batch size of the full-data gradient passes (default EVAL_BATCH_SIZE). */
  batchSize?: number;
}

export const SHARPNESS_DEFAULTS: Required<SharpnessOptions> = {
  iterations: 30,
  tolerance: 1e-3,
  radius: 1e-3,
  seed: 0,
  batchSize: EVAL_BATCH_SIZE,
};

export interface Sharpness {
  /** The Rayleigh quotient vᵀHv at the last iterate: the eigenvalue of largest magnitude. */
  lambdaMax: number;
  /** λ after each iteration (converged when the last two agree within `tolerance`). */
  history: number[];
  converged: boolean;
}

/** λ_max of the Hessian of L_n at `weights` (not modified); 2 full-data gradient passes per iteration. */
export function topHessianEigenvalue(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: SharpnessOptions = {},
): Sharpness {
  const o = { ...SHARPNESS_DEFAULTS, ...options };
  checkPositive('sharpness: iterations', o.iterations, true);
  checkPositive('sharpness: radius', o.radius);
  checkPositive('sharpness: tolerance', o.tolerance);
  const rng = makeRng(o.seed);
  let v = normalize(
    weights.map((w) => {
      const z = new Float32Array(w.size);
      fillNormal(z, rng);
      return tf.tensor(z, w.shape);
    }),
  );
  const history: number[] = [];
  let converged = false;
  try {
    for (let i = 0; i < o.iterations && !converged; i++) {
      const hv = hessianVector(lossFn, weights, v, data, o);
      const lambda = tf.tidy(() => tf.addN(hv.map((h, j) => tf.sum(tf.mul(h, v[j])))).dataSync()[0]);
      tf.dispose(v);
      v = normalize(hv);
      const prev = history[history.length - 1];
      history.push(lambda);
      converged = prev != null && Math.abs(lambda - prev) <= o.tolerance * Math.abs(lambda);
    }
  } finally {
    tf.dispose(v);
  }
  return { lambdaMax: history[history.length - 1], history, converged };
}

/** H v by a central difference of full-data gradients (v is a unit vector). */
function hessianVector(
  lossFn: LossFn,
  weights: tf.Tensor[],
  v: tf.Tensor[],
  data: DeviceSplit,
  o: Required<SharpnessOptions>,
): tf.Tensor[] {
  const shifted = (sign: number) => {
    const w = tf.tidy(() => weights.map((x, j) => tf.add(x, tf.mul(v[j], sign * o.radius))));
    try {
      return fullGradient(lossFn, w, data, o.batchSize);
    } finally {
      tf.dispose(w);
    }
  };
  const plus = shifted(1);
  const minus = shifted(-1);
  const hv = tf.tidy(() => plus.map((p, j) => tf.div(tf.sub(p, minus[j]), 2 * o.radius)));
  tf.dispose([...plus, ...minus]);
  return hv;
}

/** v / ‖v‖ over all tensors together; disposes v. */
function normalize(v: tf.Tensor[]): tf.Tensor[] {
  const out = tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(v.map((t) => tf.sum(tf.square(t)))));
    return v.map((t) => tf.div(t, norm));
  });
  tf.dispose(v);
  return out;
}

/** The largest ε at which SGLD is stable along the sharpest direction: 4 / (nβ λ_max + γ). */
export function maxStableEpsilon(lambdaMax: number, nbeta: number, gamma: number): number {
  return 4 / (nbeta * lambdaMax + gamma);
}
