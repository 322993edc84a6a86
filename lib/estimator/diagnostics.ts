/**
 * Diagnostics that flag a miscalibrated SGLD chain. The write-up's warning: the
 * estimator returns negative or very large λ̂ when ε and γ do not fit the model's
 * convergence. Every check is a pure function of numbers, with a message saying what to change.
 *
 * Convergence checks follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021),
 * "Rank-normalization, folding, and localization: an improved R̂ for assessing convergence
 * of MCMC", Bayesian Analysis 16(2) — "eq. n" below is that paper's numbering:
 * split-R̂ eqs. 1–4, the multi-chain autocorrelation eq. 10, ESS and Geyer's truncation
 * eqs. 12–13, rank normalisation eq. 14, folding eq. 15.
 */
// stats.ts imports mean/variance from here: the cycle is safe, both sides only call functions at run time.
import { chiSquareUpperTail, mean, median, normalQuantile, variance } from '../math/stats';

export type FlagCode =
  | 'diverged'
  | 'negative'
  | 'exceedsHalfDim'
  | 'unsettled'
  | 'drifting'
  | 'spike'
  | 'collapsed'
  | 'chainsDisagree'
  | 'lowEss'
  | 'lowAcceptance'
  /** λ̂ differs at ε/2 (stepcheck.ts; only when that check is run). */
  | 'stepSizeDependent'
  /** ε·h_max at the chain's draws is near SGLD's stability limit (stability.ts; only when that check is run). */
  | 'nearStabilityLimit'
  /** The chains' mean virial over d is far below 1: they have not spread into the localized posterior. */
  | 'notEquilibrated';

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
  /**
   * Failed chains, excluded from the mean and never averaged silently: a trace that is not
   * finite ('diverged'), or a finite blow-up ('exceedsHalfDim', 'spike').
   */
  failedChains: number[];
  /** Per chain: z-score of (mean of 2nd half − mean of 1st half) of the draws, batch-means standard error. */
  settleZ: number[];
  /** Per chain: z of the least-squares slope of the trace against draw index, autocorrelation-corrected (see driftZ). */
  driftZ: number[];
  /**
   * Classic (unsplit, not rank-normalised) Gelman–Rubin R̂ of the loss traces (NaN with < 2
   * usable chains). Kept so that old results and tables stay comparable; it stays ≈ 1 when
   * chains disagree by less than their per-draw noise, which `rhatRank` and `chainAgreementP` catch.
   */
  rhat: number;
  /** Rank-normalised split-R̂: max of `rhatBulk` and `rhatTail` (Vehtari et al. 2021; NaN with < 4 draws). */
  rhatRank: number;
  /** Rank-normalised split-R̂ of the draws (location). */
  rhatBulk: number;
  /** Rank-normalised split-R̂ of the folded draws |θ − median| (scale). */
  rhatTail: number;
  /** Bulk effective sample size over all usable chains (rank-normalised split chains). */
  essBulk: number;
  /** Tail ESS: the smaller ESS of the 5 % and 95 % quantile indicators. */
  essTail: number;
  /** Per chain: Monte-Carlo standard error of λ̂ from its own draws (nβ × autocorrelation-corrected SE of the mean loss). */
  llcSe: number[];
  /** Monte-Carlo standard error of the mean λ̂ over usable chains (see mcseOfMean): report λ̂ as mean ± mcse. */
  mcse: number;
  /** p-value of Cochran's χ² test that the usable chains estimate the same λ (NaN with < 2 chains). */
  chainAgreementP: number;
}

