/**
 * A model's parameters as one flat vector θ ∈ R^d, the view the sampler and the
 * optimizer take (w in Lau et al. 2023 is a point of R^d). Per-parameter tensors are
 * cut from θ with one split inside the loss, so autodiff returns a single gradient
 * (the split's gradient is one concat) and the update is a handful of ops on one
 * tensor instead of the same handful per parameter tensor: on native TensorFlow an
 * op costs ~10–20 µs of dispatch whatever its size, which dominated the MLP's step.
 * Elementwise arithmetic is unchanged, so results are bit-identical to per-tensor updates.
 */
import { tf } from '../engine/backend';
import { LossFn } from './models';

/** Sizes of tensors of these shapes, in order. */
export function segmentSizes(shapes: number[][]): number[] {
  return shapes.map((s) => s.reduce((a, b) => a * b, 1));
}

/** θ = concat of every tensor flattened, in order. */
export function flatten(ws: tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.concat(
        ws.map((w) => tf.reshape(w, [-1])),
        0,
      ) as tf.Tensor1D,
  );
}

/** The per-parameter tensors of θ (views made by one split; call inside a tidy or dispose them). */
export function unflatten(theta: tf.Tensor, shapes: number[][]): tf.Tensor[] {
  // tfjs's SplitV gradient assumes several outputs; one parameter needs no split.
  if (shapes.length === 1) return [tf.reshape(theta, shapes[0])];
  const parts = tf.split(theta, segmentSizes(shapes));
  return parts.map((p, i) => tf.reshape(p, shapes[i]));
}

/** A loss of per-parameter tensors as a loss of [θ]. */
export function flatLoss(lossFn: LossFn, shapes: number[][]): LossFn {
  return ([theta], x, y) => lossFn(unflatten(theta, shapes), x, y);
}

/** Cut a host copy of θ into per-parameter arrays. */
export function splitHost(flat: Float32Array, shapes: number[][]): Float32Array[] {
  let o = 0;
  return segmentSizes(shapes).map((s) => flat.slice(o, (o += s)));
}
