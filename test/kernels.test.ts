/**
 * The gradient overrides of lib/engine/kernels.ts against the stock cpu gradients.
 *
 * registerGradient is global, so every reference is computed on cpu *before*
 * initBackend registers the overrides (the `before` hook below). Afterwards the
 * same cases run on wasm and on cpu with the overrides, and must agree with the
 * references to max|a − b| / max|b| < 1e-4.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend, tf } from '../lib/engine/backend';
import {
  OVERRIDDEN_GRADIENTS,
  registerWasmKernelFixes,
  simdRequested,
  wasmKernelFixesRegistered,
  withStockGradients,
} from '../lib/engine/kernels';
import { initWeights, labelSelector, modelDef, taskLoss } from '../lib/models/models';
import { makeRng } from '../lib/math/rng';
import { relError } from './helpers';

const TOL = 1e-4;

/** A gradient case: inputs as typed arrays (identical on every backend), a scalar loss of them. */
interface Case {
  name: string;
  inputs: { shape: number[]; data: Float32Array }[];
  loss: (...xs: tf.Tensor[]) => tf.Scalar;
  /** The same function written so that the stock gradients can differentiate it (default: loss). */
  reference?: (...xs: tf.Tensor[]) => tf.Scalar;
}

function randn(
  shape: number[],
  seed: number,
  f: (v: number, rng: ReturnType<typeof makeRng>) => number = (v) => v,
): { shape: number[]; data: Float32Array } {
  const rng = makeRng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = f(rng.normal(), rng);
  return { shape, data };
}

/** Σ w ⊙ out with fixed random w, so that dy is random rather than all ones. */
function weighted(out: tf.Tensor, seed: number): tf.Scalar {
  const w = randn(out.shape, seed);
  return tf.sum(tf.mul(out, tf.tensor(w.data, w.shape)));
}

async function gradsOn(backend: string, c: Case, useReference = false): Promise<Float32Array[]> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  const f = (useReference && c.reference) || c.loss;
  return tf.tidy(() => {
    const xs = c.inputs.map((i) => tf.tensor(i.data, i.shape));
    const gs = tf.grads((...ys: tf.Tensor[]) => f(...ys))(xs);
    return gs.map((g) => g.dataSync().slice() as Float32Array);
  });
}

// ---------------------------------------------------------------------------
// Cases

const cases: Case[] = [];

for (const [tA, tB] of [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
]) {
  const [M, K, N] = [13, 21, 9];
  const shapeA = tA ? [K, M] : [M, K];
  const shapeB = tB ? [N, K] : [K, N];
  cases.push({
    name: `BatchMatMul rank 2 transposeA=${tA} transposeB=${tB}`,
    inputs: [randn(shapeA, 1), randn(shapeB, 2)],
    loss: (a, b) => weighted(tf.matMul(a, b, tA, tB), 3),
  });
  cases.push({
    name: `BatchMatMul rank 3 transposeA=${tA} transposeB=${tB}`,
    inputs: [randn([3, ...shapeA], 4), randn([3, ...shapeB], 5)],
    loss: (a, b) => weighted(tf.matMul(a, b, tA, tB), 6),
  });
}
// Broadcast batch: the stock gradient cannot do this one (it returns a [3,K,N]
// gradient for b), so the reference multiplies by an explicitly stacked b.
cases.push({
  name: 'BatchMatMul broadcast batch [3,M,K]·[K,N]',
  inputs: [randn([3, 13, 21], 13), randn([21, 9], 14)],
  loss: (a, b) => weighted(tf.matMul(a, b), 15),
  reference: (a, b) => weighted(tf.matMul(a, tf.stack([b, b, b])), 15),
});
cases.push({
  name: 'BatchMatMul at MLP size [256,784]·[784,128]',
  inputs: [randn([256, 784], 7), randn([784, 128], 8)],
  loss: (a, b) => weighted(tf.matMul(a, b), 9),
});