export interface DiagnosticThresholds {
  /** |z| above which a trace counts as not settled (default 4). */
  settleZ?: number;
  /**
   * |z| of the trace's slope above which a chain still drifts (default 4, as settleZ). Measured
   * on 1,000 seeded stationary AR(1) chains (ρ = 0.9, 2,000 draws): 99th percentile of |z| 3.0,
   * none above 4; with a trend of 3 stationary SDs over the draws, median z 9.3 and all of 200
   * above 4.2 (the half-vs-half settle test at 4 missed 4 % of them). See convergence.test.ts.
   */
  driftZ?: number;
  /** Classic R̂ above which chains disagree (default 1.1, Gelman et al. 2013); kept beside rhatRank for old settings. */
  rhat?: number;
  /**
   * Rank-normalised split-R̂ above which chains disagree (default 1.01, the threshold Vehtari
   * et al. 2021 recommend, §2). Strict by design: with 4 stationary AR(1) chains of 2,000 draws
   * sampling noise alone exceeds it 34 % of the time at bulk ESS ≈ 420 (ρ = 0.9), 2 % at
   * ESS ≈ 890 and never in 300 tries at ESS ≈ 1,400; near the lowEss bound it may only mean "run longer".
   */
  rhatRank?: number;
  /**
   * p-value of the chains' agreement (Cochran's χ² on the per-chain λ̂ and their standard
   * errors) below which they disagree (default 0.01: a 1 % false alarm rate per estimate
   * when the chains agree and their standard errors are right).
   */
  chainAgreementP?: number;
  /**
   * Bulk ESS per usable chain below which there are too few effective draws (default 100:
   * Vehtari et al. 2021, §3.2, trust R̂ only with ESS ≥ 50 per split chain, i.e. 100 per chain).
   */
  essPerChain?: number;
  /** Mean MALA acceptance below which the step size is too large (default 0.5; healthy ≈ 0.9). */
  acceptance?: number;
  /**
   * Largest share of a chain's Σ nβ(L_m − L_n(w*)) that one draw of an excursion may carry
   * (default 0.1, checked from 100 draws on). Over the quick sweeps' 166 chains the median
   * share is 1.2 %; above 10 % were minibatch losses hundreds of times the typical one. It is a
   * spike (an excursion out of the basin that alone sets λ̂, which the settling test misses
   * because the spike also inflates its noise estimate) only when a neighbouring draw is also
   * up, or the draw is beyond 100× the chain's 99th percentile (maxDrawShare): an isolated large
   * draw is the estimator's own heavy tail, which the MCSE already carries (at k = 2,
   * n = 12,665: draws of +200 among draws of −3, 99th percentile 60–80).
   */
  spikeShare?: number;
  /**
   * Mean over chains of the equipartition virial/d (llc.ts equipartitionPerChain) below which the
   * chains have not equilibrated (default 0.8). Under exp(−U) it is exactly 1. Set on 2026-12-04,
   * before the battery was scored with it, from the noise at equilibrium: chains past 3
   * relaxation times 1/(εγ) gave 0.98–1.16 averaged over 4 chains (6 battery problems at
   * 100,000 burn-in; single chains of d = 45 scatter 0.77–1.49), MNIST `calibrated` chains
   * 1.006–1.009; chains of 7,000 steps at γ = 1, where 1/(εγ) ≈ 33,000, gave 0.17–0.81.
   */
  equipartition?: number;
}

/**
 * A chain has collapsed when a tenth of its draws sits at the chance loss (log k: uniform
 * predictions for every input) — mean within COLLAPSE_TOLERANCE of it — with almost no
 * minibatch variation (sd below COLLAPSE_SD of it): the network outputs the same uniform
 * prediction whatever the batch. Full-profile CNN chains that "blow up" to λ̂ of 1,200–2,800 sit
 * on such plateaus at exactly nβ·(log k − L_n(w*)), far outside the basin of w*; λ̂ there is a
 * property of log k, not of the model. A hot chain that wanders near chance (MNIST-1D at small n,
 * large ε) keeps a minibatch sd of 15–30 % of chance and is not a collapse (checked on every
 * committed sweep: no such chain matches).
 */
export const COLLAPSE_TOLERANCE = 0.03;
export const COLLAPSE_SD = 0.05;

export const DIAGNOSTIC_DEFAULTS: Required<DiagnosticThresholds> = {
  settleZ: 4,
  driftZ: 4,
  rhat: 1.1,
  rhatRank: 1.01,
  chainAgreementP: 0.01,
  essPerChain: 100,
  acceptance: 0.5,
  spikeShare: 0.1,
  equipartition: 0.8,
};

/**
 * The first tenth of a chain's draws that sits at the chance loss with almost no minibatch
 * variation (see COLLAPSE_TOLERANCE), or null (also when w* itself is at chance, without a
 * chance loss, or with < 10 draws).
 */
