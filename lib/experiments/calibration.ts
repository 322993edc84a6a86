/**
 * Calibrating the sampler (ε, γ, nβ) per architecture and dataset at a profile's n, before a
 * sweep: the write-up's warning is that λ̂ is "finicky" and fails when ε and γ do not fit the
 * model, and at its own settings our full-n CNN chains blow up. A staged search, not the full
 * product:
 *
 *   stage 1  ε × γ at nβ = n/log n, on trained models of each architecture at the smallest and
 *            largest k (seed 0), every point an ordinary cell with `chains` chains and burn-in;
 *   stage 2  nβ ∈ factors × n/log n at the chosen (ε, γ).
 *
 * Every point burns in for at least `burninRelaxations` relaxation times of the chain's slowest
 * direction (burninFor): along a direction where U = nβ·L + (γ/2)‖w − w*‖² has curvature κ, the
 * update is an AR(1) whose variance approaches its stationary value as e^(−εκt); directions L is
 * flat in have κ = γ, the slowest, so the time constant is 1/(εγ) steps (3 of them: 95 %). A step
 * size that would need more than `maxBurnin` steps at a γ is not tried there: its chains would be
 * judged before they settle (at γ = 100, ε = 1e-5 needs 3,000 steps; the fixed 500 of the first
 * searches made its λ̂ still rise, flagged drifting).
 *
 * The rule (calibrationRule, stated once here and in the README):
 *   a point is healthy when no chain failed (diverged / blew up / spike), no chain's λ̂ is
 *   negative, rank-normalised split-R̂ < maxRhat, and no chain drifts;
 *   for each γ and architecture, among the ε that can equilibrate at γ, ε*(γ) is the largest that is healthy at every k AND whose
 *   λ̂ agrees with the next smaller ε's (also healthy) within max(3 combined MCSEs, flatTolerance · λ̂)
 *   at every k ("flat in ε": the step-size bias is below the noise or immaterial);
 *   γ* is the smallest γ at which every architecture has an ε* (least localization bias),
 *   shared by the architectures, as is nβ, so that their λ̂ stay comparable; ε may differ;
 *   nβ* = n/log n (factor 1) if healthy there, else the largest healthy factor below 1.
 * The result is saved as data (data/calibration/<dataset>.json) and read by the `calibrated` profile.
 */
import * as fs from 'fs';
import * as path from 'path';
import { defaultDataDir, ResultRow } from './experiment';
import { CellConfig, Dataset } from './cell';
import { nbetaFactorOf, nbetaFromFactor } from '../estimator/llc';
import { Architecture, ARCHITECTURES } from '../models/models';
import { readJson, writeJsonAtomic } from './store';
import { DEFAULT_ORDER } from '../data/tasks';
import { PolishStage } from '../train/train';

export interface CalibrationOptions {
  /** Step sizes, log-spaced (default 1e-6 … 2e-4: the write-up's 2e-4 down to 200× smaller). */
  epsilons?: number[];
  /** Localization strengths (default 10, the write-up's, 100, 1000). */
  gammas?: number[];
  /** Multiples of n/log n tried in stage 2 (default 0.5, 1, 2). */
  nbetaFactors?: number[];
  /** Labels counts of the trained models (default the smallest and largest, 2 and 10). */
  ks?: number[];
  /** Chains, draws and the least burn-in of every point (default 4 × (500 + 1000)): the calibrated profile's own. */
  numChains?: number;
  numDraws?: number;
  numBurnin?: number;
  /**
   * Burn-in in relaxation times 1/(εγ) of the slowest direction (default 3, i.e. 95 % of its
   * stationary variance): a point burns in for max(numBurnin, burninRelaxations/(εγ)) steps.
   * 0: always numBurnin (the searches saved before this option, whose files lack it).
   */
  burninRelaxations?: number;
  /** The longest burn-in a point may need (default 6,000 steps); smaller ε are not tried at that γ. */
  maxBurnin?: number;
  /**
   * Reported, not part of the rule: devinterp's MALA acceptance takes U at each point on that
   * step's own minibatch, so at n = 12,665 (nβ ≈ 1,341) the minibatch noise of nβ·L_m alone
   * holds it near 0.5–0.8 however small ε is (measured: MLP at ε = 1e-6, acceptance 0.63–0.65
   * at k = 2 and 0.50 at k = 10), and no step size reaches the 0.9 a tuned MALA step keeps.
   * The rule's discretization check is "flat in ε" instead.
   */
  minAcceptance?: number;
  /**
   * The step-size bias "flat in ε" accepts whatever the MCSE (default 0.05: 5 % of λ̂). SGLD's bias
   * is O(ε), never zero, so "within 3 MCSE" alone gets stricter as chains get longer and in the end
   * rejects every ε (mnist-long8k: the MLP's 2.8 % bias is 3.7 MCSE at 8,000 draws, 2.9 at 4,000).
   * 5 % is half the battery's 10 % error budget. 0: the MCSE test alone (the rule of the searches saved before this option).
   */
  flatTolerance?: number;
  /**
   * Largest rank-normalised split-R̂ (default 1.05). Vehtari et al. recommend 1.01 for final
   * inference, which needs a bulk ESS near 1,000; with 4 chains of 1,000 draws at ESS of a few
   * hundred, stationary chains exceed 1.01 a third of the time (test/convergence.test.ts).
   */
  maxRhat?: number;
}

