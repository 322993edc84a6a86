/**
 * A validation battery for the λ̂ estimator: many problems whose learning coefficient is
 * known exactly, run with one fixed sampler setting, scored by how often the estimate is
 * wrong *without a flag* — the failure a user cannot see.
 *
 * Why random shapes: hand-picked shapes are the ones the sampler was tuned on. An outside
 * review found held-back deep-linear-network shapes where 6,000-draw chains came out
 * 11–25 % below λ on four problem seeds with a flag on only one. So the shapes here are
 * drawn from a seeded generator (change `shapeSeed` for a fresh, held-back set), and each
 * shape is run on several problem seeds (new true weights, inputs and noise).
 *
 *   batteryProblems(options) → the problems (pure, deterministic per seed)
 *   runBattery(problems, sampler, onProgress) → one BatteryResult per problem
 *   batterySummary(results) → error distribution, interval coverage, silent failures
 */
import { dlnLambda, parameterCount } from './aoyagi';
import { equipartitionFlag, FlagCode } from '../estimator/diagnostics';
import { dlnProblem } from './groundtruth';
import { estimateLlc, LlcOptions, resolveLlcSettings } from '../estimator/llc';
import { estimateLlcWithStepCheck, StepCheck } from '../estimator/stepcheck';
import { estimateLlcWithStabilityCheck, StabilityCheck } from '../estimator/stability';
import { deriveSeed, makeRng, Rng } from '../math/rng';
import { median } from '../math/stats';
import { dlnSignal, DlnSignal } from './signal';
import { dlnLocalLowerBound } from './tangent';

// ---------------------------------------------------------------- problems

export interface BatteryOptions {
  /** Seed of the random shapes (default 0). Another seed gives a held-back set of shapes. */
  shapeSeed?: number;
  /**
   * Random deep-linear-network shapes (default 12). Shape i has depth depths[i mod #depths]
   * and rank class ['one', 'full', 'between'][⌊i / #depths⌋ mod 3], so 12 shapes cover every
   * depth × rank class once (see rankClass).
   */
  shapes?: number;
  /** Depths L (weight matrices) of the DLN shapes (default [2, 3, 4, 5]); each an integer ≥ 2. */
  depths?: number[];
  /** Widths are drawn uniformly from minWidth..maxWidth (defaults 2 and 10). */
  minWidth?: number;
  maxWidth?: number;
  /** Problem seeds: each shape and each regression is run once per seed (default [0, 1, 2]). */
  problemSeeds?: number[];
  /** Regular models: linear regression d → 1 (L = 1, λ = d/2) for each d (default [5, 20, 50]). */
  regressionDims?: number[];
  /** Training examples per problem (default 2000, as `npm run validate`). */
  n?: number;
}

export const BATTERY_DEFAULTS: Required<BatteryOptions> = {
  shapeSeed: 0,
  shapes: 12,
  depths: [2, 3, 4, 5],
  minWidth: 2,
  maxWidth: 10,
  problemSeeds: [0, 1, 2],
  regressionDims: [5, 20, 50],
  n: 2000,
};

/**
 * Which rank a shape gets: 'one' (r = 1, the most singular), 'full' (r = smallest width:
 * Aoyagi's Remark-1 case) or 'between' (1 < r < smallest width, drawn uniformly; its widths
 * are redrawn until the smallest is ≥ 3 so that such a rank exists). Ranks above 5 are rare
 * (they need every width high: the smallest of 3–6 uniform widths on 2..10 is mostly small).
 */
export type RankClass = 'one' | 'full' | 'between';
export const RANK_CLASSES: readonly RankClass[] = ['one', 'full', 'between'];

export interface BatteryProblem {
  /** Unique and stable: 'dln-5-3-5-r1-s0', 'reg-20-s1'. Also seeds the problem's chains. */
  id: string;
  kind: 'dln' | 'regression';
  /** [input, hidden…, output]; L = widths.length − 1 weight matrices. */
  widths: number[];
  /** Rank of the true product matrix. */
  rank: number;
  rankClass: RankClass | 'regression';
  /** Problem seed: the true weights, inputs and noise of dlnProblem. */
  seed: number;
  n: number;
  /** λ from Aoyagi (2024) (aoyagi.ts); d/2 for regression. */
  truth: number;
  numParams: number;
}

