/**
 * The MNIST-1D reference models (Greydanus 2020, mnist1d/models.py), as pure
 * functions of a weight list and a batch x [B, 40] like models.ts:
 *   logistic: 40 → 10                                                     (410 parameters)
 *   MLP:      40 → 100 → ReLU → 100 → ReLU → 10                           (15,210)
 *   CNN:      conv1d 1→25 (k5, s2, p1) → ReLU → conv1d 25→25 (k3, s2, p1) → ReLU
 *             → conv1d 25→25 (k3, s2, p1) → ReLU → flatten 5·25 = 125 → 10 (5,210)
 */
import { tf } from '../engine/backend';
import { affine, dense, ModelDef, ParamSpec } from './layers';

function conv1d(name: string, size: number, inC: number, outC: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [size, inC, outC], fanIn: size * inC },
    { name: `${name}.bias`, shape: [outC], fanIn: size * inC },
  ];
}

/** Output length of a 1-D convolution with explicit padding p on both sides. */
export const conv1dLength = (length: number, kernel: number, stride: number, pad: number): number =>
  Math.floor((length + 2 * pad - kernel) / stride) + 1;

/** conv1d with symmetric explicit padding (tfjs conv1d takes 'valid' | 'same' | a number only for 2-D). */
function conv1dPadded(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor, stride: number, pad: number): tf.Tensor3D {
  const padded = tf.pad(x, [
    [0, 0],
    [pad, pad],
    [0, 0],
  ]);
  return tf.add(tf.conv1d(padded, w as tf.Tensor3D, stride, 'valid'), b) as tf.Tensor3D;
}

export function logistic1dDef(length = 40, numOutputs = 10): ModelDef {
  return {
    architecture: 'mlp',
    inputShape: [length],
    numOutputs,
    params: dense('linear', length, numOutputs),
    forward: ([w, b], x) => affine(tf.reshape(x, [-1, length]) as tf.Tensor2D, w, b),
  };
}

export function mlp1dDef(length = 40, hidden = 100, numOutputs = 10): ModelDef {
  return {
    architecture: 'mlp',
    inputShape: [length],
    numOutputs,
    params: [
      ...dense('linear1', length, hidden),
      ...dense('linear2', hidden, hidden),
      ...dense('linear3', hidden, numOutputs),
    ],
    forward([w1, b1, w2, b2, w3, b3], x) {
      const h1 = tf.relu(affine(tf.reshape(x, [-1, length]) as tf.Tensor2D, w1, b1));
      return affine(tf.relu(affine(h1, w2, b2)), w3, b3);
    },
  };
}

export function cnn1dDef(length = 40, channels = 25, numOutputs = 10): ModelDef {
  const l1 = conv1dLength(length, 5, 2, 1);
  const l2 = conv1dLength(l1, 3, 2, 1);
  const l3 = conv1dLength(l2, 3, 2, 1);
  const flat = l3 * channels;
  return {
    architecture: 'cnn',
    inputShape: [length],
    numOutputs,
    params: [
      ...conv1d('conv1', 5, 1, channels),
      ...conv1d('conv2', 3, channels, channels),
      ...conv1d('conv3', 3, channels, channels),
      ...dense('linear', flat, numOutputs),
    ],
    forward([k1, c1, k2, c2, k3, c3, w, b], x) {
      const x3 = tf.reshape(x, [-1, length, 1]) as tf.Tensor3D;
      const a1 = tf.relu(conv1dPadded(x3, k1, c1, 2, 1));
      const a2 = tf.relu(conv1dPadded(a1, k2, c2, 2, 1));
      const a3 = tf.relu(conv1dPadded(a2, k3, c3, 2, 1));
      return affine(tf.reshape(a3, [-1, flat]) as tf.Tensor2D, w, b);
    },
  };
}