export function collapsedDecile(
  trace: ArrayLike<number>,
  initLoss: number | undefined,
  chanceLoss: number | undefined,
): { from: number; to: number; loss: number; sd: number } | null {
  if (chanceLoss == null || !(chanceLoss > 0) || trace.length < 10) return null;
  if (initLoss != null && initLoss >= (1 - COLLAPSE_TOLERANCE) * chanceLoss) return null;
  for (let d = 0; d < 10; d++) {
    const from = Math.round((d * trace.length) / 10);
    const to = Math.round(((d + 1) * trace.length) / 10);
    const seg = Array.from({ length: to - from }, (_, i) => trace[from + i]);
    const loss = mean(seg);
    const sd = Math.sqrt(variance(seg));
    if (Math.abs(loss - chanceLoss) <= COLLAPSE_TOLERANCE * chanceLoss && sd <= COLLAPSE_SD * chanceLoss)
      return { from, to: to - 1, loss, sd };
  }
  return null;
}

/** The largest single draw's share of Σ (L_i − L*) and where it is (NaN when the sum is ≤ 0). */
export function maxDrawShare(
  trace: ArrayLike<number>,
  initLoss: number,
): { share: number; index: number; excursion: boolean } {
  let sum = 0;
  let max = -Infinity;
  let index = -1;
  for (let i = 0; i < trace.length; i++) {
    const v = trace[i] - initLoss;
    sum += v;
    if (v > max) [max, index] = [v, i];
  }
  // An excursion moves the weights, so the loss stays up at the neighbouring draws (a blow-up
  // grows geometrically over several steps); one unlucky minibatch does not (at k = 2 and full n
  // a draw of +200 next to draws of −3 is the ordinary heavy tail of nβ(L_m − L*)).
  // A draw a hundred times the chain's 99th percentile is no minibatch either, even alone.
  const neighbour = Math.max(
    index > 0 ? trace[index - 1] - initLoss : -Infinity,
    index + 1 < trace.length ? trace[index + 1] - initLoss : -Infinity,
  );
  const sorted = Array.from(trace, (v) => Math.abs(v - initLoss)).sort((a, b) => a - b);
  const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))];
  return { share: sum > 0 ? max / sum : NaN, index, excursion: neighbour > 0.1 * max || max > 100 * p99 };
}

/**
 * Standard error of the mean of an autocorrelated series by batch means
 * (split into `numBatches` consecutive batches; SE = sd(batch means)/√numBatches).
 */
