/**
 * Summaries of result rows: λ̂ by (architecture, k) with 95 % intervals, linear
 * fits of λ̂ against k, the paired MLP − CNN gap, crossover points of label orders.
 * Plain arrays in, plain arrays out; `toDataFrame` turns any of them into a danfo DataFrame.
 */
/** A danfo DataFrame: danfojs ships no type declarations that resolve here, so its documented API is used untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type DataFrame = any;
import { ResultRow } from '../experiments/experiment';
import { Architecture } from '../models/models';
import {
  Coefficient,
  fUpperTail,
  linearFit,
  LinearFit,
  meanCI,
  median,
  ols,
  OlsFit,
  pairedTTest,
  meanTestP,
} from '../math/stats';

export interface SummaryOptions {
  /**
   * Rows left out: 'failed' (default: every chain failed, by divergence or a blow-up, so there
   * is no λ̂ to average), 'flagged' (also any row with a diagnostic flag), or 'none'.
   */
  exclude?: 'none' | 'failed' | 'flagged';
  level?: number;
}

export interface SummaryRow {
  architecture: Architecture;
  k: number;
  mean: number;
  sd: number;
  count: number;
  ciLo: number;
  ciHi: number;
  /** Rows with no finite λ̂ / with any flag, among all rows of the group (before exclusion). */
  failed: number;
  flagged: number;
  excluded: number;
  /** Why rows were left out, e.g. "2 diverged, 1 exceedsHalfDim" ('' when none were). */
  dropped: string;
  testAccuracy: number;
}

/** Left-out rows counted by reason ('' when none). */
export function droppedReasons(rows: ResultRow[], exclude: SummaryOptions['exclude'] = 'failed'): string {
  const counts = new Map<string, number>();
  for (const r of rows)
    if (excluded(r, exclude)) {
      const why = r.failed ? (r.failReason ?? 'diverged') : [...new Set(r.flags)].join('+');
      counts.set(why, (counts.get(why) ?? 0) + 1);
    }
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

function excluded(r: ResultRow, exclude: SummaryOptions['exclude'] = 'failed'): boolean {
  return (exclude === 'failed' && r.failed) || (exclude === 'flagged' && (r.failed || r.flags.length > 0));
}

/** Items grouped by key, groups and items in first-seen order. */
export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(it);
  }
  return m;
}

/** Mean, sd, count and t interval of λ̂ by (architecture, k); failed rows are left out (and counted) unless `exclude: 'none'`. */
export function summarize(rows: ResultRow[], options: SummaryOptions = {}): SummaryRow[] {
  const out: SummaryRow[] = [];
  for (const group of groupBy(rows, (r) => `${r.architecture}|${r.k}`).values()) {
    const kept = group.filter((r) => !excluded(r, options.exclude));
    const ci = meanCI(
      kept.map((r) => r.llcMean),
      options.level,
    );
    out.push({
      architecture: group[0].architecture,
      k: group[0].k,
      mean: ci.mean,
      sd: ci.sd,
      count: ci.n,
      ciLo: ci.lo,
      ciHi: ci.hi,
      failed: group.filter((r) => r.failed).length,
      flagged: group.filter((r) => r.flags.length > 0).length,
      excluded: group.length - kept.length,
      dropped: droppedReasons(group, options.exclude),
      testAccuracy: meanCI(kept.map((r) => r.testAccuracy)).mean,
    });
  }
  return out.sort((a, b) => (a.architecture < b.architecture ? -1 : a.architecture > b.architecture ? 1 : a.k - b.k));
}

export interface FitRow extends LinearFit {
  architecture: Architecture;
}

/** λ̂ = intercept + slope · k per architecture, fitted to every (non-excluded) row. */
export function fitByArchitecture(rows: ResultRow[], options: SummaryOptions = {}): FitRow[] {
  return [
    ...groupBy(
      rows.filter((r) => !excluded(r, options.exclude ?? 'failed') && Number.isFinite(r.llcMean)),
      (r) => r.architecture,
    ).values(),
  ].map((g) => ({
    architecture: g[0].architecture,
    ...linearFit(
      g.map((r) => r.k),
      g.map((r) => r.llcMean),
      options.level,
    ),
  }));
}

export interface GapRow {
  k: number;
  /** Mean of MLP − CNN over seeds paired by seed (and order). */
  gap: number;
  ciLo: number;
  ciHi: number;
  pairs: number;
  t: number;
  p: number;
  mlpAccuracy: number;
  cnnAccuracy: number;
}

