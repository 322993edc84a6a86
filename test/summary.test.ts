import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultRow } from '../lib/experiments/experiment';
import {
  crossoverStability,
  gapAcrossOrders,
  divergenceTest,
  gapAccuracyModel,
  gapByK,
  gapPairs,
  linearityTests,
  pooledGap,
  relativeGapByK,
  RESULT_COLUMNS,
  resultsFrameCsv,
  stepSizeElasticity,
  toDataFrame,
} from '../lib/report/summary';
import { makeRng } from '../lib/math/rng';
import { welchTTest } from '../lib/math/stats';

/** The fields the summaries read, on a minimal row. */
function row(
  architecture: 'mlp' | 'cnn',
  k: number,
  seed: number,
  llcMean: number,
  llc: { epsilon?: number; gamma?: number } = {},
): ResultRow {
  return {
    architecture,
    k,
    seed,
    order: '0123456789',
    numTrain: 100,
    llcMean,
    testAccuracy: 0.9,
    failed: !Number.isFinite(llcMean),
    flags: [],
    config: { llc },
  } as unknown as ResultRow;
}

test('gapByK pairs exactly the rows gapPairs pairs', () => {
  const rows = [
    row('mlp', 2, 0, 10),
    row('cnn', 2, 0, 4),
    row('mlp', 2, 1, 12),
    row('cnn', 2, 1, 5),
    row('mlp', 3, 0, 20),
  ];
  assert.equal(gapPairs(rows).length, 2);
  const [g] = gapByK(rows);
  assert.equal(g.pairs, 2);
  assert.equal(g.gap, 6.5);
});

test('stepSizeElasticity: 1 when λ̂ ∝ ε, 0 when λ̂ does not move; ε above the cap and non-positive λ̂ are left out', () => {
  const eps = [1e-4, 2e-4, 4e-4, 8e-4, 3e-3];
  const rows = [
    ...eps.map((e) => row('mlp', 5, 0, 1e5 * e, { epsilon: e, gamma: 1 })),
    ...eps.map((e) => row('cnn', 5, 0, 7, { epsilon: e, gamma: 100 })),
    row('cnn', 5, 0, -3, { epsilon: 5e-5, gamma: 100 }),
  ];
  const [prop, flat] = stepSizeElasticity(rows);
  assert.equal(prop.points, 4);
  assert.ok(Math.abs(prop.elasticity - 1) < 1e-9, `${prop.elasticity}`);
  assert.equal(flat.points, 4);
  assert.ok(Math.abs(flat.elasticity) < 1e-9, `${flat.elasticity}`);
  assert.deepEqual([flat.architecture, flat.gamma], ['cnn', 100]);
});

/** A seeded write-up-shaped sweep: λ̂ = f(k) + noise for both architectures, 5 seeds, k = 2..10. */
function sweep(
  mlp: (k: number) => number,
  cnn: (k: number) => number,
  noise = 2,
  accuracy: (a: 'mlp' | 'cnn', k: number) => number = () => 0.9,
): ResultRow[] {
  const rng = makeRng(9);
  const out: ResultRow[] = [];
  for (let seed = 0; seed < 5; seed++)
    for (let k = 2; k <= 10; k++)
      for (const [a, f] of [
        ['mlp', mlp],
        ['cnn', cnn],
      ] as const)
        out.push({ ...row(a, k, seed, f(k) + noise * rng.normal()), testAccuracy: accuracy(a, k) } as ResultRow);
  return out;
}

test('linearityTests: a straight line passes; a curve fails the lack-of-fit test and has a nonzero quadratic term', () => {
  const [line] = linearityTests(
    sweep(
      (k) => 10 * k,
      (k) => 10 * k,
    ).filter((r) => r.architecture === 'mlp'),
  );
  assert.ok(line.lackOfFitP > 0.01 && line.quadratic.lo < 0 && line.quadratic.hi > 0, JSON.stringify(line));
  assert.ok(Math.abs(line.slope.estimate - 10) < 0.5);
  assert.deepEqual(line.lackOfFitDf, [7, 36]);
  const [curve] = linearityTests(
    sweep(
      (k) => 2 * k * k,
      () => 0,
    ).filter((r) => r.architecture === 'mlp'),
  );
  assert.ok(curve.lackOfFitP < 1e-6 && curve.quadratic.lo > 1, JSON.stringify(curve));
});