export function batchMeansSE(xs: ArrayLike<number>, numBatches = 10): number {
  const size = Math.floor(xs.length / numBatches);
  if (size < 1) return Math.sqrt(variance(xs) / xs.length);
  const means = Array.from({ length: numBatches }, (_, b) =>
    mean(Array.prototype.slice.call(xs, b * size, (b + 1) * size)),
  );
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

/**
 * Split every chain in half after truncating all to the shortest (an odd middle draw is
 * dropped), so that a trend within a chain shows up as disagreement between its halves.
 * Empty when a half would hold fewer than 2 draws.
 */
export function splitChains(chains: ArrayLike<number>[]): number[][] {
  const n = Math.min(...chains.map((c) => c.length));
  const half = Math.floor(n / 2);
  if (!chains.length || half < 2) return [];
  return chains.flatMap((c) => [
    Array.prototype.slice.call(c, 0, half) as number[],
    Array.prototype.slice.call(c, n - half, n) as number[],
  ]);
}

/** 1-based ranks of the pooled values, ties sharing their average rank. */
function pooledRanks(values: number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Normal scores of the draws ranked jointly over all chains (eq. 14, Blom's offset):
 * z = Φ⁻¹((r − 3/8)/(S + 1/4)), S the total number of draws. Makes R̂ and ESS invariant to
 * monotone transformations and defined for heavy tails (one exploded minibatch loss).
 */
export function rankNormalize(chains: number[][]): number[][] {
  const pooled = chains.flat();
  const ranks = pooledRanks(pooled);
  const S = pooled.length;
  let k = 0;
  return chains.map((c) => c.map(() => normalQuantile((ranks[k++] - 3 / 8) / (S + 1 / 4))));
}

export interface SplitRhat {
  /** max(bulk, tail): the single conservative R̂ Vehtari et al. recommend. */
  rhat: number;
  /** Rank-normalised split-R̂: do the chains (and halves) agree in location? */
  bulk: number;
  /** Rank-normalised split-R̂ of the folded draws ζ = |θ − median(θ)| (eq. 15): do they agree in scale? */
  tail: number;
}

/**
 * Rank-normalised split-R̂ (Vehtari et al. 2021, §4.1–4.2): classic R̂ (eqs. 1–4) on the
 * normal scores of the split chains, and on those of the folded draws. Works with one
 * chain (its two halves). NaN parts when a half has < 2 draws or all draws are equal.
 */
export function splitRhat(chains: ArrayLike<number>[]): SplitRhat {
  const split = splitChains(chains);
  if (split.length < 2) return { rhat: NaN, bulk: NaN, tail: NaN };
  const mid = median(split.flat());
  const bulk = rhat(rankNormalize(split));
  const tail = rhat(rankNormalize(split.map((c) => c.map((v) => Math.abs(v - mid)))));
  return { rhat: Math.max(bulk, tail), bulk, tail };
}

/** In-place radix-2 FFT of (re, im), length a power of 2; `inverse` without the 1/n. */
function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * Autocovariances γ̂_t = (1/n) Σ (x_i − x̄)(x_{i+t} − x̄), t = 0 … n−1, by FFT of the
 * zero-padded series: the biased divisor n that Geyer (1992) recommends and Stan uses.
 */
export function autocovariance(xs: ArrayLike<number>): Float64Array {
  const n = xs.length;
  const m = mean(xs);
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = xs[i] - m;
  fft(re, im);
  for (let i = 0; i < size; i++) [re[i], im[i]] = [re[i] * re[i] + im[i] * im[i], 0];
  fft(re, im, true);
  return re.slice(0, n).map((v) => v / size / n);
}

/**
 * Integrated autocorrelation time τ̂ of equal-length chains (eq. 13): the autocorrelations
 * pooled over chains with the between-chain variance (eq. 10, as Stan and ArviZ compute it),
 * summed in pairs P_k = ρ̂_2k + ρ̂_2k+1 up to the last positive pair and made monotone
 * (Geyer's initial monotone sequence). Bounded below by 1/log10(S) as Stan does, so that
 * ESS ≤ S·log10(S) for antithetic chains. NaN with fewer than 4 draws per chain.
 */
export function autocorrelationTime(chains: ArrayLike<number>[]): number {
  const M = chains.length;
  const N = M ? Math.min(...chains.map((c) => c.length)) : 0;
  if (N < 4) return NaN;
  const trimmed = chains.map((c) => Array.prototype.slice.call(c, 0, N) as number[]);
  const acov = trimmed.map(autocovariance);
  const meanAcov = (t: number) => acov.reduce((a, g) => a + g[t], 0) / M;
  const W = (meanAcov(0) * N) / (N - 1);
  const varPlus = (W * (N - 1)) / N + (M > 1 ? variance(trimmed.map(mean)) : 0);
  if (!(varPlus > 0)) return NaN;
  const rho = new Float64Array(N);
  const rhoAt = (t: number) => 1 - (W - meanAcov(t)) / varPlus;
  rho[0] = 1;
  let even = 1;
  let odd = rhoAt(1);
  rho[1] = odd;
  let t = 1;
  while (t < N - 3 && even + odd > 0) {
    even = rhoAt(t + 1);
    odd = rhoAt(t + 2);
    if (even + odd >= 0) [rho[t + 1], rho[t + 2]] = [even, odd];
    t += 2;
  }
  const maxT = t - 2;
  // τ̂ averages the sums ending at the last odd lag and at the next even lag, which steadies
  // it for antithetic chains (Vehtari et al. §3.2): hence + ρ̂_{maxT+1} below.
  if (even > 0) rho[maxT + 1] = even;
  for (let k = 1; k <= maxT - 2; k += 2) {
    if (rho[k + 1] + rho[k + 2] > rho[k - 1] + rho[k]) rho[k + 1] = rho[k + 2] = (rho[k - 1] + rho[k]) / 2;
  }
  let sum = 0;
  for (let k = 0; k <= maxT; k++) sum += rho[k];
  const tau = -1 + 2 * sum + rho[maxT + 1];
  return Math.max(tau, 1 / Math.log10(M * N));
}

/** Effective sample size S/τ̂ of equal-length chains as given (eq. 12; no splitting, no ranks). */
export function effectiveSampleSize(chains: ArrayLike<number>[]): number {
  const n = Math.min(...chains.map((c) => c.length));
  const all = chains.flatMap((c) => Array.prototype.slice.call(c, 0, n) as number[]);
  if (all.length && all.every((v) => v === all[0])) return all.length;
  return (chains.length * n) / autocorrelationTime(chains);
}

/** Bulk ESS (Vehtari et al. 2021, §4.1): ESS of the rank-normalised split chains, as Stan's and ArviZ's ess_bulk. */
export function essBulk(chains: ArrayLike<number>[]): number {
  const split = splitChains(chains);
  return split.length ? effectiveSampleSize(rankNormalize(split)) : NaN;
}

/** Linear-interpolation quantile of sorted values (type 7, NumPy's default). */
function sortedQuantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo] + (h - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]);
}

