/**
 * Kernels for the native TensorFlow backend (@tensorflow/tfjs-node). tfjs-node runs each
 * tfjs op as one or more TensorFlow eager ops; where tfjs builds a gradient out of several
 * ops that TensorFlow has as one, we call TensorFlow's directly.
 *
 *  - RELU_GRAD → TensorFlow's `ReluGrad(gradients, features)`: one pass. The stock Relu
 *    gradient is dy·step(x), and tfjs-node's Step is seven ops with three full-size
 *    temporaries; for the CNN's [256, 26, 26, 16] activations that was a quarter of a step
 *    (CNN SGLD step 34 → 23 ms at one thread, measured with bench/).
 *  - RESHAPE (reshapeKernel below).
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
interface NativeBackend extends NodeBackend {
  binding: NodeBackend['binding'] & { TF_INT32: number; TF_BOOL: number };
  incRef(dataId: tf.DataId): void;
  write(values: Int32Array, shape: number[], dtype: 'int32'): tf.DataId;
}

const reluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const node = backend as unknown as NodeBackend;
  const T = { name: 'T', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_FLOAT };
  return node.executeSingleOutput('ReluGrad', [T], [dy, x]);
};

/**
 * RESHAPE → no TensorFlow call when the shape does not change (the tensor is shared, as tfjs-node's
 * own Identity kernel does), else TensorFlow's Reshape with its shape operand kept for reuse. tfjs's
 * gradients reshape every Add gradient and every bias to the shape it already has, and tfjs-node's
 * Reshape builds and frees a shape tensor each call: 12 of the MLP's 21 reshapes per training step
 * change nothing. A reshape never changes values, so results are bit-identical.
 */
const shapeOperands = new Map<string, tf.TensorInfo>();
function reshapeKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const shape = (args.attrs as unknown as { shape: number[] }).shape;
    const node = args.backend as unknown as NativeBackend;
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) {
      node.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    const T = { float32: node.binding.TF_FLOAT, int32: node.binding.TF_INT32, bool: node.binding.TF_BOOL }[
      x.dtype as string
    ];
    if (T == null || shape.some((d) => d < 0)) return original(args); // other dtypes, or −1 for TensorFlow to infer
    const key = shape.join(',');
    let operand = shapeOperands.get(key);
    if (!operand) {
      // Written to the backend directly (not a tfjs tensor, so not in tf.memory()), kept for the process.
      operand = {
        dataId: node.write(Int32Array.from(shape), [shape.length], 'int32'),
        shape: [shape.length],
        dtype: 'int32',
      };
      shapeOperands.set(key, operand);
    }
    const attrs = [
      { name: 'T', type: node.binding.TF_ATTR_TYPE, value: T },
      { name: 'Tshape', type: node.binding.TF_ATTR_TYPE, value: node.binding.TF_INT32 },
    ];
    return node.executeSingleOutput('Reshape', attrs, [x, operand]);
  };
}

let registered = false;

/** Register our kernels for the 'tensorflow' backend and the gradient that uses them (idempotent). */
export function registerNativeKernels(): void {
  if (registered) return;
  tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'tensorflow', kernelFunc: reluGradKernel });
  const stock = tf.getKernel(tf.Reshape, 'tensorflow');
  if (stock) {
    tf.unregisterKernel(tf.Reshape, 'tensorflow');
    tf.registerKernel({
      kernelName: tf.Reshape,
      backendName: 'tensorflow',
      kernelFunc: reshapeKernel(stock.kernelFunc),
    });
  }
  registerReluGradient();
  registered = true;
}
