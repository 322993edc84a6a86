/**
 * Small statistics for summaries: Student-t quantiles and tails, confidence
 * intervals, ordinary least squares with standard errors, the paired and Welch
 * t-tests, the normal quantile and the χ² and F tails. The median and the
 * correlation come from `simple-statistics`; what it lacks (the t, F and χ²
 * distributions, intervals, OLS standard errors) is here, pinned by reference
 * values in test/stats.test.ts. mean and variance stay here: they take typed arrays
 * and return NaN for too few values where simple-statistics throws.
 */
import { median as ssMedian, sampleCorrelation } from 'simple-statistics';

/** Arithmetic mean. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample variance (n − 1). */
export function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - 1);
}

/** ln Γ(x), Lanczos approximation (Numerical Recipes §6.1). */
function lnGamma(x: number): number {
  // The coefficients as Numerical Recipes prints them; each literal rounds to the nearest double.
  /* eslint-disable no-loss-of-precision */
  const c = [
    76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2,
    -0.5395239384953e-5,
  ];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const ci of c) ser += ci / ++y;
  return -tmp + Math.log((2.5066282746310005 * ser) / x);
  /* eslint-enable no-loss-of-precision */
}

/** Continued fraction of the incomplete beta function (Numerical Recipes §6.4). */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / (Math.abs(1 + aa * d) < tiny ? tiny : 1 + aa * d);
    c = Math.abs(1 + aa / c) < tiny ? tiny : 1 + aa / c;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-12) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom. */
export function tUpperTail(t: number, df: number): number {
  const p = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? p : 1 - p;
}

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): series for x < a + 1, else Lentz's continued fraction (Numerical Recipes §6.2). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 1000 && Math.abs(del) > Math.abs(sum) * 1e-15; n++) {
      del *= x / ++ap;
      sum += del;
    }
    return Math.max(0, 1 - sum * front);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return front * h;
}

/** P(X > x) for X ~ χ² with `df` degrees of freedom (NaN unless df > 0). */
export function chiSquareUpperTail(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return NaN;
  return gammaQ(df / 2, x / 2);
}

// Wichura's AS241 (PPND16) coefficients, lowest degree first: |relative error| < 1e-16.
// Printed as published (20 digits); each literal rounds to the nearest double, as intended.
/* eslint-disable no-loss-of-precision */
const AS241 = {
  a: [
    3.387132872796366608, 1.3314166789178437745e2, 1.9715909503065514427e3, 1.3731693765509461125e4,
    4.5921953931549871457e4, 6.7265770927008700853e4, 3.3430575583588128105e4, 2.5090809287301226727e3,
  ],
  b: [
    1, 4.2313330701600911252e1, 6.871870074920579083e2, 5.3941960214247511077e3, 2.1213794301586595867e4,
    3.930789580009271061e4, 2.8729085735721942674e4, 5.226495278852854561e3,
  ],
  c: [
    1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
    1.27045825245236838258, 2.4178072517745061177e-1, 2.27238449892691845833e-2, 7.7454501427834140764e-4,
  ],
  d: [
    1, 2.05319162663775882187, 1.6763848301838038494, 6.8976733498510000455e-1, 1.4810397642748007459e-1,
    1.51986665636164571966e-2, 5.475938084995344946e-4, 1.05075007164441684324e-9,
  ],
  e: [
    6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 2.9656057182850489123e-1,
    2.6532189526576123093e-2, 1.2426609473880784386e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
  ],
  f: [
    1, 5.9983220655588793769e-1, 1.3692988092273580531e-1, 1.48753612908506148525e-2, 7.868691311456132591e-4,
    1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
  ],
};
/* eslint-enable no-loss-of-precision */

const horner = (cs: number[], x: number): number => cs.reduceRight((acc, c) => acc * x + c, 0);