/** Tail ESS (Vehtari et al. 2021, §4.3): the smaller ESS of the split-chain indicators I(θ ≤ q₀.₀₅) and I(θ ≤ q₀.₉₅). */
export function essTail(chains: ArrayLike<number>[]): number {
  const split = splitChains(chains);
  if (!split.length) return NaN;
  const sorted = split.flat().sort((a, b) => a - b);
  return Math.min(
    ...[0.05, 0.95].map((p) => {
      const q = sortedQuantile(sorted, p);
      return effectiveSampleSize(split.map((c) => c.map((v) => (v <= q ? 1 : 0))));
    }),
  );
}

/**
 * Monte-Carlo standard error of one chain's mean: sd·√(τ̂/n), τ̂ its own autocorrelation
 * time (Geyer's monotone sequence). Less noisy than batchMeansSE with 10 batches (9 degrees
 * of freedom), which the χ² agreement test below cannot afford.
 */
export function mcseMean(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 4) return n > 1 ? Math.sqrt(variance(xs) / n) : NaN;
  const tau = autocorrelationTime([xs]);
  return Number.isFinite(tau) ? Math.sqrt((variance(xs) * tau) / n) : 0;
}

/**
 * Do the chains estimate the same λ? Cochran's Q = Σ (λ̂_c − λ̄)²/se_c², λ̄ the
 * inverse-variance weighted mean, is χ² with C − 1 degrees of freedom when they do.
 * Catches chains whose λ̂ differ by many standard errors of their own means while their
 * per-draw noise keeps R̂ ≈ 1 (four chains at 4.9–7.0 with se 0.24: Q ≈ 42, p ≈ 3e-9).
 */
export function chainAgreement(estimates: number[], standardErrors: number[]): { q: number; df: number; p: number } {
  if (estimates.length !== standardErrors.length)
    throw new Error(`chainAgreement: ${estimates.length} estimates but ${standardErrors.length} standard errors`);
  const bad = standardErrors.findIndex((se) => !(se >= 0));
  if (bad >= 0)
    throw new Error(`chainAgreement: standard error of chain ${bad} must be ≥ 0, got ${standardErrors[bad]}`);
  const df = estimates.length - 1;
  if (df < 1) return { q: NaN, df, p: NaN };
  // A zero standard error (a constant trace) makes any difference infinitely significant.
  const w = standardErrors.map((se) => 1 / Math.max(se * se, 1e-300));
  const wSum = w.reduce((a, b) => a + b, 0);
  const center = estimates.reduce((a, x, c) => a + w[c] * x, 0) / wSum;
  const q = estimates.reduce((a, x, c) => a + w[c] * (x - center) ** 2, 0);
  return { q, df, p: chiSquareUpperTail(q, df) };
}

/**
 * Monte-Carlo standard error of the mean over chains of per-chain estimates with their own
 * standard errors. With C ≥ 2 chains, the larger of the between-chain sd/√C (unbiased when
 * the chains agree, but with C − 1 degrees of freedom it can come out near 0 by chance) and
 * the within-chain √(Σ se_c²)/C (blind to chains that disagree); with one chain, its own
 * standard error — never 0 for lack of a spread. NaN without chains.
 */
