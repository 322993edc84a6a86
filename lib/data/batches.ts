/**
 * A task split for training and sampling: the examples live on the backend as one
 * tensor (for full-data passes: evaluation, L_n(w*)), and minibatches are assembled
 * from a host copy of the same arrays and uploaded. On wasm (and tfjs-node) an upload
 * is a memcpy, while the backend's GatherV2 does per-element index arithmetic: for 256
 * MNIST rows out of 12,665, 2 ms instead of 15 ms, a third of an MLP step (measured
 * with bench/; the batches are bit-identical).
 */
import { tf } from '../engine/backend';

export interface DeviceSplit {
  /** [N, ...inputShape] float32. */
  x: tf.Tensor;
  /** Targets: [N] int32 positions of each digit in the task's labels (or any target tensor, e.g. regression). */
  y: tf.Tensor;
  n: number;
  /** Host copies of x (row-major) and y, when the split was uploaded from them; minibatches are cut from these. */
  host?: { x: Float32Array; y: Int32Array };
}

/**
 * Examples per block of a full pass over a split (evaluation, L_n(w*)): big enough to keep
 * the engine's matrix kernels busy, small enough that the CNN's activations for a block stay
 * ~60 MB even on all 60,000 MNIST training examples.
 */
export const EVAL_BATCH_SIZE = 1024;

/** Upload a split; `y` holds original digits, stored as positions in `labels`. */
export function uploadSplit(x: Float32Array, y: ArrayLike<number>, inputShape: number[], labels: readonly number[]): DeviceSplit {
  const n = y.length;
  const positions = labelPositions(y, labels);
  return {
    x: tf.tensor(x, [n, ...inputShape], 'float32'),
    y: tf.tensor1d(positions, 'int32'),
    n,
    host: { x, y: positions },
  };
}

export function disposeSplit(split: DeviceSplit): void {
  split.x.dispose();
  split.y.dispose();
}

/** Examples `indices` of a split, as new tensors (call inside tf.tidy). */
export function gatherBatch(split: DeviceSplit, indices: Int32Array): { x: tf.Tensor; y: tf.Tensor } {
  if (split.host == null) {
    const idx = tf.tensor1d(indices, 'int32');
    return { x: tf.gather(split.x, idx), y: tf.gather(split.y, idx) };
  }
  const row = split.x.size / split.n;
  const x = new Float32Array(indices.length * row);
  const y = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    if (!(i >= 0 && i < split.n)) throw new Error(`gatherBatch: index ${i} is not in [0, ${split.n - 1}]`);
    x.set(split.host.x.subarray(i * row, (i + 1) * row), j * row);
    y[j] = split.host.y[i];
  }
  return { x: tf.tensor(x, [indices.length, ...split.x.shape.slice(1)], 'float32'), y: tf.tensor1d(y, 'int32') };
}

/** Consecutive index ranges [start, end) covering 0..n in blocks of `size`. */
export function blocks(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += size) out.push([s, Math.min(n, s + size)]);
  return out;
}

/** Map original digits to their position in `labels` (the class index of the masked loss). */
export function labelPositions(y: ArrayLike<number>, labels: readonly number[]): Int32Array {
  const pos = new Int32Array(10).fill(-1);
  labels.forEach((d, j) => (pos[d] = j));
  return Int32Array.from({ length: y.length }, (_, i) => {
    const p = pos[y[i]];
    if (p < 0) throw new Error(`example ${i} has label ${y[i]}, not one of the task's labels [${labels.join(', ')}]`);
    return p;
  });
}