export const CALIBRATION_DEFAULTS: Required<CalibrationOptions> = {
  epsilons: [1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 2e-4],
  gammas: [10, 100, 1000],
  nbetaFactors: [0.5, 1, 2],
  ks: [2, 10],
  numChains: 4,
  numDraws: 1000,
  numBurnin: 500,
  burninRelaxations: 3,
  maxBurnin: 6000,
  minAcceptance: 0.9,
  flatTolerance: 0.05,
  maxRhat: 1.05,
};

/** The rule in words, with the search's own flatness tolerance (saved with every search). */
export function calibrationRule(options: CalibrationOptions = {}): string {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const flat = o.flatTolerance > 0 ? `max(3 MCSE, ${+(o.flatTolerance * 100).toPrecision(3)} % of λ̂)` : '3 MCSE';
  return (
    (o.burninRelaxations > 0
      ? `burn-in ≥ ${o.burninRelaxations} relaxation times 1/(εγ), ε needing more than maxBurnin not tried; `
      : '') +
    `largest ε healthy at every k (no failed chain, no negative λ̂, rank-R̂ < maxRhat, no drift) and flat in ε (λ̂ within ${flat} of the next smaller healthy ε); ` +
    'smallest γ at which every architecture has such an ε, shared; nβ = n/log n if healthy there, else the largest healthy factor below 1'
  );
}

/** One evaluated point of the search. */
export interface CalibrationPoint {
  architecture: Architecture;
  k: number;
  epsilon: number;
  gamma: number;
  nbetaFactor: number;
  llc: number;
  mcse: number;
  minAcceptance: number;
  rhatRank: number;
  /** ‖∇L_n(w*)‖ of the point's trained model (absent in points computed before it was recorded). */
  gradNorm?: number;
  flags: string[];
  healthy: boolean;
  /** Why it is not healthy (empty when healthy). */
  reasons: string[];
}

export interface CalibrationResult {
  dataset: Dataset;
  /** The profile whose n and training the calibration used. */
  profile: string;
  numTrain: number;
  /**
   * The polish its models were trained with after the profile's training (train.ts POLISH), which
   * the calibrated profile's cells then get too; null or absent: the profile's training alone.
   */
  polish?: PolishStage[] | null;
  options: Required<CalibrationOptions>;
  rule: string;
  /** False when the search stopped before the rule decided (`--cached-only`): no choice is made. */
  complete: boolean;
  /**
   * The choice: per-architecture ε, shared γ and nβ factor, and the burn-in its (ε, γ) needs
   * (absent in files saved before burninRelaxations: options.numBurnin); null where no setting passed.
   */
  chosen: {
    gamma: number;
    nbetaFactor: number;
    epsilon: Partial<Record<Architecture, number>>;
    numBurnin?: Partial<Record<Architecture, number>>;
  } | null;
  /** What the rule found at each γ (for the notebook's table). */
  perGamma: { gamma: number; epsilon: Partial<Record<Architecture, number | null>> }[];
  points: CalibrationPoint[];
  /** Wall time of this run of the script, and the compute time of every point's cell (training + SGLD, one worker each). */
  seconds: number;
  cellSeconds: number;
  finishedAt: string;
  /** When today's rule was last re-applied to these points (`calibrate --redecide`), if ever. */
  redecidedAt?: string;
}

/**
 * data/calibration/<dataset>.json, read by the calibrated profile; with a variant,
 * <dataset>-<variant>.json, a search kept for the record (mnist-plateau: the models without polish).
 */
export function calibrationPath(dataset: Dataset, dataDir = defaultDataDir(), variant?: string): string {
  return path.join(dataDir, 'calibration', `${dataset}${variant ? `-${variant}` : ''}.json`);
}

