/**
 * Diagnostics that flag a miscalibrated SGLD chain. The write-up's warning: the
 * estimator returns negative or very large λ̂ when ε and γ do not fit the model's
 * convergence. Every check is a pure function of numbers, with a message saying what to change.
 */

export type FlagCode = 'diverged' | 'negative' | 'exceedsHalfDim' | 'unsettled' | 'spike' | 'chainsDisagree' | 'lowAcceptance';

export interface Flag {
  code: FlagCode;
  /** The chain it concerns; absent for flags about all chains together. */
  chain?: number;
  message: string;
}

export interface Diagnostics {
  flags: Flag[];
  /** No flags at all. */
  healthy: boolean;
  /** Chains whose trace is not finite: excluded from the mean, never averaged silently. */
  failedChains: number[];
  /** Per chain: z-score of (mean of 2nd half − mean of 1st half) of the draws, batch-means standard error. */
  settleZ: number[];
  /** Gelman–Rubin potential scale reduction of the loss traces (NaN with < 2 usable chains). */
  rhat: number;
}

export interface DiagnosticThresholds {
  /** |z| above which a trace counts as not settled (default 4). */
  settleZ?: number;
  /** R̂ above which chains disagree (default 1.1, Gelman et al. 2013). */
  rhat?: number;
  /** Mean MALA acceptance below which the step size is too large (default 0.5; healthy ≈ 0.9). */
  acceptance?: number;
  /**
   * Largest share of a chain's Σ nβ(L_m − L_n(w*)) that one draw may carry (default 0.1,
   * checked from 100 draws on). Over the quick sweeps' 166 chains the median share is 1.2 %;
   * the chains above 10 % each had one minibatch loss hundreds of times the typical one:
   * an excursion out of the basin that alone sets λ̂, which the settling test misses
   * because the spike also inflates its noise estimate.
   */
  spikeShare?: number;
}

export const DIAGNOSTIC_DEFAULTS: Required<DiagnosticThresholds> = { settleZ: 4, rhat: 1.1, acceptance: 0.5, spikeShare: 0.1 };

/** The largest single draw's share of Σ (L_i − L*) and where it is (NaN when the sum is ≤ 0). */
export function maxDrawShare(trace: ArrayLike<number>, initLoss: number): { share: number; index: number } {
  let sum = 0;
  let max = -Infinity;
  let index = -1;
  for (let i = 0; i < trace.length; i++) {
    const v = trace[i] - initLoss;
    sum += v;
    if (v > max) [max, index] = [v, i];
  }
  return { share: sum > 0 ? max / sum : NaN, index };
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample variance (n − 1). */
export function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return s / (xs.length - 1);
}

/**
 * Standard error of the mean of an autocorrelated series by batch means
 * (split into `numBatches` consecutive batches; SE = sd(batch means)/√numBatches).
 */
export function batchMeansSE(xs: ArrayLike<number>, numBatches = 10): number {
  const size = Math.floor(xs.length / numBatches);
  if (size < 1) return Math.sqrt(variance(xs) / xs.length);
  const means = Array.from({ length: numBatches }, (_, b) => mean(Array.prototype.slice.call(xs, b * size, (b + 1) * size)));
  return Math.sqrt(variance(means) / numBatches);
}

/** z of the difference between the means of the second and first half of a trace. */
export function settleZ(trace: ArrayLike<number>): number {
  const half = Math.floor(trace.length / 2);
  if (half < 4) return 0;
  const first = Array.prototype.slice.call(trace, 0, half);
  const second = Array.prototype.slice.call(trace, trace.length - half);
  const se = Math.hypot(batchMeansSE(first), batchMeansSE(second));
  const diff = mean(second) - mean(first);
  return se > 0 ? diff / se : diff === 0 ? 0 : Infinity * Math.sign(diff);
}

/** Gelman–Rubin R̂ over equal-length chains (Gelman et al. 2013, eq. 11.4). */
export function rhat(traces: ArrayLike<number>[]): number {
  const m = traces.length;
  if (m < 2) return NaN;
  const n = Math.min(...traces.map((t) => t.length));
  if (n < 2) return NaN;
  const chains = traces.map((t) => Array.prototype.slice.call(t, 0, n) as number[]);
  const means = chains.map(mean);
  const W = mean(chains.map(variance));
  const B = n * variance(means);
  const varPlus = ((n - 1) / n) * W + B / n;
  return W > 0 ? Math.sqrt(varPlus / W) : NaN;
}