function checkIntegers(name: string, values: number[], min: number, max = Infinity): void {
  if (!Array.isArray(values) || values.length === 0)
    throw new Error(`battery: ${name} must be a non-empty list of integers, got ${JSON.stringify(values)}`);
  for (const v of values) {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new Error(`battery: ${name} has ${v}; valid: integers ${min}${max < Infinity ? `..${max}` : ' or more'}`);
  }
  if (new Set(values).size !== values.length)
    throw new Error(`battery: ${name} lists a value twice: ${values.join(', ')}`);
}

/** Options with defaults filled in; every bad value is an error naming it. */
export function resolveBatteryOptions(options: BatteryOptions = {}): Required<BatteryOptions> {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const unknown = Object.keys(given).filter((k) => !(k in BATTERY_DEFAULTS));
  if (unknown.length)
    throw new Error(
      `battery: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${Object.keys(BATTERY_DEFAULTS).join(', ')}`,
    );
  const o = { ...BATTERY_DEFAULTS, ...given } as Required<BatteryOptions>;
  checkIntegers('shapeSeed', [o.shapeSeed], 0);
  checkIntegers('shapes', [o.shapes], 0);
  checkIntegers('depths', o.depths, 2);
  checkIntegers('minWidth', [o.minWidth], 1);
  checkIntegers('maxWidth', [o.maxWidth], o.minWidth);
  checkIntegers('problemSeeds', o.problemSeeds, 0);
  if (o.regressionDims.length) checkIntegers('regressionDims', o.regressionDims, 1);
  checkIntegers('n', [o.n], 2);
  if (o.shapes > 0 && o.maxWidth < 3 && o.shapes > o.depths.length * 2) {
    throw new Error(
      `battery: rank class 'between' needs a smallest width ≥ 3, but maxWidth = ${o.maxWidth}; use maxWidth ≥ 3 or shapes ≤ ${o.depths.length * 2}`,
    );
  }
  return o;
}

/** One random shape: depth and rank class fixed by its index (stratified), widths and rank drawn. */
export function randomShape(
  index: number,
  depths: number[],
  minWidth: number,
  maxWidth: number,
  rng: Rng,
): { widths: number[]; rank: number; rankClass: RankClass } {
  const depth = depths[index % depths.length];
  const rankClass = RANK_CLASSES[Math.floor(index / depths.length) % RANK_CLASSES.length];
  const draw = () => Array.from({ length: depth + 1 }, () => minWidth + rng.int(maxWidth - minWidth + 1));
  let widths = draw();
  // Rejection keeps the widths uniform given that the class is possible (on 2..10, P(min ≥ 3) = (8/9)^(L+1) ≥ 0.49).
  while (rankClass === 'between' && Math.min(...widths) < 3) widths = draw();
  const minW = Math.min(...widths);
  const rank = rankClass === 'one' ? 1 : rankClass === 'full' ? minW : 2 + rng.int(minW - 2);
  return { widths, rank, rankClass };
}

/**
 * The battery's problems: `shapes` random DLN shapes (seeded by `shapeSeed`, stratified over
 * depth and rank class) and the regular regressions, each on every problem seed. Shapes are
 * drawn in sequence and do not depend on the problem seeds, so more shapes or seeds add
 * problems without changing the ones there were.
 */
export function batteryProblems(options: BatteryOptions = {}): BatteryProblem[] {
  const o = resolveBatteryOptions(options);
  const rng = makeRng(deriveSeed(o.shapeSeed, 'battery-shapes'));
  const shapes = Array.from({ length: o.shapes }, (_, i) => randomShape(i, o.depths, o.minWidth, o.maxWidth, rng));
  const problems: BatteryProblem[] = [];
  for (const seed of o.problemSeeds) {
    for (const s of shapes) {
      const id = `dln-${s.widths.join('-')}-r${s.rank}-s${seed}`;
      // Two random shapes can coincide; the duplicate would only repeat a problem.
      if (problems.some((p) => p.id === id)) continue;
      problems.push({
        id,
        kind: 'dln',
        widths: s.widths,
        rank: s.rank,
        rankClass: s.rankClass,
        seed,
        n: o.n,
        truth: dlnLambda(s.widths, s.rank),
        numParams: parameterCount(s.widths),
      });
    }
    for (const d of o.regressionDims) {
      problems.push({
        id: `reg-${d}-s${seed}`,
        kind: 'regression',
        widths: [d, 1],
        rank: 1,
        rankClass: 'regression',
        seed,
        n: o.n,
        truth: d / 2,
        numParams: d,
      });
    }
  }
  return problems;
}