const pairKey = (r: ResultRow) => `${r.k}|${r.seed}|${r.order}|${r.numTrain}`;

export interface GapPair {
  k: number;
  seed: number;
  order: string;
  mlp: ResultRow;
  cnn: ResultRow;
}

/** The MLP and CNN rows of the same cell (k, seed, order, n), as pairs, in row order. */
export function gapPairs(rows: ResultRow[], options: SummaryOptions = {}): GapPair[] {
  const kept = rows.filter((r) => !excluded(r, options.exclude));
  const cnn = new Map(kept.filter((r) => r.architecture === 'cnn').map((r) => [pairKey(r), r]));
  return kept
    .filter((r) => r.architecture === 'mlp' && cnn.has(pairKey(r)))
    .map((m) => ({ k: m.k, seed: m.seed, order: m.order, mlp: m, cnn: cnn.get(pairKey(m))! }));
}

/** MLP − CNN per k, paired by (seed, order), with a paired t-test. */
export function gapByK(rows: ResultRow[], options: SummaryOptions = {}): GapRow[] {
  return [...groupBy(gapPairs(rows, options), (p) => String(p.k)).values()]
    .map((g) => {
      const t = pairedTTest(
        g.map((p) => p.mlp.llcMean),
        g.map((p) => p.cnn.llcMean),
        options.level,
      );
      return {
        k: g[0].mlp.k,
        gap: t.mean,
        ciLo: t.lo,
        ciHi: t.hi,
        pairs: t.n,
        t: t.t,
        p: t.p,
        mlpAccuracy: meanCI(g.map((p) => p.mlp.testAccuracy)).mean,
        cnnAccuracy: meanCI(g.map((p) => p.cnn.testAccuracy)).mean,
      };
    })
    .sort((a, b) => a.k - b.k);
}

export interface CrossoverRow {
  order: string;
  /** Gap MLP − CNN at each k of the order. */
  gaps: { k: number; gap: number }[];
  /** The smallest k from which the gap stays > 0 up to the largest k (NaN if the last gap is ≤ 0). */
  crossover: number;
  /** Number of sign changes along k (1 = one clean crossover). */
  signChanges: number;
}

/** Per label order: where MLP − CNN changes sign (the comment thread's crossover near five classes). */
export function crossovers(rows: ResultRow[], options: SummaryOptions = {}): CrossoverRow[] {
  return [
    ...groupBy(
      rows.filter((r) => !excluded(r, options.exclude)),
      (r) => r.order,
    ).values(),
  ].map((g) => {
    const gaps = gapByK(g).map((x) => ({ k: x.k, gap: x.gap }));
    let crossover = NaN;
    for (let i = gaps.length - 1; i >= 0 && gaps[i].gap > 0; i--) crossover = gaps[i].k;
    let signChanges = 0;
    for (let i = 1; i < gaps.length; i++) if (Math.sign(gaps[i].gap) !== Math.sign(gaps[i - 1].gap)) signChanges++;
    return { order: g[0].order, gaps, crossover, signChanges };
  });
}

export interface OrderGapRow {
  k: number;
  /** Mean of MLP − CNN over label orders, its sd across orders and 95 % t-interval. */
  meanGap: number;
  sdAcrossOrders: number;
  ciLo: number;
  ciHi: number;
  orders: number;
  /** Orders whose gap at this k is positive. */
  positive: number;
}

/** The gap at each k across label orders: how much of it is the number of classes, how much the order. */
export function gapAcrossOrders(orders: CrossoverRow[], level = 0.95): OrderGapRow[] {
  const ks = [...new Set(orders.flatMap((o) => o.gaps.map((g) => g.k)))].sort((a, b) => a - b);
  return ks.map((k) => {
    const g = orders.map((o) => o.gaps.find((x) => x.k === k)?.gap).filter((v): v is number => v != null);
    const ci = meanCI(g, level);
    return {
      k,
      meanGap: ci.mean,
      sdAcrossOrders: ci.sd,
      ciLo: ci.lo,
      ciHi: ci.hi,
      orders: ci.n,
      positive: g.filter((v) => v > 0).length,
    };
  });
}

/**
 * Is "the curves cross near k classes" a property of the number of classes? Not when the
 * crossover moves by 2 or more across label orders, or when most orders' gap flips sign
 * more than once along k (then the gap is noise-dominated and no crossover is defined).
 */
