/**
 * A task split kept on the backend as one tensor; minibatches are gathered there
 * (no per-step upload from JS).
 */
import { tf } from './backend';
import { labelPositions } from './models';

export interface DeviceSplit {
  /** [N, ...inputShape] float32. */
  x: tf.Tensor;
  /** Targets: [N] int32 positions of each digit in the task's labels (or any target tensor, e.g. regression). */
  y: tf.Tensor;
  n: number;
}

/** Upload a split; `y` holds original digits, stored as positions in `labels`. */
export function uploadSplit(x: Float32Array, y: ArrayLike<number>, inputShape: number[], labels: readonly number[]): DeviceSplit {
  const n = y.length;
  return {
    x: tf.tensor(x, [n, ...inputShape], 'float32'),
    y: tf.tensor1d(labelPositions(y, labels), 'int32'),
    n,
  };
}

export function disposeSplit(split: DeviceSplit): void {
  split.x.dispose();
  split.y.dispose();
}

/** Gather examples `indices` of a split (call inside tf.tidy). */
export function gatherBatch(split: DeviceSplit, indices: Int32Array): { x: tf.Tensor; y: tf.Tensor } {
  const idx = tf.tensor1d(indices, 'int32');
  return { x: tf.gather(split.x, idx), y: tf.gather(split.y, idx) };
}

/** Consecutive index ranges [start, end) covering 0..n in blocks of `size`. */
export function blocks(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}
