/**
 * One step of localized SGLD (Welling & Teh 2011; Lau et al. 2023, Algorithm 1 / eq. 12):
 *
 *   w ← w − (ε/2) · ( nβ · ∇L_m(w) + γ · (w − w*) ) + η,    η ~ N(0, ε·I)
 *
 *   ε  → `epsilon`  step size
 *   γ  → `gamma`    localization strength (keeps the chain near w*)
 *   nβ → `nbeta`    inverse temperature times n (default n / log n, i.e. β = 1/log n)
 *   L_m            mean loss on a minibatch of m examples drawn with replacement
 *
 * Pure: returns new tensors and never mutates its inputs.
 */
import { tf } from '../engine/backend';
import { sgldUpdateSimd, simdActive } from '../engine/simd';

export interface SgldStepSettings {
  epsilon: number;
  gamma: number;
  nbeta: number;
}

/**
 * The drift −(ε/2)·∇U(w) of the update, where U(w) = nβ·L_m(w) + (γ/2)·‖w − w*‖² is the
 * potential the chain samples exp(−U) from: the tf-op path of sgldUpdate, computed once and
 * passed to it when the MALA acceptance also needs it. Call inside tf.tidy.
 */
export function sgldDrift(
  w: tf.Tensor,
  grad: tf.Tensor,
  wStar: tf.Tensor,
  { epsilon, gamma, nbeta }: SgldStepSettings,
): tf.Tensor {
  return tf.add(
    tf.mul(grad, tf.scalar(-(epsilon / 2) * nbeta)),
    tf.mul(tf.sub(w, wStar), tf.scalar(-(epsilon / 2) * gamma)),
  );
}

/**
 * The two inner products the MALA ratio of a move prev → cur needs, as a [2] tensor:
 * [b·c, ‖c‖²] with b = cur − prev − drift(prev) (the injected noise √ε·η) and
 * c = drift(prev) + drift(cur). Call inside tf.tidy.
 */
export function malaInnerProducts(
  prevW: tf.Tensor,
  prevDrift: tf.Tensor,
  curW: tf.Tensor,
  curDrift: tf.Tensor,
): tf.Tensor1D {
  const b = tf.sub(tf.sub(curW, prevW), prevDrift);
  const c = tf.add(prevDrift, curDrift);
  return tf.stack([tf.sum(tf.mul(b, c)), tf.sum(tf.square(c))]) as tf.Tensor1D;
}

/**
 * log of the Metropolis–Hastings ratio of an SGLD move prev → cur, read as a MALA proposal
 * (devinterp's MalaAcceptanceRate; Roberts & Tweedie 1996):
 *
 *   log α = log q(cur → prev) − log q(prev → cur) + U(prev) − U(cur),
 *   log q(x → y) = −‖y − x − drift(x)‖² / (2ε),   U(w) = nβ·L_m(w) + (γ/2)·‖w − w*‖².
 *
 * With b and c of malaInnerProducts, the two log q terms differ by exactly
 * (−2·b·c − ‖c‖²) / (2ε). Each log q alone is ≈ −d/2 (≈ −60,000 for our models), and
 * their float32 difference would be rounding noise; this form has no cancellation.
 * As in devinterp, U at each point is taken on that step's own minibatch.
 */
export function malaLogRatio(
  bc: number,
  cc: number,
  potentialPrev: number,
  potentialCur: number,
  epsilon: number,
): number {
  return (-2 * bc - cc) / (2 * epsilon) + potentialPrev - potentialCur;
}

/** U(w) = nβ·L_m(w) + (γ/2)·‖w − w*‖², from the loss and the squared distance to w*. */
export function sgldPotential(
  loss: number,
  sqDistance: number,
  { gamma, nbeta }: Pick<SgldStepSettings, 'gamma' | 'nbeta'>,
): number {
  return nbeta * loss + (gamma / 2) * sqDistance;
}

/**
 * The virial (w − w*)·∇U(w), from (w − w*)·drift with drift = −(ε/2)∇U. Under exp(−U) its
 * expectation is d, the number of parameters (equipartition: E[x·∇U] = E[∇·x] = d, integrating
 * by parts; the localization makes the boundary term vanish). A minibatch gradient is unbiased
 * for ∇L_n, so the expectation is the same on step t's minibatch. A check of the chain against
 * its target that needs no true λ: the equipartition theorem of Langevin dynamics.
 */
export function virialFromDrift(driftDot: number, epsilon: number): number {
  return (-2 / epsilon) * driftDot;
}

/** Acceptance probability min(1, exp(log α)); NaN stays NaN (a diverged step). */
export function acceptanceFromLogRatio(logRatio: number): number {
  return Number.isNaN(logRatio) ? NaN : Math.min(1, Math.exp(logRatio));
}

/**
 * Apply the update to every parameter tensor. `noise` holds standard normals
 * (one tensor per parameter), scaled here by √ε. `drifts`, if given, are sgldDrift's
 * (the same arithmetic, computed once when the MALA acceptance also needs them).
 * Call inside tf.tidy.
 */
export function sgldUpdate(
  w: tf.Tensor[],
  grads: tf.Tensor[],
  wStar: tf.Tensor[],
  noise: tf.Tensor[],
  { epsilon, gamma, nbeta }: SgldStepSettings,
  drifts?: tf.Tensor[],
): tf.Tensor[] {
  const coefficients = { a: -(epsilon / 2) * nbeta, b: -(epsilon / 2) * gamma, c: Math.sqrt(epsilon) };
  // On wasm: one fused pass per tensor, the same float32 operations in the same order.
  if (simdActive() && w.every((t) => t.dtype === 'float32'))
    return w.map((wi, i) => sgldUpdateSimd(wi, grads[i], wStar[i], noise[i], coefficients));
  const c = tf.scalar(coefficients.c);
  return w.map((wi, i) => {
    const drift = drifts?.[i] ?? sgldDrift(wi, grads[i], wStar[i], { epsilon, gamma, nbeta });
    return tf.add(wi, tf.add(drift, tf.mul(noise[i], c)));
  });
}
