/** rank(J)/2 of the product map at w0, a lower bound on the local learning coefficient (lib/validation/tangent.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dlnLocalLowerBound, productJacobianRank } from '../lib/validation/tangent';
import { dlnTrueWeights } from '../lib/validation/groundtruth';
import { batteryProblems, batterySummary, BatteryResult, localBound, summaryLines } from '../lib/validation/battery';

test('productJacobianRank: regular regression, the zero network, and DLN 8-4-5 rank 2 at two true parameters', () => {
  // One layer: B = W, the map is the identity, every direction counts (λ = d/2).
  assert.equal(productJacobianRank([5, 1], [Float32Array.from([1, -2, 0.5, 3, 1])]), 5);
  // Two layers at 0: every first derivative vanishes.
  assert.equal(productJacobianRank([3, 2, 3], [new Float32Array(6), new Float32Array(6)]), 0);
  // The battery's construction: W1 = [A 0] (8 × 4, two live columns), W2 (4 × 5) full rank. Tangent
  // space = 8 × row(W2) (32) + col(W1) × R^5 (10) − their overlap col(W1) × row(W2) (8) = 34.
  const battery = dlnTrueWeights([8, 4, 5], 2, 2);
  assert.equal(productJacobianRank([8, 4, 5], battery), 34);
  assert.equal(dlnLocalLowerBound([8, 4, 5], 2, 2), 17);
  // The same with the cut units' output rows zeroed too (the most singular true parameter):
  // 8 × row(W2) (16) + col(W1) × R^5 (10) − 2 × 2 (4) = 22, and 22/2 = 11 ≤ λ = 14.
  const w2 = Float32Array.from(battery[1]);
  w2.fill(0, 2 * 5);
  assert.equal(productJacobianRank([8, 4, 5], [battery[0], w2]), 22);
});

test('the battery names the problems whose w0 has a local coefficient above λ, and which silent failures that explains', () => {
  const problems = batteryProblems();
  const p = problems.find((q) => q.id === 'dln-8-4-5-r2-s2')!;
  const regular = problems.find((q) => q.id === 'dln-2-9-3-r1-s0')!;
  assert.equal(localBound(p), 17);
  assert.equal(localBound(regular), null); // rank(J)/2 = λ = 3
  const result = (estimate: number): BatteryResult =>
    ({
      problem: p,
      estimate,
      mcse: 0.3,
      relError: (estimate - p.truth) / p.truth,
      covered: false,
      flags: [],
      seconds: 1,
    }) as unknown as BatteryResult;
  // +12 % against λ = 14 but inside [14, 17]: silent, and explained by w0.
  const s = batterySummary([result(15.7)]);
  assert.deepEqual(s.silent, ['dln-8-4-5-r2-s2']);
  assert.deepEqual(s.localAbove, ['dln-8-4-5-r2-s2']);
  assert.deepEqual(s.silentWithinLocal, ['dln-8-4-5-r2-s2']);
  assert.match(summaryLines(s).join('\n'), /w0 not among the most singular .*1 problems .*1 of the silent failures/);
  // Above 17 by more than the tolerance, or below λ by more: not explained.
  assert.deepEqual(batterySummary([result(19)]).silentWithinLocal, []);
  assert.deepEqual(batterySummary([result(12.2)]).silentWithinLocal, []);
});
