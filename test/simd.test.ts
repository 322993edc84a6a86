/**
 * lib/engine/simd.ts: our WebAssembly SIMD kernels on the wasm backend. Their gradients
 * are checked against cpu in kernels.test.ts; here: the forward replacements
 * (exact against cpu), that the CNN step really runs them, that the module owns
 * no memory of its own, and that the committed binary is built from its source.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { initBackend, tf } from '../lib/engine/backend';
import { initWeights, labelSelector, modelDef, taskLoss } from '../lib/models/models';
import { makeRng } from '../lib/math/rng';
import { sgldUpdate } from '../lib/estimator/sgld';
import {
  CONV2D_FILTER_GRAD,
  MAX_POOL_GRAD,
  RELU_GRAD,
  SGLD_UPDATE,
  SIMD_WASM_PATH,
  registerSimdKernels,
  simdKernelsRegistered,
  unregisterSimdKernels,
  withoutSimdKernels,
} from '../lib/engine/simd';
import { buildSimd } from '../scripts/build-simd';

function randomArray(size: number, seed: number, zeros = 0): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => (rng.uniform() < zeros ? 0 : rng.normal()));
}

/** f's output on cpu and on wasm for the same inputs. */
async function onBoth(
  shapes: number[][],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  zeros = 0,
): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  const data = shapes.map((s, i) =>
    randomArray(
      s.reduce((a, b) => a * b, 1),
      10 + i,
      zeros,
    ),
  );
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const y = f(...shapes.map((s, i) => tf.tensor(data[i], s)));
      return { values: y.dataSync().slice() as Float32Array, shape: y.shape };
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  assert.deepEqual(wasm.shape, cpu.shape);
  return { cpu: cpu.values, wasm: wasm.values, shape: wasm.shape };
}

before(async () => {
  await initBackend({ backend: 'wasm', log: false });
  assert.ok(simdKernelsRegistered(), 'the SIMD kernels register on wasm');
});

for (const [x, f] of [
  [[4, 26, 26, 16], 2],
  [[2, 9, 7, 6], 2], // 4-wide block + scalar tail; odd sizes leave a row and a column out
  [
    [2, 9, 8, 3],
    [3, 2],
  ],
] as const) {
  test(`MaxPool forward ${JSON.stringify(x)} filter ${JSON.stringify(f)}: equal to cpu`, async () => {
    const { cpu, wasm } = await onBoth([x as unknown as number[]], (t) =>
      tf.maxPool(t as tf.Tensor4D, f as [number, number], f as [number, number], 'valid'),
    );
    assert.deepEqual(wasm, cpu);
  });
}

for (const [a, b] of [
  [[8, 26, 26, 16], [16]],
  [[16], [8, 26, 26, 16]], // bias first
  [
    [4, 5, 6, 3],
    [1, 1, 1, 3],
  ],
  [[64, 128], [128]],
  [[5, 6], [6]], // 4-wide block + scalar tail
  [
    [7, 5],
    [7, 5],
  ], // not a bias: stock kernel
  [
    [4, 5, 3],
    [4, 1, 3],
  ], // middle-axis broadcast: stock kernel
] as const) {
  test(`Add ${JSON.stringify(a)} + ${JSON.stringify(b)}: equal to cpu`, async () => {
    const { cpu, wasm } = await onBoth([a as unknown as number[], b as unknown as number[]], (p, q) => tf.add(p, q));
    assert.deepEqual(wasm, cpu);
  });
}

for (const [x, perm] of [
  [
    [256, 1936],
    [1, 0],
  ],
  [
    [6, 9],
    [1, 0],
  ], // tails in both directions
  [
    [3, 5, 7],
    [0, 2, 1],
  ],
  [
    [7, 1, 5],
    [2, 1, 0],
  ], // a size-1 axis
  [
    [4, 6, 16],
    [1, 0, 2],
  ], // not a swap of the last two axes: stock kernel
] as const) {
  test(`Transpose ${JSON.stringify(x)} perm ${JSON.stringify(perm)}: equal to cpu`, async () => {
    const { cpu, wasm } = await onBoth([x as unknown as number[]], (t) => tf.transpose(t, perm as unknown as number[]));
    assert.deepEqual(wasm, cpu);
  });
}

