/**
 * Summaries of result rows: λ̂ by (architecture, k) with 95 % intervals, linear
 * fits of λ̂ against k, the paired MLP − CNN gap, crossover points of label orders.
 * Plain arrays in, plain arrays out; `toDataFrame` turns any of them into a danfo DataFrame.
 */
import { ResultRow } from './experiment';
import { Architecture } from './models';
import { linearFit, LinearFit, meanCI, pairedTTest } from './stats';

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
  for (const r of rows) if (excluded(r, exclude)) {
    const why = r.failed ? r.failReason ?? 'diverged' : [...new Set(r.flags)].join('+');
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  return [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
}

function excluded(r: ResultRow, exclude: SummaryOptions['exclude'] = 'failed'): boolean {
  return (exclude === 'failed' && r.failed) || (exclude === 'flagged' && (r.failed || r.flags.length > 0));
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
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
    const ci = meanCI(kept.map((r) => r.llcMean), options.level);
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
  return [...groupBy(rows.filter((r) => !excluded(r, options.exclude ?? 'failed') && Number.isFinite(r.llcMean)), (r) => r.architecture).values()].map((g) => ({
    architecture: g[0].architecture,
    ...linearFit(g.map((r) => r.k), g.map((r) => r.llcMean), options.level),
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
  return kept.filter((r) => r.architecture === 'mlp' && cnn.has(pairKey(r))).map((m) => ({ k: m.k, seed: m.seed, order: m.order, mlp: m, cnn: cnn.get(pairKey(m))! }));
}

/** MLP − CNN per k, paired by (seed, order), with a paired t-test. */
export function gapByK(rows: ResultRow[], options: SummaryOptions = {}): GapRow[] {
  return [...groupBy(gapPairs(rows, options), (p) => String(p.k)).values()]
    .map((g) => {
      const t = pairedTTest(g.map((p) => p.mlp.llcMean), g.map((p) => p.cnn.llcMean), options.level);
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
  return [...groupBy(rows.filter((r) => !excluded(r, options.exclude)), (r) => r.order).values()].map((g) => {
    const gaps = gapByK(g).map((x) => ({ k: x.k, gap: x.gap }));
    let crossover = NaN;
    for (let i = gaps.length - 1; i >= 0 && gaps[i].gap > 0; i--) crossover = gaps[i].k;
    let signChanges = 0;
    for (let i = 1; i < gaps.length; i++) if (Math.sign(gaps[i].gap) !== Math.sign(gaps[i - 1].gap)) signChanges++;
    return { order: g[0].order, gaps, crossover, signChanges };
  });
}

/** Any array of flat records as a danfo DataFrame (danfo is loaded on first use: it is slow to import). */
export function toDataFrame(records: object[], columns?: string[]): any {
  const dfd = require('danfojs');
  const flat = records.map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!columns || columns.includes(k)) o[k] = typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(5)) : Array.isArray(v) ? v.join(',') : v; // integers (counts, parameters) stay exact
    return o;
  });
  return new dfd.DataFrame(flat);
}

/** Rows of a sweep as a DataFrame of the columns people read first. */
export function resultsFrame(rows: ResultRow[]): any {
  return toDataFrame(rows, ['architecture', 'k', 'seed', 'order', 'llcMean', 'llcStd', 'testAccuracy', 'trainLoss', 'epochs', 'stoppedBecause', 'flags', 'llcSeconds']);
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
      return { k: g[0].k, relativeGap: rel.mean, ciLo: rel.lo, ciHi: rel.hi, pairs: rel.n, accuracyAdvantage: acc.mean, accuracyLo: acc.lo, accuracyHi: acc.hi };
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
export function stepSizeElasticity(rows: ResultRow[], options: { maxEpsilon?: number; level?: number } = {}): ElasticityRow[] {
  const maxEpsilon = options.maxEpsilon ?? 1e-3;
  return [...groupBy(rows, (r) => `${r.architecture}|${r.k}|${r.config.llc.gamma}`).values()].map((group) => {
    const g = group.filter((r) => Number.isFinite(r.llcMean) && r.llcMean > 0 && r.config.llc.epsilon! <= maxEpsilon);
    const fit = g.length >= 3 ? linearFit(g.map((r) => Math.log(r.config.llc.epsilon!)), g.map((r) => Math.log(r.llcMean)), options.level) : null;
    return { architecture: group[0].architecture, k: group[0].k, gamma: group[0].config.llc.gamma!, points: g.length, elasticity: fit?.slope ?? NaN, ciLo: fit?.slopeLo ?? NaN, ciHi: fit?.slopeHi ?? NaN };
  });
}