test('pooledGap: one test over k with seeds paired; no gap gives an interval around 0, a constant gap is found', () => {
  const none = pooledGap(
    sweep(
      (k) => 10 * k,
      (k) => 10 * k,
    ),
  );
  assert.equal(none.seeds, 5);
  assert.ok(none.lo < 0 && none.hi > 0, JSON.stringify(none));
  const gap = pooledGap(
    sweep(
      (k) => 10 * k + 8,
      (k) => 10 * k,
    ),
  );
  assert.ok(gap.lo > 4 && gap.hi < 12 && gap.p < 0.001, JSON.stringify(gap));
  assert.ok(gap.relative > 0 && gap.relativeP < 0.01);
});

test('divergenceTest: a gap that opens after k = 5 is found, with its hinge; a constant gap is not', () => {
  const opens = divergenceTest(
    sweep(
      (k) => 10 * k + 6 * Math.max(0, k - 5),
      (k) => 10 * k,
      1,
    ),
  );
  assert.ok(opens.lo > 0 && opens.p < 0.01, JSON.stringify(opens));
  assert.equal(opens.hinge, 5);
  const flat = divergenceTest(
    sweep(
      (k) => 10 * k + 8,
      (k) => 10 * k,
      1,
    ),
  );
  assert.ok(flat.lo < 0 && flat.hi > 0, JSON.stringify(flat));
  // The interaction c: about 6 for the gap that opens at 5, nothing resolved for the constant gap.
  assert.ok(opens.slopeChangeLo > 3 && opens.slopeChangeHi < 9 && opens.slopeCurves === 5, JSON.stringify(opens));
  assert.ok(flat.slopeChangeLo < 0 && flat.slopeChangeHi > 0, JSON.stringify(flat));
});

test('divergenceTest: a gap growing at one rate rises after 5 but does not bend; a convex gap bends with κ̂ near 5', () => {
  const line = divergenceTest(
    sweep(
      (k) => 14 * k,
      (k) => 10 * k,
      1,
    ),
  );
  assert.ok(line.lo > 0, JSON.stringify(line)); // the gap at k > 5 exceeds the gap at k ≤ 5 …
  assert.ok(line.slopeChangeLo < 0 && line.slopeChangeHi > 0, JSON.stringify(line)); // … without a bend
  // No switch at five, yet the interaction is positive and the hinge lands at 5: κ̂ alone cannot
  // tell smooth convex growth from a gap that opens at five.
  const cubic = divergenceTest(
    sweep(
      (k) => 10 * k + 0.05 * k ** 3,
      (k) => 10 * k,
      0.2,
    ),
  );
  assert.ok(cubic.slopeChangeLo > 0, JSON.stringify(cubic));
  assert.equal(cubic.hinge, 5);
});

test('gapAccuracyModel: a gap driven by the accuracy difference loads on accuracy, not on k', () => {
  const acc = (a: 'mlp' | 'cnn', k: number) => (a === 'cnn' ? 0.99 : 0.99 - 0.004 * ((k * 7) % 5));
  const rows = sweep(
    (k) => 10 * k + 3 * ((k * 7) % 5),
    (k) => 10 * k,
    0.5,
    acc,
  );
  const fit = gapAccuracyModel(rows);
  const [, kCoef, accCoef] = fit.coefficients;
  assert.ok(accCoef.lo > 0 && accCoef.p < 1e-6, JSON.stringify(accCoef));
  assert.ok(kCoef.lo < 0 && kCoef.hi > 0, JSON.stringify(kCoef));
});