test('the fused SGLD update gives bit-identical weights to the tf-op version', async () => {
  await tf.setBackend('wasm');
  const shapes = [[784, 128], [128], [3, 3, 1, 16], [7]]; // sizes with and without a scalar tail
  const make = (seed: number) =>
    shapes.map((s, i) =>
      tf.tensor(
        randomArray(
          s.reduce((a, b) => a * b, 1),
          seed + i,
        ),
        s,
      ),
    );
  const [w, g, wStar, noise] = [make(100), make(200), make(300), make(400)];
  const settings = { epsilon: 2e-4, gamma: 10, nbeta: 12665 / Math.log(12665) };
  const read = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync().slice());
  const fused = tf.tidy(() => read(sgldUpdate(w, g, wStar, noise, settings)));
  const profile = await tf.profile(() => tf.dispose(sgldUpdate(w, g, wStar, noise, settings)));
  const kernels = profile.kernels.map((k) => k.name);
  const ops = withoutSimdKernels(() => tf.tidy(() => read(sgldUpdate(w, g, wStar, noise, settings))));
  assert.deepEqual(
    kernels,
    shapes.map(() => SGLD_UPDATE),
    'one fused kernel per tensor',
  );
  fused.forEach((f, i) => assert.deepEqual(f, ops[i], `tensor ${i}`));
  tf.dispose([...w, ...g, ...wStar, ...noise]);
});

test('Identity and same-dtype Cast share data and stay correct after the source is disposed', async () => {
  await tf.setBackend('wasm');
  const before = tf.memory().numBytes;
  const x = tf.tensor([1.5, -2, 3]);
  const copy = tf.clone(x);
  const cast = tf.cast(x, 'float32');
  x.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3]);
  assert.deepEqual(Array.from(cast.dataSync()), [1.5, -2, 3]);
  const toInt = tf.cast(copy, 'int32'); // a real cast still converts
  assert.deepEqual(Array.from(toInt.dataSync()), [1, -2, 3]);
  tf.dispose([copy, cast, toInt]);
  assert.equal(tf.memory().numBytes, before);
});

test('a CNN gradient on wasm runs our kernels (and no stock MaxPoolGrad)', async () => {
  await tf.setBackend('wasm');
  const def = modelDef('cnn');
  const ws = initWeights(def, 0).map((d, i) => tf.tensor(d, def.params[i].shape));
  const x = tf.tensor(randomArray(8 * 784, 1), [8, 28, 28, 1]);
  const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  const loss = taskLoss(def, labelSelector([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const profile = await tf.profile(() => {
    const g = tf.grads((...w: tf.Tensor[]) => loss(w, x, y))(ws);
    tf.dispose(g);
  });
  const names = new Set(profile.kernels.map((k) => k.name));
  for (const k of [CONV2D_FILTER_GRAD, MAX_POOL_GRAD, RELU_GRAD]) assert.ok(names.has(k), `${k} ran`);
  assert.ok(!names.has('MaxPoolGrad'));
  tf.dispose([...ws, x, y]);
});

test('unregister restores the stock kernels; register brings ours back', async () => {
  await tf.setBackend('wasm');
  const stockAdd = tf.getKernel('Add', 'wasm');
  unregisterSimdKernels();
  assert.equal(simdKernelsRegistered(), false);
  assert.notEqual(tf.getKernel('Add', 'wasm'), stockAdd);
  const t = tf.add(tf.ones([2, 4]), tf.ones([4]));
  assert.deepEqual(Array.from(t.dataSync()), [2, 2, 2, 2, 2, 2, 2, 2]);
  t.dispose();
  assert.ok(registerSimdKernels());
  assert.ok(simdKernelsRegistered());
});

// Node's WebAssembly API (its typings are in TypeScript's DOM lib, which we do not load).
declare const WebAssembly: { Module: { new (bytes: Uint8Array): object; imports(m: object): object[] } };

test('kernels.wasm imports only tfjs memory and writes no data of its own', () => {
  const module = new WebAssembly.Module(fs.readFileSync(SIMD_WASM_PATH));
  assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
  // Walk the sections: id 11 (data) would be written into tfjs's heap at instantiation.
  const bytes = fs.readFileSync(SIMD_WASM_PATH);
  const ids: number[] = [];
  for (let p = 8; p < bytes.length;) {
    ids.push(bytes[p++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      size |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    p += size;
  }
  assert.ok(!ids.includes(11), `data section present (sections ${ids.join(', ')})`);
});

test('the committed kernels.wasm is what its source compiles to', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'simd-')), 'kernels.wasm');
  buildSimd(out);
  assert.ok(
    fs.readFileSync(out).equals(fs.readFileSync(SIMD_WASM_PATH)),
    'lib/engine/simd/kernels.wasm is stale: run npm run build:simd',
  );
});
