import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  gaussianFilter1d,
  gaussianKernel1d,
  getTemplates,
  interpLinear,
  linspace,
  makeMnist1d,
  MNIST1D_DEFAULTS,
  MNIST1D_EPS,
  MNIST1D_LABEL_COUNTS,
  MNIST1D_RAW_TEMPLATES,
  resample,
  resolveMnist1dOptions,
  transformTemplate,
  type Mnist1d,
} from '../lib/data/mnist1d';
import { makeRng } from '../lib/math/rng';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

let cached: Mnist1d | undefined;
const defaults = (): Mnist1d => (cached ??= makeMnist1d());

/** All examples (train then test) and their labels. */
function whole(d: Mnist1d): { x: Float32Array; y: Uint8Array; n: number } {
  const x = new Float32Array(d.xTrain.length + d.xTest.length);
  x.set(d.xTrain);
  x.set(d.xTest, d.xTrain.length);
  const y = new Uint8Array(d.numTrain + d.numTest);
  y.set(d.yTrain);
  y.set(d.yTest, d.numTrain);
  return { x, y, n: y.length };
}

function classMeans(x: Float32Array, y: ArrayLike<number>, L: number): Float64Array[] {
  const means = Array.from({ length: 10 }, () => new Float64Array(L));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < y.length; i++) {
    counts[y[i]]++;
    for (let j = 0; j < L; j++) means[y[i]][j] += x[i * L + j];
  }
  means.forEach((m, c) => m.forEach((_, j) => (m[j] /= counts[c])));
  return means;
}

function meanPairwiseDistance(means: Float64Array[]): number {
  let s = 0;
  let k = 0;
  for (let a = 0; a < means.length; a++) {
    for (let b = a + 1; b < means.length; b++) {
      s += Math.hypot(...means[a].map((v, j) => v - means[b][j]));
      k++;
    }
  }
  return s / k;
}

test('defaults are the reference get_dataset_args()', () => {
  assert.deepEqual(
    { ...MNIST1D_DEFAULTS, padding: [...MNIST1D_DEFAULTS.padding] },
    {
      numSamples: 5000,
      trainSplit: 0.8,
      templateLen: 12,
      padding: [36, 60],
      scaleCoeff: 0.4,
      maxTranslation: 48,
      corrNoiseScale: 0.25,
      iidNoiseScale: 2e-2,
      shearScale: 0.75,
      shuffleSeq: false,
      finalSeqLength: 40,
      seed: 42,
    },
  );
});

test('shapes: 4000 train and 1000 test sequences of 40 points', () => {
  const d = defaults();
  assert.equal(d.numTrain, 4000);
  assert.equal(d.numTest, 1000);
  assert.equal(d.seqLength, 40);
  assert.deepEqual(d.inputShape, [40]);
  assert.ok(d.xTrain instanceof Float32Array && d.xTest instanceof Float32Array);
  assert.ok(d.yTrain instanceof Uint8Array && d.yTest instanceof Uint8Array);
  assert.equal(d.xTrain.length, 4000 * 40);
  assert.equal(d.xTest.length, 1000 * 40);
  assert.equal(d.yTrain.length, 4000);
  assert.equal(d.yTest.length, 1000);
  assert.equal(d.t.length, 40);
  assert.ok(whole(d).x.every(Number.isFinite));
});

test('deterministic: the same seed gives the same bytes, another seed differs', () => {
  const a = defaults();
  const b = makeMnist1d({ seed: 42 });
  assert.deepEqual(Buffer.from(a.xTrain.buffer), Buffer.from(b.xTrain.buffer));
  assert.deepEqual(Buffer.from(a.xTest.buffer), Buffer.from(b.xTest.buffer));
  assert.deepEqual(a.yTrain, b.yTrain);
  assert.deepEqual(a.yTest, b.yTest);
  const c = makeMnist1d({ seed: 43 });
  assert.notDeepEqual(Buffer.from(a.xTrain.buffer), Buffer.from(c.xTrain.buffer));
  assert.notDeepEqual(a.yTrain, c.yTrain);
});

test('class balance: 500 examples per class, shuffled across the split', () => {
  const d = defaults();
  const { y } = whole(d);
  const counts = new Array(10).fill(0);
  y.forEach((c) => counts[c]++);
  assert.deepEqual(counts, new Array(10).fill(500));
  const testCounts = new Array(10).fill(0);
  d.yTest.forEach((c) => testCounts[c]++);
  // Hypergeometric: each class has ~100 ± 9 test examples; generation order (class by class) must not survive.
  for (const c of testCounts) assert.ok(c > 60 && c < 140, `test class counts ${testCounts}`);
  // The counts the sweeps size tasks by.
  assert.deepEqual(testCounts, MNIST1D_LABEL_COUNTS.test);
  assert.deepEqual(
    testCounts.map((c) => 500 - c),
    MNIST1D_LABEL_COUNTS.train,
  );
  assert.ok(d.yTrain.some((c, i) => i > 0 && c !== d.yTrain[i - 1]));
});