/** The problems whose ids are listed, in the battery's order; an unknown id is an error listing the valid ones. */
export function selectProblems(problems: BatteryProblem[], ids: string[]): BatteryProblem[] {
  const known = new Set(problems.map((p) => p.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length)
    throw new Error(
      `battery: no problem ${unknown.map((id) => `'${id}'`).join(', ')}; valid: ${[...known].join(', ')}`,
    );
  return problems.filter((p) => ids.includes(p.id));
}

/** A readable name: 'DLN 5-3-5 rank 1 (seed 0)', 'regression d = 20 (seed 1)'. */
export function problemName(p: BatteryProblem): string {
  return p.kind === 'regression'
    ? `regression d = ${p.widths[0]} (seed ${p.seed})`
    : `DLN ${p.widths.join('-')} rank ${p.rank} (seed ${p.seed})`;
}

// ---------------------------------------------------------------- running

/**
 * The battery's sampler: the setting of `npm run validate` — ε = 3e-5, γ = 1, 4 chains ×
 * 6,000 draws after 1,000 burn-in, m = 256, nβ = n/log n (= 263 at n = 2000). One setting
 * for every problem on purpose: the battery asks whether a user who runs the defaults can
 * trust what comes out, not whether some setting fits each problem.
 */
export const BATTERY_SAMPLER: LlcOptions = {
  epsilon: 3e-5,
  gamma: 1,
  nbeta: 'auto',
  numChains: 4,
  numDraws: 6000,
  numBurnin: 1000,
  batchSize: 256,
  seed: 0,
};

/** Half-width of the reported interval in MCSEs (a 95 % normal interval). */
export const INTERVAL_Z = 1.96;

export interface BatteryResult {
  problem: BatteryProblem;
  /** λ̂: mean over the chains that did not fail (NaN when all failed). */
  estimate: number;
  /** Monte-Carlo standard error of λ̂ (llc.ts llcMcse). */
  mcse: number;
  /** (λ̂ − λ)/λ; NaN when λ̂ is. */
  relError: number;
  /** λ ∈ λ̂ ± 1.96·MCSE. The MCSE holds only the sampling noise, not SGLD's bias, so this measures whether that is enough. */
  covered: boolean;
  /** Distinct flag codes, in the order first raised. */
  flags: FlagCode[];
  failedChains: number[];
  llcPerChain: number[];
  acceptancePerChain: number[];
  /** Mean virial over d per chain (llc.ts equipartitionPerChain): 1 at equilibrium. Absent in results stored before it existed. */
  equipartitionPerChain?: number[];
  rhatRank: number;
  essBulk: number;
  /** The seed the chains ran with (deriveSeed(sampler seed, problem id)): estimateLlc with it reproduces the row. */
  samplerSeed: number;
  /** λ̂ at ε/2 and the z of the difference, when the battery ran the step-size check (stepcheck.ts). */
  stepCheck?: StepCheck;
  /** ε·h_max at each chain's probed draws, when the battery ran the stability check (stability.ts). */
  stability?: StabilityCheck;
  seconds: number;
}

/**
 * Pure: a stored result with the flags today's checks raise from what it stores — the
 * equipartition check (diagnostics.ts equipartitionFlag) reads its equipartitionPerChain, so
 * results stored before the flag existed are scored as a new run would be (λ̂ unchanged).
 */
export function withCurrentFlags(r: BatteryResult): BatteryResult {
  const kept = r.flags.filter((f) => f !== 'notEquilibrated');
  const flag = equipartitionFlag(r.equipartitionPerChain, r.failedChains);
  return { ...r, flags: flag ? [...kept, flag.code] : kept };
}

/** Pure: score one estimate against the truth. */
export function scoreEstimate(truth: number, estimate: number, mcse: number): { relError: number; covered: boolean } {
  const relError = Number.isFinite(estimate) ? (estimate - truth) / truth : NaN;
  const covered = Number.isFinite(estimate) && mcse >= 0 && Math.abs(estimate - truth) <= INTERVAL_Z * mcse;
  return { relError, covered };
}

export interface BatteryProgress {
  /** Index of the problem running, and how many there are. */
  index: number;
  count: number;
  problem: BatteryProblem;
  /** SGLD steps done in this problem, and in all (every problem has the same number of steps). */
  step: number;
  stepsPerProblem: number;
  /** Fraction of the battery's SGLD steps done. */
  fraction: number;
}

/**
 * Run every problem with one sampler setting (each problem's chains seeded by its id, so a
 * row can be rerun alone). `onResult` sees each result as it is finished (to print it or save
 * what is done); `stepCheck` also runs each problem at ε/2 and flags a λ̂ that moves
 * (stepcheck.ts); `stabilityCheck` measures ε·h_max at each chain's draws (stability.ts).
 * Synchronous, like estimateLlc; tensors are disposed problem by problem.
 */
export function runBattery(
  problems: BatteryProblem[],
  sampler: LlcOptions = BATTERY_SAMPLER,
  onProgress?: (p: BatteryProgress) => void,
  onResult?: (r: BatteryResult, index: number) => void,
  stepCheck = false,
  stabilityCheck = false,
): BatteryResult[] {
  if (stepCheck && stabilityCheck)
    throw new Error('runBattery: run the step-size check or the stability check, not both');
  const estimate = stepCheck
    ? estimateLlcWithStepCheck
    : stabilityCheck
      ? (...a: Parameters<typeof estimateLlc>) => estimateLlcWithStabilityCheck(...a)
      : estimateLlc;
  const { onStep: _ignored, ...base } = sampler;
  const results: BatteryResult[] = [];
  problems.forEach((problem, index) => {
    const samplerSeed = deriveSeed(base.seed ?? 0, problem.id);
    const start = Date.now();
    const p = dlnProblem({ widths: problem.widths, rank: problem.rank, n: problem.n, seed: problem.seed });
    try {
      if (p.truth !== problem.truth)
        throw new Error(
          `battery: ${problem.id}: the problem's λ = ${p.truth} differs from the battery's ${problem.truth}`,
        );
      const r = estimate(p.lossFn, p.wStar, p.data, {
        ...base,
        seed: samplerSeed,
        onStep:
          onProgress &&
          ((step, total) =>
            onProgress({
              index,
              count: problems.length,
              problem,
              step,
              stepsPerProblem: total,
              fraction: (index + step / total) / problems.length,
            })),
      });
      const result: BatteryResult = {
        problem,
        estimate: r.llcMean,
        mcse: r.llcMcse,
        ...scoreEstimate(problem.truth, r.llcMean, r.llcMcse),
        flags: [...new Set(r.diagnostics.flags.map((f) => f.code))],
        failedChains: r.diagnostics.failedChains,
        llcPerChain: r.llcPerChain,
        acceptancePerChain: r.acceptancePerChain,
        equipartitionPerChain: r.equipartitionPerChain,
        rhatRank: r.diagnostics.rhatRank,
        essBulk: r.diagnostics.essBulk,
        samplerSeed,
        ...('stepCheck' in r ? { stepCheck: r.stepCheck as StepCheck } : {}),
        ...('stability' in r ? { stability: r.stability as StabilityCheck } : {}),
        seconds: (Date.now() - start) / 1000,
      };
      results.push(result);
      onResult?.(result, index);
    } finally {
      p.dispose();
    }
  });
  return results;
}

// ---------------------------------------------------------------- summary

/** Linear-interpolation quantile (type 7, NumPy's default); NaN when empty. */
export function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
}

