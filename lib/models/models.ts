/**
 * The write-up's two models, as pure functions of a weight list and a batch, so
 * that training and the SGLD estimator share one definition of the loss.
 *
 *   MLP: 784 → 128 → ReLU → 128 → ReLU → 10                                  (118,282 parameters)
 *   CNN: conv3×3 1→16 → ReLU → maxpool 2 → conv3×3 16→16 → ReLU → flatten 1,936
 *        → dense 64 → ReLU → dense 10                                       (127,098 parameters)
 *
 * Both keep 10 outputs for every task; the loss reads only the logits of the
 * task's labels (as the write-up does), so the unused output units get exactly
 * zero gradient.
 */
import { tf } from '../engine/backend';
import { affine, Architecture, ARCHITECTURES, dense, ModelDef, ParamSpec } from './layers';
import { cnn1dDef, mlp1dDef } from './mnist1d-models';
import { makeRng } from '../math/rng';

export { ARCHITECTURES, type Architecture, type ModelDef, type ParamSpec } from './layers';

export function parseArchitecture(value: string): Architecture {
  if (!(ARCHITECTURES as readonly string[]).includes(value)) {
    throw new Error(`unknown architecture '${value}'; valid: ${ARCHITECTURES.join(', ')}`);
  }
  return value as Architecture;
}

function conv(name: string, size: number, inC: number, outC: number): ParamSpec[] {
  const fanIn = size * size * inC;
  return [
    { name: `${name}.weight`, shape: [size, size, inC, outC], fanIn },
    { name: `${name}.bias`, shape: [outC], fanIn },
  ];
}

export function mlpDef(inputShape: number[] = [28, 28, 1], hidden = 128, numOutputs = 10): ModelDef {
  const inputs = inputShape.reduce((a, b) => a * b, 1);
  return {
    architecture: 'mlp',
    inputShape,
    numOutputs,
    params: [...dense('fc1', inputs, hidden), ...dense('fc2', hidden, hidden), ...dense('fc3', hidden, numOutputs)],
    forward([w1, b1, w2, b2, w3, b3], x) {
      const flat = tf.reshape(x, [-1, inputs]) as tf.Tensor2D;
      const h1 = tf.relu(affine(flat, w1, b1));
      const h2 = tf.relu(affine(h1, w2, b2));
      return affine(h2, w3, b3);
    },
  };
}

export function cnnDef(numOutputs = 10): ModelDef {
  const flat = 11 * 11 * 16; // 28 → conv 26 → pool 13 → conv 11
  return {
    architecture: 'cnn',
    inputShape: [28, 28, 1],
    numOutputs,
    params: [
      ...conv('conv1', 3, 1, 16),
      ...conv('conv2', 3, 16, 16),
      ...dense('fc1', flat, 64),
      ...dense('fc2', 64, numOutputs),
    ],
    forward([k1, c1, k2, c2, w1, b1, w2, b2], x) {
      const x4 = tf.reshape(x, [-1, 28, 28, 1]) as tf.Tensor4D;
      const a1 = tf.relu(tf.add(tf.conv2d(x4, k1 as tf.Tensor4D, 1, 'valid'), c1)) as tf.Tensor4D;
      const p1 = tf.maxPool(a1, 2, 2, 'valid');
      const a2 = tf.relu(tf.add(tf.conv2d(p1, k2 as tf.Tensor4D, 1, 'valid'), c2));
      const h = tf.relu(affine(tf.reshape(a2, [-1, flat]) as tf.Tensor2D, w1, b1));
      return affine(h, w2, b2);
    },
  };
}

/**
 * The write-up's models for MNIST, or the reference models for MNIST-1D. `hidden` widens the
 * MNIST MLP (default 128; Lau et al.'s MNIST MLP is 784 → 1024 → 1024 → 10, 1,863,690 parameters).
 */
export function modelDef(
  architecture: Architecture | string,
  dataset: 'mnist' | 'mnist1d' = 'mnist',
  hidden?: number,
): ModelDef {
  const arch = parseArchitecture(architecture);
  if (hidden != null && (arch !== 'mlp' || dataset !== 'mnist'))
    throw new Error(`hidden width applies to the MNIST MLP only, got architecture '${arch}' on '${dataset}'`);
  if (dataset === 'mnist1d') return arch === 'mlp' ? mlp1dDef() : cnn1dDef();
  return arch === 'mlp' ? mlpDef(undefined, hidden) : cnnDef();
}