test('standardised over the whole set: mean 0, std 1', () => {
  const { x } = whole(defaults());
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  s = Math.sqrt(s / x.length);
  assert.ok(Math.abs(m) < 1e-5, `mean ${m}`);
  assert.ok(Math.abs(s - 1) < 1e-5, `std ${s}`);
  // t is the template grid linspace(-5, 5)/6 resampled to 40 points, divided by the raw std (> 0).
  const t = defaults().t;
  const step = t[1] - t[0];
  assert.ok(step > 0);
  for (let j = 1; j < t.length; j++) assert.ok(Math.abs(t[j] - t[j - 1] - step) < 1e-4 * Math.abs(step));
  assert.ok(Math.abs(t[0] + t[39]) < 1e-5 * Math.abs(t[0]));
});

test('templates: ten of 12 points, standardised, starting (and ending) at exactly 0, divided by 6', () => {
  const tpl = getTemplates();
  assert.equal(tpl.x.length, 10);
  assert.deepEqual(Array.from(tpl.y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  close(tpl.t, linspace(-5 / 6, 5 / 6, 12), 1e-12, 't');
  tpl.x.forEach((x, c) => {
    assert.equal(x.length, 12);
    assert.equal(x[0], 0, `template ${c} starts at 0`);
    assert.equal(x[11], 0, `template ${c} ends at 0`);
    // Undo the /6: population std 1; the mean is −(first standardised value).
    const z = Array.from(x, (v) => v * 6);
    const mean = z.reduce((s, v) => s + v, 0) / 12;
    const std = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / 12);
    assert.ok(Math.abs(std - 1) < 1e-12, `template ${c} std ${std}`);
    const raw = MNIST1D_RAW_TEMPLATES[c];
    const rawMean = raw.reduce((s, v) => s + v, 0) / 12;
    const rawStd = Math.sqrt(raw.reduce((s, v) => s + (v - rawMean) ** 2, 0) / 12);
    assert.ok(Math.abs(mean - (rawMean - raw[0]) / rawStd) < 1e-12);
  });
  // Digit 0 by hand: raw mean 6.375, std sqrt(0.6354166…); value at index 4 is (7 − 5)/std/6.
  const std0 = Math.sqrt(MNIST1D_RAW_TEMPLATES[0].reduce((s, v) => s + (v - 6.375) ** 2, 0) / 12);
  assert.ok(Math.abs(tpl.x[0][4] - 2 / std0 / 6) < 1e-12);
});

test('class means differ far more than label-shuffled (noise-only) means do', () => {
  const d = defaults();
  const { x, y } = whole(d);
  const real = meanPairwiseDistance(classMeans(x, y, 40));
  const rng = makeRng(7);
  const permuted = Uint8Array.from(y);
  for (let i = permuted.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [permuted[i], permuted[j]] = [permuted[j], permuted[i]];
  }
  const noise = meanPairwiseDistance(classMeans(x, permuted, 40));
  assert.ok(real > 1.5, `mean pairwise class-mean distance ${real}`);
  assert.ok(real > 4 * noise, `class-mean distance ${real} vs shuffled-label ${noise}`);

  // And the classes are learnable: nearest class mean (fit on train) beats chance on test.
  const means = classMeans(d.xTrain, d.yTrain, 40);
  let correct = 0;
  for (let i = 0; i < d.numTest; i++) {
    let best = -1;
    let bestD = Infinity;
    means.forEach((m, c) => {
      let s = 0;
      for (let j = 0; j < 40; j++) s += (d.xTest[i * 40 + j] - m[j]) ** 2;
      if (s < bestD) [best, bestD] = [c, s];
    });
    if (best === d.yTest[i]) correct++;
  }
  assert.ok(correct / d.numTest > 0.2, `nearest-class-mean test accuracy ${correct / d.numTest}`);
});

test('options are validated with errors naming the option and the bad value', () => {
  const bad: [object, RegExp][] = [
    [{ trainSplit: 1.5 }, /trainSplit.*\(0, 1\).*1\.5/],
    [{ trainSplit: 0 }, /trainSplit.*got 0/],
    [{ trainSplit: 1 }, /trainSplit.*got 1$/],
    [{ trainSplit: NaN }, /trainSplit.*NaN/],
    [{ numSamples: 100.5 }, /numSamples.*integer.*100\.5/],
    [{ numSamples: 1234 }, /numSamples.*multiple of 10.*1234/],
    [{ numSamples: 0 }, /numSamples.*got 0/],
    [{ numSamples: 10, trainSplit: 0.05 }, /trainSplit.*non-empty.*0\.05/],
    [{ padding: [60, 36] }, /padding.*\[60, 36\]/],
    [{ padding: [1.5, 3] }, /padding.*\[1\.5, 3\]/],
    [{ maxTranslation: 0 }, /maxTranslation.*got 0/],
    [{ maxTranslation: 73 }, /maxTranslation.*72.*got 73/],
    [{ corrNoiseScale: -1 }, /corrNoiseScale.*-1/],
    [{ iidNoiseScale: Infinity }, /iidNoiseScale.*Infinity/],
    [{ finalSeqLength: 1 }, /finalSeqLength.*got 1/],
    [{ templateLen: 0 }, /templateLen.*got 0/],
    [{ seed: NaN }, /seed.*NaN/],
    [{ shuffleSeq: 'yes' }, /shuffleSeq.*"yes"/],
    [{ num_samples: 5000 }, /unknown option "num_samples"/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => resolveMnist1dOptions(options as never), message, JSON.stringify(options));
  }
  assert.throws(() => makeMnist1d({ numSamples: 1234 }), /numSamples/);
  // undefined means "default"; the resolved options are returned with the data.
  assert.equal(resolveMnist1dOptions({ seed: undefined }).seed, 42);
  const small = makeMnist1d({ numSamples: 50, trainSplit: 0.7, finalSeqLength: 20, seed: 1 });
  assert.equal(small.numTrain, 35);
  assert.equal(small.numTest, 15);
  assert.equal(small.xTest.length, 15 * 20);
  assert.equal(small.options.finalSeqLength, 20);
});

test('linear interpolation matches scipy interp1d over linspace grids', () => {
  // Values from scipy 1.17: interp1d(np.linspace(0,1,len(x)), x)(np.linspace(0,1,N)).
  close(resample([0, 2, 1, 0, 0, 3], 4), [0, 1.3333333333333335, 0, 3], 1e-15, 'resample 6→4');
  const down = resample([1, 0, 0], 9);
  close(down, [1, 0.75, 0.5, 0.25, 0, 0, 0, 0, 0], 1e-15, 'resample 3→9');
  // Stretches of exact zeros stay exactly zero (this is what the noise mask relies on).
  for (let j = 4; j < 9; j++) assert.equal(down[j], 0);
  // Same length is the identity; endpoints are kept exactly.
  assert.deepEqual(Array.from(resample([3, -1, 2.5, 7], 4)), [3, -1, 2.5, 7]);
  close(interpLinear([0, 1, 3], [0, 10, 30], [0.5, 2, 3]), [5, 20, 30], 1e-12, 'interpLinear');
  assert.throws(() => interpLinear([0, 1], [0, 1], [1.5]), /outside/);
  // numpy.linspace: i·step + start, last point exactly stop.
  assert.deepEqual(Array.from(linspace(-0.5, 0.5, 5)), [-0.5, -0.25, 0, 0.25, 0.5]);
  assert.equal(linspace(0, 1, 72)[71], 1);
});

test('Gaussian filter matches scipy.ndimage.gaussian_filter1d (reflect, truncate 4)', () => {
  // Kernel: radius floor(4σ + 0.5), normalised.
  assert.equal(gaussianKernel1d(2).length, 17);
  assert.equal(gaussianKernel1d(1).length, 9);
  close([gaussianKernel1d(1).reduce((s, v) => s + v, 0)], [1], 1e-15, 'kernel sum');
  // Values from scipy 1.17.
  close(
    gaussianFilter1d([1, 0, 0, 0, 0], 1),
    [0.6409149150126985, 0.2959625730773051, 0.05842298904073567, 0.004565692244646007, 0.00013383062461474175],
    1e-15,
    'σ=1 impulse',
  );
  close(
    gaussianFilter1d([0, 3, -1, 2, 5, 0, 0, 1, 0, 4], 2),
    [
      1.0681386856848973, 1.1865387520301052, 1.3752562019758932, 1.5289442367090487, 1.537830373254397,
      1.4040887301299616, 1.2792303263714686, 1.3272384232689385, 1.545041771585316, 1.7476924989899754,
    ],
    1e-14,
    'σ=2',
  );
  // Shorter than the kernel radius: the reflection repeats (period 2n).
  close(
    gaussianFilter1d([1, -2, 0.5], 2),
    [-0.13864544748674826, -0.16692273040333072, -0.1944318221099211],
    1e-14,
    'σ=2, n=3',
  );
  // Constants are preserved under 'reflect'.
  close(gaussianFilter1d([2, 2, 2, 2], 2), [2, 2, 2, 2], 1e-14, 'constant');
});

test('transform: without randomness it is pad → dilate → subsample of template + 1e-8', () => {
  const tpl = getTemplates().x[3];
  const quiet = resolveMnist1dOptions({
    padding: [50, 50],
    scaleCoeff: 0,
    maxTranslation: 1,
    corrNoiseScale: 0,
    iidNoiseScale: 0,
    shearScale: 0,
  });
  const padded = new Float64Array(12 + 50);
  tpl.forEach((v, i) => (padded[i] = v + MNIST1D_EPS));
  // The dilation length is templateLen + padding[1] (here 62, so the dilation is the identity).
  const expected = resample(resample(padded, 12 + 50), 40);
  close(transformTemplate(tpl, quiet, makeRng(1)), expected, 1e-15, 'quiet transform');
  const wide = resolveMnist1dOptions({ ...quiet, padding: [40, 60] });
  const short = transformTemplate(tpl, { ...wide, padding: [40, 40] }, makeRng(1)); // p = 40, dilated to 12 + 40: identity
  const shortPadded = new Float64Array(12 + 40);
  tpl.forEach((v, i) => (shortPadded[i] = v + MNIST1D_EPS));
  close(short, resample(resample(shortPadded, 12 + 40), 40), 1e-15, 'p = 40, no dilation');
  assert.ok(
    transformTemplate(tpl, wide, makeRng(1)).some((v, j) => Math.abs(v - short[j]) > 1e-3),
    'dilating 12 + p → 72 stretches',
  );

  // With padding [60, 60] the dilation is the identity and the template fills points 0..11 of 72.
  // Correlated noise only replaces exact zeros: outputs drawn from points < 11 are untouched,
  // those from the padding are noise.
  const pad60 = {
    padding: [60, 60] as [number, number],
    scaleCoeff: 0,
    maxTranslation: 1,
    iidNoiseScale: 0,
    shearScale: 0,
  };
  const clean = transformTemplate(tpl, resolveMnist1dOptions({ ...pad60, corrNoiseScale: 0 }), makeRng(1));
  const noisy = transformTemplate(tpl, resolveMnist1dOptions(pad60), makeRng(1));
  for (let j = 0; j <= 6; j++) assert.equal(noisy[j], clean[j], `signal point ${j}`); // source index j·71/39 ≤ 10.9
  for (let j = 8; j < 40; j++) {
    assert.equal(clean[j], 0, `clean padding point ${j}`);
    assert.notEqual(noisy[j], 0, `noisy padding point ${j}`);
  }

  // Shear alone subtracts a ramp: c·linspace(−0.5, 0.5) for one c, seen on the padding part.
  const sheared = transformTemplate(
    tpl,
    resolveMnist1dOptions({ ...pad60, corrNoiseScale: 0, shearScale: 0.75 }),
    makeRng(2),
  );
  const diff = Array.from(sheared, (v, j) => v - clean[j]);
  const slope = (diff[39] - diff[0]) / 1;
  assert.ok(Math.abs(slope) > 0 && Math.abs(slope) <= 0.375);
  for (let j = 0; j < 40; j++) assert.ok(Math.abs(diff[j] - slope * (j / 39 - 0.5)) < 1e-12);
});

test('shuffleSeq permutes the 40 positions, the same way for every example', () => {
  const opts = { numSamples: 100, seed: 5 };
  const plain = makeMnist1d(opts);
  const perm = makeMnist1d({ ...opts, shuffleSeq: true });
  assert.deepEqual(perm.yTrain, plain.yTrain);
  // Find the permutation on the first example, then check it on all.
  const L = 40;
  const where = Array.from({ length: L }, (_, j) =>
    plain.xTrain.subarray(0, L).findIndex((v) => Math.abs(v - perm.xTrain[j]) < 1e-5),
  );
  assert.ok(where.every((k) => k >= 0));
  assert.equal(new Set(where).size, L);
  assert.notDeepEqual(
    where,
    Array.from({ length: L }, (_, j) => j),
  );
  for (let i = 0; i < plain.numTrain; i++) {
    for (let j = 0; j < L; j++) assert.ok(Math.abs(perm.xTrain[i * L + j] - plain.xTrain[i * L + where[j]]) < 1e-5);
  }
});