export interface BatterySummary {
  problems: number;
  /** The |relative error| above which an estimate counts as wrong (default 0.10). */
  tolerance: number;
  /** Problems with a finite λ̂ (the error distribution and coverage are over these). */
  finite: number;
  /** Signed relative error (λ̂ − λ)/λ: median, quartiles, extremes; maxAbs is the largest |error|. */
  error: { median: number; q1: number; q3: number; min: number; max: number; maxAbs: number };
  /** Share of finite estimates whose λ̂ ± 1.96·MCSE holds λ (nominal 0.95), and the count. */
  coverage: number;
  covered: number;
  /** |error| > tolerance, or no finite λ̂ at all. */
  wrong: number;
  /** At least one flag. */
  flagged: number;
  /** Wrong and flagged: caught. */
  caught: number;
  /** Wrong with no flag — the count the battery exists to drive to 0. */
  silentFailures: number;
  /** Flagged but within tolerance (the price of the flags). */
  falseAlarms: number;
  /** Ids of the silent failures. */
  silent: string[];
  /** How many problems raised each flag. */
  byFlag: Partial<Record<FlagCode, number>>;
  /**
   * DLN problems whose smallest true singular value lies below the noise edge at n (signal.ts),
   * where λ at the rank the data resolve differs from λ: the data cannot show the true rank.
   */
  weakSignal: string[];
  /** Silent failures among them whose λ̂ is within the tolerance of λ at the resolved rank. */
  silentAtResolvedRank: string[];
  /**
   * DLN problems whose w0 is not among the most singular true parameters: rank(J)/2 of the
   * product map at w0 exceeds λ, so the local coefficient there is provably above λ (tangent.ts).
   */
  localAbove: string[];
  /** Silent failures among them whose λ̂ is within the tolerance of [λ, rank(J)/2]. */
  silentWithinLocal: string[];
  /** Wrong estimates (flagged or not) inside [λ(r−1), λ(r)], the neighbouring ranks' values, with their free-energy margins (signal.ts). */
  wrongBetweenRanks: { id: string; margin: number }[];
  seconds: number;
}

