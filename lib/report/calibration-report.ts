/**
 * A saved calibration (experiments/calibration.ts) as the notebook shows it: its verdict in words
 * and its points as table records.
 */
import { CalibrationResult } from '../experiments/calibration';
import { linearFit } from '../math/stats';
import { Architecture } from '../models/models';

const fmt = (e: number | null | undefined) => (e == null ? 'none' : String(e));
const burnin = (cal: CalibrationResult, a: Architecture) => cal.chosen?.numBurnin?.[a] ?? cal.options.numBurnin;

/** The rule, what it found at each γ, and the choice (or why there is none), as markdown. */
export function calibrationVerdict(cal: CalibrationResult): string {
  const polish = cal.polish?.length
    ? `the models trained as the profile trains them, then polished (${cal.polish.map((p) => `${p.epochs} epochs at lr ${p.learningRate}`).join(', ')})`
    : 'the models as the profile trains them (no polish)';
  const grads = cal.points.map((p) => p.gradNorm).filter((g): g is number => g != null && Number.isFinite(g));
  return [
    `**Models**: ${polish}${grads.length ? `; ‖∇L_n(w*)‖ ${Math.min(...grads).toExponential(1)}–${Math.max(...grads).toExponential(1)}` : ''}.`,
    `**Rule** (\`lib/experiments/calibration.ts\`): ${cal.rule}.`,
    `**Per γ**: ${cal.perGamma.map((g) => `γ = ${g.gamma}: MLP ε* ${fmt(g.epsilon.mlp)}, CNN ε* ${fmt(g.epsilon.cnn)}`).join('; ')}.`,
    !cal.complete
      ? `**Incomplete**: the search has evaluated ${cal.points.length} points (${(cal.cellSeconds / 60).toFixed(0)} min of cell compute) and needs more before its rule decides; \`npm run calibrate\` continues it from the cached cells.`
      : cal.chosen
        ? `**Chosen**: γ = ${cal.chosen.gamma}, nβ = ${cal.chosen.nbetaFactor} × n/log n, ε = ${fmt(cal.chosen.epsilon.mlp)} (MLP), ${fmt(cal.chosen.epsilon.cnn)} (CNN), ${cal.options.numChains} chains of ${cal.options.numDraws} draws after ${burnin(cal, 'mlp')} (MLP) and ${burnin(cal, 'cnn')} (CNN) burn-in steps; ${cal.points.length} points, ${(cal.cellSeconds / 60).toFixed(0)} min of cell compute.`
        : `**No setting passed the rule** among the ${cal.points.length} points evaluated (${(cal.cellSeconds / 60).toFixed(0)} min of cell compute): see the reasons below.`,
  ].join('\n\n');
}

/** One record per point: the setting, λ̂ ± MCSE, the diagnostics and the verdict. */
export function calibrationRecords(cal: CalibrationResult): Record<string, string | number>[] {
  return cal.points.map((q) => ({
    architecture: q.architecture,
    k: q.k,
    gamma: q.gamma,
    epsilon: q.epsilon,
    nbeta: q.nbetaFactor,
    llc: q.llc,
    mcse: q.mcse,
    rhatRank: q.rhatRank,
    acceptance: q.minAcceptance,
    ...(q.gradNorm != null ? { gradNorm: q.gradNorm } : {}),
    verdict: q.reasons.join('; ') || 'healthy',
  }));
}

/** λ̂ at the choice against the next smaller γ and across nβ, for one architecture (see gammaSensitivity). */
export interface GammaSensitivity {
  architecture: string;
  k: number;
  epsilon: number;
  gamma: number;
  /** The point at the choice (nβ = n/log n), if the search has it. */
  here?: { llc: number; mcse: number };
  /** The same ε and nβ at the next smaller γ: λ̂ there over λ̂ at the choice. */
  below?: { gamma: number; llc: number; mcse: number; ratio: number; healthy: boolean; reasons: string[] };
  /** λ̂ over the stage-2 nβ factors at the choice, and the slope of log λ̂ on log nβ. */
  byNbeta?: { factors: number[]; llcs: number[]; slope: number };
}

