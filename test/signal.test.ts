/** Whether n examples resolve a DLN's true rank (lib/validation/signal.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dlnSignal, noiseEdge, productMatrix, singularValues } from '../lib/validation/signal';
import { dlnLambda } from '../lib/validation/aoyagi';
import { batteryProblems, batterySummary, BatteryResult, resolvedTruth, summaryLines } from '../lib/validation/battery';

test('singularValues: a known 3 × 2 matrix, and the product of layers', () => {
  // U diag(5, 0.5) Vᵀ with orthonormal U (3 × 2) and V (2 × 2 rotation by 30°).
  const [c, s] = [Math.cos(Math.PI / 6), Math.sin(Math.PI / 6)];
  const U = [
    [1 / Math.sqrt(2), 0],
    [1 / Math.sqrt(2), 0],
    [0, 1],
  ];
  const V = [
    [c, -s],
    [s, c],
  ];
  const d = [5, 0.5];
  const a = U.flatMap((u) => [0, 1].map((j) => u[0] * d[0] * V[j][0] + u[1] * d[1] * V[j][1]));
  const sv = singularValues(a, 3, 2);
  assert.ok(Math.abs(sv[0] - 5) < 1e-9 && Math.abs(sv[1] - 0.5) < 1e-9, String(sv));
  // (2 × 1)·(1 × 2): rank 1, σ = ‖u‖·‖v‖.
  const p = productMatrix([2, 1, 2], [Float32Array.from([3, 4]), Float32Array.from([1, 0])]);
  assert.deepEqual([...p], [3, 0, 4, 0]);
  const [s1, s2] = singularValues(p, 2, 2);
  assert.ok(Math.abs(s1 - 5) < 1e-9 && s2 < 1e-7);
});

test('the noise edge falls as 1/√n, and a weak true direction is resolved once n is large enough', () => {
  assert.ok(Math.abs(noiseEdge(4, 9, 100) - 0.5) < 1e-12);
  // DLN 2-9-2-4-2-9 rank 1, seed 1 (the battery's −70 % estimate): σ_1 below the edge at n = 2000,
  // so the data resolve rank 0 and the comparison value is λ(rank 0); at 100× the data it is resolved.
  const weak = dlnSignal([2, 9, 2, 4, 2, 9], 1, 1, 2000);
  assert.ok(weak.ratio < 1, String(weak.ratio));
  assert.equal(weak.resolvedRank, 0);
  assert.equal(weak.lambdaResolved, dlnLambda([2, 9, 2, 4, 2, 9], 0));
  const many = dlnSignal([2, 9, 2, 4, 2, 9], 1, 1, 200000);
  assert.ok(many.ratio > 1 && many.resolvedRank === 1 && many.lambdaResolved === 5.5);
  // Its seed 0 twin is far above the edge.
  assert.ok(dlnSignal([2, 9, 2, 4, 2, 9], 1, 0, 2000).ratio > 5);
});

test('the battery names its weak-signal problems and which silent failures λ at the resolved rank explains', () => {
  const problems = batteryProblems().filter(
    (p) => p.id === 'dln-2-9-2-4-2-9-r1-s1' || p.id === 'dln-2-9-2-4-2-9-r1-s0',
  );
  assert.equal(problems.length, 2);
  assert.equal(resolvedTruth(problems.find((p) => p.seed === 0)!), null);
  assert.equal(resolvedTruth(problems.find((p) => p.seed === 1)!), 1.5);
  const result = (p: (typeof problems)[number], estimate: number): BatteryResult =>
    ({
      problem: p,
      estimate,
      mcse: 0.2,
      relError: (estimate - p.truth) / p.truth,
      covered: false,
      flags: [],
      seconds: 1,
    }) as unknown as BatteryResult;
  const s = batterySummary([result(problems[0], 5.6), result(problems[1], 1.62)]);
  assert.deepEqual(s.silent, ['dln-2-9-2-4-2-9-r1-s1']);
  assert.deepEqual(s.weakSignal, ['dln-2-9-2-4-2-9-r1-s1']);
  assert.deepEqual(s.silentAtResolvedRank, ['dln-2-9-2-4-2-9-r1-s1']);
  // Far from both λ and λ at the resolved rank: weak, but not explained by it.
  assert.deepEqual(batterySummary([result(problems[1], 3.5)]).silentAtResolvedRank, []);
  assert.match(summaryLines(s).join('\n'), /Weak signal .*1 problems .*1 of the silent failures/);
});

test('free-energy margin μ = nσ_r²/(2(λ(r) − λ(r−1)) log n), and the wrong estimates lying between the neighbouring ranks', () => {
  // DLN 2-6-8-9 rank 2, seed 1 (the battery's unexplained −10.5 %): λ(2) = 9, λ(1) = 7.5.
  const s = dlnSignal([2, 6, 8, 9], 2, 1, 2000);
  assert.equal(s.lambdaBelow, 7.5);
  const sr = s.singularValues[1];
  assert.ok(Math.abs(s.margin - (2000 * sr * sr) / (2 * 1.5 * Math.log(2000))) < 1e-12);
  // μ grows like n/log n: 4× the data, ≈ 3.4× the margin.
  const more = dlnSignal([2, 6, 8, 9], 2, 1, 8000).margin / s.margin;
  assert.ok(Math.abs(more - (4 * Math.log(2000)) / Math.log(8000)) < 1e-9, String(more));
  // Dropping the direction does not change λ (2-9-3: λ = 3 at every rank): no margin to speak of.
  assert.equal(dlnSignal([2, 9, 3], 1, 0, 2000).margin, Infinity);
  const [p] = batteryProblems().filter((q) => q.id === 'dln-2-6-8-9-r2-s1');
  const result = (estimate: number, flags: string[] = []) =>
    ({
      problem: p,
      estimate,
      mcse: 0.2,
      relError: (estimate - 9) / 9,
      covered: false,
      flags,
      seconds: 1,
    }) as unknown as BatteryResult;
  // 8.06 (−10.5 %) is between λ(1) and λ(2), flagged or not; 7.0 is below λ(1), 8.5 is not wrong.
  assert.deepEqual(
    batterySummary([result(8.06)]).wrongBetweenRanks.map((x) => x.id),
    ['dln-2-6-8-9-r2-s1'],
  );
  assert.equal(batterySummary([result(8.06, ['drifting'])]).wrongBetweenRanks.length, 1);
  assert.equal(batterySummary([result(7.0)]).wrongBetweenRanks.length, 0);
  assert.equal(batterySummary([result(8.5)]).wrongBetweenRanks.length, 0);
  assert.match(summaryLines(batterySummary([result(8.06)])).join('\n'), /dln-2-6-8-9-r2-s1 \(2\.9\d\)/);
});