export function readCalibration(dataset: Dataset, dataDir?: string, variant?: string): CalibrationResult | null {
  const file = calibrationPath(dataset, dataDir, variant);
  return fs.existsSync(file) ? readJson<CalibrationResult>(file) : null;
}

export function writeCalibration(result: CalibrationResult, dataDir?: string, variant?: string): string {
  const file = calibrationPath(result.dataset, dataDir, variant);
  writeJsonAtomic(file, result);
  return file;
}

/**
 * The burn-in of a point at (ε, γ): max(numBurnin, ⌈burninRelaxations/(εγ)⌉) (module comment),
 * or null when that exceeds maxBurnin: the point cannot settle within the search's budget.
 */
export function burninFor(epsilon: number, gamma: number, options: CalibrationOptions = {}): number | null {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const need = burninNeeded(epsilon, gamma, o);
  return need > o.maxBurnin ? null : need;
}

/** max(numBurnin, ⌈burninRelaxations/(εγ)⌉), whatever maxBurnin says (numBurnin when burninRelaxations is 0). */
function burninNeeded(epsilon: number, gamma: number, o: Required<CalibrationOptions>): number {
  if (!(o.burninRelaxations > 0)) return o.numBurnin;
  // toPrecision: 3/(1e-5·100) is 3000.0000000000005 in floating point, not 3001 steps.
  return Math.max(o.numBurnin, Math.ceil(Number((o.burninRelaxations / (epsilon * gamma)).toPrecision(12))));
}

/** The step sizes a point at γ can equilibrate with (burninFor not null), largest first. */
export function reachableEpsilons(gamma: number, options: CalibrationOptions = {}): number[] {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  return [...o.epsilons].sort((x, y) => y - x).filter((e) => burninFor(e, gamma, o) != null);
}

/** The cell of one search point (an ordinary cell: cached, resumable, run by the runner). */
export function calibrationCell(
  base: CellConfig,
  o: Required<CalibrationOptions>,
  p: { architecture: Architecture; k: number; epsilon: number; gamma: number; nbetaFactor: number },
): CellConfig {
  return {
    ...base,
    architecture: p.architecture,
    k: p.k,
    order: DEFAULT_ORDER.slice(),
    seed: 0,
    llc: {
      ...base.llc,
      epsilon: p.epsilon,
      gamma: p.gamma,
      nbeta: nbetaFromFactor(p.nbetaFactor, base.numTrain),
      numChains: o.numChains,
      numDraws: o.numDraws,
      numBurnin: burnin(p.epsilon, p.gamma, o),
    },
  };
}

function burnin(epsilon: number, gamma: number, o: Required<CalibrationOptions>): number {
  const b = burninFor(epsilon, gamma, o);
  if (b == null)
    throw new Error(
      `ε = ${epsilon} at γ = ${gamma} needs ${burninNeeded(epsilon, gamma, o)} burn-in steps, more than maxBurnin = ${o.maxBurnin}`,
    );
  return b;
}

/** Stage 1's cells: ε × γ × architecture × k at nβ = n/log n, for the ε that can equilibrate at each γ. */
export function stage1Cells(base: CellConfig, options: CalibrationOptions = {}): CellConfig[] {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  return o.gammas.flatMap((gamma) =>
    reachableEpsilons(gamma, o).flatMap((epsilon) =>
      ARCHITECTURES.flatMap((architecture) =>
        o.ks.map((k) => calibrationCell(base, o, { architecture, k, epsilon, gamma, nbetaFactor: 1 })),
      ),
    ),
  );
}

/**
 * The next wave of stage 1: for the smallest γ not yet decided, each architecture still
 * undecided needs its next pair of step sizes (from the largest down); [] once γ* is found
 * or every γ is exhausted. Cells already computed come back from the cache, so asking again
 * after an interruption resumes the search.
 */
export function nextStage1Cells(
  points: CalibrationPoint[],
  base: CellConfig,
  options: CalibrationOptions = {},
): CellConfig[] {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  return nextStage1Points(points, o).flatMap(({ architecture, gamma, epsilon }) =>
    o.ks.map((k) => calibrationCell(base, o, { architecture, k, epsilon, gamma, nbetaFactor: 1 })),
  );
}

