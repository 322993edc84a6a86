/**
 * The battery's exact reference: each DLN problem's λ̂ under the exact localized tempered
 * posterior at the battery's own n, β, γ and w* (exact.ts), so that an SGLD estimate's error
 * splits in two —
 *
 *   λ̂_SGLD − λ  =  (λ̂_SGLD − λ̂_exact)  +  (λ̂_exact − λ)
 *                    the sampler's          the estimand's (finite n, γ)
 *
 * Measured first on DLN 2-9-3 rank 1 seed 0: SGLD at the calibration rule's burn-in gives
 * 3.20 ± 0.05, the exact posterior 2.99 ± 0.01 against λ = 3 — the error was the sampler's.
 */
import { BatteryProblem, scoreEstimate, BatteryResult, problemName, pct, quantile } from './battery';
import { median } from '../math/stats';
import { dlnProblem } from './groundtruth';
import { dlnStats, DlnStats, exactLocalizedLlc, ExactLlcOptions, ExactLlcResult } from './exact';

/** A battery problem's data as the exact sampler needs it: the sufficient statistics and w* (float64, layers row-major). */
export function problemStats(problem: BatteryProblem): { stats: DlnStats; wStar: Float64Array; truth: number } {
  const p = dlnProblem({ widths: problem.widths, rank: problem.rank, n: problem.n, seed: problem.seed });
  try {
    const stats = dlnStats(problem.widths, p.data.x.dataSync(), p.data.y.dataSync(), problem.n);
    const wStar = Float64Array.from(p.wStar.flatMap((t) => Array.from(t.dataSync())));
    return { stats, wStar, truth: p.truth };
  } finally {
    p.dispose();
  }
}

export interface ReferenceResult {
  problem: BatteryProblem;
  /** The exact estimand at this n, β, γ and w* (mean over chains) and its Monte-Carlo error. */
  estimate: number;
  mcse: number;
  /** (estimate − λ)/λ, and whether λ lies in estimate ± 1.96·MCSE. */
  relError: number;
  covered: boolean;
  exact: Omit<ExactLlcResult, 'llcMean' | 'llcMcse'>;
}

/** The exact reference of one problem (its chains seeded by the problem id, like the battery's). */
export function referenceFor(problem: BatteryProblem, seed: number, options: ExactLlcOptions = {}): ReferenceResult {
  const { stats, wStar } = problemStats(problem);
  const { llcMean, llcMcse, ...exact } = exactLocalizedLlc(stats, wStar, { ...options, seed });
  return { problem, estimate: llcMean, mcse: llcMcse, ...scoreEstimate(problem.truth, llcMean, llcMcse), exact };
}

const range = (xs: number[], digits: number, f = (x: number) => x.toFixed(digits)) =>
  xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '–';

