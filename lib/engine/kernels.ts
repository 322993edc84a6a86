/**
 * Gradient overrides that make training possible and fast on the wasm backend
 * (tfjs-backend-wasm 4.22.0). Each one is built only from ordinary tfjs ops, so
 * it is also a correct gradient on cpu (registerGradient is global: it applies to
 * every backend once registered).
 *
 * What the stock gradients run into on wasm, and what replaces them:
 *
 *  - Conv2D: the stock gradient calls Conv2DBackpropFilter, which wasm does not
 *    implement at all ("Kernel 'Conv2DBackpropFilter' not registered"), and
 *    Conv2DBackpropInput, which is a naive loop there. Both become forward conv2d
 *    calls, which wasm runs through XNNPACK.
 *  - BatchMatMul: wasm sends a product to XNNPACK only when neither operand is
 *    transposed (and the batch is 1); the stock gradient uses transposeA /
 *    transposeB products, which fall to a naive loop (~10× slower). We transpose
 *    explicitly, then multiply untransposed.
 *  - MaxPool: the stock gradient calls MaxPoolGrad, a slow naive kernel on wasm
 *    (and a wrong one for overlapping or padded windows). For non-overlapping
 *    valid windows (the usual 2×2 stride 2) we build the gradient from depthwise
 *    convs, elementwise ops and transposes, with the cpu kernel's tie rule; other
 *    configurations use a gather/scatter version on wasm and the stock gradient
 *    elsewhere.
 *  - Add: the stock gradient reduces a broadcast operand (a bias) with sum(),
 *    which wasm runs as a transpose of all of dy plus a Sum; an average pool over
 *    the channels-last layout does the same reduction ~10× faster.
 *
 *  - Relu: on wasm, one pass of our SIMD kernel instead of step, cast and multiply.
 *
 * On wasm (unless LLC_SIMD=0), the conv filter gradient, the tiled max-pool
 * gradient and the relu gradient run our own WebAssembly SIMD kernels (simd.ts);
 * the tf-op versions below remain for every other backend and shape.
 *
 * Broadcasting binary ops are slow on wasm, so nothing below broadcasts.
 */
import * as tf from '@tensorflow/tfjs-core';
// The stock gradients must be registered before we save and override them. The
// umbrella bundle registers them (tfjs-core's own register_all_gradients is ESM-only,
// which plain Node's require, and so tslab, cannot load).
import '@tensorflow/tfjs';
import {
  conv2dFilterGradSimd,
  maxPoolGradSimd,
  registerSimdKernels,
  RELU_GRAD,
  reluGradSimd,
  simdActive,
  withoutSimdKernels,
} from './simd';

type GradFunc = tf.GradConfig['gradFunc'];
type Pair = [number, number];

/** The kernels whose gradients we replace. */
export const OVERRIDDEN_GRADIENTS = [tf.Conv2D, tf.BatchMatMul, tf.MaxPool, tf.Add, tf.Relu] as const;

const stockConfigs = new Map<string, tf.GradConfig>();
let registered = false;

function stockGrad(kernelName: string): GradFunc {
  const config = stockConfigs.get(kernelName) ?? tf.getGradient(kernelName);
  if (config == null) throw new Error(`no stock gradient registered for '${kernelName}'`);
  return config.gradFunc;
}

const pair = (v: number | number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

// ---------------------------------------------------------------------------
// BatchMatMul (replaces the stock gradient's transposed matMuls, which wasm runs
// in slow_batch_matmul instead of XNNPACK).

/** Swap the last two axes (the matrix transpose of every batch entry). */
function transposeLast2(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = t.rank;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(t, perm);
}

/** Sum a gradient over batch axes that were broadcast in the forward product. */
function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(g.shape, shape)) return g;
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

const matMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as tf.Tensor[];
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y); // untransposed: the XNNPACK path
    const T = transposeLast2;
    const dyt = dy as tf.Tensor;
    // With A' = op(a), B' = op(b) the forward is A'B': dA' = dy B'ᵀ, dB' = A'ᵀ dy.
    let da: () => tf.Tensor;
    let db: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      da = () => mm(dyt, T(b));
      db = () => mm(T(a), dyt);
    } else if (!transposeA && transposeB) {
      da = () => mm(dyt, b);
      db = () => mm(T(dyt), a);
    } else if (transposeA && !transposeB) {
      da = () => mm(b, T(dyt));
      db = () => mm(a, dyt);
    } else {
      da = () => T(mm(dyt, b));
      db = () => T(mm(a, dyt));
    }
    return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
  },
};