/** A DLN problem's true singular values against the noise edge at its n (signal.ts); null for a regression. */
function problemSignal(p: BatteryProblem): DlnSignal | null {
  return p.kind === 'dln' ? dlnSignal(p.widths, p.rank, p.seed, p.n) : null;
}

/**
 * λ at the rank n examples resolve, for a DLN problem whose weakest true direction is below the
 * noise edge and where that changes λ; null otherwise (λ at a lower rank can equal λ).
 */
export function resolvedTruth(p: BatteryProblem, signal = problemSignal(p)): number | null {
  return signal != null && signal.lambdaResolved !== p.truth ? signal.lambdaResolved : null;
}

// A Jacobian SVD per problem (~20 ms); the summary is rebuilt at every save of a run and each row asks again.
const localBounds = new Map<string, number | null>();

/** rank(J)/2 at a DLN problem's w0 when it exceeds λ (the local coefficient there is above λ); null otherwise. */
export function localBound(p: BatteryProblem): number | null {
  if (p.kind !== 'dln') return null;
  if (!localBounds.has(p.id)) {
    const bound = dlnLocalLowerBound(p.widths, p.rank, p.seed);
    localBounds.set(p.id, bound > p.truth ? bound : null);
  }
  return localBounds.get(p.id)!;
}