export function mcseOfMean(estimates: number[], standardErrors: number[]): number {
  const C = estimates.length;
  if (C !== standardErrors.length)
    throw new Error(`mcseOfMean: ${C} estimates but ${standardErrors.length} standard errors`);
  if (C === 0) return NaN;
  const within = Math.sqrt(standardErrors.reduce((a, se) => a + se * se, 0)) / C;
  return C === 1 ? within : Math.max(Math.sqrt(variance(estimates) / C), within);
}

/**
 * z of the least-squares slope of a trace against its draw index, with the slope's standard
 * error corrected for autocorrelation: se² = σ̂²·τ̂/Sxx, σ̂² and τ̂ those of the residuals
 * (for a slowly varying regressor the OLS slope's variance grows by the residuals'
 * integrated autocorrelation time). Uses every draw, so it sees a slow drift that the
 * half-vs-half settleZ, whose batch-means noise the drift itself inflates, can miss; one
 * spike, however large, moves it by about √3 at most (it inflates σ̂ as much as the slope).
 * 0 for fewer than 8 draws or a flat trace; ±Infinity for an exact straight line.
 */
export function driftZ(trace: ArrayLike<number>): number {
  const n = trace.length;
  if (n < 8) return 0;
  const xm = (n - 1) / 2;
  const ym = mean(trace);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (i - xm) ** 2;
    sxy += (i - xm) * (trace[i] - ym);
  }
  const slope = sxy / sxx;
  const resid = Array.from({ length: n }, (_, i) => trace[i] - ym - slope * (i - xm));
  const s2 = resid.reduce((a, r) => a + r * r, 0) / (n - 2);
  const tau = s2 > 0 ? autocorrelationTime([resid]) : NaN;
  const se = Math.sqrt((s2 * tau) / sxx);
  if (!(se > 0)) return slope === 0 || !Number.isFinite(slope) ? 0 : Infinity * Math.sign(slope);
  return slope / se;
}

/** What diagnose needs: one estimate's chains. */
export interface DiagnoseInput {
  /** λ̂ of each chain, nβ·(mean of its trace − L_n(w*)). */
  llcPerChain: number[];
  /** Minibatch loss at every kept (post-burn-in) draw, per chain. */
  lossTraces: ArrayLike<number>[];
  numParams: number;
  nbeta: number;
  /** L_n(w*); without it the spike check is skipped. */
  initLoss?: number;
  /** Mean MALA acceptance probability per chain; without it lowAcceptance is not checked. */
  acceptance?: number[];
  /** ‖∇L_n(w*)‖ (llc.ts fullGradNorm); quoted by the negative flag, which it explains. */
  gradNorm?: number;
  /**
   * The loss of a model that has learned nothing (log k for k classes: uniform predictions);
   * without it the collapse check is skipped.
   */
  chanceLoss?: number;
  /** Equipartition virial/d per chain (llc.ts); without it, or NaN, notEquilibrated is not checked. */
  equipartition?: number[];
}

/**
 * Pure: the notEquilibrated flag for the chains' equipartition virial/d (the mean over the chains
 * that did not fail, NaN ones left out), or null. E[(w − w*)·∇U(w)] = d under exp(−U) whatever
 * the model (sgld.ts virialFromDrift), so a mean well below 1 says the chains are still spreading from w*
 * into the localized posterior — along directions L_n is flat in that takes ~1/(εγ) steps —
 * which no loss-trace test sees when those directions barely move the loss.
 */
export function equipartitionFlag(
  perChain: number[] | undefined,
  failedChains: number[] = [],
  threshold = DIAGNOSTIC_DEFAULTS.equipartition,
): Flag | null {
  const v = (perChain ?? []).filter((x, c) => Number.isFinite(x) && !failedChains.includes(c));
  if (!v.length) return null;
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  if (m >= threshold) return null;
  return {
    code: 'notEquilibrated',
    message: `the chains' mean virial (w − w*)·∇U over d is ${m.toFixed(2)} < ${threshold} (exactly 1 at equilibrium of the localized posterior): they have not spread into it yet, so λ̂ describes w*'s immediate neighbourhood. Burn in for several relaxation times 1/(εγ) (numBurnin), or raise gamma, which changes the estimand.`,
  };
}