/** nextStage1Cells' (architecture, γ, ε) before they become cells, one per k. */
function nextStage1Points(
  points: CalibrationPoint[],
  o: Required<CalibrationOptions>,
): { architecture: Architecture; gamma: number; epsilon: number }[] {
  const has = (a: Architecture, gamma: number, e: number) =>
    o.ks.every((k) =>
      points.some(
        (p) => p.architecture === a && p.gamma === gamma && p.nbetaFactor === 1 && p.epsilon === e && p.k === k,
      ),
    );
  for (const gamma of [...o.gammas].sort((x, y) => x - y)) {
    const pending = ARCHITECTURES.filter((a) => chooseEpsilon(points, a, gamma, o) == null);
    if (pending.length === 0) return []; // γ* found: the smallest γ where every architecture has an ε*
    const eps = reachableEpsilons(gamma, o);
    const next = pending.map((a) => ({ a, i: eps.findIndex((e) => !has(a, gamma, e)) }));
    // An architecture with every ε evaluated and none passing fails this γ for all: try the next γ.
    if (next.some(({ i }) => i < 0)) continue;
    // From the top down: the first pair at once, then one step size at a time.
    return next.flatMap(({ a, i }) =>
      (i === 0 ? eps.slice(0, 2) : [eps[i]]).map((epsilon) => ({ architecture: a, gamma, epsilon })),
    );
  }
  return [];
}

/** Stage 2's cells: the other nβ factors at the chosen (ε per architecture, γ). */
export function stage2Cells(
  base: CellConfig,
  chosen: { gamma: number; epsilon: Partial<Record<Architecture, number>> },
  options: CalibrationOptions = {},
): CellConfig[] {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  return o.nbetaFactors
    .filter((f) => f !== 1)
    .flatMap((nbetaFactor) =>
      ARCHITECTURES.flatMap((architecture) =>
        chosen.epsilon[architecture] == null
          ? []
          : o.ks.map((k) =>
              calibrationCell(base, o, {
                architecture,
                k,
                epsilon: chosen.epsilon[architecture]!,
                gamma: chosen.gamma,
                nbetaFactor,
              }),
            ),
      ),
    );
}

/** A result row as a search point, judged by the rule's health criteria. */
export function toPoint(row: ResultRow, options: CalibrationOptions = {}): CalibrationPoint {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const llc = row.config.llc;
  const nbetaFactor = nbetaFactorOf(llc.nbeta, row.numTrain);
  const acc = row.acceptancePerChain ?? [];
  const minAcc = acc.length ? Math.min(...acc.map((a) => (Number.isFinite(a) ? a : -Infinity))) : NaN;
  const reasons = [
    row.failed
      ? `every chain failed (${row.failReason})`
      : row.failedChains.length
        ? `${row.failedChains.length} chain(s) failed`
        : '',
    !(row.rhatRank < o.maxRhat)
      ? `rank-R̂ ${Number.isFinite(row.rhatRank) ? row.rhatRank.toFixed(3) : 'n/a'} ≥ ${o.maxRhat}`
      : '',
    row.flags.includes('drifting') ? 'drifting' : '',
    // Below L_n(w*) on average: the chain descends (w* is not a minimum at this resolution), no LLC.
    row.flags.includes('negative') || row.llcMean < 0 ? 'negative λ̂' : '',
  ].filter(Boolean);
  return {
    architecture: row.architecture,
    k: row.k,
    epsilon: llc.epsilon,
    gamma: llc.gamma,
    nbetaFactor,
    llc: row.llcMean,
    mcse: row.llcMcse,
    minAcceptance: minAcc,
    rhatRank: row.rhatRank,
    ...(row.gradNorm != null ? { gradNorm: row.gradNorm } : {}),
    flags: [...new Set(row.flags)],
    healthy: reasons.length === 0,
    reasons,
  };
}

/** Points at (architecture, γ, nβ factor, ε), by k. */
function at(
  points: CalibrationPoint[],
  a: Architecture,
  gamma: number,
  factor: number,
  epsilon: number,
): CalibrationPoint[] {
  return points.filter(
    (p) => p.architecture === a && p.gamma === gamma && p.nbetaFactor === factor && p.epsilon === epsilon,
  );
}

/** Healthy at every k of the search. */
function healthyAtEveryK(ps: CalibrationPoint[], ks: number[]): boolean {
  return ks.every((k) => ps.some((p) => p.k === k && p.healthy));
}

/** λ̂ at two step sizes agree within max(3 combined MCSEs, tolerance × the larger |λ̂|) at every k. */
function flatBetween(a: CalibrationPoint[], b: CalibrationPoint[], ks: number[], tolerance: number): boolean {
  return ks.every((k) => {
    const x = a.find((p) => p.k === k);
    const y = b.find((p) => p.k === k);
    if (x == null || y == null) return false;
    const allowed = Math.max(3 * Math.hypot(x.mcse, y.mcse), tolerance * Math.max(Math.abs(x.llc), Math.abs(y.llc)));
    return Math.abs(x.llc - y.llc) <= allowed;
  });
}

