import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fUpperTail, median, ols, pearson } from '../lib/stats';

test('median: middle value, mean of the two middle values, NaN when empty; input untouched', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('F upper tail matches reference values (SciPy stats.f.sf)', () => {
  for (const [f, d1, d2, ref] of [[3, 2, 10, 0.09536743164062497], [1.5, 7, 36, 0.19857194094455177], [10, 1, 5, 0.02503101581845295]]) {
    assert.ok(Math.abs(fUpperTail(f, d1, d2) - ref) < 1e-9, `F(${f}; ${d1}, ${d2}) = ${fUpperTail(f, d1, d2)} vs ${ref}`);
  }
  assert.equal(fUpperTail(0, 3, 4), 1);
});

test('ols: coefficients and standard errors match NumPy (lstsq, σ̂²(XᵀX)⁻¹) and a singular design is an error naming the column', () => {
  const x = [1, 2, 3, 4, 5, 6];
  const fit = ols({ intercept: x.map(() => 1), x }, [1.1, 1.9, 3.2, 3.9, 5.1, 5.8]);
  const [a, b] = fit.coefficients;
  assert.ok(Math.abs(a.estimate - 0.12) < 1e-12 && Math.abs(b.estimate - 0.96571428571) < 1e-9);
  assert.ok(Math.abs(a.se - 0.14677485) < 1e-7 && Math.abs(b.se - 0.0376883) < 1e-7, `${a.se} ${b.se}`);
  assert.equal(fit.df, 4);
  assert.ok(b.lo < b.estimate && b.estimate < b.hi && b.p < 1e-4);
  assert.throws(() => ols({ one: x.map(() => 1), two: x.map(() => 2) }, x), /singular.*'two'/);
});

test('pearson (simple-statistics r, our t tail) matches SciPy stats.pearsonr', () => {
  for (const [x, y, r, p] of [[[1, 2, 3, 4, 5, 6], [1.1, 1.9, 3.2, 3.9, 5.1, 5.8], 0.9969677360790914, 1.3777996465018388e-5], [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8, 0.10408803866182782]] as const) {
    const got = pearson([...x], [...y]);
    assert.ok(Math.abs(got.r - r) < 1e-12 && Math.abs(got.p - p) < 1e-9 * Math.max(1, p * 1e3), `${got.r} ${got.p}`);
  }
  assert.ok(Number.isNaN(pearson([1, 2], [2, 1]).r));
});
