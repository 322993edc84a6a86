/**
 * Kernels for the native TensorFlow backend (@tensorflow/tfjs-node). tfjs-node runs each
 * tfjs op as one or more TensorFlow eager ops; where tfjs builds a gradient out of several
 * ops that TensorFlow has as one, we call TensorFlow's directly.
 *
 *  - RELU_GRAD → TensorFlow's `ReluGrad(gradients, features)`: one pass. The stock Relu
 *    gradient is dy·step(x), and tfjs-node's Step is seven ops with three full-size
 *    temporaries; for the CNN's [256, 26, 26, 16] activations that was a quarter of a step
 *    (CNN SGLD step 34 → 23 ms at one thread, measured with bench/).
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerReluGradient } from './kernels';
import { RELU_GRAD } from './simd';

/** The parts of tfjs-node's backend we call (NodeJSKernelBackend; not in tfjs-core's types). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(
    name: string,
    attrs: { name: string; type: number; value: number }[],
    inputs: tf.TensorInfo[],
  ): tf.Tensor;
}

const reluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const node = backend as unknown as NodeBackend;
  const T = { name: 'T', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_FLOAT };
  return node.executeSingleOutput('ReluGrad', [T], [dy, x]);
};

let registered = false;

/** Register our kernels for the 'tensorflow' backend and the gradient that uses them (idempotent). */
export function registerNativeKernels(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'tensorflow', kernelFunc: reluGradKernel });
  registerReluGradient();
  registered = true;
}