// ---------------------------------------------------------------------------
// Conv2D (replaces Conv2DBackpropFilter, missing on wasm, and
// Conv2DBackpropInput, a naive loop on wasm, with XNNPACK forward convs).

/**
 * dL/dfilter as a forward conv: with x transposed to [Cin, H, W, N] as the input
 * and dy transposed to [outH, outW, N, Cout] as the filter, the conv reduces over
 * the batch and output positions and yields [Cin, kh, kw, Cout]. A forward
 * stride s becomes a dilation s of this conv.
 */
function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D | null {
  if (simdActive() && x.dtype === 'float32' && dy.dtype === 'float32') {
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo } = info;
    return conv2dFilterGradSimd(x, dy, {
      filterSize: [kh, kw],
      strides: [sh, sw],
      padTopLeft: [padInfo.top, padInfo.left],
    });
  }
  if (info.filterHeight * info.filterWidth * info.inChannels < info.outChannels)
    return conv2dFilterGradPatches(x, dy, info);
  const { top, bottom, left, right } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const [, H, W] = x.shape;
  const [, oh, ow] = dy.shape;
  // Extent of the result; larger than the kernel when a stride leaves rows unused.
  const gh = H + top + bottom - (sh * (oh - 1) + 1) + 1;
  const gw = W + left + right - (sw * (ow - 1) + 1) + 1;
  if (gh < kh || gw < kw) return null;
  const xT = tf.transpose(x, [3, 1, 2, 0]);
  const dyT = tf.transpose(dy, [1, 2, 0, 3]);
  let g = tf.conv2d(
    xT,
    dyT,
    1,
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    'NHWC',
    [sh, sw],
  );
  if (gh > kh || gw > kw) g = tf.slice(g, [0, 0, 0, 0], [g.shape[0], kh, kw, g.shape[3]]);
  return tf.transpose(g, [1, 2, 0, 3]);
}

/**
 * dL/dfilter when kh·kw·Cin < Cout (a first layer on 1-channel images): the
 * transposed-conv form above would make XNNPACK pack dy (N·outH·outW·Cout floats,
 * the slow part) as a filter. Here im2col patches P [N·outH·outW, kh·kw·Cin] come
 * from a conv with a one-hot filter (exact for finite x), and dW = (dyᵀ P)ᵀ packs
 * only P, which is smaller.
 */
function conv2dFilterGradPatches(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor4D | null {
  const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout } = info;
  const kk = kh * kw * cin;
  const onehot = new Float32Array(kk * kk);
  for (let i = 0; i < kk; i++) onehot[i * kk + i] = 1; // [kh, kw, cin] flattened, in HWIO order
  const { top, bottom, left, right } = info.padInfo;
  const patches = tf.conv2d(
    x,
    tf.tensor4d(onehot, [kh, kw, cin, kk]),
    [info.strideHeight, info.strideWidth],
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  );
  if (patches.shape[1] !== dy.shape[1] || patches.shape[2] !== dy.shape[2]) return null; // unusual dimRoundingMode: stock
  const rows = dy.size / cout;
  const g = tf.matMul(tf.transpose(tf.reshape(dy, [rows, cout])), tf.reshape(patches, [rows, kk])); // [cout, kk]
  return tf.reshape(tf.transpose(g), [kh, kw, cin, cout]);
}

/**
 * dL/dx for a stride-1 conv: the "full" correlation of dy (padded by k−1−pad)
 * with the filter flipped in space and with in/out channels swapped.
 */
function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D | null {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  const { top, bottom, left, right } = info.padInfo;
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const pads = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
  if (pads.some((p) => p < 0)) return null;
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(dy, flipped, 1, [
    [0, 0],
    [pads[0], pads[1]],
    [pads[2], pads[3]],
    [0, 0],
  ]);
}

