/** The exact finite-n reference (lib/validation/exact.ts, reference.ts): loss, gradient, sampler and pairing. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { dlnLoss, dlnLossFn, dlnStats, exactLocalizedLlc, topCurvature } from '../lib/validation/exact';
import { singularValues } from '../lib/validation/signal';
import {
  estimandMismatch,
  problemStats,
  samplerErrors,
  samplerSummary,
  ReferenceResult,
} from '../lib/validation/reference';
import { batteryProblems, BatteryResult } from '../lib/validation/battery';
import { dlnProblem } from '../lib/validation/groundtruth';
import { fullLoss } from '../lib/estimator/llc';
import { makeRng } from '../lib/math/rng';
import { linearRegressionData, setup } from './helpers';

before(setup);

test('dlnLoss from the sufficient statistics is the battery loss, and its gradient is the finite-difference one', () => {
  const p = dlnProblem({ widths: [3, 4, 2, 3], rank: 1, n: 300, seed: 1 });
  try {
    const stats = dlnStats([3, 4, 2, 3], p.data.x.dataSync(), p.data.y.dataSync(), 300);
    const wStar = Float64Array.from(p.wStar.flatMap((t) => Array.from(t.dataSync())));
    const tfLoss = fullLoss(p.lossFn, p.wStar, p.data);
    assert.ok(Math.abs(dlnLoss(stats, wStar) - tfLoss) < 1e-5 * tfLoss, `${dlnLoss(stats, wStar)} vs ${tfLoss}`);
    const rng = makeRng(3);
    const theta = wStar.map((v) => v + 0.3 * rng.normal());
    const grad = new Float64Array(theta.length);
    dlnLoss(stats, theta, grad);
    for (let k = 0; k < theta.length; k++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[k] += h;
      down[k] -= h;
      const fd = (dlnLoss(stats, up) - dlnLoss(stats, down)) / (2 * h);
      assert.ok(Math.abs(fd - grad[k]) < 1e-6 * (1 + Math.abs(fd)), `∂L/∂θ${k}: ${grad[k]} vs ${fd}`);
    }
    assert.throws(() => dlnLoss(stats, new Float64Array(5)), /θ has 5 numbers; widths 3-4-2-3 need 26/);
  } finally {
    p.dispose();
  }
});

/** Solve A x = b (small, dense, Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const piv = m.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(m[best][c]) ? r : best), c);
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--)
    x[r] = (m[r][n] - m[r].slice(r + 1, n).reduce((s, v, k) => s + v * x[r + 1 + k], 0)) / m[r][r];
  return x;
}

test("regression: the exact sampler gives the Gaussian posterior's closed form ½·tr(nβH(nβH + γI)⁻¹), within its MCSE", () => {
  const n = 400;
  const d = 3;
  const { X, Y, wOls } = linearRegressionData(n, d, 5);
  const stats = dlnStats([d, 1], X, Y, n);
  const gamma = 30; // strong enough that the localization visibly lowers λ̂ below d/2 = 1.5
  const nbeta = n / Math.log(n);
  // At w* = the least-squares solution the posterior is N(w*, (nβH + γI)⁻¹), so E[nβ(L − L*)] = ½·tr(nβH(nβH + γI)⁻¹).
  const H = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => stats.sxx[i * d + j]));
  const A = H.map((row, i) => row.map((v, j) => nbeta * v + (i === j ? gamma : 0)));
  let truth = 0;
  for (let j = 0; j < d; j++)
    truth +=
      0.5 *
      solve(
        A,
        H.map((row) => nbeta * row[j]),
      )[j];
  assert.ok(truth < 1.4, `the closed form should sit below d/2 here, got ${truth}`);
  const r = exactLocalizedLlc(stats, Float64Array.from(wOls), { gamma, drawRelaxations: 2000, seed: 1 });
  assert.ok(Math.abs(r.llcMean - truth) < 4 * r.llcMcse, `λ̂ = ${r.llcMean} ± ${r.llcMcse}, closed form ${truth}`);
  assert.ok(r.llcMcse < 0.02, `MCSE ${r.llcMcse}`);
  for (const v of r.virialPerD) assert.ok(Math.abs(v - 1) < 0.1, `virial/d ${v}`);
  for (const a of r.acceptance) assert.ok(a > 0.3 && a < 0.9, `acceptance ${a}`);
  // Its stiffest direction: h_max = nβ·(largest eigenvalue of H) + γ, anywhere (U is quadratic).
  const hMax = nbeta * singularValues(stats.sxx, d, d)[0] + gamma;
  const probe = topCurvature(dlnLossFn(stats), Float64Array.from([0.3, -1, 2]), nbeta, gamma);
  assert.ok(Math.abs(probe - hMax) < 1e-4 * hMax, `h_max ${probe} vs ${hMax}`);
  // Seeded: the same seed gives the same numbers, another seed others.
  const again = exactLocalizedLlc(stats, Float64Array.from(wOls), { gamma, drawRelaxations: 2000, seed: 1 });
  assert.deepEqual(again.llcPerChain, r.llcPerChain);
  const other = exactLocalizedLlc(stats, Float64Array.from(wOls), { gamma, drawRelaxations: 2000, seed: 2 });
  assert.notDeepEqual(other.llcPerChain, r.llcPerChain);
});

test('exact sampler: a chain stopped by maxSteps says so; bad options name the value and the valid ones', () => {
  const { X, Y, wOls } = linearRegressionData(200, 2, 1);
  const stats = dlnStats([2, 1], X, Y, 200);
  const capped = exactLocalizedLlc(stats, Float64Array.from(wOls), { numChains: 1, maxSteps: 3000 });
  assert.equal(capped.capped, true);
  assert.equal(capped.burnin[0] + capped.draws[0], 3000);
  assert.throws(
    () => exactLocalizedLlc(stats, Float64Array.from(wOls), { targetAcceptance: 1.5 }),
    /targetAcceptance must lie in \(0, 1\), got 1.5/,
  );
  assert.throws(
    () => exactLocalizedLlc(stats, Float64Array.from(wOls), { epsilon: 1e-3 } as never),
    /unknown option 'epsilon'; valid: gamma, numChains/,
  );
  assert.throws(() => dlnStats([2, 1], X, Y, 201), /with n = 201 they need 402 and 201/);
});

test('samplerErrors: pairs SGLD with the exact reference by id and splits the error', () => {
  const [problem] = batteryProblems({ shapes: 1, problemSeeds: [0], regressionDims: [] });
  const ref = { problem, estimate: 4, mcse: 0.1, relError: 4 / problem.truth - 1, covered: false } as ReferenceResult;
  const sgld = { problem, estimate: 4.5, mcse: 0.1, flags: [] } as unknown as BatteryResult;
  const [e] = samplerErrors([sgld, { ...sgld, problem: { ...problem, id: 'other' } }], [ref]);
  assert.equal(samplerErrors([sgld], []).length, 0);
  assert.ok(Math.abs(e.samplerError - 0.125) < 1e-12);
  assert.ok(Math.abs(e.z - 0.5 / Math.hypot(0.1, 0.1)) < 1e-12);
  assert.equal(e.estimandError, ref.relError);
  assert.equal(samplerErrors([{ ...sgld, problem: { ...problem, n: 2 * problem.n } }], [ref]).length, 0);
  assert.throws(() => samplerErrors([sgld], [ref, ref]), /has two references/);
  const { stats, wStar, truth } = problemStats(problem);
  assert.equal(wStar.length, problem.numParams);
  assert.equal(stats.n, problem.n);
  assert.equal(truth, problem.truth);
});

test("samplerSummary: a sampler error over 10 % without a flag is silent; the estimand's own error is listed apart", () => {
  const [p1, p2, p3] = batteryProblems({ shapes: 3, problemSeeds: [0], regressionDims: [] });
  const ref = (problem: typeof p1, estimate: number) =>
    ({ problem, estimate, mcse: 0.05, relError: estimate / problem.truth - 1 }) as ReferenceResult;
  const sgld = (problem: typeof p1, estimate: number, flags: string[]) =>
    ({ problem, estimate, mcse: 0.05, flags }) as unknown as BatteryResult;
  const errors = samplerErrors(
    [sgld(p1, p1.truth * 1.2, []), sgld(p2, p2.truth * 1.3, ['drifting']), sgld(p3, p3.truth * 0.5 * 1.01, ['lowEss'])],
    [ref(p1, p1.truth), ref(p2, p2.truth), ref(p3, p3.truth * 0.5)],
  );
  const s = samplerSummary(errors);
  assert.equal(s.paired, 3);
  assert.equal(s.wrong, 2);
  assert.equal(s.caught, 1);
  assert.deepEqual(s.silent, [p1.id]);
  assert.equal(s.falseAlarms, 1);
  assert.deepEqual(s.estimandOff, [p3.id]);
  assert.ok(Math.abs(s.error.maxAbs - 0.3) < 1e-12);
  assert.ok(Math.abs(s.error.median - 0.2) < 1e-12);
  assert.equal(samplerSummary(errors, 0.25).silent.length, 0);
});

test('estimandMismatch: SGLD and exact at another n, γ or nβ do not estimate the same λ̂', () => {
  const at = { n: 2000, gamma: 1, nbeta: 2000 / Math.log(2000) };
  assert.equal(estimandMismatch(at, { ...at }), null);
  assert.match(estimandMismatch(at, { ...at, n: 20000 }) ?? '', /n 2000 vs 20000/);
  assert.match(estimandMismatch(at, { ...at, gamma: 10, nbeta: 1 }) ?? '', /gamma 1 vs 10, nbeta .* vs 1\)/);
});
