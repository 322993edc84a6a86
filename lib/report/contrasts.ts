/**
 * Comparisons across data sets and settings.
 *
 * Two data sets side by side (notebook 05: MNIST-1D against MNIST): does the MLP − CNN gap
 * widen where the CNN's spatial prior buys more accuracy? Each quantity is taken per (k, seed)
 * pair of MLP and CNN (summary.ts gapPairs) and the data sets are compared with Welch's
 * two-sample interval (unequal variances, unequal pair counts).
 *
 * The same claims at other SGLD settings (notebook 04, the recheck sweep): does the growth in k
 * and the ordering MLP > CNN survive γ and nβ?
 */
import { ResultRow } from '../experiments/experiment';
import { ARCHITECTURES } from '../models/models';
import { nbetaFactorOf } from '../estimator/llc';
import { pearson, TwoSampleTest, welchTTest } from '../math/stats';
import {
  accuracyAdvantage,
  GapPair,
  groupBy,
  LinearityTest,
  linearityTests,
  PooledGap,
  pooledGap,
  relativeGap,
} from './summary';

/** MLP − CNN λ̂ of a pair. */
export const absoluteGap = (p: GapPair): number => p.mlp.llcMean - p.cnn.llcMean;

/** Welch's interval of mean f(pair) on `a` minus on `b`, pooled over k or at one k. */
export function pairContrast(a: GapPair[], b: GapPair[], f: (p: GapPair) => number, k?: number): TwoSampleTest {
  const pick = (pairs: GapPair[]) => pairs.filter((p) => k == null || p.k === k).map(f);
  return welchTTest(pick(a), pick(b));
}

export interface KContrast {
  k: number;
  /** Difference (a − b) of the CNN − MLP test accuracy, in points, with its 95 % interval. */
  accuracyDiff: number;
  accLo: number;
  accHi: number;
  /** Difference (a − b) of the relative gap (MLP − CNN)/MLP, in percentage points, with its interval and p. */
  relativeGapDiff: number;
  relLo: number;
  relHi: number;
  relP: number;
}

/** pairContrast of the accuracy advantage and the relative gap at every k both sets have. */
export function contrastsByK(a: GapPair[], b: GapPair[]): KContrast[] {
  const ks = [...new Set(a.map((p) => p.k))].filter((k) => b.some((p) => p.k === k)).sort((x, y) => x - y);
  return ks.map((k) => {
    const acc = pairContrast(a, b, accuracyAdvantage, k);
    const rel = pairContrast(a, b, relativeGap, k);
    return {
      k,
      accuracyDiff: 100 * acc.difference,
      accLo: 100 * acc.lo,
      accHi: 100 * acc.hi,
      relativeGapDiff: 100 * rel.difference,
      relLo: 100 * rel.lo,
      relHi: 100 * rel.hi,
      relP: rel.p,
    };
  });
}

/** Pearson r of the accuracy advantage with the relative gap over pairs. */
export const advantageGapCorrelation = (pairs: GapPair[]) =>
  pearson(pairs.map(accuracyAdvantage), pairs.map(relativeGap));

/** Which side of zero an interval lies on: 1 above, −1 below, 0 when it includes 0 (or is undefined). */
export function side(t: { lo: number; hi: number }): 1 | -1 | 0 {
  return t.lo > 0 ? 1 : t.hi < 0 ? -1 : 0;
}

/**
 * The answer to "does the relative gap widen where the prior matters more?", from the two
 * contrasts (a − b) of the accuracy advantage and of the relative gap: unanswerable when the
 * accuracy contrast is unresolved, unresolved when the gap contrast is, else yes or no.
 */
export function priorVerdict(accuracy: TwoSampleTest, relative: TwoSampleTest, names: [string, string]): string {
  const where = (s: number) => (s > 0 ? names[0] : names[1]);
  const prior = side(accuracy);
  const gap = side(relative);
  if (prior === 0)
    return "**Not answerable at this profile**: the CNN's accuracy advantage is not resolved between the data sets.";
  if (gap === 0)
    return `**Not resolved**: the prior matters more on ${where(prior)}, but the interval of the relative-gap difference includes 0.`;
  if (gap === prior) return `**Yes**: the relative gap is wider on ${where(prior)}, where the prior matters more.`;
  return `**No**: the prior matters more on ${where(prior)}, yet the relative gap is wider on ${where(gap)}.`;
}

/** The relative gap that parameter counts alone would give: 1 − d_CNN / d_MLP (NaN without both models). */
export function parameterBaseline(rows: ResultRow[]): number {
  const d = (arch: string) => rows.find((r) => r.architecture === arch)?.numParams ?? NaN;
  return 1 - d('cnn') / d('mlp');
}

