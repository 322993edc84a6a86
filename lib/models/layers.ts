/**
 * What every model of the project is made of: a model as a pure function of a weight
 * list and a batch (ModelDef), its parameters' specs, and the dense layer both the MNIST
 * (models.ts) and the MNIST-1D (mnist1d-models.ts) models use.
 */
import { tf } from '../engine/backend';

export const ARCHITECTURES = ['mlp', 'cnn'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Fan-in used by the initialiser. */
  fanIn: number;
}

export interface ModelDef {
  architecture: Architecture;
  inputShape: number[];
  numOutputs: number;
  params: ParamSpec[];
  /** Logits [B, numOutputs] from weights and a batch x [B, ...inputShape]. */
  forward(weights: tf.Tensor[], x: tf.Tensor): tf.Tensor2D;
}

/** Weight [inputs, outputs] and bias [outputs] of a dense layer (PyTorch's Linear fan-in). */
export function dense(name: string, inputs: number, outputs: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [inputs, outputs], fanIn: inputs },
    { name: `${name}.bias`, shape: [outputs], fanIn: inputs },
  ];
}

/** x·W + b. */
export const affine = (x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D =>
  tf.add(tf.matMul(x, w as tf.Tensor2D), b);