export function crossoverStability(orders: CrossoverRow[]): { stable: boolean; spread: number; flipping: number } {
  const xs = orders.map((o) => o.crossover).filter(Number.isFinite);
  const spread = xs.length ? Math.max(...xs) - Math.min(...xs) : NaN;
  const flipping = orders.filter((o) => o.signChanges > 1).length;
  return { stable: !(spread >= 2 || flipping > orders.length / 2), spread, flipping };
}

/** Any array of flat records as a danfo DataFrame (danfo is loaded on first use: it is slow to import). */
export function toDataFrame(records: object[], columns?: string[]): DataFrame {
  const dfd = require('danfojs');
  // Every record gets every column (NaN where it has none: e.g. a label order missing a k whose cells failed).
  const keys = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  const flat = records.map((r) => {
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      const v = (r as Record<string, unknown>)[k];
      o[k] =
        v === undefined
          ? NaN
          : typeof v === 'number' && !Number.isInteger(v)
            ? Number(v.toPrecision(5))
            : Array.isArray(v)
              ? v.join(',')
              : v; // integers (counts, parameters) stay exact
    }
    return o;
  });
  return new dfd.DataFrame(flat);
}

/** The columns of a results table, in the order people read them. */
export const RESULT_COLUMNS = [
  'architecture',
  'k',
  'seed',
  'order',
  'loss',
  'epsilon',
  'gamma',
  'nbeta',
  'llcMean',
  'llcMcse',
  'failed',
  'failReason',
  'flags',
  'acceptance',
  'rhatRank',
  'essBulk',
  'testAccuracy',
  'trainLoss',
  'epochs',
  'stoppedBecause',
  'numTrain',
  'numParams',
  'backend',
  'trainSeconds',
  'llcSeconds',
];

/** One flat record per cell (settings and results), for a DataFrame or a CSV file. */
export function resultRecords(rows: ResultRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    ...r,
    loss: r.config.loss,
    epsilon: r.config.llc.epsilon,
    gamma: r.config.llc.gamma,
    nbeta: r.nbeta,
    flags: [...new Set(r.flags)].join(' '),
    acceptance: r.acceptancePerChain?.length
      ? r.acceptancePerChain.reduce((a, b) => a + b, 0) / r.acceptancePerChain.length
      : NaN,
  }));
}

/** Rows of a sweep as a danfo DataFrame (RESULT_COLUMNS): groupby, describe, toCSV as usual. */
export function resultsFrame(rows: ResultRow[]): DataFrame {
  return toDataFrame(resultRecords(rows), RESULT_COLUMNS);
}

/** The same table as CSV text (RFC 4180 quoting; NaN as an empty field). */
export function resultsFrameCsv(rows: ResultRow[]): string {
  const quote = (v: unknown) => {
    const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v ?? '');
    const q = '"';
    return [q, ',', '\n'].some((c) => s.includes(c)) ? q + s.replaceAll(q, q + q) + q : s;
  };
  return (
    [
      RESULT_COLUMNS.join(','),
      ...resultRecords(rows).map((r) => RESULT_COLUMNS.map((c) => quote(r[c])).join(',')),
    ].join('\n') + '\n'
  );
}

// ---- Comparing the MLP − CNN gap across data sets (notebook 05) ----

/** (λ̂_MLP − λ̂_CNN) / λ̂_MLP of a pair: the fraction of the MLP's λ̂ the CNN does without. */
export const relativeGap = (p: GapPair): number => (p.mlp.llcMean - p.cnn.llcMean) / p.mlp.llcMean;

/** Test accuracy CNN − MLP of a pair (a fraction): what the CNN's spatial prior buys on this task. */
export const accuracyAdvantage = (p: GapPair): number => p.cnn.testAccuracy - p.mlp.testAccuracy;

export interface RelativeGapRow {
  k: number;
  /** Mean over pairs of (MLP − CNN) / MLP, with its 95 % t-interval. */
  relativeGap: number;
  ciLo: number;
  ciHi: number;
  pairs: number;
  /** Mean over pairs of the CNN − MLP test accuracy, with its 95 % t-interval. */
  accuracyAdvantage: number;
  accuracyLo: number;
  accuracyHi: number;
}