export interface SettingGap {
  k: number;
  epsilon: number;
  gamma: number;
  mlp: number;
  cnn: number;
  gap: number;
  relativeGap: number;
  /** Both estimates passed every diagnostic. */
  bothHealthy: boolean;
}

/** MLP − CNN at every (k, ε, γ) of a sensitivity grid where both models were estimated. */
export function settingGaps(rows: ResultRow[]): SettingGap[] {
  const key = (r: ResultRow) => `${r.k}|${r.config.llc.epsilon}|${r.config.llc.gamma}`;
  const cnnAt = new Map(rows.filter((r) => r.architecture === 'cnn').map((r) => [key(r), r]));
  return rows
    .filter((r) => r.architecture === 'mlp' && cnnAt.has(key(r)))
    .map((m) => {
      const c = cnnAt.get(key(m))!;
      return {
        k: m.k,
        epsilon: m.config.llc.epsilon!,
        gamma: m.config.llc.gamma!,
        mlp: m.llcMean,
        cnn: c.llcMean,
        gap: m.llcMean - c.llcMean,
        relativeGap: (m.llcMean - c.llcMean) / m.llcMean,
        bothHealthy: m.healthy && c.healthy,
      };
    });
}

/** The grid setting nearest (in log ε, log γ) to (epsilon, gamma); undefined for an empty grid. */
export function nearestSetting<T extends { epsilon: number; gamma: number }>(
  grid: T[],
  epsilon: number,
  gamma: number,
): T | undefined {
  const dist = (s: T) => Math.hypot(Math.log10(s.epsilon / epsilon), Math.log10(s.gamma / gamma));
  return grid.length ? grid.reduce((a, b) => (dist(b) < dist(a) ? b : a)) : undefined;
}

export interface SettingConclusions {
  gamma: number;
  /** nβ as a multiple of n/log n. */
  nbetaFactor: number;
  cells: number;
  failed: number;
  /** Per architecture: the slope of λ̂ on k with its interval, and the curvature test (summary.ts linearityTests). */
  linearity: LinearityTest[];
  /** MLP − CNN pooled over k, seeds paired (summary.ts pooledGap). */
  gap: PooledGap;
}

/**
 * The write-up's two main conclusions at each (γ, nβ) of a set of writeup-sweep rows (the recheck
 * sweep): λ̂'s growth in k per architecture and the pooled MLP − CNN gap, each with its interval,
 * failed cells left out and counted. Settings in the order of their first row.
 */
export function conclusionsBySetting(rows: ResultRow[]): SettingConclusions[] {
  const factor = (r: ResultRow) => nbetaFactorOf(r.nbeta, r.numTrain);
  return [...groupBy(rows, (r) => `${r.config.llc.gamma}|${factor(r)}`).values()].map((g) => ({
    gamma: g[0].config.llc.gamma!,
    nbetaFactor: factor(g[0]),
    cells: g.length,
    failed: g.filter((r) => r.failed).length,
    linearity: linearityTests(g),
    gap: pooledGap(g),
  }));
}

/** One table row per setting: each slope and the gap with its interval, and what each interval resolves. */
export function recheckRecords(settings: SettingConclusions[]): Record<string, string | number>[] {
  const ci = (lo: number, hi: number) => (Number.isFinite(lo) ? `[${lo.toFixed(1)}, ${hi.toFixed(1)}]` : '–');
  const sign = (lo: number, hi: number, [above, below]: [string, string]) =>
    lo > 0 ? above : hi < 0 ? below : 'not resolved';
  return settings.map((s) => {
    // Every architecture gets its columns, also where failures left it too few k for a slope.
    const slope = Object.fromEntries(
      ARCHITECTURES.flatMap((a) => {
        const t = s.linearity.find((l) => l.architecture === a);
        const fitted = t != null && Number.isFinite(t.slope.estimate);
        return [
          [`${a} slope`, fitted ? t.slope.estimate : NaN],
          [`${a} 95 % CI`, fitted ? ci(t.slope.lo, t.slope.hi) : '–'],
          [
            `${a} grows in k`,
            fitted ? sign(t.slope.lo, t.slope.hi, ['yes', 'falls']) : `no slope (λ̂ at ${t?.levels ?? 0} k)`,
          ],
        ];
      }),
    );
    return {
      gamma: s.gamma,
      'nβ / (n/log n)': s.nbetaFactor,
      cells: s.cells,
      failed: s.failed,
      ...slope,
      'MLP − CNN': s.gap.gap,
      'gap 95 % CI': ci(s.gap.lo, s.gap.hi),
      ordering: sign(s.gap.lo, s.gap.hi, ['MLP > CNN', 'CNN > MLP']),
    };
  });
}