/**
 * Does localization set λ̂ at the choice? An LLC depends on neither γ nor nβ (for γ small enough
 * and nβ in the range where the asymptotics hold), so at the chosen ε and the largest k, compare
 * λ̂ at γ* with λ̂ at the next smaller γ (same ε and nβ), and how λ̂ scales with nβ over the
 * stage-2 factors (the slope of log λ̂ on log nβ: 0 for an LLC, 1 if λ̂ ∝ nβ). [] without a choice.
 */
export function gammaSensitivity(cal: CalibrationResult): GammaSensitivity[] {
  if (!cal.chosen) return [];
  const { gamma, epsilon } = cal.chosen;
  const k = Math.max(...cal.options.ks);
  const below = [...cal.options.gammas]
    .sort((a, b) => a - b)
    .filter((g) => g < gamma)
    .pop();
  return Object.entries(epsilon).map(([architecture, eps]) => {
    const at = (g: number, f: number) =>
      cal.points.find(
        (p) =>
          p.architecture === architecture && p.k === k && p.gamma === g && p.nbetaFactor === f && p.epsilon === eps,
      );
    const here = at(gamma, 1);
    const out: GammaSensitivity = { architecture, k, epsilon: eps, gamma };
    if (!here) return out;
    out.here = { llc: here.llc, mcse: here.mcse };
    const other = below != null ? at(below, 1) : undefined;
    if (other)
      out.below = {
        gamma: below!,
        llc: other.llc,
        mcse: other.mcse,
        ratio: other.llc / here.llc,
        healthy: other.healthy,
        reasons: other.reasons,
      };
    const byFactor = cal.options.nbetaFactors
      .map((f) => ({ f, p: at(gamma, f) }))
      .filter((x): x is { f: number; p: NonNullable<typeof here> } => x.p != null && x.p.llc > 0);
    if (byFactor.length >= 2) {
      const { slope } = linearFit(
        byFactor.map((x) => Math.log(x.f)),
        byFactor.map((x) => Math.log(x.p.llc)),
      );
      out.byNbeta = { factors: byFactor.map((x) => x.f), llcs: byFactor.map((x) => x.p.llc), slope };
    }
    return out;
  });
}

/** gammaSensitivity as markdown, or null without a choice. */
export function localizationCheck(cal: CalibrationResult): string | null {
  if (!cal.chosen) return null;
  const lines = gammaSensitivity(cal).map((g) => {
    if (!g.here) return `- ${g.architecture.toUpperCase()}: no point at the choice`;
    const parts = [`λ̂ = ${g.here.llc.toFixed(2)} ± ${g.here.mcse.toFixed(2)} at γ = ${g.gamma}`];
    const b = g.below;
    if (b)
      parts.push(
        `${b.llc.toFixed(2)} ± ${b.mcse.toFixed(2)} at γ = ${b.gamma} (${b.ratio.toFixed(1)}×${b.healthy ? '' : `; not healthy there: ${b.reasons.join(', ')}`})`,
      );
    const n = g.byNbeta;
    if (n)
      parts.push(
        `over nβ = ${n.factors.map((f) => `${f}×`).join(', ')} n/log n: ${n.llcs.map((x) => x.toFixed(2)).join(', ')} (λ̂ ∝ nβ^${n.slope.toFixed(2)})`,
      );
    return `- ${g.architecture.toUpperCase()}, k = ${g.k}, ε = ${g.epsilon}: ${parts.join('; ')}`;
  });
  return [
    `**Does localization set λ̂ at the choice?** An LLC depends on neither γ nor nβ; at γ = ${cal.chosen.gamma}:`,
    ...lines,
  ].join('\n');
}