export function numParams(def: { params: ParamSpec[] }): number {
  return def.params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Seeded initial weights as typed arrays (backend-independent): PyTorch's default
 * for Linear/Conv2d, U(−1/√fanIn, 1/√fanIn) for weights and biases, as the write-up used.
 */
export function initWeights(def: ModelDef, seed: number): Float32Array[] {
  const rng = makeRng(seed);
  return def.params.map((p) => {
    const bound = 1 / Math.sqrt(p.fanIn);
    const size = p.shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(size);
    for (let i = 0; i < size; i++) w[i] = (2 * rng.uniform() - 1) * bound;
    return w;
  });
}

/** Upload typed-array weights as tensors of the model's shapes. */
export function weightsToTensors(def: ModelDef, weights: Float32Array[]): tf.Tensor[] {
  return def.params.map((p, i) => tf.tensor(weights[i], p.shape, 'float32'));
}

/**
 * Selection matrix S [numOutputs, k] with S[labels[j], j] = 1: logits·S keeps the
 * task's logits in label order. Its zero rows give unused outputs exactly zero gradient.
 */
export function labelSelector(labels: readonly number[], numOutputs = 10): tf.Tensor2D {
  const s = new Float32Array(numOutputs * labels.length);
  labels.forEach((d, j) => (s[d * labels.length + j] = 1));
  return tf.tensor2d(s, [numOutputs, labels.length]);
}

/**
 * Mean cross-entropy over the task's logits only (the write-up's masked loss):
 * L(w; x, y) = −(1/B) Σ log softmax(f_w(x)·S)[y], y = position of the digit in `labels`.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D,
  selector: tf.Tensor2D,
  yPos: tf.Tensor1D,
  loss: LossKind = 'ce',
): tf.Scalar {
  return taskLossOfLogits(tf.matMul(logits, selector) as tf.Tensor2D, yPos, loss);
}

export const LOSSES = ['ce', 'writeup'] as const;
/**
 * 'ce': the cross-entropy −log softmax(z)_y. 'writeup': the write-up's code,
 * −log(softmax(z)_y + 1e-6): each example's loss is capped at −log 1e-6 ≈ 13.8 and the
 * gradient of a confidently wrong example shrinks by p/(p + 1e-6), a built-in clipping.
 */
export type LossKind = (typeof LOSSES)[number];

export function parseLoss(value: string): LossKind {
  if (!(LOSSES as readonly string[]).includes(value))
    throw new Error(`unknown loss '${value}'; valid: ${LOSSES.join(', ')}`);
  return value as LossKind;
}

/** The write-up's −mean log(softmax(z)_y + 1e-6) of logits [B, k] against class positions y [B]. */
export function writeupCrossEntropy(taskLogits: tf.Tensor2D, yPos: tf.Tensor1D): tf.Scalar {
  const p = tf.sum(tf.mul(tf.softmax(taskLogits), tf.oneHot(yPos, taskLogits.shape[1])), 1);
  return tf.neg(tf.mean(tf.log(tf.add(p, 1e-6)))) as tf.Scalar;
}

/** The mean loss of task logits [B, k] against class positions y [B]. */
export function taskLossOfLogits(taskLogits: tf.Tensor2D, yPos: tf.Tensor1D, loss: LossKind = 'ce'): tf.Scalar {
  return loss === 'writeup' ? writeupCrossEntropy(taskLogits, yPos) : crossEntropy(taskLogits, yPos);
}

/** Mean cross-entropy of logits [B, k] against class positions y [B]. */
export function crossEntropy(taskLogits: tf.Tensor2D, yPos: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(taskLogits);
  const oneHot = tf.oneHot(yPos, taskLogits.shape[1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, oneHot), 1))) as tf.Scalar;
}

/** Number of examples whose largest task logit is the true class. */
export function countCorrect(taskLogits: tf.Tensor2D, yPos: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(taskLogits, 1), yPos), 'float32'));
}

/** A loss as a pure function of (weights, batch): what the trainer and the SGLD estimator share. */
export type LossFn = (weights: tf.Tensor[], x: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** The masked loss of a model on a task's labels. */
export function taskLoss(def: ModelDef, selector: tf.Tensor2D, loss: LossKind = 'ce'): LossFn {
  return (weights, x, y) => maskedCrossEntropy(def.forward(weights, x), selector, y as tf.Tensor1D, loss);
}