/** Run every check on the chains of one estimate. */
export function diagnose(input: DiagnoseInput, thresholds: DiagnosticThresholds = {}): Diagnostics {
  const t = { ...DIAGNOSTIC_DEFAULTS, ...thresholds };
  const flags: Flag[] = [];
  const failedChains: number[] = [];
  const zs: number[] = [];
  const drifts: number[] = [];
  const llcSe: number[] = [];
  const halfDim = input.numParams / 2;
  input.lossTraces.forEach((trace, chain) => {
    const llc = input.llcPerChain[chain];
    let firstBad = -1;
    for (let i = 0; i < trace.length; i++)
      if (!Number.isFinite(trace[i])) {
        firstBad = i;
        break;
      }
    if (firstBad >= 0 || !Number.isFinite(llc)) {
      failedChains.push(chain);
      zs.push(NaN);
      drifts.push(NaN);
      llcSe.push(NaN);
      flags.push({
        code: 'diverged',
        chain,
        message: `chain ${chain} diverged: loss is ${firstBad >= 0 ? trace[firstBad] : llc} at draw ${Math.max(firstBad, 0)}; it is excluded from the mean. Use a smaller epsilon or a larger gamma.`,
      });
      return;
    }
    llcSe.push(input.nbeta * mcseMean(trace));
    if (llc < 0) {
      flags.push({
        code: 'negative',
        chain,
        message:
          `chain ${chain}: λ̂ = ${llc.toFixed(2)} < 0, the chain found losses below L_n(w*): w* is not a local minimum at this resolution (train longer) or epsilon is too large / gamma too small for its convergence.` +
          (Number.isFinite(input.gradNorm)
            ? ` ‖∇L_n(w*)‖ = ${input.gradNorm!.toExponential(2)} (0 at a minimum).`
            : ''),
      });
    }
    // Significantly above d/2 (by 3 standard errors of the chain's own estimate), so that
    // a regular model, whose λ̂ hovers around d/2, is not flagged for sampling noise; or
    // above d, which no noise around d/2 explains (one exploded draw, as full-profile CNN
    // chains show, inflates the standard error as much as λ̂ and hides from the first test).
    const se = input.nbeta * batchMeansSE(trace);
    if (llc - 3 * se > halfDim || llc > 2 * halfDim) {
      flags.push({
        code: 'exceedsHalfDim',
        chain,
        message: `chain ${chain}: λ̂ = ${llc.toFixed(1)} ± ${se.toFixed(1)} exceeds d/2 = ${halfDim} (impossible for a true LLC): the chain is escaping the basin or epsilon is too large; use a smaller epsilon or a larger gamma.`,
      });
    }
    if (input.initLoss != null && trace.length >= 100) {
      const { share, index, excursion } = maxDrawShare(trace, input.initLoss);
      if (share > t.spikeShare && excursion) {
        flags.push({
          code: 'spike',
          chain,
          message: `chain ${chain}: one draw (${index}, nβ·(L_m − L_n(w*)) = ${(input.nbeta * (trace[index] - input.initLoss)).toFixed(0)}) carries ${(100 * share).toFixed(0)} % of λ̂: the chain made an excursion out of the basin and λ̂ is set by it. Use a smaller epsilon or a larger gamma.`,
        });
      }
    }
    const collapse = collapsedDecile(trace, input.initLoss, input.chanceLoss);
    if (collapse) {
      flags.push({
        code: 'collapsed',
        chain,
        message: `chain ${chain}: draws ${collapse.from}–${collapse.to} sit at the chance loss (mean ${collapse.loss.toFixed(3)}, sd ${collapse.sd.toFixed(3)}; log k = ${input.chanceLoss!.toFixed(3)}, uniform predictions): the network collapsed out of the basin of w* and λ̂ measures the collapse; this chain is excluded. Use a smaller epsilon or a larger gamma.`,
      });
    }
    const z = settleZ(trace);
    zs.push(z);
    if (Math.abs(z) > t.settleZ) {
      flags.push({
        code: 'unsettled',
        chain,
        message: `chain ${chain}: the loss trace has not settled (2nd-half mean differs from 1st-half by z = ${z.toFixed(1)}): add burn-in (numBurnin) or draws, or use a larger epsilon to equilibrate faster.`,
      });
    }
    const dz = driftZ(trace);
    drifts.push(dz);
    if (Math.abs(dz) > t.driftZ) {
      flags.push({
        code: 'drifting',
        chain,
        message: `chain ${chain}: the loss trace still drifts (slope over the draws z = ${dz.toFixed(1)}, autocorrelation-corrected): add burn-in (numBurnin) or draws, or use a larger epsilon to equilibrate faster.`,
      });
    }
  });
  // A finite blow-up fails a chain like a non-finite one: its λ̂ is set by an excursion out
  // of the basin (λ̂ beyond d/2, or one draw carrying a large share of it), not by the basin.
  for (const f of flags)
    if (
      (f.code === 'exceedsHalfDim' || f.code === 'spike' || f.code === 'collapsed') &&
      f.chain != null &&
      !failedChains.includes(f.chain)
    )
      failedChains.push(f.chain);
  failedChains.sort((a, b) => a - b);
  const ok = input.lossTraces.map((_, c) => c).filter((c) => !failedChains.includes(c));
  const usable = ok.map((c) => input.lossTraces[c]);
  const r = rhat(usable);
  const split = usable.length ? splitRhat(usable) : { rhat: NaN, bulk: NaN, tail: NaN };
  const agreement = chainAgreement(
    ok.map((c) => input.llcPerChain[c]),
    ok.map((c) => llcSe[c]),
  );
  const reasons = [
    split.rhat > t.rhatRank && `rank-normalised split-R̂ = ${split.rhat.toFixed(3)} > ${t.rhatRank}`,
    agreement.p < t.chainAgreementP &&
      `λ̂ per chain ${ok.map((c) => input.llcPerChain[c].toFixed(2)).join(', ')} differ by more than their standard errors ${ok.map((c) => llcSe[c].toFixed(2)).join(', ')} allow (χ² = ${agreement.q.toFixed(1)}, ${agreement.df} df, p = ${agreement.p.toPrecision(2)} < ${t.chainAgreementP})`,
    r > t.rhat && `classic R̂ = ${r.toFixed(2)} > ${t.rhat}`,
  ].filter((x): x is string => typeof x === 'string');
  if (reasons.length) {
    flags.push({
      code: 'chainsDisagree',
      message: `chains (or halves of chains) disagree: ${reasons.join('; ')}. Add burn-in and draws, or lower epsilon; the mean over chains is not trustworthy.`,
    });
  }
  const bulk = usable.length ? essBulk(usable) : NaN;
  if (bulk < t.essPerChain * usable.length) {
    flags.push({
      code: 'lowEss',
      message: `too few effective draws: bulk ESS = ${bulk.toFixed(0)} < ${t.essPerChain} per chain × ${usable.length}, so R̂ and the standard error are themselves unreliable: add draws (numDraws) or use a larger epsilon so that the chain decorrelates faster.`,
    });
  }
  input.acceptance?.forEach((a, chain) => {
    if (Number.isFinite(a) && a < t.acceptance) {
      flags.push({
        code: 'lowAcceptance',
        chain,
        message: `chain ${chain}: MALA acceptance ${a.toFixed(2)} < ${t.acceptance} (healthy ≈ 0.9): epsilon may be too large. With U taken on each step's own minibatch (as devinterp does), minibatch noise also lowers it when nβ is large (≈ 0.5–0.8 at n = 12,665 even as ε → 0), so compare it across step sizes.`,
      });
    }
  });
  const equilibrium = equipartitionFlag(input.equipartition, failedChains, t.equipartition);
  if (equilibrium) flags.push(equilibrium);
  return {
    flags,
    healthy: flags.length === 0,
    failedChains,
    settleZ: zs,
    driftZ: drifts,
    rhat: r,
    rhatRank: split.rhat,
    rhatBulk: split.bulk,
    rhatTail: split.tail,
    essBulk: bulk,
    essTail: usable.length ? essTail(usable) : NaN,
    llcSe,
    mcse: mcseOfMean(
      ok.map((c) => input.llcPerChain[c]),
      ok.map((c) => llcSe[c]),
    ),
    chainAgreementP: agreement.p,
  };
}