/** Pure: the battery's scores from its results. */
export function batterySummary(results: BatteryResult[], tolerance = 0.1): BatterySummary {
  if (!(tolerance > 0)) throw new Error(`batterySummary: tolerance must be > 0, got ${tolerance}`);
  const finite = results.filter((r) => Number.isFinite(r.relError));
  const errors = finite.map((r) => r.relError);
  const wrong = (r: BatteryResult) => !(Math.abs(r.relError) <= tolerance); // NaN (no estimate) is wrong
  const flagged = (r: BatteryResult) => r.flags.length > 0;
  const byFlag: Partial<Record<FlagCode, number>> = {};
  for (const r of results) for (const f of new Set(r.flags)) byFlag[f] = (byFlag[f] ?? 0) + 1;
  const silent = results.filter((r) => wrong(r) && !flagged(r));
  const covered = finite.filter((r) => r.covered).length;
  const within = (x: number, lo: number, hi: number) => x >= lo * (1 - tolerance) && x <= hi * (1 + tolerance);
  // One SVD of the true product per problem, shared by the weak-signal and between-ranks checks.
  const signals = results.map((r) => ({ r, signal: problemSignal(r.problem) }));
  const weak = signals
    .map(({ r, signal }) => ({ r, at: resolvedTruth(r.problem, signal) }))
    .filter((x) => x.at != null);
  const above = results.map((r) => ({ r, bound: localBound(r.problem) })).filter((x) => x.bound != null);
  return {
    problems: results.length,
    tolerance,
    finite: finite.length,
    error: {
      median: median(errors),
      q1: quantile(errors, 0.25),
      q3: quantile(errors, 0.75),
      min: errors.length ? Math.min(...errors) : NaN,
      max: errors.length ? Math.max(...errors) : NaN,
      maxAbs: errors.length ? Math.max(...errors.map(Math.abs)) : NaN,
    },
    coverage: finite.length ? covered / finite.length : NaN,
    covered,
    wrong: results.filter(wrong).length,
    flagged: results.filter(flagged).length,
    caught: results.filter((r) => wrong(r) && flagged(r)).length,
    silentFailures: silent.length,
    falseAlarms: results.filter((r) => !wrong(r) && flagged(r)).length,
    silent: silent.map((r) => r.problem.id),
    byFlag,
    weakSignal: weak.map((x) => x.r.problem.id),
    silentAtResolvedRank: weak
      .filter((x) => silent.includes(x.r) && within(x.r.estimate, x.at!, x.at!))
      .map((x) => x.r.problem.id),
    localAbove: above.map((x) => x.r.problem.id),
    silentWithinLocal: above
      .filter((x) => silent.includes(x.r) && within(x.r.estimate, x.r.problem.truth, x.bound!))
      .map((x) => x.r.problem.id),
    wrongBetweenRanks: signals
      .filter(
        ({ r, signal }) =>
          signal != null &&
          signal.lambdaBelow < r.problem.truth &&
          wrong(r) &&
          r.estimate >= signal.lambdaBelow &&
          r.estimate <= r.problem.truth,
      )
      .map(({ r, signal }) => ({ id: r.problem.id, margin: signal!.margin })),
    seconds: results.reduce((a, r) => a + r.seconds, 0),
  };
}

// ---------------------------------------------------------------- reporting