test('resultsFrameCsv: one line per cell with the documented columns; NaN is empty and text with commas is quoted', () => {
  const r = {
    ...row('mlp', 3, 1, NaN),
    config: { loss: 'ce', llc: { epsilon: 2e-4, gamma: 10 } },
    flags: ['spike', 'spike'],
    failReason: 'spike, again',
    acceptancePerChain: [0.5, 0.7],
  } as unknown as ResultRow;
  const [header, line] = resultsFrameCsv([r]).trim().split('\n');
  assert.deepEqual(header.split(','), RESULT_COLUMNS);
  const cell = (name: string) => line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[RESULT_COLUMNS.indexOf(name)];
  assert.equal(cell('llcMean'), '');
  assert.equal(cell('flags'), 'spike');
  assert.equal(cell('failReason'), '"spike, again"');
  assert.equal(cell('acceptance'), '0.6');
});

test('toDataFrame gives records with different keys the union of columns (NaN where missing)', () => {
  const df = toDataFrame([
    { order: 'a', k2: 1 },
    { order: 'b', k3: 2 },
  ]);
  assert.deepEqual(df.columns, ['order', 'k2', 'k3']);
  assert.ok(Number.isNaN(df.values[1][1]));
  assert.doesNotThrow(() => df.toString());
});

test('gapAcrossOrders: per k, mean and sd of the gap over orders, its interval, and how many orders are positive', () => {
  const order = (name: string, gaps: number[]) => ({
    order: name,
    gaps: gaps.map((gap, i) => ({ k: i + 2, gap })),
    crossover: NaN,
    signChanges: 0,
  });
  const rows = gapAcrossOrders([order('a', [1, -2]), order('b', [3, 4]), order('c', [5])]);
  assert.deepEqual(
    rows.map((r) => [r.k, r.meanGap, r.orders, r.positive]),
    [
      [2, 3, 3, 3],
      [3, 1, 2, 1],
    ],
  );
  assert.equal(rows[0].sdAcrossOrders, 2);
});

test('crossoverStability: unstable when the crossover moves by ≥ 2 or most orders flip sign more than once', () => {
  const o = (crossover: number, signChanges: number) => ({ order: '', gaps: [], crossover, signChanges });
  assert.deepEqual(crossoverStability([o(5, 1), o(6, 1), o(5, 1)]), { stable: true, spread: 1, flipping: 0 });
  assert.equal(crossoverStability([o(4, 1), o(6, 1)]).stable, false, 'spread 2');
  assert.equal(crossoverStability([o(5, 3), o(5, 2), o(5, 1)]).stable, false, '2 of 3 orders flip');
  assert.equal(crossoverStability([o(NaN, 0), o(NaN, 0)]).stable, true, 'no crossover anywhere is not a moving one');
});

test('gapPairs, relativeGapByK and Welch (the inputs of notebook 05): MLP/CNN pairs, relative gap per k, Welch two-sample interval', () => {
  const row = (architecture: 'mlp' | 'cnn', k: number, seed: number, llcMean: number, testAccuracy: number) =>
    ({
      architecture,
      k,
      seed,
      order: '0123456789',
      numTrain: 100,
      llcMean,
      testAccuracy,
      failed: false,
      flags: [],
    }) as unknown as ResultRow;
  const rows = [
    row('mlp', 2, 0, 100, 0.6),
    row('cnn', 2, 0, 40, 0.9),
    row('mlp', 2, 1, 200, 0.7),
    row('cnn', 2, 1, 100, 0.8),
    row('mlp', 3, 0, 50, 0.5),
  ];
  assert.equal(gapPairs(rows).length, 2);
  const [g] = relativeGapByK(rows);
  assert.equal(g.k, 2);
  assert.ok(Math.abs(g.relativeGap - 0.55) < 1e-12 && g.pairs === 2); // (0.6 + 0.5) / 2
  assert.ok(Math.abs(g.accuracyAdvantage - 0.2) < 1e-12); // (0.3 + 0.1) / 2
  // Welch: equal variances and sizes give df = 2(n − 1); a shift of 3 with sd 1, n = 5 is clearly resolved.
  const w = welchTTest([4, 5, 6, 5, 5], [1, 2, 3, 2, 2]);
  assert.ok(Math.abs(w.difference - 3) < 1e-12 && Math.abs(w.df - 8) < 1e-9 && w.lo > 0 && w.p < 0.01);
  assert.ok(Number.isNaN(welchTTest([1], [2, 3]).lo));
});
