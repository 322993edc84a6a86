/**
 * A saved calibration (experiments/calibration.ts) as the notebook shows it: its verdict in words
 * and its points as table records.
 */
import { CalibrationResult } from '../experiments/calibration';

const fmt = (e: number | null | undefined) => (e == null ? 'none' : String(e));

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
        ? `**Chosen**: γ = ${cal.chosen.gamma}, nβ = ${cal.chosen.nbetaFactor} × n/log n, ε = ${fmt(cal.chosen.epsilon.mlp)} (MLP), ${fmt(cal.chosen.epsilon.cnn)} (CNN); ${cal.points.length} points, ${(cal.cellSeconds / 60).toFixed(0)} min of cell compute.`
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