/** A relative error as '+12.3 %' ('–' when not finite). */
export const pct = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} %` : '–');

export const RESULT_TABLE_HEADER = [
  '| # | problem | L | d | λ | σ_r / noise edge (λ at the resolved rank) | free-energy margin μ (λ at rank r − 1) | rank(J)/2 at w0, if > λ | λ̂ ± MCSE | error | λ in ±1.96·MCSE | virial / d (range over chains) | flags | s |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

/** One markdown row; wrong and unflagged rows are marked 'SILENT'. */
export function resultRow(r: BatteryResult, index: number, tolerance = 0.1): string {
  const p = r.problem;
  const silent = !(Math.abs(r.relError) <= tolerance) && r.flags.length === 0;
  const est = Number.isFinite(r.estimate) ? `${r.estimate.toFixed(2)} ± ${r.mcse.toFixed(2)}` : 'failed';
  const signal = problemSignal(p);
  const at = resolvedTruth(p, signal);
  const snr = signal ? `${signal.ratio.toFixed(2)}${at != null ? ` (${at})` : ''}` : '–';
  const margin = signal && Number.isFinite(signal.margin) ? `${signal.margin.toFixed(2)} (${signal.lambdaBelow})` : '–';
  const eq = r.equipartitionPerChain?.filter(Number.isFinite) ?? [];
  const virial = eq.length ? `${Math.min(...eq).toFixed(2)}–${Math.max(...eq).toFixed(2)}` : '–';
  return `| ${index + 1} | ${problemName(p)} | ${p.widths.length - 1} | ${p.numParams} | ${p.truth} | ${snr} | ${margin} | ${localBound(p) ?? '–'} | ${est} | ${pct(r.relError)}${silent ? ' **SILENT**' : ''} | ${r.covered ? 'yes' : 'no'} | ${virial} | ${r.flags.join(', ') || '–'} | ${r.seconds.toFixed(0)} |`;
}

/** The summary as markdown lines. */
export function summaryLines(s: BatterySummary): string[] {
  const e = s.error;
  const flags =
    Object.entries(s.byFlag)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  return [
    `| problems | finite λ̂ | median error | quartiles | min / max | max abs error | coverage of λ̂ ± 1.96·MCSE | wrong (> ${100 * s.tolerance} %) | flagged | caught | silent failures | false alarms |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${s.problems} | ${s.finite} | ${pct(e.median)} | ${pct(e.q1)} … ${pct(e.q3)} | ${pct(e.min)} / ${pct(e.max)} | ${pct(e.maxAbs).replace('+', '')} | ${Number.isFinite(s.coverage) ? `${(100 * s.coverage).toFixed(0)} % (${s.covered}/${s.finite})` : '–'} | ${s.wrong} | ${s.flagged} | ${s.caught} | ${s.silentFailures} | ${s.falseAlarms} |`,
    '',
    `Flags raised (problems): ${flags}.`,
    s.silentFailures
      ? `Silent failures (off by more than ${100 * s.tolerance} % with no flag): ${s.silent.join(', ')}.`
      : `No silent failures (no estimate off by more than ${100 * s.tolerance} % without a flag).`,
    s.weakSignal.length
      ? `Weak signal (a true singular value below the noise edge (√d_in + √d_out)/√n, so n examples cannot show the true rank; lib/validation/signal.ts): ${s.weakSignal.length} problems (${s.weakSignal.join(', ')}); ` +
        `${s.silentAtResolvedRank.length} of the silent failures are among them with λ̂ within ${100 * s.tolerance} % of λ at the resolved rank${s.silentAtResolvedRank.length ? ` (${s.silentAtResolvedRank.join(', ')})` : ''}.`
      : 'Every DLN problem has its true rank above the noise edge.',
    s.localAbove.length
      ? `w0 not among the most singular true parameters (rank(J)/2 of the product map at w0 > λ, so the local coefficient there is above λ; lib/validation/tangent.ts): ${s.localAbove.length} problems (${s.localAbove.join(', ')}); ` +
        `${s.silentWithinLocal.length} of the silent failures are among them with λ̂ within ${100 * s.tolerance} % of [λ, rank(J)/2]${s.silentWithinLocal.length ? ` (${s.silentWithinLocal.join(', ')})` : ''}.`
      : 'At every DLN problem w0 is among the most singular true parameters (rank(J)/2 ≤ λ).',
    s.wrongBetweenRanks.length
      ? `Off by more than ${100 * s.tolerance} % and between the neighbouring ranks' values, λ(r−1) ≤ λ̂ ≤ λ(r) (free-energy margin μ = nσ_r²/(2(λ(r) − λ(r−1)) log n) in brackets; signal.ts): ` +
        `${s.wrongBetweenRanks.map((x) => `${x.id} (${x.margin.toFixed(2)})`).join(', ')}.`
      : `No estimate off by more than ${100 * s.tolerance} % lies between λ(r−1) and λ(r).`,
  ];
}

/**
 * The settings that decide a problem's result besides the problem itself (whose id names its
 * shape, rank and seed): the resolved sampler (nβ as a number, for n examples) and the
 * diagnostic thresholds. Saved with the results; a stored result is reused only under equal settings.
 */
export function batterySettings(
  sampler: LlcOptions,
  n: number,
  stepCheck = false,
  stabilityCheck = false,
): {
  sampler: ReturnType<typeof resolveLlcSettings>;
  thresholds: LlcOptions['thresholds'];
  n: number;
  stepCheck: boolean;
  stabilityCheck?: true;
} {
  const { onStep: _s, thresholds, ...rest } = sampler;
  // stabilityCheck only when on, so results stored before it existed keep their settings.
  return {
    sampler: resolveLlcSettings(rest, n),
    thresholds: thresholds ?? {},
    n,
    stepCheck,
    ...(stabilityCheck ? { stabilityCheck: true as const } : {}),
  };
}