const convConfigs: {
  name: string;
  x: number[];
  k: number[];
  stride: number | [number, number];
  pad: 'valid' | 'same' | tf.backend_util.ExplicitPadding;
}[] = [
  { name: 'CNN layer 1', x: [6, 28, 28, 1], k: [3, 3, 1, 16], stride: 1, pad: 'valid' },
  { name: 'CNN layer 2', x: [6, 13, 13, 16], k: [3, 3, 16, 16], stride: 1, pad: 'valid' },
  { name: 'one channel, same padding', x: [4, 9, 8, 1], k: [3, 2, 1, 12], stride: 1, pad: 'same' },
  { name: 'one channel, stride 2 (patches path)', x: [4, 9, 8, 1], k: [3, 3, 1, 12], stride: 2, pad: 'valid' },
  { name: 'same padding', x: [3, 9, 10, 3], k: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { name: 'even kernel, same', x: [3, 9, 10, 3], k: [2, 4, 3, 5], stride: 1, pad: 'same' },
  {
    name: 'explicit padding',
    x: [3, 9, 10, 3],
    k: [3, 3, 3, 5],
    stride: 1,
    pad: [
      [0, 0],
      [2, 1],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: 'stride 2 valid (input grad falls back to stock)',
    x: [3, 11, 10, 3],
    k: [3, 3, 3, 4],
    stride: 2,
    pad: 'valid',
  },
  { name: 'stride [2,3] same', x: [3, 11, 10, 3], k: [3, 2, 3, 4], stride: [2, 3], pad: 'same' },
  // 20 output channels: one 16-wide SIMD block of the wasm filter gradient plus a scalar tail.
  {
    name: '20 output channels, explicit padding',
    x: [3, 9, 10, 2],
    k: [3, 3, 2, 20],
    stride: 1,
    pad: [
      [0, 0],
      [1, 0],
      [2, 1],
      [0, 0],
    ],
  },
];
for (const c of convConfigs) {
  cases.push({
    name: `Conv2D ${c.name}: x ${c.x} filter ${c.k} stride ${c.stride} pad ${JSON.stringify(c.pad)}`,
    inputs: [randn(c.x, 10), randn(c.k, 11)],
    loss: (x, k) => weighted(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, c.stride, c.pad), 12),
  });
}

const relu = (v: number) => Math.max(v, 0);
const poolConfigs: {
  name: string;
  x: number[];
  f: number | [number, number];
  s: number | [number, number];
  pad: 'valid' | 'same';
  value?: (v: number, rng: ReturnType<typeof makeRng>) => number;
}[] = [
  { name: '2×2/2 random', x: [4, 26, 26, 16], f: 2, s: 2, pad: 'valid' },
  { name: '2×2/2 after ReLU (zero ties)', x: [4, 26, 26, 16], f: 2, s: 2, pad: 'valid', value: relu },
  // Integers in [0, 2]: most windows hold a tie at a positive value; the cpu kernel routes dy to the first.
  {
    name: '2×2/2 positive ties',
    x: [4, 12, 12, 3],
    f: 2,
    s: 2,
    pad: 'valid',
    value: (v) => Math.min(2, Math.max(0, Math.round(v))),
  },
  {
    name: '2×2/2 with ±Infinity',
    x: [2, 8, 8, 3],
    f: 2,
    s: 2,
    pad: 'valid',
    value: (v, rng) => (rng.uniform() < 0.1 ? (v > 0 ? Infinity : -Infinity) : v),
  },
  { name: '2×2/2 odd size', x: [2, 7, 9, 3], f: 2, s: 2, pad: 'valid', value: relu },
  // 6 channels: one 4-wide SIMD block plus a scalar tail in the wasm kernels.
  {
    name: '2×2/2 six channels, odd size, ties',
    x: [2, 9, 7, 6],
    f: 2,
    s: 2,
    pad: 'valid',
    value: (v) => Math.max(0, Math.round(v)),
  },
  { name: '3×2/[3,2] rectangular', x: [2, 9, 8, 3], f: [3, 2], s: [3, 2], pad: 'valid', value: (v) => Math.round(v) },
  // Overlapping / padded windows: on wasm the gather/scatter path (the stock wasm MaxPoolGrad gets these wrong).
  { name: '3×3/2 same', x: [2, 9, 9, 3], f: 3, s: 2, pad: 'same' },
  {
    name: '2×2/1 valid with ties',
    x: [2, 7, 6, 3],
    f: 2,
    s: 1,
    pad: 'valid',
    value: (v) => Math.max(0, Math.round(v)),
  },
  {
    name: '2×2/2 same, odd size, ties',
    x: [2, 7, 7, 3],
    f: 2,
    s: 2,
    pad: 'same',
    value: (v) => Math.max(0, Math.round(v)),
  },
  {
    name: '3×3/1 same with ±Infinity',
    x: [2, 6, 6, 2],
    f: 3,
    s: 1,
    pad: 'same',
    value: (v, rng) => (rng.uniform() < 0.1 ? (v > 0 ? Infinity : -Infinity) : v),
  },
];
for (const c of poolConfigs) {
  cases.push({
    name: `MaxPool ${c.name}: x ${c.x} filter ${c.f} stride ${c.s} ${c.pad}`,
    inputs: [randn(c.x, 20, c.value)],
    loss: (x) => weighted(tf.maxPool(x as tf.Tensor4D, c.f, c.s, c.pad), 21),
  });
}

// Relu: the wasm gradient is one SIMD pass (sizes not a multiple of 4 use its scalar tail); exact zeros included.
for (const shape of [
  [4, 26, 26, 16],
  [3, 7, 5],
]) {
  cases.push({
    name: `Relu ${JSON.stringify(shape)}`,
    inputs: [randn(shape, 50, (v, rng) => (rng.uniform() < 0.1 ? 0 : v))],
    loss: (x) => weighted(tf.relu(x), 51),
  });
}

const addConfigs: { name: string; a: number[]; b: number[] }[] = [
  { name: 'conv bias', a: [8, 26, 26, 16], b: [16] },
  { name: 'dense bias', a: [64, 128], b: [128] },
  { name: 'bias as [1,1,1,C]', a: [4, 5, 6, 3], b: [1, 1, 1, 3] },
  { name: 'scalar', a: [7, 5], b: [] },
  { name: 'both broadcast', a: [6, 1], b: [1, 5] },
  { name: 'middle axis (stock sum)', a: [4, 5, 3], b: [4, 1, 3] },
  { name: 'same shape', a: [4, 5], b: [4, 5] },
];
for (const c of addConfigs) {
  cases.push({
    name: `Add ${c.name}: ${JSON.stringify(c.a)} + ${JSON.stringify(c.b)}`,
    inputs: [randn(c.a, 40), randn(c.b, 41)],
    loss: (a, b) => weighted(tf.add(a, b), 42),
  });
}

// The project's models, on MNIST-like images (normalised to [−1, 1], mostly the
// constant background −1): over the background the conv output is one constant
// per channel, so channels where it is positive give exact positive ties in the
// max-pool windows, which the tie rule must route like cpu does.
function mnistLike(batch: number, seed: number) {
  return randn([batch, 28, 28, 1], seed, (v, rng) => (rng.uniform() < 0.75 ? -1 : 2 * rng.uniform() - 1));
}
const labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
for (const arch of ['mlp', 'cnn'] as const) {
  const def = modelDef(arch);
  const batch = 32;
  const yPos = Int32Array.from({ length: batch }, (_, i) => (i * 7) % labels.length);
  cases.push({
    name: `${arch}: composed loss gradient w.r.t. all weights`,
    inputs: [mnistLike(batch, 30), ...initWeights(def, 31).map((data, i) => ({ shape: def.params[i].shape, data }))],
    loss: (x, ...ws) => taskLoss(def, labelSelector(labels))(ws, x, tf.tensor1d(yPos, 'int32')),
  });
}

// ---------------------------------------------------------------------------

const reference = new Map<string, Float32Array[]>();

before(async () => {
  await tf.setBackend('cpu');
  assert.equal(wasmKernelFixesRegistered(), false, 'references must come from the stock gradients');
  for (const c of cases) reference.set(c.name, await gradsOn('cpu', c, true));
  // The real path: selecting wasm registers the overrides.
  await initBackend({ backend: 'wasm', log: false });
  assert.equal(wasmKernelFixesRegistered(), true);
});

/** Asserts every gradient is within TOL; returns the largest relative error. */
function assertClose(got: Float32Array[], want: Float32Array[], what: string): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  got.forEach((g, i) => {
    assert.equal(g.length, want[i].length, `${what}: gradient ${i} size`);
    const err = relError(g, want[i]);
    worst = Math.max(worst, err);
    assert.ok(err < TOL, `${what}: gradient ${i} relative error ${err.toExponential(2)} ≥ ${TOL}`);
    assert.ok(
      g.every(Number.isFinite) || want[i].some((v) => !Number.isFinite(v)),
      `${what}: gradient ${i} not finite`,
    );
  });
  return worst;
}

