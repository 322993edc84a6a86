/**
 * The stability check: how close each chain's step size is to SGLD's stability limit where the
 * chain actually is.
 *
 * The update Δw = −(ε/2)∇U(w) + N(0, ε), U = nβL_n + (γ/2)‖w − w*‖² (sgld.ts), multiplies a
 * deviation along a Hessian eigenvector of U with eigenvalue h by 1 − εh/2: it diverges once
 * ε·h > 4 (sharpness.ts checks this at w*), and below that its stationary variance along the
 * direction is 1/(h(1 − εh/4)) instead of the posterior's 1/h — the chain runs hot. But the
 * curvature changes along the chain: on a deep linear network with γ = 1 the localized posterior
 * spreads along flat directions into regions whose products make it far stiffer than w*
 * (DLN 2-8-8-5-5-5: h_max of U ≈ 0.3–2 × 10⁶ over the exact posterior, validation/exact.ts, against
 * ≈ 2 × 10³ at w*). SGLD at ε = 3e-5 cannot enter where ε·h > 4, so it samples a truncated,
 * heated posterior instead, stationary and silent: its traces settle, its chains agree, the
 * equipartition holds — and λ̂ came out 60 % above λ.
 *
 * What it can see is its own stiffness: ε·h_max at the chain's draws. Measured on the battery:
 * 0.01 (regression), ≈ 0.1–0.2 (depth-2 DLNs whose SGLD λ̂ is within 7 % of the exact posterior's),
 * 1.0–3.1 along the 2-8-8-5-5-5 chain. Flag at ε·h_max > 1 (default): the stiffest direction's
 * variance inflated by ≥ 1/(1 − 1/4) = 4/3, the step within 4× of diverging.
 *
 * Cost: `probes` power iterations (sharpness.ts, 2 full-data gradient passes per iteration) per
 * chain; the chains' steps are those of estimateLlc, so λ̂ is unchanged.
 */
import { tf } from '../engine/backend';
import { DeviceSplit } from '../data/batches';
import { LossFn } from '../models/models';
import { Flag } from './diagnostics';
import { beginEstimate, ChainTrace, LlcOptions, LlcResult, startChain } from './llc';
import { SharpnessOptions, topHessianEigenvalue } from './sharpness';

/** ε·h_max above which a chain is flagged 'nearStabilityLimit' (default 1; divergence at 4). */
export const STABILITY_LIMIT = 1;

/** Draws per chain at which ε·h_max is measured, evenly spaced over the kept draws, the last included (default 4). */
export const STABILITY_PROBES = 4;

export interface StabilityCheck {
  /** ε·(nβ·λ_max(∇²L_n) + γ) at each probe, per chain (NaN where the chain had stopped). */
  perChain: number[][];
  /** The largest over every probe. */
  max: number;
}

/** Pure: the flag for the measured ε·h_max per chain, beyond `limit`. */
export function stabilityFlag(perChain: number[][], limit = STABILITY_LIMIT): Flag | null {
  const worst = perChain
    .map((xs, chain) => ({ chain, v: Math.max(...xs.filter(Number.isFinite)) }))
    .filter((x) => x.v > limit);
  if (!worst.length) return null;
  return {
    code: 'nearStabilityLimit',
    message:
      `ε·h_max reaches ${worst.map((w) => `${w.v.toFixed(2)} (chain ${w.chain})`).join(', ')} > ${limit} at the chains' draws: ` +
      `the step is within ${(4 / Math.max(...worst.map((w) => w.v))).toFixed(1)}× of SGLD's stability limit ε·h = 4 where the chain is, so it runs hot along its stiffest ` +
      'direction and cannot enter the stiffer regions the posterior may hold; λ̂ is biased, usually upward. Lower epsilon until ε·h_max stays below 1 (raise numBurnin in proportion).',
  };
}

/**
 * estimateLlc with ε·h_max measured at `probes` kept draws of every chain (the same chains and
 * λ̂), flagged 'nearStabilityLimit' beyond `limit`.
 */
export function estimateLlcWithStabilityCheck(
  lossFn: LossFn,
  weights: tf.Tensor[],
  data: DeviceSplit,
  options: LlcOptions = {},
  { probes = STABILITY_PROBES, limit = STABILITY_LIMIT, sharpness = {} as SharpnessOptions } = {},
): LlcResult & { stability: StabilityCheck } {
  const estimate = beginEstimate(lossFn, weights, data, options);
  const s = estimate.settings;
  // Probe after the last step of draws ⌈(i + 1)·numDraws/probes⌉, i = 0..probes−1.
  const probeAt = Array.from(
    { length: probes },
    (_, i) => s.numBurnin + Math.ceil(((i + 1) * s.numDraws) / probes) * s.stepsBetweenDraws,
  );
  let done = 0;
  const tick = () => options.onStep?.(++done, s.numChains * (s.numBurnin + s.numDraws * s.stepsBetweenDraws));
  const traces: ChainTrace[] = [];
  const perChain: number[][] = [];
  for (let chain = 0; chain < s.numChains; chain++) {
    const run = startChain(lossFn, weights, data, s, chain);
    try {
      const probesOfChain: number[] = [];
      for (const at of probeAt) {
        run.advance(at - run.step, tick);
        if (run.stopped) {
          probesOfChain.push(NaN);
          continue;
        }
        const w = run.weights();
        try {
          const h = topHessianEigenvalue(lossFn, w, data, { batchSize: s.evalBatchSize, ...sharpness }).lambdaMax;
          probesOfChain.push(s.epsilon * (s.nbeta * h + s.gamma));
        } finally {
          tf.dispose(w);
        }
      }
      run.advance(run.totalSteps - run.step, tick);
      traces.push(run.trace());
      perChain.push(probesOfChain);
    } finally {
      run.dispose();
    }
  }
  const result = estimate.finish(traces);
  const flag = stabilityFlag(perChain, limit);
  const flags = flag ? [...result.diagnostics.flags, flag] : result.diagnostics.flags;
  const all = perChain.flat().filter(Number.isFinite);
  return {
    ...result,
    diagnostics: { ...result.diagnostics, flags, healthy: flags.length === 0 },
    stability: { perChain, max: all.length ? Math.max(...all) : NaN },
  };
}
