import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSeed, fillNormal, makeRng, sampleWithoutReplacement, shuffled } from '../lib/math/rng';

test('same seed, same stream; seed 0 is a seed', () => {
  const a = makeRng(0);
  const b = makeRng(0);
  assert.deepEqual([a.uint32(), a.uint32()], [b.uint32(), b.uint32()]);
  assert.notEqual(makeRng(1).uint32(), makeRng(0).uint32());
  assert.notEqual(deriveSeed(0, 'chain', 1), deriveSeed(0, 'chain', 2));
});

test('ziggurat normals: mean, variance, kurtosis and tails of N(0,1) (seeded)', () => {
  const z = fillNormal(new Float32Array(400000), makeRng(11));
  let m = 0;
  for (const x of z) m += x;
  m /= z.length;
  let v = 0;
  let k = 0;
  let tail = 0;
  for (const x of z) {
    v += (x - m) ** 2;
    k += (x - m) ** 4;
    if (Math.abs(x) > 2) tail++;
  }
  v /= z.length;
  k /= z.length * v * v;
  assert.ok(Math.abs(m) < 0.01, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.01, `variance ${v}`);
  assert.ok(Math.abs(k - 3) < 0.05, `kurtosis ${k}`);
  // P(|Z| > 2) = 0.0455; SE at n = 4e5 is 3.3e-4.
  assert.ok(Math.abs(tail / z.length - 0.0455) < 0.0015, `P(|z|>2) ${tail / z.length}`);
});

test('shuffles and samples are permutations / distinct indices', () => {
  const s = shuffled([1, 2, 3, 4, 5], makeRng(2));
  assert.deepEqual([...s].sort(), [1, 2, 3, 4, 5]);
  const idx = sampleWithoutReplacement(100, 50, makeRng(3));
  assert.equal(new Set(idx).size, 50);
  assert.throws(() => sampleWithoutReplacement(3, 4, makeRng(0)), /k=4 exceeds n=3/);
});