const conv2dGradConfig: tf.GradConfig = {
  kernelName: tf.Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const dil = pair(dilations ?? 1);
    // NCHW and dilated convs: the stock gradient (which rejects dilations > 1 anyway).
    if (dataFormat === 'NCHW' || dil[0] !== 1 || dil[1] !== 1) return stockGrad(tf.Conv2D)(dy, saved, attrs);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape,
      filter.shape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const dy4 = dy as tf.Tensor4D;
    const stock = () => stockGrad(tf.Conv2D)(dy, saved, attrs);
    return {
      x: () => conv2dInputGrad(dy4, filter, info) ?? stock().x(),
      filter: () => conv2dFilterGrad(x, dy4, info) ?? stock().filter(),
    };
  },
};

// ---------------------------------------------------------------------------
// MaxPool (replaces MaxPoolGrad: slow on wasm, and wrong there for overlapping
// or padded windows).

const FLOAT32_MAX = 3.4028234663852886e38;

/** Depthwise kernel [fh, fw, c, 1] that picks window offset (a, b) of every channel. */
function offsetPicker(fh: number, fw: number, c: number, a: number, b: number): tf.Tensor4D {
  const w = new Float32Array(fh * fw * c);
  w.fill(1, (a * fw + b) * c, (a * fw + b + 1) * c);
  return tf.tensor4d(w, [fh, fw, c, 1]);
}

/**
 * Route dy to the first maximum of each window (row-major order within the
 * window, the cpu kernel's tie rule; after a ReLU many windows are all-zero ties).
 * Slab k = x[:, a::fh, b::fw, :] is read with a one-hot depthwise conv (exact for
 * finite values; inputs are clipped to ±FLOAT32_MAX so ±∞ stays finite, and
 * clipping commutes with max). s_k = step(y − x_k) is 0 exactly where slab k
 * attains the max; dy not yet claimed by an earlier slab goes to the first slab
 * with s_k = 0. The slabs are interleaved back into place with two transposes.
 */
function tiledMaxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, fh: number, fw: number): tf.Tensor4D {
  const [n, H, W, c] = x.shape;
  const [, ho, wo] = y.shape;
  const xc = tf.clipByValue(x, -FLOAT32_MAX, FLOAT32_MAX);
  const yc = tf.clipByValue(y, -FLOAT32_MAX, FLOAT32_MAX);
  const slabs: tf.Tensor[] = [];
  let rest: tf.Tensor = dy;
  const k = fh * fw;
  for (let i = 0; i < k - 1; i++) {
    const xi = tf.depthwiseConv2d(xc, offsetPicker(fh, fw, c, Math.floor(i / fw), i % fw), [fh, fw], 'valid');
    const below = tf.step(tf.sub(yc, xi)); // 1 where slab i is not the max
    const next = tf.mul(rest, below);
    slabs.push(tf.sub(rest, next));
    rest = next;
  }
  slabs.push(rest); // whatever is left: the last offset holds the max
  // [fh·fw, n·ho·wo, c] → [n·ho·wo, fh·fw, c] = [n·ho, wo, fh, fw·c] → [n·ho, fh, wo, fw·c] = [n, ho·fh, wo·fw, c]
  const stacked = tf.reshape(tf.stack(slabs), [k, n * ho * wo, c]);
  const perWindow = tf.reshape(tf.transpose(stacked, [1, 0, 2]), [n * ho, wo, fh, fw * c]);
  let dx = tf.reshape(tf.transpose(perWindow, [0, 2, 1, 3]), [n, ho * fh, wo * fw, c]) as tf.Tensor4D;
  if (ho * fh < H || wo * fw < W)
    dx = tf.pad(dx, [
      [0, 0],
      [0, H - ho * fh],
      [0, W - wo * fw],
      [0, 0],
    ]);
  return dx;
}

/**
 * The general case (overlapping or padded windows), for wasm only: there the
 * stock MaxPoolGrad is not just slow but wrong for these configurations (it
 * routes dy to the wrong inputs, e.g. 3×3 stride 2 'same' or 2×2 stride 1), and
 * MaxPoolWithArgmax is wrong too. Same first-max rule as above, with the window
 * entries read by gather (padding reads a −∞ sentinel) and dy accumulated back
 * with scatterND. Slower than the tiled path, but correct.
 */
function gatheredMaxPoolGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  info: tf.backend_util.Conv2DInfo,
): tf.Tensor4D {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const {
    strideHeight: sh,
    strideWidth: sw,
    effectiveFilterHeight: fh,
    effectiveFilterWidth: fw,
    dilationHeight: dh,
    dilationWidth: dw,
  } = info;
  const { top, left } = info.padInfo;
  const size = n * H * W * c; // index of the sentinel
  const m = n * ho * wo * c;
  const k = Math.ceil(fh / dh) * Math.ceil(fw / dw);
  const index = new Int32Array(k * m);
  let slab = 0;
  for (let a = 0; a < fh; a += dh) {
    for (let b = 0; b < fw; b += dw, slab++) {
      let o = slab * m;
      for (let bi = 0; bi < n; bi++) {
        for (let i = 0; i < ho; i++) {
          const r = i * sh + a - top;
          for (let j = 0; j < wo; j++) {
            const col = j * sw + b - left;
            const inside = r >= 0 && r < H && col >= 0 && col < W;
            const base = ((bi * H + r) * W + col) * c;
            for (let ch = 0; ch < c; ch++) index[o++] = inside ? base + ch : size;
          }
        }
      }
    }
  }
  const xs = tf.concat([tf.reshape(tf.clipByValue(x, -FLOAT32_MAX, FLOAT32_MAX), [-1]), tf.tensor1d([-Infinity])]);
  const yc = tf.reshape(tf.clipByValue(y, -FLOAT32_MAX, FLOAT32_MAX), [-1]);
  const slabs: tf.Tensor[] = [];
  let rest: tf.Tensor = tf.reshape(dy, [-1]);
  for (let i = 0; i < k - 1; i++) {
    const xi = tf.gather(xs, tf.tensor1d(index.subarray(i * m, (i + 1) * m), 'int32'));
    const next = tf.mul(rest, tf.step(tf.sub(yc, xi)));
    slabs.push(tf.sub(rest, next));
    rest = next;
  }
  slabs.push(rest);
  const dx = tf.scatterND(tf.tensor2d(index, [k * m, 1], 'int32'), tf.concat(slabs), [size + 1]);
  return tf.reshape(tf.slice(dx, 0, size), x.shape);
}

const maxPoolGradConfig: tf.GradConfig = {
  kernelName: tf.MaxPool,
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
    const [fh, fw] = pair(filterSize);
    const [sh, sw] = pair(strides);
    if (x.dtype === 'float32' && pad === 'valid' && fh === sh && fw === sw && fh * fw > 1) {
      if (simdActive()) return { x: () => maxPoolGradSimd(dy as tf.Tensor4D, x, y, [fh, fw]) };
      return { x: () => tiledMaxPoolGrad(dy as tf.Tensor4D, x, y, fh, fw) };
    }
    if (x.dtype === 'float32' && tf.getBackend() === 'wasm') {
      const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
      return { x: () => gatheredMaxPoolGrad(dy as tf.Tensor4D, x, y, info) };
    }
    return stockGrad(tf.MaxPool)(dy, saved, attrs);
  },
};

// ---------------------------------------------------------------------------
// Add (replaces the stock gradient's sum over broadcast axes, which wasm runs as
// a Transpose of all of dy then a Sum: ~30 ms for a conv bias at batch 512).

/**
 * Σ of dy over its first k axes, as an average pool over a [1, R1, R2, C] view
 * times R (XNNPACK pools along the channels-last layout without a transpose, and
 * its blocked accumulation is also more accurate than one long float32 sum).
 */
function sumLeadingAxes(dy: tf.Tensor, k: number): tf.Tensor {
  const r1 = k >= 2 ? dy.shape[0] : 1;
  const r = dy.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const c = dy.size / r;
  const pooled = tf.avgPool(tf.reshape(dy, [1, r1, r / r1, c]) as tf.Tensor4D, [r1, r / r1], [r1, r / r1], 'valid');
  return tf.mul(pooled, tf.scalar(r, 'float32'));
}