/** Per k: the relative gap (MLP − CNN) / MLP and the CNN's test-accuracy advantage, paired by seed. */
export function relativeGapByK(rows: ResultRow[], options: SummaryOptions = {}): RelativeGapRow[] {
  return [...groupBy(gapPairs(rows, options), (p) => String(p.k)).values()]
    .map((g) => {
      const rel = meanCI(g.map(relativeGap), options.level);
      const acc = meanCI(g.map(accuracyAdvantage), options.level);
      return {
        k: g[0].k,
        relativeGap: rel.mean,
        ciLo: rel.lo,
        ciHi: rel.hi,
        pairs: rel.n,
        accuracyAdvantage: acc.mean,
        accuracyLo: acc.lo,
        accuracyHi: acc.hi,
      };
    })
    .sort((a, b) => a.k - b.k);
}

export interface ElasticityRow {
  architecture: Architecture;
  k: number;
  gamma: number;
  /** Grid points used (finite, positive λ̂ and ε ≤ maxEpsilon). */
  points: number;
  /** Slope of log λ̂ against log ε, with its 95 % interval (NaN with fewer than 3 points). */
  elasticity: number;
  ciLo: number;
  ciHi: number;
}

/**
 * Per (architecture, k, γ) of a sensitivity sweep: how λ̂ moves with the step size.
 * An equilibrated chain samples the same posterior for every small enough ε, so the
 * slope of log λ̂ on log ε is 0; a slope of 1 means λ̂ is proportional to ε, i.e. it
 * measures how far the chain travels in its fixed number of steps.
 */
export function stepSizeElasticity(
  rows: ResultRow[],
  options: { maxEpsilon?: number; level?: number } = {},
): ElasticityRow[] {
  const maxEpsilon = options.maxEpsilon ?? 1e-3;
  return [...groupBy(rows, (r) => `${r.architecture}|${r.k}|${r.config.llc.gamma}`).values()].map((group) => {
    const g = group.filter((r) => Number.isFinite(r.llcMean) && r.llcMean > 0 && r.config.llc.epsilon! <= maxEpsilon);
    const fit =
      g.length >= 3
        ? linearFit(
            g.map((r) => Math.log(r.config.llc.epsilon!)),
            g.map((r) => Math.log(r.llcMean)),
            options.level,
          )
        : null;
    return {
      architecture: group[0].architecture,
      k: group[0].k,
      gamma: group[0].config.llc.gamma!,
      points: g.length,
      elasticity: fit?.slope ?? NaN,
      ciLo: fit?.slopeLo ?? NaN,
      ciHi: fit?.slopeHi ?? NaN,
    };
  });
}

// ---- The write-up's claims as tests (campaign; notebooks 01–03 and the README's claim table) ----

export interface LinearityTest {
  architecture: Architecture;
  /** Cells used (failed ones left out) and distinct k. */
  n: number;
  levels: number;
  /** Linear fit λ̂ = a + b·k: the slope with its interval. */
  slope: Coefficient;
  /** The quadratic term c of λ̂ = a + b·k + c·k², with its interval and p (curvature ≠ 0). */
  quadratic: Coefficient;
  /** Lack-of-fit F test of the straight line against the per-k means (replicates give the pure error). */
  lackOfFitF: number;
  lackOfFitDf: [number, number];
  lackOfFitP: number;
}

/** A coefficient that could not be fitted (too few distinct k): every number NaN. */
function unfitted(name: string): Coefficient {
  return { name, estimate: NaN, se: NaN, lo: NaN, hi: NaN, t: NaN, p: NaN };
}

/**
 * "λ̂ scales linearly with the number of labels" as a test, not a slope ≠ 0: per architecture,
 * the quadratic coefficient of λ̂ on k, and the lack-of-fit F test of the line (Draper & Smith
 * §2.1: the residual of the line split into pure error within k and lack of fit between k).
 */
