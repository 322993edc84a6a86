/**
 * The step-size check: λ̂ once more at ε/2.
 *
 * A chain that samples the localized tempered posterior gives the same λ̂ for every small
 * enough ε; a λ̂ that moves when ε is halved measures the sampler, not the posterior —
 * discretisation bias when ε is too large, a posterior not yet explored when the chain is
 * too short for its ε (it travels ∝ √(steps·ε)). None of the single-run diagnostics
 * (diagnostics.ts) can see the second kind: such a chain is stationary around the wrong value,
 * so its traces settle, its chains agree and its MCSE is small.
 *
 * Both estimates use the same seed (common random numbers): their noise is positively
 * correlated, so the test below, which treats the two MCSEs as independent, errs toward
 * not flagging. The cost is a second estimate.
 */
import { tf } from '../engine/backend';
import { DeviceSplit } from '../data/batches';
import { LossFn } from '../models/models';
import { Flag } from './diagnostics';
import { estimateLlc, LlcOptions, LlcResult, LLC_DEFAULTS } from './llc';

/** |λ̂(ε) − λ̂(ε/2)| above this many combined MCSEs flags the estimate (default 3). */
export const STEP_CHECK_Z = 3;

export interface StepCheck {
  /** λ̂ ± MCSE at ε/2 (same seed and settings otherwise). */
  halfStep: { llcMean: number; llcMcse: number };
  /** (λ̂(ε) − λ̂(ε/2)) / √(MCSE(ε)² + MCSE(ε/2)²); NaN when either estimate is not finite. */
  z: number;
}

/** Pure: the z of the difference of two estimates and, beyond `zMax`, the flag that says so. */
export function stepSizeFlag(
  full: { llcMean: number; llcMcse: number },
  half: { llcMean: number; llcMcse: number },
  epsilon: number,
  zMax = STEP_CHECK_Z,
): { z: number; flag: Flag | null } {
  const z = (full.llcMean - half.llcMean) / Math.hypot(full.llcMcse, half.llcMcse);
  if (!Number.isFinite(z) || Math.abs(z) <= zMax) return { z, flag: null };
  const fmt = (r: { llcMean: number; llcMcse: number }) => `${r.llcMean.toFixed(2)} ± ${r.llcMcse.toFixed(2)}`;
  return {
    z,
    flag: {
      code: 'stepSizeDependent',
      message:
        `λ̂ moves with the step size: ${fmt(full)} at ε = ${epsilon} but ${fmt(half)} at ε/2 (z = ${z.toFixed(1)}, |z| > ${zMax}). ` +
        (half.llcMean < full.llcMean
          ? 'The smaller step reaches less of the posterior: the chain is too short for its ε (run longer, or raise ε if acceptance allows).'
          : 'The smaller step gives more: ε is large enough to bias the chain (lower it).'),
    },
  };
}

/** Pure: the estimate at ε with the check against its ε/2 twin — its flag added, the time summed. */
export function withStepCheck(full: LlcResult, half: LlcResult): LlcResult & { stepCheck: StepCheck } {
  const { z, flag } = stepSizeFlag(full, half, full.settings.epsilon);
  const flags = flag ? [...full.diagnostics.flags, flag] : full.diagnostics.flags;
  return {
    ...full,
    seconds: full.seconds + half.seconds,
    diagnostics: { ...full.diagnostics, flags, healthy: flags.length === 0 },
    stepCheck: { halfStep: { llcMean: half.llcMean, llcMcse: half.llcMcse }, z },
  };
}

/** estimateLlc at the options' ε and at ε/2 (same seed); the result at ε, flagged 'stepSizeDependent' if they disagree. */
export function estimateLlcWithStepCheck(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: LlcOptions = {},
): LlcResult & { stepCheck: StepCheck } {
  const epsilon = options.epsilon ?? LLC_DEFAULTS.epsilon;
  const onStep = (offset: number) => (done: number, steps: number) =>
    options.onStep?.(offset * steps + done, 2 * steps);
  const full = estimateLlc(lossFn, weights, data, { ...options, onStep: onStep(0) });
  const half = estimateLlc(lossFn, weights, data, { ...options, epsilon: epsilon / 2, onStep: onStep(1) });
  return withStepCheck(full, half);
}