export const REFERENCE_TABLE_HEADER = [
  '| # | problem | d | λ | exact λ̂ ± MCSE | error | λ in ±1.96·MCSE | ε (per chain) | acceptance | relaxations 2/(εγ) in draws | virial / d | max abs drift z | chains agree p | s |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

/** One markdown row of the exact references; a chain stopped by maxSteps is marked 'capped'. */
export function referenceRow(r: ReferenceResult, index: number): string {
  const e = r.exact;
  const drift = Math.max(...e.driftZ.map(Math.abs));
  return `| ${index + 1} | ${problemName(r.problem)} | ${r.problem.numParams} | ${r.problem.truth} | ${r.estimate.toFixed(2)} ± ${r.mcse.toFixed(2)} | ${pct(r.relError)} | ${r.covered ? 'yes' : 'no'} | ${range(e.epsilon, 1, (x) => x.toExponential(1))} | ${range(e.acceptance, 2)} | ${range(e.relaxations, 0)}${e.capped ? ' (capped)' : ''} | ${range(e.virialPerD, 2)} | ${drift.toFixed(1)} | ${e.chainAgreementP.toFixed(2)} | ${e.seconds.toFixed(0)} |`;
}

export interface SamplerError {
  id: string;
  truth: number;
  exact: number;
  exactMcse: number;
  sgld: number;
  sgldMcse: number;
  /** (λ̂_SGLD − λ̂_exact)/λ̂_exact: the sampler's error alone. */
  samplerError: number;
  /** (λ̂_SGLD − λ̂_exact)/√(MCSE² + MCSE²). */
  z: number;
  /** (λ̂_exact − λ)/λ: the estimand's error alone. */
  estimandError: number;
  flags: string[];
}

/** The settings that make an SGLD estimate and an exact reference estimate the same quantity. */
export interface EstimandSettings {
  n: number;
  gamma: number;
  nbeta: number;
}

/**
 * Pure: why an SGLD battery and an exact-reference file do not estimate the same quantity (n, γ
 * or nβ differ; the problem ids do not say n), or null when they do.
 */
export function estimandMismatch(sgld: EstimandSettings, exact: EstimandSettings): string | null {
  const differs = (['n', 'gamma', 'nbeta'] as const).filter(
    (k) => Math.abs(sgld[k] - exact[k]) > 1e-9 * Math.max(1, Math.abs(sgld[k])),
  );
  return differs.length
    ? `the SGLD results and the exact references are at different settings (${differs.map((k) => `${k} ${sgld[k]} vs ${exact[k]}`).join(', ')}): they do not estimate the same λ̂`
    : null;
}

/**
 * Pure: pair SGLD results with the exact references of the same problems (by id and n); unmatched
 * ones are left out. A problem with references in two files is an error: which one counts would be arbitrary.
 */
export function samplerErrors(sgld: BatteryResult[], references: ReferenceResult[]): SamplerError[] {
  const byId = new Map<string, ReferenceResult>();
  for (const r of references) {
    if (byId.has(r.problem.id)) throw new Error(`exact references: problem '${r.problem.id}' has two references`);
    byId.set(r.problem.id, r);
  }
  return sgld.flatMap((s) => {
    const ref = byId.get(s.problem.id);
    if (!ref || ref.problem.n !== s.problem.n) return [];
    return [
      {
        id: s.problem.id,
        truth: s.problem.truth,
        exact: ref.estimate,
        exactMcse: ref.mcse,
        sgld: s.estimate,
        sgldMcse: s.mcse,
        samplerError: (s.estimate - ref.estimate) / ref.estimate,
        z: (s.estimate - ref.estimate) / Math.hypot(s.mcse, ref.mcse),
        estimandError: ref.relError,
        flags: s.flags,
      },
    ];
  });
}

/** The sampler's errors over the paired problems: does a flag catch every SGLD estimate far from its exact estimand? */
export interface SamplerSummary {
  paired: number;
  tolerance: number;
  /** Signed sampler error (λ̂_SGLD − λ̂_exact)/λ̂_exact: median, quartiles, largest |error|. */
  error: { median: number; q1: number; q3: number; maxAbs: number };
  /** |z| ≤ 1.96: SGLD and exact agree within their combined Monte-Carlo error. */
  agree: number;
  /** |sampler error| > tolerance: the sampler's failures, and the ids of those that carry no flag. */
  wrong: number;
  caught: number;
  silent: string[];
  /** Flagged although within tolerance of the exact estimand. */
  falseAlarms: number;
  /** |estimand error| > tolerance: n (or γ) keeps the exact posterior itself away from λ; no sampler can fix these. */
  estimandOff: string[];
}

/** Pure: summarise the sampler's errors against the exact estimand (tolerance 10 %, as the battery's goal). */
export function samplerSummary(errors: SamplerError[], tolerance = 0.1): SamplerSummary {
  const e = errors.map((x) => x.samplerError).filter(Number.isFinite);
  const wrong = errors.filter((x) => !(Math.abs(x.samplerError) <= tolerance));
  return {
    paired: errors.length,
    tolerance,
    error: {
      median: median(e),
      q1: quantile(e, 0.25),
      q3: quantile(e, 0.75),
      maxAbs: e.length ? Math.max(...e.map(Math.abs)) : NaN,
    },
    agree: errors.filter((x) => Math.abs(x.z) <= 1.96).length,
    wrong: wrong.length,
    caught: wrong.filter((x) => x.flags.length > 0).length,
    silent: wrong.filter((x) => x.flags.length === 0).map((x) => x.id),
    falseAlarms: errors.filter((x) => Math.abs(x.samplerError) <= tolerance && x.flags.length > 0).length,
    estimandOff: errors.filter((x) => !(Math.abs(x.estimandError) <= tolerance)).map((x) => x.id),
  };
}

/** The sampler summary as markdown lines. */
export function samplerSummaryLines(s: SamplerSummary): string[] {
  const t = `${100 * s.tolerance} %`;
  return [
    `| paired | median SGLD − exact | quartiles | max abs | agree within 1.96 combined MCSE | sampler wrong (> ${t}) | caught | silent | false alarms |`,
    '|---|---|---|---|---|---|---|---|---|',
    `| ${s.paired} | ${pct(s.error.median)} | ${pct(s.error.q1)} … ${pct(s.error.q3)} | ${pct(s.error.maxAbs).replace('+', '')} | ${s.agree} | ${s.wrong} | ${s.caught} | ${s.silent.length} | ${s.falseAlarms} |`,
    '',
    s.silent.length
      ? `Silent sampler failures (more than ${t} from the exact estimand, no flag): ${s.silent.join(', ')}.`
      : `No silent sampler failures (no SGLD estimate more than ${t} from its exact estimand without a flag).`,
    s.estimandOff.length
      ? `Exact estimand itself more than ${t} from λ (the finite-n posterior's, not the sampler's): ${s.estimandOff.join(', ')}.`
      : `Every exact estimand within ${t} of λ.`,
  ];
}

export const SAMPLER_ERROR_HEADER = [
  '| problem | λ | exact λ̂ ± MCSE (estimand error) | SGLD λ̂ ± MCSE | SGLD − exact (z) | SGLD flags |',
  '|---|---|---|---|---|---|',
];

export function samplerErrorRow(e: SamplerError): string {
  return `| ${e.id} | ${e.truth} | ${e.exact.toFixed(2)} ± ${e.exactMcse.toFixed(2)} (${pct(e.estimandError)}) | ${e.sgld.toFixed(2)} ± ${e.sgldMcse.toFixed(2)} | ${pct(e.samplerError)} (${e.z.toFixed(1)}) | ${e.flags.join(', ') || '–'} |`;
}
