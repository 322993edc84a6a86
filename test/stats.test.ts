import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chiSquareUpperTail,
  fUpperTail,
  linearFit,
  meanCI,
  median,
  normalQuantile,
  ols,
  pairedTTest,
  pearson,
  tQuantile,
  tTwoSidedP,
  tUpperTail,
  welchTTest,
} from '../lib/math/stats';

// Every interval and p-value in the README comes from these functions, so each is pinned to
// reference values computed independently with SciPy 1.17.1 (scipy.stats: t.sf, t.ppf, chi2.sf,
// norm.ppf, ttest_ind(equal_var=False), ttest_1samp, ttest_rel with .confidence_interval(0.95),
// linregress); the Python that printed them is in the comment above each table.
const close = (got: number, ref: number, rel = 1e-8, what = '') =>
  assert.ok(Math.abs(got - ref) <= rel * Math.max(1, Math.abs(ref)), `${what}: ${got} vs reference ${ref}`);

test('median: middle value, mean of the two middle values, NaN when empty; input untouched', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('F upper tail matches reference values (SciPy stats.f.sf)', () => {
  for (const [f, d1, d2, ref] of [
    [3, 2, 10, 0.09536743164062497],
    [1.5, 7, 36, 0.19857194094455177],
    [10, 1, 5, 0.02503101581845295],
  ]) {
    assert.ok(
      Math.abs(fUpperTail(f, d1, d2) - ref) < 1e-9,
      `F(${f}; ${d1}, ${d2}) = ${fUpperTail(f, d1, d2)} vs ${ref}`,
    );
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
  for (const [x, y, r, p] of [
    [[1, 2, 3, 4, 5, 6], [1.1, 1.9, 3.2, 3.9, 5.1, 5.8], 0.9969677360790914, 1.3777996465018388e-5],
    [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8, 0.10408803866182782],
  ] as const) {
    const got = pearson([...x], [...y]);
    assert.ok(Math.abs(got.r - r) < 1e-12 && Math.abs(got.p - p) < 1e-9 * Math.max(1, p * 1e3), `${got.r} ${got.p}`);
  }
  assert.ok(Number.isNaN(pearson([1, 2], [2, 1]).r));
});

test('t upper tail and two-sided p match scipy.stats.t.sf, integer and fractional df', () => {
  // [(t, df, stats.t.sf(t, df)) for ...]
  const table = [
    [0.5, 1, 0.35241638234956674],
    [2.0, 3, 0.06966298427942152],
    [2.5, 7.3, 0.019825117332800214],
    [-1.2, 12, 0.8733526348732028],
    [4.0, 30, 0.0001909228180418782],
    [1.96, 200, 0.025692420422906648],
  ];
  for (const [t, df, ref] of table) {
    close(tUpperTail(t, df), ref, 1e-8, `P(T_${df} > ${t})`);
    close(tTwoSidedP(t, df), 2 * Math.min(ref, 1 - ref), 1e-8, `two-sided p(${t}, ${df})`);
  }
});

test('t quantiles match scipy.stats.t.ppf (the multipliers of every interval), including df = 1 and fractional df', () => {
  // [(q, df, stats.t.ppf(q, df)) for ...]
  const table = [
    [0.975, 1, 12.706204736174694],
    [0.975, 2, 4.302652729749462],
    [0.975, 4, 2.7764451051977934],
    [0.975, 10, 2.228138851986274],
    [0.995, 3.7, 4.8692522532278275],
    [0.9, 25, 1.31634507267387],
    [0.025, 6, -2.4469118511449794],
  ];
  for (const [q, df, ref] of table) close(tQuantile(q, df), ref, 1e-7, `t quantile ${q}, df ${df}`);
});

test('chi-square upper tail and the normal quantile match SciPy (chi2.sf, norm.ppf)', () => {
  const chi = [
    [3.841458820694124, 1, 0.04999999999999989],
    [10, 4, 0.04042768199451279],
    [18.307, 10, 0.05000058909139812],
    [0.5, 2, 0.7788007830714049],
    [40, 30, 0.10486428110798468],
  ];
  for (const [x, df, ref] of chi) close(chiSquareUpperTail(x, df), ref, 1e-8, `P(χ²_${df} > ${x})`);
  for (const [p, ref] of [
    [0.975, 1.959963984540054],
    [0.5, 0],
    [0.001, -3.090232306167813],
    [0.9999, 3.719016485455709],
  ])
    close(normalQuantile(p), ref, 1e-8, `Φ⁻¹(${p})`);
});

test('meanCI, paired and Welch t-tests match SciPy (ttest_1samp, ttest_rel, ttest_ind(equal_var=False))', () => {
  const ci = meanCI([1.0, 2.5, 3.1, 4.7, 2.2]);
  close(ci.mean, 2.7, 1e-12, 'mean');
  close(ci.lo, 1.0180149810599142, 1e-9, 'meanCI lo');
  close(ci.hi, 4.381985018940086, 1e-9, 'meanCI hi');
  assert.ok(Number.isNaN(meanCI([3]).halfWidth), 'one value has no interval');

  const paired = pairedTTest([1.2, 2.3, 3.1, 4.8], [0.9, 2.0, 3.5, 4.0]);
  close(paired.t, 1.0136060675992289, 1e-9, 'paired t');
  close(paired.p, 0.38541434192179036, 1e-8, 'paired p');
  close(paired.lo, -0.534931741978783, 1e-9, 'paired lo');
  close(paired.hi, 1.034931741978783, 1e-9, 'paired hi');
  assert.throws(() => pairedTTest([1, 2], [1]), /lengths differ \(2 vs 1\)/);

  const w = welchTTest([4.1, 5.3, 6.0, 5.5, 4.9], [3.0, 3.9, 2.7, 4.4]);
  close(w.t, 3.277025056208437, 1e-9, 'Welch t');
  close(w.df, 6.218125018100589, 1e-9, 'Welch–Satterthwaite df');
  close(w.p, 0.01603737488590116, 1e-8, 'Welch p');
  close(w.lo, 0.43096349798228406, 1e-8, 'Welch lo');
  close(w.hi, 2.8890365020177136, 1e-8, 'Welch hi');
});

test('linearFit matches scipy.stats.linregress (slope, intercept, r², 95 % slope interval)', () => {
  const f = linearFit([2, 3, 4, 5, 6, 7, 8, 9, 10], [5.3, 20, 33, 58.7, 85.8, 90, 110, 131, 150]);
  close(f.slope, 18.285000000000004, 1e-12, 'slope');
  close(f.intercept, -33.73222222222225, 1e-12, 'intercept');
  close(f.r2, 0.9915310588372529, 1e-12, 'r²');
  close(f.slopeLo, 16.77467823645815, 1e-9, 'slope lo');
  close(f.slopeHi, 19.795321763541857, 1e-9, 'slope hi');
});
