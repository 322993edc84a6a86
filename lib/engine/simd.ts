/**
 * Our own WebAssembly SIMD kernels on tfjs's wasm backend, where its stock kernels
 * and XNNPACK are slowest for our models (tf.profile of a batch-256 CNN SGLD step:
 * 122 ms of kernel time before these, ≈ 65 ms after):
 *
 *  - the filter gradient of a conv layer (26 ms for the first layer on 1-channel
 *    images: a reduction over 173k output positions into a 3×3×1×16 filter, which
 *    XNNPACK could only do after transposing dy and packing a 173k-row operand);
 *  - the 2×2 max-pool and its gradient (≈ 20 ms as a dozen elementwise ops);
 *  - the ReLU gradient in one pass; the SGLD update (sgld.ts) fused in one pass;
 *  - as replacements of stock kernels for their common case: bias Add, the
 *    last-two-axes Transpose of the dense gradients, and Identity / same-dtype Cast
 *    as shared data (the tape clones every saved tensor; tfjs's cpu backend shares too).
 *
 * The kernels (source: simd/kernels.as.ts, AssemblyScript; binary:
 * simd/kernels.wasm, built by `npm run build:simd`) import tfjs's own wasm
 * memory and read and write tensors in place, so there are no copies. The gradient
 * kernels are registered under our own names and called from the overrides in
 * kernels.ts, which keep their tf-op versions for every other backend and shape.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const SIMD_WASM_PATH = path.join(__dirname, 'simd', 'kernels.wasm');

/** Kernel names (ours, registered for the wasm backend only). */
export const CONV2D_FILTER_GRAD = 'LlcConv2DFilterGrad';
export const MAX_POOL_GRAD = 'LlcMaxPoolGrad';
export const RELU_GRAD = 'LlcReluGrad';
export const SGLD_UPDATE = 'LlcSgldUpdate';

interface SimdExports {
  maxPool(
    x: number,
    y: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
  ): void;
  biasAdd(x: number, bias: number, out: number, rows: number, c: number): void;
  reluGrad(dy: number, x: number, dx: number, size: number): void;
  transpose2d(x: number, out: number, batch: number, rows: number, cols: number): void;
  sgldUpdate(
    w: number,
    g: number,
    wStar: number,
    noise: number,
    out: number,
    size: number,
    a: number,
    b: number,
    c: number,
  ): void;
  conv2dFilterGrad(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    cin: number,
    oh: number,
    ow: number,
    cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
  ): void;
  maxPoolGrad(
    x: number,
    y: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
  ): void;
}

/** Attributes of LlcConv2DFilterGrad: the filter's [kh, kw], the stride and the top/left padding. */
export interface Conv2DFilterGradAttrs {
  filterSize: [number, number];
  strides: [number, number];
  padTopLeft: [number, number];
}

// The WebAssembly API of Node (its typings live in TypeScript's DOM lib, which we do not load).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: tf.NamedAttrMap };

let exportsCache: { memory: WasmMemory; kernels: SimdExports } | null = null;

function wasmMemory(backend: BackendWasm): WasmMemory {
  const memory = (backend.wasm as unknown as { asm?: { memory?: WasmMemory } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory))
    throw new Error('simd: the tfjs wasm module does not export its memory (tfjs-backend-wasm changed?)');
  return memory;
}

/** Instantiate kernels.wasm on the backend's memory (once per memory). */
function kernelsFor(backend: BackendWasm): SimdExports {
  const memory = wasmMemory(backend);
  if (exportsCache?.memory !== memory) {
    const module = new WebAssembly.Module(fs.readFileSync(SIMD_WASM_PATH));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    exportsCache = { memory, kernels: instance.exports as unknown as SimdExports };
  }
  return exportsCache!.kernels;
}

/** Byte offset of a tensor's data in the wasm heap. */
function offset(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

function conv2dFilterGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const {
    filterSize: [kh, kw],
    strides: [sh, sw],
    padTopLeft: [top, left],
  } = attrs as unknown as Conv2DFilterGradAttrs;
  const [n, h, w, cin] = x.shape;
  const [, oh, ow, cout] = dy.shape;
  const out = b.makeOutput([kh, kw, cin, cout], 'float32');
  kernelsFor(b).conv2dFilterGrad(
    offset(b, x),
    offset(b, dy),
    offset(b, out),
    n,
    h,
    w,
    cin,
    oh,
    ow,
    cout,
    kh,
    kw,
    sh,
    sw,
    top,
    left,
  );
  return out;
}

function maxPoolGradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm;
  const { x, y, dy } = inputs as { x: tf.TensorInfo; y: tf.TensorInfo; dy: tf.TensorInfo };
  const [fh, fw] = (attrs as unknown as { filterSize: [number, number] }).filterSize;
  const [n, h, w, c] = x.shape;
  const [, oh, ow] = y.shape;
  const out = b.makeOutput(x.shape, 'float32');
  kernelsFor(b).maxPoolGrad(offset(b, x), offset(b, y), offset(b, dy), offset(b, out), n, h, w, c, oh, ow, fh, fw);
  return out;
}

function reluGradKernel({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as BackendWasm;
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const out = b.makeOutput(x.shape, 'float32');
  kernelsFor(b).reluGrad(offset(b, dy), offset(b, x), offset(b, out), tf.util.sizeFromShape(x.shape));
  return out;
}

/** Coefficients of the fused SGLD update (see sgldUpdateSimd). */
export interface SgldCoefficients {
  a: number;
  b: number;
  c: number;
}

function sgldUpdateKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const bk = backend as BackendWasm;
  const { w, grad, wStar, noise } = inputs;
  const { a, b, c } = attrs as unknown as SgldCoefficients;
  const out = bk.makeOutput(w.shape, 'float32');
  kernelsFor(bk).sgldUpdate(
    offset(bk, w),
    offset(bk, grad),
    offset(bk, wStar),
    offset(bk, noise),
    offset(bk, out),
    tf.util.sizeFromShape(w.shape),
    a,
    b,
    c,
  );
  return out;
}

// ---------------------------------------------------------------------------
// Replacements for stock wasm kernels: each handles one common case and hands
// everything else to the stock kernel.