/**
 * Φ⁻¹(p), the standard normal quantile, by Wichura's algorithm AS241 (Appl. Statist. 37,
 * 477–484, 1988): rational approximations in the centre (|p − ½| ≤ 0.425) and in two tail
 * ranges of r = √(−log min(p, 1 − p)). ±Infinity at 0 and 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * horner(AS241.a, r)) / horner(AS241.b, r);
  }
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const x =
    r <= 5 ? horner(AS241.c, r - 1.6) / horner(AS241.d, r - 1.6) : horner(AS241.e, r - 5) / horner(AS241.f, r - 5);
  return q < 0 ? -x : x;
}

/** Two-sided p-value of a t statistic. */
export function tTwoSidedP(t: number, df: number): number {
  return Math.min(1, 2 * tUpperTail(Math.abs(t), df));
}

/** The q-quantile of Student's t (bisection on the tail; |error| < 1e-10). */
export function tQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1) || !(df > 0)) return NaN;
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (1 - tUpperTail(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Interval {
  mean: number;
  sd: number;
  n: number;
  /** Half-width of the two-sided t interval (NaN with n < 2). */
  halfWidth: number;
  lo: number;
  hi: number;
}

/** Mean with a two-sided `level` t confidence interval (default 95 %). */
export function meanCI(xs: number[], level = 0.95): Interval {
  const n = xs.length;
  const m = n ? mean(xs) : NaN;
  const sd = n > 1 ? Math.sqrt(variance(xs)) : NaN;
  const halfWidth = n > 1 ? (tQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n) : NaN;
  return { mean: m, sd, n, halfWidth, lo: m - halfWidth, hi: m + halfWidth };
}

/** Two-sided p of the one-sample t-test that an interval's mean is 0 (NaN with fewer than 2 values). */
export function meanTestP(ci: Interval): number {
  return ci.n > 1 ? tTwoSidedP(ci.mean / (ci.sd / Math.sqrt(ci.n)), ci.n - 1) : NaN;
}

export interface LinearFit {
  slope: number;
  intercept: number;
  r2: number;
  /** 95 % interval of the slope. */
  slopeLo: number;
  slopeHi: number;
  n: number;
}

/** Ordinary least squares y = a + b x, with the t interval of the slope. */
export function linearFit(x: number[], y: number[], level = 0.95): LinearFit {
  const n = x.length;
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const sse = Math.max(0, syy - slope * sxy);
  const se = n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : NaN;
  const tq = n > 2 ? tQuantile(1 - (1 - level) / 2, n - 2) : NaN;
  return { slope, intercept, r2: syy > 0 ? 1 - sse / syy : NaN, slopeLo: slope - tq * se, slopeHi: slope + tq * se, n };
}

/** Paired t-test of a − b: mean difference with its interval, t, df and two-sided p. */
export function pairedTTest(a: number[], b: number[], level = 0.95): Interval & { t: number; df: number; p: number } {
  if (a.length !== b.length) throw new Error(`pairedTTest: lengths differ (${a.length} vs ${b.length})`);
  const d = a.map((v, i) => v - b[i]);
  const ci = meanCI(d, level);
  const t = ci.mean / (ci.sd / Math.sqrt(ci.n));
  const df = ci.n - 1;
  return { ...ci, t, df, p: df > 0 ? tTwoSidedP(t, df) : NaN };
}

export interface TwoSampleTest {
  /** mean(a) − mean(b), with its two-sided t-interval (Welch–Satterthwaite degrees of freedom). */
  difference: number;
  lo: number;
  hi: number;
  t: number;
  df: number;
  p: number;
  meanA: number;
  meanB: number;
  nA: number;
  nB: number;
}

/** Welch's two-sample t-test of mean(a) − mean(b) (unequal variances). NaN interval with fewer than 2 values per side. */
export function welchTTest(a: number[], b: number[], level = 0.95): TwoSampleTest {
  const ca = meanCI(a);
  const cb = meanCI(b);
  const va = ca.n > 1 ? ca.sd ** 2 / ca.n : NaN;
  const vb = cb.n > 1 ? cb.sd ** 2 / cb.n : NaN;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (ca.n - 1) + vb ** 2 / (cb.n - 1));
  const difference = ca.mean - cb.mean;
  const t = difference / se;
  const half = se > 0 && df > 0 ? tQuantile(1 - (1 - level) / 2, df) * se : NaN;
  return {
    difference,
    lo: difference - half,
    hi: difference + half,
    t,
    df,
    p: df > 0 && Number.isFinite(t) ? tTwoSidedP(t, df) : NaN,
    meanA: ca.mean,
    meanB: cb.mean,
    nA: ca.n,
    nB: cb.n,
  };
}

/** Pearson correlation with its two-sided p-value (t with n − 2 df); NaN with fewer than 3 pairs. */
export function pearson(x: number[], y: number[]): { r: number; n: number; p: number } {
  const n = x.length;
  if (n < 3) return { r: NaN, n, p: NaN };
  const r = sampleCorrelation(x, y);
  const t = (r * Math.sqrt(n - 2)) / Math.sqrt(Math.max(1e-300, 1 - r * r));
  return { r, n, p: tTwoSidedP(t, n - 2) };
}

/** Median (mean of the two middle values for an even count; NaN when empty). */
export function median(xs: number[]): number {
  return xs.length ? ssMedian(xs) : NaN;
}

/** P(F > f) for Snedecor's F with (d1, d2) degrees of freedom: I_{d2/(d2 + d1 f)}(d2/2, d1/2). */
export function fUpperTail(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

export interface Coefficient {
  name: string;
  estimate: number;
  se: number;
  /** Two-sided `level` t interval (n − p df). */
  lo: number;
  hi: number;
  t: number;
  p: number;
}

export interface OlsFit {
  coefficients: Coefficient[];
  /** Residual sum of squares and its degrees of freedom (n − p). */
  sse: number;
  df: number;
  n: number;
}

/**
 * Ordinary least squares y = X β with named columns (include a column of ones for an
 * intercept), standard errors from σ̂²(XᵀX)⁻¹ and t intervals. Solved by Gauss–Jordan
 * elimination with partial pivoting in float64 (the designs here have a handful of columns).
 */
export function ols(columns: Record<string, number[]>, y: number[], level = 0.95): OlsFit {
  const names = Object.keys(columns);
  const p = names.length;
  const n = y.length;
  for (const c of names)
    if (columns[c].length !== n) throw new Error(`ols: column '${c}' has ${columns[c].length} values, y has ${n}`);
  if (n <= p) throw new Error(`ols: ${n} observations cannot fit ${p} coefficients`);
  // [XᵀX | I | Xᵀy], reduced to [I | (XᵀX)⁻¹ | β].
  const A = names.map((a, i) => {
    const row = new Float64Array(2 * p + 1);
    names.forEach((b, j) => (row[j] = columns[a].reduce((s, v, t) => s + v * columns[b][t], 0)));
    row[p + i] = 1;
    row[2 * p] = columns[a].reduce((s, v, t) => s + v * y[t], 0);
    return row;
  });
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    if (Math.abs(A[piv][c]) < 1e-12 * Math.max(1, Math.abs(A[c][c])))
      throw new Error(`ols: the design is singular (column '${names[c]}' is a combination of the others)`);
    [A[c], A[piv]] = [A[piv], A[c]];
    const d = A[c][c];
    for (let k = 0; k < 2 * p + 1; k++) A[c][k] /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r][c];
      if (f !== 0) for (let k = 0; k < 2 * p + 1; k++) A[r][k] -= f * A[c][k];
    }
  }
  const beta = A.map((row) => row[2 * p]);
  let sse = 0;
  for (let t = 0; t < n; t++) sse += (y[t] - names.reduce((s, c, j) => s + beta[j] * columns[c][t], 0)) ** 2;
  const df = n - p;
  const s2 = sse / df;
  const tq = tQuantile(1 - (1 - level) / 2, df);
  const coefficients = names.map((name, j) => {
    const se = Math.sqrt(s2 * A[j][p + j]);
    const t = beta[j] / se;
    return {
      name,
      estimate: beta[j],
      se,
      lo: beta[j] - tq * se,
      hi: beta[j] + tq * se,
      t,
      p: se > 0 ? tTwoSidedP(t, df) : NaN,
    };
  });
  return { coefficients, sse, df, n };
}
