import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dlnLambda, dlnLambdaDetails, parameterCount, rrrLambda, rrrLambdaDetails } from '../lib/validation/aoyagi';

const close = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${message ?? ''} expected ${expected}, got ${actual}`);

/** Every width list of the given length with entries in 1..max. */
function* widthLists(length: number, max: number): Generator<number[]> {
  if (length === 0) {
    yield [];
    return;
  }
  for (const rest of widthLists(length - 1, max)) for (let h = 1; h <= max; h++) yield [...rest, h];
}

/** Small grid of networks with 1–4 weight matrices, every admissible rank. */
function* smallCases(): Generator<[number[], number]> {
  const grid: [number, number][] = [
    [2, 6],
    [3, 6],
    [4, 4],
    [5, 3],
  ];
  for (const [length, max] of grid) {
    for (const widths of widthLists(length, max)) {
      for (let r = 0; r <= Math.min(...widths); r++) yield [widths, r];
    }
  }
}

test('parameterCount is Σ H_i H_{i+1}', () => {
  assert.equal(parameterCount([3, 5]), 15);
  assert.equal(parameterCount([784, 100, 10]), 78400 + 1000);
  assert.equal(parameterCount([2, 3, 4, 5]), 6 + 12 + 20);
});

test('a single layer is regular: λ = d/2 for every rank', () => {
  for (const [h1, h2] of [
    [1, 1],
    [3, 5],
    [7, 2],
    [10, 10],
  ]) {
    const d = parameterCount([h1, h2]);
    close(dlnLambda([h1, h2], Math.min(h1, h2)), d / 2, `full rank [${h1}, ${h2}]:`);
    for (let r = 0; r <= Math.min(h1, h2); r++) close(dlnLambda([h1, h2], r), d / 2, `[${h1}, ${h2}] r=${r}:`);
  }
});

test('two layers: dlnLambda (Aoyagi 2024) equals rrrLambda (Aoyagi & Watanabe 2005) on a grid', () => {
  let count = 0;
  for (let M = 1; M <= 7; M++) {
    for (let H = 1; H <= 7; H++) {
      for (let N = 1; N <= 7; N++) {
        for (let r = 0; r <= Math.min(M, H, N); r++) {
          close(dlnLambda([M, H, N], r), rrrLambda(M, H, N, r), `(M,H,N,r)=(${M},${H},${N},${r}):`);
          const dln = dlnLambdaDetails([M, H, N], r);
          assert.equal(
            dln.multiplicity,
            rrrLambdaDetails(M, H, N, r).multiplicity,
            `multiplicity at (${M},${H},${N},${r})`,
          );
          count++;
        }
      }
    }
  }
  assert.ok(count > 1000);
});

test('two layers, rank = min(M, N) ≤ H: the product is full rank and λ = MN/2', () => {
  for (const [M, H, N] of [
    [3, 3, 5],
    [3, 4, 5],
    [5, 6, 2],
    [4, 4, 4],
    [2, 9, 3],
  ]) {
    const r = Math.min(M, N);
    close(rrrLambda(M, H, N, r), (M * N) / 2, `rrr (${M},${H},${N}):`);
    close(dlnLambda([M, H, N], r), (M * N) / 2, `dln (${M},${H},${N}):`);
    close(dlnLambda([M, H, N], r), (r * (M + N - r)) / 2);
    assert.ok(dlnLambda([M, H, N], r) < parameterCount([M, H, N]) / 2, 'the hidden layer still adds degeneracy');
  }
});

test('hand-computed RRR values from the literature', () => {
  // Drton & Plummer (2017), JRSS-B 79, Table 1: N = 5 responses, M = 3 covariates,
  // λ_ij for model rank i (= hidden width H) and true rank j.
  const drtonPlummer: [number, number, number][] = [
    [1, 0, 3 / 2],
    [1, 1, 7 / 2],
    [2, 0, 3],
    [2, 1, 9 / 2],
    [2, 2, 6],
    [3, 0, 9 / 2],
    [3, 1, 11 / 2],
    [3, 2, 13 / 2],
    [3, 3, 15 / 2],
  ];
  for (const [H, r, expected] of drtonPlummer) {
    close(rrrLambda(3, H, 5, r), expected, `Drton–Plummer H=${H} r=${r}:`);
    close(dlnLambda([3, H, 5], r), expected, `Drton–Plummer as DLN H=${H} r=${r}:`);
  }
  // devinterp tests/slt/rrr_test.py (timaeus-research/devinterp), true rank 0, one per case.
  const devinterp: [[number, number, number], string, number][] = [
    [[5, 3, 5], '1-odd', 13 / 2], // (1 + 2·25 + 2·15 + 2·15 − 25 − 25 − 9)/8
    [[5, 4, 5], '1-even', 8], // (2·25 + 2·20 + 2·20 − 25 − 25 − 16)/8
    [[4, 3, 8], '2', 6], // M·H/2
    [[8, 3, 4], '3', 6], // H·N/2
    [[3, 8, 4], '4', 6], // M·N/2
  ];
  for (const [[M, H, N], kase, expected] of devinterp) {
    const got = rrrLambdaDetails(M, H, N, 0);
    assert.equal(got.case, kase, `case of (${M},${H},${N})`);
    close(got.lambda, expected, `devinterp (${M},${H},${N}):`);
    close(dlnLambda([M, H, N], 0), expected);
  }
});

test('hand-computed deep values', () => {
  // Width-1 chain: K(w) = (w_1⋯w_L)², whose RLCT is 1/2 with multiplicity L (normal
  // crossing; Watanabe 2009, "Algebraic Geometry and Statistical Learning Theory").
  for (let L = 1; L <= 6; L++) {
    const widths = Array<number>(L + 1).fill(1);
    const zero = dlnLambdaDetails(widths, 0);
    close(zero.lambda, 1 / 2, `chain L=${L}, r=0:`);
    assert.equal(zero.multiplicity, L);
    // True product 1: the smooth hypersurface w_1⋯w_L = 1 has codimension 1.
    const one = dlnLambdaDetails(widths, 1);
    close(one.lambda, 1 / 2, `chain L=${L}, r=1:`);
    assert.equal(one.multiplicity, 1);
  }
  // Aoyagi (2024) Theorem 1 by hand for H = (2,2,2,2), r = 0: M_j = 2, Σ = all four,
  // ℓ = 3, ΣM = 8, M̄ = ⌈8/3⌉ = 3, a = 8 − 2·3 = 2;
  // λ = 0 + 2·1/12 − (3·2/4)(8/3)² + ½·6·4 = 1/6 − 32/3 + 12 = 3/2, θ = 2·1 + 1 = 3.
  const deep = dlnLambdaDetails([2, 2, 2, 2], 0);
  close(deep.lambda, 3 / 2);
  assert.equal(deep.multiplicity, 3);
  assert.deepEqual([deep.ell, deep.a, deep.subset], [3, 2, [0, 1, 2, 3]]);
  // H = (3, 1, 5, 4), r = 1: M = (2, 0, 4, 3) has a zero, so Remark 1 gives
  // λ = (−1 + 1·(3 + 4))/2 = 3 and Σ = {zero} ∪ {argmin of the positive M} = {0, 1}.
  const remark = dlnLambdaDetails([3, 1, 5, 4], 1);
  close(remark.lambda, 3);
  assert.ok(remark.degenerate);
  assert.deepEqual(remark.subset, [0, 1]);
  // H = (5, 3, 4, 6), r = 1: M = (4, 2, 3, 5). The two smallest M values {2, 3} give ℓ = 1,
  // but ΣM = 5 ≥ 1·4 breaks (iii); the three smallest {2, 3, 4} give ℓ = 2, ΣM = 9 ≥ 2·4 and
  // 9 < 2·5, M̄ = ⌈9/2⌉ = 5, a = 9 − 4·2 = 1;
  // λ = (−1 + 11)/2 + 1·1/8 − (2·1/4)(9/2)² + ½(6 + 8 + 12) = 5 + 1/8 − 81/8 + 13 = 8, θ = 2.
  const mixed = dlnLambdaDetails([5, 3, 4, 6], 1);
  close(mixed.lambda, 8);
  assert.equal(mixed.multiplicity, 2);
  assert.deepEqual(mixed.subset, [0, 1, 2]);
});

test('λ ≤ d/2, λ ≥ r(H_1 + H_{L+1} − r)/2, and reversing the widths changes nothing', () => {
  for (const [widths, r] of smallCases()) {
    const lambda = dlnLambda(widths, r);
    const d = parameterCount(widths);
    assert.ok(lambda > 0, `λ > 0 at [${widths}] r=${r}`);
    assert.ok(lambda <= d / 2 + 1e-9, `λ = ${lambda} > d/2 = ${d / 2} at [${widths}] r=${r}`);
    const base = (r * (widths[0] + widths[widths.length - 1] - r)) / 2;
    assert.ok(lambda >= base - 1e-9, `λ below r(H_1+H_{L+1}−r)/2 at [${widths}] r=${r}`);
    close(dlnLambda([...widths].reverse(), r), lambda, `reversed [${widths}] r=${r}:`);
  }
});

test('λ is non-decreasing in the true rank (and not always strictly)', () => {
  for (const length of [2, 3, 4, 5]) {
    for (const widths of widthLists(length, length <= 3 ? 6 : length === 4 ? 4 : 3)) {
      for (let r = 1; r <= Math.min(...widths); r++) {
        const lo = dlnLambda(widths, r - 1);
        const hi = dlnLambda(widths, r);
        assert.ok(hi >= lo - 1e-9, `λ decreased from r=${r - 1} (${lo}) to r=${r} (${hi}) at [${widths}]`);
      }
    }
  }
  // Ties happen: K = (ab)² and K = (ab − 1)² both have λ = 1/2.
  close(dlnLambda([1, 1, 1], 0), dlnLambda([1, 1, 1], 1));
  // …and strict increase in a generic case.
  const lambdas = [0, 1, 2, 3].map((r) => dlnLambda([4, 3, 5, 6], r));
  for (let r = 1; r < lambdas.length; r++) assert.ok(lambdas[r] > lambdas[r - 1]);
});

test('λ = r(H_1 + H_{L+1} − r)/2 exactly when the rank equals the smallest width (Aoyagi 2024, Remark 1)', () => {
  // When r = min width some M_j = 0 and Remark 1 gives the dimension count of rank-r
  // H_{L+1} × H_1 matrices; for smaller ranks the singular fibre adds to λ.
  for (const [widths, r] of smallCases()) {
    const base = (r * (widths[0] + widths[widths.length - 1] - r)) / 2;
    const equal = Math.abs(dlnLambda(widths, r) - base) < 1e-9;
    assert.equal(equal, r === Math.min(...widths), `[${widths}] r=${r}`);
  }
  // e.g. a bottleneck of width r that the truth uses fully:
  close(dlnLambda([10, 4, 8, 12], 4), (4 * (10 + 12 - 4)) / 2);
  assert.ok(dlnLambda([10, 4, 8, 12], 3) > (3 * (10 + 12 - 3)) / 2);
});

test('invalid inputs are rejected with the bad value named', () => {
  assert.throws(() => dlnLambda([3], 0), /at least 2 entries.*got 1/);
  assert.throws(() => dlnLambda([], 0), /at least 2 entries.*got 0/);
  assert.throws(() => dlnLambda([3, 2.5, 4], 1), /widths\[1\] must be an integer, got 2\.5/);
  assert.throws(() => dlnLambda([3, 0, 4], 0), /widths\[1\] must be positive, got 0/);
  assert.throws(() => dlnLambda([3, -2, 4], 0), /widths\[1\] must be positive, got -2/);
  assert.throws(() => dlnLambda([3, Number.NaN], 0), /widths\[1\] must be an integer, got NaN/);
  assert.throws(() => dlnLambda([3, 2, 4], 3), /rank 3 exceeds the smallest width 2/);
  assert.throws(() => dlnLambda([3, 2, 4], -1), /rank must be ≥ 0, got -1/);
  assert.throws(() => dlnLambda([3, 2, 4], 0.5), /rank must be an integer, got 0\.5/);
  assert.throws(() => parameterCount([5]), /at least 2 entries/);
  assert.throws(() => parameterCount([5, 1.5]), /widths\[1\] must be an integer, got 1\.5/);
  assert.throws(() => rrrLambda(3, 2, 4, 3), /r \(true rank\) 3 exceeds min\(M, H, N\) = 2/);
  assert.throws(() => rrrLambda(0, 2, 4, 0), /M \(input width\) must be positive, got 0/);
  assert.throws(() => rrrLambda(3, 2.2, 4, 0), /H \(hidden width\) must be an integer, got 2\.2/);
  assert.throws(() => rrrLambda(3, 2, 4, -1), /r \(true rank\) must be ≥ 0, got -1/);
});