/** Tensors are immutable, so a copy can share the data (as tfjs's cpu backend does). */
function sharedCopy({ inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  if (x.dtype === 'string') return null;
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Identity runs whenever the tape saves a tensor for the backward pass (every
 * saved input and output is cloned): on stock wasm each is a full copy, ≈ 1.4 ms
 * for one [256, 26, 26, 16] activation.
 */
const identityReplacement = sharedCopy;

/** A cast to the same dtype (relu's stock gradient casts step(x)) is a copy too. */
function castReplacement(args: KernelArgs): tf.TensorInfo | null {
  return (args.attrs as unknown as tf.CastAttrs).dtype === args.inputs.x.dtype ? sharedCopy(args) : null;
}

function maxPoolReplacement({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const tiled = pad === 'valid' && info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth;
  if (!tiled || x.dtype !== 'float32') return null;
  const b = backend as BackendWasm;
  const out = b.makeOutput(info.outShape, 'float32');
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  kernelsFor(b).maxPool(offset(b, x), offset(b, out), n, h, w, c, oh, ow, info.filterHeight, info.filterWidth);
  return out;
}

/** Whether `bias` broadcasts only along the leading axes of `x` (shape [..., C] + [C] or [1, ..., 1, C]). */
function isBiasOf(x: tf.TensorInfo, bias: tf.TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(bias.shape);
  return (
    bias.shape.length >= 1 &&
    bias.shape.length <= x.shape.length &&
    size === c &&
    bias.shape[bias.shape.length - 1] === c &&
    tf.util.sizeFromShape(x.shape) > c
  );
}

function addReplacement({ inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const { a, b: other } = inputs;
  if (a.dtype !== 'float32' || other.dtype !== 'float32') return null;
  const [x, bias] = isBiasOf(a, other) ? [a, other] : isBiasOf(other, a) ? [other, a] : [null, null];
  if (x == null || bias == null) return null;
  const b = backend as BackendWasm;
  const c = x.shape[x.shape.length - 1];
  const out = b.makeOutput(x.shape, 'float32');
  kernelsFor(b).biasAdd(offset(b, x), offset(b, bias), offset(b, out), tf.util.sizeFromShape(x.shape) / c, c);
  return out;
}

/**
 * A transpose that (ignoring size-1 axes) swaps the last two axes: the matrix
 * transposes of our matMul gradients (kernels.ts), ≈ 2 ms for a [256, 1936]
 * activation on the stock kernel.
 */
function transposeReplacement({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { x } = inputs;
  const { perm } = attrs as unknown as tf.TransposeAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const kept = x.shape.map((_, axis) => axis).filter((axis) => x.shape[axis] !== 1);
  const reduced = perm.filter((axis) => x.shape[axis] !== 1).map((axis) => kept.indexOf(axis));
  const r = reduced.length;
  const swapsLastTwo =
    r >= 2 &&
    reduced[r - 1] === r - 2 &&
    reduced[r - 2] === r - 1 &&
    reduced.slice(0, r - 2).every((axis, i) => axis === i);
  if (!swapsLastTwo) return null;
  const dims = kept.map((axis) => x.shape[axis]);
  const b = backend as BackendWasm;
  const out = b.makeOutput(
    perm.map((axis) => x.shape[axis]),
    x.dtype,
  );
  kernelsFor(b).transpose2d(
    offset(b, x),
    offset(b, out),
    tf.util.sizeFromShape(dims.slice(0, r - 2)),
    dims[r - 2],
    dims[r - 1],
  );
  return out;
}

/** Our kernels under our own names (called from the gradient overrides and sgld.ts). */
const OWN_KERNELS: Array<[string, (args: KernelArgs) => tf.TensorInfo]> = [
  [CONV2D_FILTER_GRAD, conv2dFilterGradKernel],
  [MAX_POOL_GRAD, maxPoolGradKernel],
  [RELU_GRAD, reluGradKernel],
  [SGLD_UPDATE, sgldUpdateKernel],
];

const REPLACEMENTS: Array<[string, (args: KernelArgs) => tf.TensorInfo | null]> = [
  [tf.Identity, identityReplacement],
  [tf.Cast, castReplacement],
  [tf.MaxPool, maxPoolReplacement],
  [tf.Add, addReplacement],
  [tf.Transpose, transposeReplacement],
];

/** The stock wasm kernels we wrap, for their fallbacks and for unregisterSimdKernels. */
const stockKernels = new Map<string, tf.KernelConfig>();

function replace(kernelName: string, fast: (args: KernelArgs) => tf.TensorInfo | null): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock == null) throw new Error(`simd: no stock wasm kernel '${kernelName}' to wrap`);
  stockKernels.set(kernelName, stock);
  tf.unregisterKernel(kernelName, 'wasm');
  const kernelFunc = ((args: KernelArgs) =>
    fast(args) ?? stock.kernelFunc(args as Parameters<tf.KernelFunc>[0])) as tf.KernelFunc;
  tf.registerKernel({ ...stock, kernelFunc });
}

/**
 * Register the kernels for the wasm backend (idempotent). Returns false, with the
 * reason on stderr, if they cannot run here (then the tf-op versions are used).
 */
export function registerSimdKernels(): boolean {
  if (simdKernelsRegistered()) return true;
  try {
    const backend = tf.findBackend('wasm') as BackendWasm | null;
    if (backend == null || !tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) return false;
    kernelsFor(backend);
  } catch (e) {
    console.error(`[llc] simd kernels unavailable, using tf ops instead: ${(e as Error).message}`);
    return false;
  }
  for (const [kernelName, kernelFunc] of OWN_KERNELS)
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
  for (const [name, fast] of REPLACEMENTS) replace(name, fast);
  return true;
}

/** Restore the stock wasm kernels and drop ours (for stock-vs-ours benchmarks and tests). */
export function unregisterSimdKernels(): void {
  if (!simdKernelsRegistered()) return;
  for (const [name] of OWN_KERNELS) tf.unregisterKernel(name, 'wasm');
  for (const [name, stock] of stockKernels) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(stock);
  }
  stockKernels.clear();
}

/** Run fn on the stock wasm kernels (for benchmarks and reference values), then restore ours. */
export function withoutSimdKernels<T>(fn: () => T): T {
  if (!simdKernelsRegistered()) return fn();
  unregisterSimdKernels();
  try {
    return fn();
  } finally {
    registerSimdKernels();
  }
}

export function simdKernelsRegistered(): boolean {
  return tf.getKernel(CONV2D_FILTER_GRAD, 'wasm') != null;
}

/** Whether the active backend runs our SIMD kernels (the gradient overrides ask this). */
export function simdActive(): boolean {
  return tf.getBackend() === 'wasm' && simdKernelsRegistered();
}

/** dL/dfilter [kh, kw, Cin, Cout] of a dilation-1 NHWC conv2d (float32). */
export function conv2dFilterGradSimd(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Conv2DFilterGradAttrs): tf.Tensor4D {
  return tf.engine().runKernel(CONV2D_FILTER_GRAD, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dL/dx of a max pool with filter = stride = filterSize and 'valid' padding (float32). */
export function maxPoolGradSimd(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  filterSize: [number, number],
): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(MAX_POOL_GRAD, { x, y, dy }, { filterSize } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** dL/dx of relu(x) (float32). */
export function reluGradSimd(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(RELU_GRAD, { dy, x }, {}) as tf.Tensor;
}

/** w + ((grad·a + (w − w*)·b) + noise·c) in one pass (float32; lib/estimator/sgld.ts). */
export function sgldUpdateSimd(
  w: tf.Tensor,
  grad: tf.Tensor,
  wStar: tf.Tensor,
  noise: tf.Tensor,
  coefficients: SgldCoefficients,
): tf.Tensor {
  return tf
    .engine()
    .runKernel(SGLD_UPDATE, { w, grad, wStar, noise }, coefficients as unknown as tf.NamedAttrMap) as tf.Tensor;
}