/** Run every check on the chains of one estimate. */
export function diagnose(
  input: { llcPerChain: number[]; lossTraces: ArrayLike<number>[]; numParams: number; nbeta: number; initLoss?: number; acceptance?: number[] },
  thresholds: DiagnosticThresholds = {},
): Diagnostics {
  const t = { ...DIAGNOSTIC_DEFAULTS, ...thresholds };
  const flags: Flag[] = [];
  const failedChains: number[] = [];
  const zs: number[] = [];
  const halfDim = input.numParams / 2;
  input.lossTraces.forEach((trace, chain) => {
    const llc = input.llcPerChain[chain];
    let firstBad = -1;
    for (let i = 0; i < trace.length; i++) if (!Number.isFinite(trace[i])) { firstBad = i; break; }
    if (firstBad >= 0 || !Number.isFinite(llc)) {
      failedChains.push(chain);
      zs.push(NaN);
      flags.push({ code: 'diverged', chain, message: `chain ${chain} diverged: loss is ${firstBad >= 0 ? trace[firstBad] : llc} at draw ${Math.max(firstBad, 0)}; it is excluded from the mean. Use a smaller epsilon or a larger gamma.` });
      return;
    }
    if (llc < 0) {
      flags.push({ code: 'negative', chain, message: `chain ${chain}: λ̂ = ${llc.toFixed(2)} < 0, the chain found losses below L_n(w*): w* is not a local minimum at this resolution (train longer) or epsilon is too large / gamma too small for its convergence.` });
    }
    // Significantly above d/2 (by 3 standard errors of the chain's own estimate), so that
    // a regular model, whose λ̂ hovers around d/2, is not flagged for sampling noise; or
    // above d, which no noise around d/2 explains (one exploded draw, as full-profile CNN
    // chains show, inflates the standard error as much as λ̂ and hides from the first test).
    const se = input.nbeta * batchMeansSE(trace);
    if (llc - 3 * se > halfDim || llc > 2 * halfDim) {
      flags.push({ code: 'exceedsHalfDim', chain, message: `chain ${chain}: λ̂ = ${llc.toFixed(1)} ± ${se.toFixed(1)} exceeds d/2 = ${halfDim} (impossible for a true LLC): the chain is escaping the basin or epsilon is too large; use a smaller epsilon or a larger gamma.` });
    }
    if (input.initLoss != null && trace.length >= 100) {
      const { share, index } = maxDrawShare(trace, input.initLoss);
      if (share > t.spikeShare) {
        flags.push({ code: 'spike', chain, message: `chain ${chain}: one draw (${index}, nβ·(L_m − L_n(w*)) = ${(input.nbeta * (trace[index] - input.initLoss)).toFixed(0)}) carries ${(100 * share).toFixed(0)} % of λ̂: the chain made an excursion out of the basin and λ̂ is set by it. Use a smaller epsilon or a larger gamma.` });
      }
    }
    const z = settleZ(trace);
    zs.push(z);
    if (Math.abs(z) > t.settleZ) {
      flags.push({ code: 'unsettled', chain, message: `chain ${chain}: the loss trace has not settled (2nd-half mean differs from 1st-half by z = ${z.toFixed(1)}): add burn-in (numBurnin) or draws, or use a larger epsilon to equilibrate faster.` });
    }
  });
  const usable = input.lossTraces.filter((_, c) => !failedChains.includes(c));
  const r = rhat(usable);
  if (r > t.rhat) {
    flags.push({ code: 'chainsDisagree', message: `chains disagree far beyond their own spread (R̂ = ${r.toFixed(2)} > ${t.rhat}): add burn-in and draws, or lower epsilon; the mean over chains is not trustworthy.` });
  }
  input.acceptance?.forEach((a, chain) => {
    if (Number.isFinite(a) && a < t.acceptance) {
      flags.push({ code: 'lowAcceptance', chain, message: `chain ${chain}: MALA acceptance ${a.toFixed(2)} < ${t.acceptance} (healthy ≈ 0.9): epsilon is too large.` });
    }
  });
  return { flags, healthy: flags.length === 0, failedChains, settleZ: zs, rhat: r };
}