export function linearityTests(rows: ResultRow[], options: SummaryOptions = {}): LinearityTest[] {
  const kept = rows.filter((r) => !excluded(r, options.exclude) && Number.isFinite(r.llcMean));
  return [...groupBy(kept, (r) => r.architecture).values()].map((g) => {
    const k = g.map((r) => r.k);
    const y = g.map((r) => r.llcMean);
    const ones = k.map(() => 1);
    const byK = groupBy(g, (r) => String(r.k));
    // A line needs 2 distinct k and a parabola 3 (and a residual df): where failures leave fewer
    // (the write-up's settings at some γ, nβ), the coefficient is NaN, not an error.
    const line = byK.size >= 2 && g.length > 2 ? ols({ intercept: ones, k }, y, options.level) : null;
    const quad =
      byK.size >= 3 && g.length > 3 ? ols({ intercept: ones, k, k2: k.map((v) => v * v) }, y, options.level) : null;
    let pure = 0;
    for (const grp of byK.values()) {
      const m = grp.reduce((a, r) => a + r.llcMean, 0) / grp.length;
      pure += grp.reduce((a, r) => a + (r.llcMean - m) ** 2, 0);
    }
    const levels = byK.size;
    const dfPure = g.length - levels;
    const dfLof = levels - 2;
    const f = line && dfPure > 0 && dfLof > 0 ? (line.sse - pure) / dfLof / (pure / dfPure) : NaN;
    return {
      architecture: g[0].architecture,
      n: g.length,
      levels,
      slope: line?.coefficients[1] ?? unfitted('k'),
      quadratic: quad?.coefficients[2] ?? unfitted('k2'),
      lackOfFitF: f,
      lackOfFitDf: [dfLof, dfPure],
      lackOfFitP: Number.isFinite(f) ? fUpperTail(f, dfLof, dfPure) : NaN,
    };
  });
}

export interface PooledGap {
  /** Mean over seeds of each seed's mean MLP − CNN gap over k (seeds paired: one number per seed). */
  gap: number;
  lo: number;
  hi: number;
  p: number;
  seeds: number;
  /** The same for the relative gap (MLP − CNN) / MLP, which does not grow with λ̂. */
  relative: number;
  relativeLo: number;
  relativeHi: number;
  relativeP: number;
}

/**
 * "The CNN has a lower λ̂ than the MLP", pooled over k in one test: each seed's mean gap over the
 * k at which both cells have a λ̂ (pairs by seed and order), then a one-sample t-test over the
 * seeds (df = seeds − 1) — not nine per-k tests with 2–4 df each and no correction.
 */
export function pooledGap(rows: ResultRow[], options: SummaryOptions = {}): PooledGap {
  const pairs = gapPairs(rows, options);
  const bySeed = [...groupBy(pairs, (p) => `${p.seed}|${p.order}`).values()];
  const abs = meanCI(
    bySeed.map((g) => g.reduce((a, p) => a + p.mlp.llcMean - p.cnn.llcMean, 0) / g.length),
    options.level,
  );
  const rel = meanCI(
    bySeed.map((g) => g.reduce((a, p) => a + relativeGap(p), 0) / g.length),
    options.level,
  );
  return {
    gap: abs.mean,
    lo: abs.lo,
    hi: abs.hi,
    p: meanTestP(abs),
    seeds: abs.n,
    relative: rel.mean,
    relativeLo: rel.lo,
    relativeHi: rel.hi,
    relativeP: meanTestP(rel),
  };
}

export interface DivergenceTest {
  /** The k split: gaps at k ≤ split against k > split (the write-up's question: "only diverging after 5 classes"). */
  split: number;
  /** Per seed, mean gap at k > split minus mean gap at k ≤ split; mean over seeds with its interval and p. */
  change: number;
  lo: number;
  hi: number;
  p: number;
  seeds: number;
  /** The least-squares hinge: gap = a + b·max(0, k − κ) over κ ∈ the k of the rows; κ̂ and its residual sum of squares. */
  hinge: number;
  hingeSlope: number;
  /**
   * The interaction with k > split: per curve, c in gap = a + b·k + c·max(0, k − split) (the
   * slope after the split minus the slope before); mean over curves with its interval and p.
   * `change` is positive for any growing gap, a straight line included; c is not.
   */
  slopeChange: number;
  slopeChangeLo: number;
  slopeChangeHi: number;
  slopeChangeP: number;
  /** Curves with enough k on both sides of the split to fit c (≥ 4 points, two distinct k ≤ split). */
  slopeCurves: number;
}

/**
 * "The curves only diverge after ~5 classes" as a test: does the MLP − CNN gap grow past k = split
 * (paired by seed), and where does a hinge model put the bend? For shuffled orders, run it per
 * order and take the interval of κ̂ across orders.
 */