for (const c of cases) {
  test(c.name, async (t) => {
    const want = reference.get(c.name)!;
    const wasm = assertClose(await gradsOn('wasm', c), want, 'wasm');
    const cpu = assertClose(await gradsOn('cpu', c), want, 'cpu with overrides');
    t.diagnostic(`max relative error: wasm ${wasm.toExponential(1)}, cpu ${cpu.toExponential(1)}`);
    await tf.setBackend('wasm');
  });
}

test('LLC_SIMD takes 0 or 1 (or nothing); anything else names itself and the valid values', () => {
  assert.equal(simdRequested(undefined), true);
  assert.equal(simdRequested('1'), true);
  assert.equal(simdRequested('0'), false);
  assert.throws(() => simdRequested('off'), /LLC_SIMD: unknown value 'off'; valid: 0 .*, 1 or unset/);
});

test('registration is idempotent and withStockGradients restores the overrides', () => {
  const mine = OVERRIDDEN_GRADIENTS.map((k) => tf.getGradient(k));
  registerWasmKernelFixes();
  registerWasmKernelFixes();
  assert.deepEqual(
    OVERRIDDEN_GRADIENTS.map((k) => tf.getGradient(k)),
    mine,
  );
  const inside = withStockGradients(() => tf.getGradient('Conv2D'));
  assert.notEqual(inside, mine[0]);
  assert.equal(tf.getGradient('Conv2D'), mine[0]);
});

test('without the overrides, the wasm conv gradient fails (why Conv2D is overridden)', async () => {
  await tf.setBackend('wasm');
  const x = tf.ones([1, 5, 5, 1]) as tf.Tensor4D;
  const k = tf.ones([3, 3, 1, 2]) as tf.Tensor4D;
  assert.throws(
    () => withStockGradients(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'valid')))(k)),
    /Conv2DBackpropFilter/,
  );
  tf.dispose([x, k]);
});

test('the overrides leak no tensors', async () => {
  const c = cases.find((k) => k.name.startsWith('cnn'))!;
  await gradsOn('wasm', c);
  const before = tf.memory().numTensors;
  await gradsOn('wasm', c);
  assert.equal(tf.memory().numTensors, before);
});
