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
import { tf } from './backend';
import { sgldUpdateSimd, simdActive } from './simd';

export interface SgldStepSettings {
  epsilon: number;
  gamma: number;
  nbeta: number;
}

/**
 * Apply the update to every parameter tensor. `noise` holds standard normals
 * (one tensor per parameter), scaled here by √ε. Call inside tf.tidy.
 */
export function sgldUpdate(
  w: tf.Tensor[],
  grads: tf.Tensor[],
  wStar: tf.Tensor[],
  noise: tf.Tensor[],
  { epsilon, gamma, nbeta }: SgldStepSettings,
): tf.Tensor[] {
  const coefficients = { a: -(epsilon / 2) * nbeta, b: -(epsilon / 2) * gamma, c: Math.sqrt(epsilon) };
  // On wasm: one fused pass per tensor, the same float32 operations in the same order.
  if (simdActive() && w.every((t) => t.dtype === 'float32')) return w.map((wi, i) => sgldUpdateSimd(wi, grads[i], wStar[i], noise[i], coefficients));
  const a = tf.scalar(coefficients.a);
  const b = tf.scalar(coefficients.b);
  const c = tf.scalar(coefficients.c);
  return w.map((wi, i) => {
    const drift = tf.add(tf.mul(grads[i], a), tf.mul(tf.sub(wi, wStar[i]), b));
    return tf.add(wi, tf.add(drift, tf.mul(noise[i], c)));
  });
}