export function divergenceTest(rows: ResultRow[], split = 5, options: SummaryOptions = {}): DivergenceTest {
  const pairs = gapPairs(rows, options);
  const curves = [...groupBy(pairs, (p) => `${p.seed}|${p.order}`).values()];
  const perSeed = curves.flatMap((g) => {
    const lo = g.filter((p) => p.k <= split);
    const hi = g.filter((p) => p.k > split);
    if (!lo.length || !hi.length) return [];
    const m = (ps: GapPair[]) => ps.reduce((a, p) => a + p.mlp.llcMean - p.cnn.llcMean, 0) / ps.length;
    return [m(hi) - m(lo)];
  });
  const ci = meanCI(perSeed, options.level);
  const perCurveSlopeChange = curves.flatMap((g) => {
    if (g.length < 4 || new Set(g.filter((p) => p.k <= split).map((p) => p.k)).size < 2) return [];
    if (!g.some((p) => p.k > split)) return [];
    const fit = ols(
      { intercept: g.map(() => 1), k: g.map((p) => p.k), after: g.map((p) => Math.max(0, p.k - split)) },
      g.map((p) => p.mlp.llcMean - p.cnn.llcMean),
    );
    return [fit.coefficients[2].estimate];
  });
  const sc = meanCI(perCurveSlopeChange, options.level);
  const ks = [...new Set(pairs.map((p) => p.k))].sort((a, b) => a - b);
  const gaps = pairs.map((p) => p.mlp.llcMean - p.cnn.llcMean);
  let best = { kappa: NaN, sse: Infinity, slope: NaN };
  for (const kappa of ks.slice(0, -2)) {
    const h = pairs.map((p) => Math.max(0, p.k - kappa));
    try {
      const fit = ols({ intercept: h.map(() => 1), hinge: h }, gaps);
      if (fit.sse < best.sse) best = { kappa, sse: fit.sse, slope: fit.coefficients[1].estimate };
    } catch {
      // a κ with no k beyond it: not a hinge
    }
  }
  return {
    split,
    change: ci.mean,
    lo: ci.lo,
    hi: ci.hi,
    p: meanTestP(ci),
    seeds: ci.n,
    hinge: best.kappa,
    hingeSlope: best.slope,
    slopeChange: sc.mean,
    slopeChangeLo: sc.lo,
    slopeChangeHi: sc.hi,
    slopeChangeP: meanTestP(sc),
    slopeCurves: sc.n,
  };
}

export interface OrderDivergence {
  /** The test over every (order, seed) pair of curves: one change per pair, its interval across them. */
  pooled: DivergenceTest;
  /** Per order (its seeds pooled): the change and the hinge κ̂. */
  perOrder: { order: string; change: number; hinge: number }[];
  /** Median and range of κ̂ across orders (the orders with a hinge). */
  hingeMedian: number;
  hingeMin: number;
  hingeMax: number;
}

/**
 * The divergence test on shuffled label orders: pooled over every (order, seed) curve, whose
 * interval then spans order-to-order variation, and per order, whose hinges κ̂ show whether the
 * bend sits at the same k whatever the digits.
 */
export function divergenceAcrossOrders(rows: ResultRow[], split = 5, options: SummaryOptions = {}): OrderDivergence {
  const perOrder = [...groupBy(rows, (r) => r.order).values()].map((g) => {
    const d = divergenceTest(g, split, options);
    return { order: g[0].order, change: d.change, hinge: d.hinge };
  });
  const hinges = perOrder.map((o) => o.hinge).filter(Number.isFinite);
  return {
    pooled: divergenceTest(rows, split, options),
    perOrder,
    hingeMedian: median(hinges),
    hingeMin: hinges.length ? Math.min(...hinges) : NaN,
    hingeMax: hinges.length ? Math.max(...hinges) : NaN,
  };
}

/**
 * "Is the gap an accuracy artefact?": regress the MLP − CNN gap on k and on the accuracy
 * difference (CNN − MLP test accuracy, in points) over all pairs. If the accuracy term carries the
 * gap and k does not, the CNN's lower λ̂ goes with its better fit rather than with the architecture.
 */
export function gapAccuracyModel(rows: ResultRow[], options: SummaryOptions = {}): OlsFit {
  const pairs = gapPairs(rows, options);
  return ols(
    {
      intercept: pairs.map(() => 1),
      k: pairs.map((p) => p.k),
      accuracyPoints: pairs.map((p) => 100 * accuracyAdvantage(p)),
    },
    pairs.map((p) => p.mlp.llcMean - p.cnn.llcMean),
    options.level,
  );
}