function addOperandGrad(dy: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  if (axes.length === 0) return tf.reshape(dy, shape);
  const leading = axes.every((axis, i) => axis === i);
  const reduced = axes.reduce((p, axis) => p * outShape[axis], 1);
  const g = leading && dy.dtype === 'float32' && reduced > 1 ? sumLeadingAxes(dy, axes.length) : tf.sum(dy, axes);
  return tf.reshape(g, shape);
}

const addGradConfig: tf.GradConfig = {
  kernelName: tf.Add,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as tf.Tensor[];
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const dyt = dy as tf.Tensor;
    return { a: () => addOperandGrad(dyt, a.shape, outShape), b: () => addOperandGrad(dyt, b.shape, outShape) };
  },
};

// ---------------------------------------------------------------------------
// Relu: one pass (our SIMD kernel on wasm, TensorFlow's own ReluGrad natively; native.ts)
// instead of the stock step × dy, which tfjs-node runs as seven ops that allocate
// three full-size temporaries (isNaN, greater, ones, fill, two selects, multiply).

/** Whether the active backend has a one-pass relu gradient kernel registered. */
function reluGradKernelActive(): boolean {
  return tf.getKernel(RELU_GRAD, tf.getBackend()) != null;
}

const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as tf.Tensor[];
    if (reluGradKernelActive() && x.dtype === 'float32') return { x: () => reluGradSimd(dy as tf.Tensor, x) };
    return stockGrad(tf.Relu)(dy, saved, attrs);
  },
};

// ---------------------------------------------------------------------------

const OVERRIDES: tf.GradConfig[] = [
  conv2dGradConfig,
  matMulGradConfig,
  maxPoolGradConfig,
  addGradConfig,
  reluGradConfig,
];

/** The override configs themselves (read-only; for benchmarks that register a subset). */
export const WASM_GRADIENT_OVERRIDES: readonly tf.GradConfig[] = OVERRIDES;

/**
 * Register the overrides (idempotent). The stock configs are kept for the
 * fallbacks above and for withStockGradients.
 */
export function registerWasmKernelFixes(): void {
  if (registered) return;
  const simd = simdRequested(); // a bad LLC_SIMD fails before anything is registered
  for (const config of OVERRIDES) {
    const stock = tf.getGradient(config.kernelName);
    if (stock == null) throw new Error(`no stock gradient registered for '${config.kernelName}'`);
    if (stock !== config) stockConfigs.set(config.kernelName, stock);
    tf.registerGradient(config);
  }
  if (simd) registerSimdKernels();
  registered = true;
}

/**
 * Register only the Relu gradient override (idempotent): for backends whose other
 * gradients are fine (tensorflow) but which have a RELU_GRAD kernel.
 */
export function registerReluGradient(): void {
  if (registered || tf.getGradient(tf.Relu) === reluGradConfig) return;
  stockConfigs.set(tf.Relu, tf.getGradient(tf.Relu)!);
  tf.registerGradient(reluGradConfig);
}

/** LLC_SIMD: unset or '1' registers our SIMD kernels on wasm, '0' leaves tfjs's stock kernels. */
export function simdRequested(value: string | undefined = process.env.LLC_SIMD): boolean {
  if (value == null || value === '' || value === '1') return true;
  if (value === '0') return false;
  throw new Error(`LLC_SIMD: unknown value '${value}'; valid: 0 (stock wasm kernels), 1 or unset (our SIMD kernels)`);
}

/** Whether the overrides are currently registered. */
export function wasmKernelFixesRegistered(): boolean {
  return registered;
}

/**
 * Run fn with tfjs's stock gradients and stock wasm kernels (e.g. for reference
 * values in tests and the stock rows of the benchmark), then restore whatever was
 * registered before. Synchronous on purpose: the registries are global.
 */
export function withStockGradients<T>(fn: () => T): T {
  if (!registered) return fn();
  for (const config of OVERRIDES) tf.registerGradient(stockConfigs.get(config.kernelName)!);
  try {
    return withoutSimdKernels(fn);
  } finally {
    for (const config of OVERRIDES) tf.registerGradient(config);
  }
}