/**
 * Stage 1's rule for one architecture and γ: the largest healthy ε that is flat against the next
 * smaller one that can equilibrate at γ (null if none).
 */
export function chooseEpsilon(
  points: CalibrationPoint[],
  a: Architecture,
  gamma: number,
  options: CalibrationOptions = {},
): number | null {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const eps = reachableEpsilons(gamma, o);
  for (let i = 0; i < eps.length - 1; i++) {
    const here = at(points, a, gamma, 1, eps[i]);
    const below = at(points, a, gamma, 1, eps[i + 1]);
    if (healthyAtEveryK(here, o.ks) && healthyAtEveryK(below, o.ks) && flatBetween(here, below, o.ks, o.flatTolerance))
      return eps[i];
  }
  return null;
}

/** Stage 1's choice: ε per architecture at each γ, and the shared γ (the smallest at which every architecture has an ε). */
export function chooseStage1(
  points: CalibrationPoint[],
  options: CalibrationOptions = {},
): { perGamma: CalibrationResult['perGamma']; gamma: number | null; epsilon: Partial<Record<Architecture, number>> } {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const perGamma = [...o.gammas]
    .sort((x, y) => x - y)
    .map((gamma) => ({
      gamma,
      epsilon: Object.fromEntries(ARCHITECTURES.map((a) => [a, chooseEpsilon(points, a, gamma, o)])) as Partial<
        Record<Architecture, number | null>
      >,
    }));
  const ok = perGamma.find((g) => ARCHITECTURES.every((a) => g.epsilon[a] != null));
  return { perGamma, gamma: ok?.gamma ?? null, epsilon: ok ? (ok.epsilon as Record<Architecture, number>) : {} };
}

/** Stage 2's choice: factor 1 if healthy at the chosen point for every architecture and k, else the largest healthy factor below 1 (null if none). */
export function chooseNbetaFactor(
  points: CalibrationPoint[],
  chosen: { gamma: number; epsilon: Partial<Record<Architecture, number>> },
  options: CalibrationOptions = {},
): number | null {
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const healthyAt = (f: number) =>
    ARCHITECTURES.every(
      (a) => chosen.epsilon[a] != null && healthyAtEveryK(at(points, a, chosen.gamma, f, chosen.epsilon[a]!), o.ks),
    );
  if (healthyAt(1)) return 1;
  const below = o.nbetaFactors.filter((f) => f < 1).sort((x, y) => y - x);
  return below.find(healthyAt) ?? null;
}

/**
 * A saved search re-decided by today's rule (with `options` over the saved ones, e.g. another
 * flatTolerance): its points, timings and polish kept, nothing computed. Complete only if the
 * rule needs no point the search lacks (a stricter rule may ask for more: rerun the search then).
 */
export function redecide(saved: CalibrationResult, options: CalibrationOptions = {}): CalibrationResult {
  // A file saved before burninRelaxations ran with the fixed burn-in: 0, not today's default.
  const o = { ...CALIBRATION_DEFAULTS, burninRelaxations: 0, ...(saved.options as CalibrationOptions), ...options };
  const { points } = saved;
  const s1 = chooseStage1(points, o);
  const stage2Known =
    s1.gamma == null ||
    o.nbetaFactors.every((f) =>
      ARCHITECTURES.every((a) => o.ks.every((k) => at(points, a, s1.gamma!, f, s1.epsilon[a]!).some((p) => p.k === k))),
    );
  const complete = saved.complete && nextStage1Points(points, o).length === 0 && stage2Known;
  const factor =
    complete && s1.gamma != null ? chooseNbetaFactor(points, { gamma: s1.gamma, epsilon: s1.epsilon }, o) : null;
  const numBurnin = (gamma: number) =>
    Object.fromEntries(Object.entries(s1.epsilon).map(([a, e]) => [a, burninFor(e, gamma, o)!]));
  return {
    ...saved,
    options: o,
    rule: calibrationRule(o),
    complete,
    chosen:
      factor != null && s1.gamma != null
        ? {
            gamma: s1.gamma,
            nbetaFactor: factor,
            epsilon: s1.epsilon,
            ...(o.burninRelaxations > 0 ? { numBurnin: numBurnin(s1.gamma) } : {}),
          }
        : null,
    perGamma: s1.perGamma,
    redecidedAt: new Date().toISOString(),
  };
}
