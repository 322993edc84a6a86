/**
 * The exact finite-n target of the estimator on a deep linear network, to tell the sampler's
 * error from the estimand's.
 *
 * λ̂(w*) = nβ(E_w[L_n(w)] − L_n(w*)) (Lau et al. 2023, eq. 13) has two errors against Aoyagi's λ:
 *   - the sampler's: SGLD with minibatches, no accept/reject and finitely many steps does not
 *     draw exactly from the localized tempered posterior p(w) ∝ exp(−U(w)),
 *     U(w) = nβ·L_n(w) + (γ/2)‖w − w*‖²;
 *   - the estimand's: the exact expectation under p at this n, β and γ is not λ. λ is an
 *     n → ∞ quantity; for a singular model E_β[nL_n] = nL_n(w0) + λ/β + U_n·√(λ/(2β)) + O_p(1)
 *     (Watanabe 2013, WBIC, Theorem 4), so with β = 1/log n the error shrinks only like
 *     1/√log n, and γ adds its own pull at any finite n.
 * A battery scored against λ adds both. This file computes the second alone: E_p exactly (up to
 * its own Monte-Carlo error) by Metropolis-adjusted Langevin (MALA, Roberts & Tweedie 1996) on
 * the full-data loss, which a DLN gives cheaply through sufficient statistics —
 *
 *   L_n(W) = ½·mean_i ‖y_i − x_i B‖² = ½·tr(BᵀS_xx B) − tr(BᵀS_xy) + ½·s_yy,   B = W_1···W_L,
 *   ∂L_n/∂B = S_xx B − S_xy = G,   ∂L_n/∂W_l = (W_1···W_{l−1})ᵀ G (W_{l+1}···W_L)ᵀ,
 *
 * so one step costs O(d) whatever n is, in float64. The accept/reject step makes p the chain's
 * exact stationary law for every step size; the step size only sets how fast it mixes.
 */
import { chainAgreement, driftZ, mcseMean, mcseOfMean } from '../estimator/diagnostics';
import { deriveSeed, makeRng, Rng } from '../math/rng';
import { mean } from '../math/stats';
import { checkPositive } from '../math/checks';
import { defaultNbeta } from '../estimator/llc';

/** A DLN regression's data as the loss sees it: S_xx = XᵀX/n, S_xy = XᵀY/n, s_yy = ‖Y‖²/n. */
export interface DlnStats {
  /** [input, hidden…, output]; layer l is widths[l] × widths[l+1], row-major. */
  widths: number[];
  n: number;
  sxx: Float64Array;
  sxy: Float64Array;
  syy: number;
}

/** The sufficient statistics of row-major inputs x (n × d_in) and targets y (n × d_out), summed in float64. */
export function dlnStats(widths: number[], x: ArrayLike<number>, y: ArrayLike<number>, n: number): DlnStats {
  const dIn = widths[0];
  const dOut = widths[widths.length - 1];
  if (x.length !== n * dIn || y.length !== n * dOut)
    throw new Error(
      `dlnStats: x has ${x.length} numbers and y ${y.length}; with n = ${n} they need ${n * dIn} and ${n * dOut}`,
    );
  const sxx = new Float64Array(dIn * dIn);
  const sxy = new Float64Array(dIn * dOut);
  let syy = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dIn; a++) {
      const xa = x[i * dIn + a];
      for (let b = 0; b < dIn; b++) sxx[a * dIn + b] += xa * x[i * dIn + b];
      for (let b = 0; b < dOut; b++) sxy[a * dOut + b] += xa * y[i * dOut + b];
    }
    for (let b = 0; b < dOut; b++) syy += y[i * dOut + b] ** 2;
  }
  for (let k = 0; k < sxx.length; k++) sxx[k] /= n;
  for (let k = 0; k < sxy.length; k++) sxy[k] /= n;
  return { widths, n, sxx, sxy, syy: syy / n };
}

/**
 * L_n(θ) and, with `grad`, ∇L_n(θ) written into it (same layout as θ), by a forward pass over
 * the prefix products P_l = W_1···W_l (d_in × widths[l]) and backpropagation of G = ∂L/∂B
 * with d_in rows standing in for the batch: R_L = G, ∇W_l = P_{l−1}ᵀR_l, R_{l−1} = R_l W_lᵀ.
 * Buffers are allocated once per stats (a chain takes millions of steps).
 */
export type DlnLossFn = (theta: Float64Array, grad?: Float64Array) => number;

export function dlnLossFn(stats: DlnStats): DlnLossFn {
  const { widths, sxx, sxy, syy } = stats;
  const L = widths.length - 1;
  const dIn = widths[0];
  const dOut = widths[L];
  const offsets = [0];
  for (let l = 0; l < L; l++) offsets.push(offsets[l] + widths[l] * widths[l + 1]);
  const prefix = widths.map((w) => new Float64Array(dIn * w)); // prefix[l] = P_l; prefix[0] unused (I)
  const back = widths.map((w) => new Float64Array(dIn * w)); // back[l] = R_l, d_in × widths[l]
  return (theta, grad) => {
    if (theta.length !== offsets[L])
      throw new Error(`dlnLoss: θ has ${theta.length} numbers; widths ${widths.join('-')} need ${offsets[L]}`);
    // Forward: P_1 = W_1, P_{l+1} = P_l W_{l+1}.
    prefix[1].set(theta.subarray(0, offsets[1]));
    for (let l = 1; l < L; l++) {
      const p = prefix[l],
        q = prefix[l + 1],
        o = offsets[l],
        a = widths[l],
        b = widths[l + 1];
      q.fill(0);
      for (let i = 0; i < dIn; i++)
        for (let t = 0; t < a; t++) {
          const v = p[i * a + t];
          if (v !== 0) for (let j = 0; j < b; j++) q[i * b + j] += v * theta[o + t * b + j];
        }
    }
    const B = prefix[L];
    const G = back[L];
    let loss = 0.5 * syy;
    for (let i = 0; i < dIn; i++)
      for (let j = 0; j < dOut; j++) {
        let sb = 0;
        for (let t = 0; t < dIn; t++) sb += sxx[i * dIn + t] * B[t * dOut + j];
        const k = i * dOut + j;
        loss += 0.5 * B[k] * sb - B[k] * sxy[k];
        G[k] = sb - sxy[k];
      }
    if (!grad) return loss;
    for (let l = L - 1; l >= 0; l--) {
      const r = back[l + 1],
        o = offsets[l],
        a = widths[l],
        b = widths[l + 1];
      // ∇W_l = P_lᵀ R_{l+1} (0-based layers: P_0 = I).
      if (l === 0) grad.set(r, o);
      else {
        const p = prefix[l];
        for (let t = 0; t < a; t++)
          for (let j = 0; j < b; j++) {
            let sum = 0;
            for (let i = 0; i < dIn; i++) sum += p[i * a + t] * r[i * b + j];
            grad[o + t * b + j] = sum;
          }
        // R_l = R_{l+1} W_lᵀ.
        const next = back[l];
        for (let i = 0; i < dIn; i++)
          for (let t = 0; t < a; t++) {
            let sum = 0;
            for (let j = 0; j < b; j++) sum += r[i * b + j] * theta[o + t * b + j];
            next[i * a + t] = sum;
          }
      }
    }
    return loss;
  };
}

/** L_n(θ) (and ∇L_n into `grad`) from the sufficient statistics: dlnLossFn for one call. */
export function dlnLoss(stats: DlnStats, theta: Float64Array, grad?: Float64Array): number {
  return dlnLossFn(stats)(theta, grad);
}

/**
 * The largest eigenvalue h_max of ∇²U at θ (U = nβL_n + (γ/2)‖θ − w*‖²), by power iteration on
 * finite-difference Hessian–vector products of ∇L_n. An unadjusted Langevin step ε multiplies a
 * deviation along that direction by 1 − εh/2, so it is stable only while ε·h < 4 (sharpness.ts),
 * and its stationary variance there is 1/(h(1 − εh/4)) instead of 1/h (the AR(1) recursion): h_max
 * along the exact posterior says where SGLD at a given ε runs hot or cannot go at all.
 */
export function topCurvature(
  lossFn: DlnLossFn,
  theta: Float64Array,
  nbeta: number,
  gamma: number,
  iterations = 50,
): number {
  const d = theta.length;
  const v = new Float64Array(d).fill(1 / Math.sqrt(d));
  const up = new Float64Array(d);
  const down = new Float64Array(d);
  const gUp = new Float64Array(d);
  const gDown = new Float64Array(d);
  const step = 1e-5 * (1 + Math.sqrt(theta.reduce((s, x) => s + x * x, 0) / d));
  let h = 0;
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < d; k++) {
      up[k] = theta[k] + step * v[k];
      down[k] = theta[k] - step * v[k];
    }
    lossFn(up, gUp);
    lossFn(down, gDown);
    let norm = 0;
    for (let k = 0; k < d; k++) {
      gUp[k] = (nbeta * (gUp[k] - gDown[k])) / (2 * step) + gamma * v[k];
      norm += gUp[k] * gUp[k];
    }
    norm = Math.sqrt(norm);
    h = norm;
    for (let k = 0; k < d; k++) v[k] = gUp[k] / norm;
  }
  return h;
}

export interface ExactLlcOptions {
  /** Localization γ (default 1, the battery's). */
  gamma?: number;
  /** nβ (default n / log n). */
  nbeta?: number;
  /** Independent chains from w* (default 4). */
  numChains?: number;
  /** Fewest burn-in steps, which tune ε towards `targetAcceptance` (default 2,000). */
  numAdapt?: number;
  /**
   * Burn-in, in relaxation times τ = 2/(εγ) of the localization, the slowest motion the chain
   * has (default 5: e^−5 of the start left in the flat directions); it also tunes ε.
   */
  burninRelaxations?: number;
  /** Draws after burn-in, in relaxation times (default 50). */
  drawRelaxations?: number;
  /** MALA's optimal acceptance for a product-like target (Roberts & Rosenthal 1998) (default 0.574). */
  targetAcceptance?: number;
  /** Seed; chain c derives its own (default 0). */
  seed?: number;
  /** Draws whose loss is kept for the trace-based errors, thinned evenly (default 20,000 per chain). */
  maxKept?: number;
  /**
   * Most steps per chain, burn-in and draws together (default 20,000,000, ≈ 5 min for a
   * 170-parameter DLN). A deep DLN's posterior reaches regions stiff enough that MALA tunes ε
   * down to ~1e-6, and 55 relaxation times would take ~10⁸ steps; past the cap a chain stops
   * early and says so (`capped`), its λ̂ still exact in law but with fewer relaxations behind it.
   */
  maxSteps?: number;
  /** Draws per chain, evenly spaced, at which to measure h_max (topCurvature; default 0: none). */
  curvatureDraws?: number;
  /** Progress, called every 10,000 steps of a chain (burn-in and draws; their number is known only once ε is tuned). */
  onStep?: (chain: number, step: number, epsilon: number) => void;
}

/** Robbins–Monro rate of log ε per step during burn-in. */
const ADAPT_RATE = 0.01;

export const EXACT_DEFAULTS = {
  gamma: 1,
  numChains: 4,
  numAdapt: 2000,
  burninRelaxations: 5,
  drawRelaxations: 50,
  targetAcceptance: 0.574,
  seed: 0,
  maxKept: 20_000,
  maxSteps: 20_000_000,
  curvatureDraws: 0,
};

export interface ExactLlcResult {
  /** nβ·(E_p[L_n] − L_n(w*)) averaged over chains: the estimand at this n, β and γ. */
  llcMean: number;
  /** Monte-Carlo standard error of llcMean (mcseOfMean over chains). */
  llcMcse: number;
  llcPerChain: number[];
  llcSePerChain: number[];
  /** Cochran's p that the chains agree (diagnostics.ts chainAgreement). */
  chainAgreementP: number;
  /** Per chain: z of the kept trace's slope (diagnostics.ts driftZ); |z| > 4 means it still drifts. */
  driftZ: number[];
  /** Per chain: the tuned step size and the acceptance rate over its draws. */
  epsilon: number[];
  acceptance: number[];
  /** Per chain: mean of (w − w*)·∇U(w) / d over the draws — 1 at equilibrium (equipartition). */
  virialPerD: number[];
  /** Steps per chain: burn-in (with tuning) and draws. */
  burnin: number[];
  draws: number[];
  /** Per chain: the draws in relaxation times 2/(εγ). */
  relaxations: number[];
  /** A chain hit maxSteps before its burn-in or draws were complete (see maxSteps). */
  capped: boolean;
  /** h_max (topCurvature) at `curvatureDraws` draws of each chain, pooled; empty when not asked for. */
  curvature: number[];
  nbeta: number;
  gamma: number;
  initLoss: number;
  numParams: number;
  seconds: number;
}

/** MALA's state at a point: U and ∇U, computed once per proposal. */
interface Point {
  theta: Float64Array;
  gradU: Float64Array;
  loss: number;
  u: number;
}

function newPoint(d: number): Point {
  return { theta: new Float64Array(d), gradU: new Float64Array(d), loss: NaN, u: NaN };
}

/** Fill p's loss, U(θ) = nβL_n(θ) + (γ/2)‖θ − w*‖² and ∇U(θ) for the θ it holds. */
function evaluate(lossFn: DlnLossFn, p: Point, wStar: Float64Array, nbeta: number, gamma: number): void {
  p.loss = lossFn(p.theta, p.gradU);
  let sq = 0;
  for (let k = 0; k < p.theta.length; k++) {
    const off = p.theta[k] - wStar[k];
    sq += off * off;
    p.gradU[k] = nbeta * p.gradU[k] + gamma * off;
  }
  p.u = nbeta * p.loss + 0.5 * gamma * sq;
}

/**
 * One MALA step: the proposal w' = w − (ε/2)∇U(w) + √ε·ξ is written into `spare` and accepted
 * with probability α = min(1, exp(U(w) − U(w') + log q(w'→w) − log q(w→w'))). Returns the
 * point the chain is at (cur or spare: the caller swaps) and α.
 */
function malaStep(
  lossFn: DlnLossFn,
  cur: Point,
  spare: Point,
  wStar: Float64Array,
  epsilon: number,
  nbeta: number,
  gamma: number,
  rng: Rng,
): { accepted: boolean; alpha: number } {
  const d = cur.theta.length;
  const sqrtEps = Math.sqrt(epsilon);
  for (let k = 0; k < d; k++) spare.theta[k] = cur.theta[k] - 0.5 * epsilon * cur.gradU[k] + sqrtEps * rng.normal();
  evaluate(lossFn, spare, wStar, nbeta, gamma);
  // log q(w'→w) − log q(w→w') = −(‖w − w' + (ε/2)∇U(w')‖² − ‖w' − w + (ε/2)∇U(w)‖²)/(2ε)
  let back = 0;
  let fwd = 0;
  for (let k = 0; k < d; k++) {
    const step = spare.theta[k] - cur.theta[k];
    back += (-step + 0.5 * epsilon * spare.gradU[k]) ** 2;
    fwd += (step + 0.5 * epsilon * cur.gradU[k]) ** 2;
  }
  const logAlpha = cur.u - spare.u - (back - fwd) / (2 * epsilon);
  const alpha = Number.isNaN(logAlpha) ? 0 : Math.min(1, Math.exp(logAlpha));
  return { accepted: rng.uniform() < alpha, alpha };
}

/** Options with defaults; errors name the bad value. */
export function resolveExactOptions(options: ExactLlcOptions, n: number): Required<Omit<ExactLlcOptions, 'onStep'>> {
  const { onStep: _o, ...rest } = options;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const valid = [...Object.keys(EXACT_DEFAULTS), 'nbeta'];
  const unknown = Object.keys(given).filter((k) => !valid.includes(k));
  if (unknown.length)
    throw new Error(`exactLlc: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${valid.join(', ')}`);
  const o = { ...EXACT_DEFAULTS, nbeta: defaultNbeta(n), ...given };
  checkPositive('exactLlc: gamma', o.gamma);
  checkPositive('exactLlc: nbeta', o.nbeta);
  checkPositive('exactLlc: numChains', o.numChains, true);
  checkPositive('exactLlc: numAdapt', o.numAdapt, true);
  checkPositive('exactLlc: burninRelaxations', o.burninRelaxations);
  checkPositive('exactLlc: drawRelaxations', o.drawRelaxations);
  checkPositive('exactLlc: maxKept', o.maxKept, true);
  checkPositive('exactLlc: maxSteps', o.maxSteps, true);
  if (!Number.isInteger(o.curvatureDraws) || o.curvatureDraws < 0)
    throw new Error(`exactLlc: curvatureDraws must be an integer ≥ 0, got ${o.curvatureDraws}`);
  if (!(o.targetAcceptance > 0 && o.targetAcceptance < 1))
    throw new Error(`exactLlc: targetAcceptance must lie in (0, 1), got ${o.targetAcceptance}`);
  return o;
}

/**
 * nβ(E_p[L_n] − L_n(w*)) under the exact localized tempered posterior p ∝ exp(−nβL_n − (γ/2)‖w − w*‖²),
 * by MALA from w* (θ flat, layers row-major). Each chain tunes its ε during burn-in (Robbins–Monro
 * on log ε), then keeps it for draws; both are measured in relaxation times 2/(εγ).
 */
export function exactLocalizedLlc(stats: DlnStats, wStar: Float64Array, options: ExactLlcOptions = {}): ExactLlcResult {
  const o = resolveExactOptions(options, stats.n);
  const start = Date.now();
  const d = wStar.length;
  const lossFn = dlnLossFn(stats);
  const initLoss = lossFn(wStar);
  const perChain = Array.from({ length: o.numChains }, (_, c) => {
    const rng = makeRng(deriveSeed(o.seed, 'exact-mala', c));
    let p = newPoint(d);
    let spare = newPoint(d);
    p.theta.set(wStar);
    evaluate(lossFn, p, wStar, o.nbeta, o.gamma);
    const step = (epsilon: number): number => {
      const { accepted, alpha } = malaStep(lossFn, p, spare, wStar, epsilon, o.nbeta, o.gamma, rng);
      if (accepted) [p, spare] = [spare, p];
      return alpha;
    };
    // Burn-in tunes ε as it goes (a constant-rate Robbins–Monro step on log ε: the chain spreads
    // from w* into stiffer regions, so an ε tuned at w* alone is too large later). It ends once it
    // has lasted `burninRelaxations` relaxation times at the current ε; ε is fixed for the draws,
    // which keeps them exact.
    let logEps = Math.log(1 / (o.nbeta * (1 + Math.abs(stats.sxx[0]))));
    let burnin = 0;
    const burninCap = Math.floor(o.maxSteps / 2);
    for (
      ;
      burnin < burninCap && (burnin < o.numAdapt || burnin < (o.burninRelaxations * 2) / (Math.exp(logEps) * o.gamma));
      burnin++
    ) {
      logEps += ADAPT_RATE * (step(Math.exp(logEps)) - o.targetAcceptance);
      if ((burnin + 1) % 10_000 === 0) options.onStep?.(c, burnin + 1, Math.exp(logEps));
    }
    const epsilon = Math.exp(logEps);
    const wanted = Math.ceil((o.drawRelaxations * 2) / (epsilon * o.gamma));
    const draws = Math.min(wanted, o.maxSteps - burnin);
    const thin = Math.max(1, Math.ceil(draws / o.maxKept));
    const kept: number[] = [];
    const curvature: number[] = [];
    const probeEvery = o.curvatureDraws > 0 ? Math.max(1, Math.floor(draws / o.curvatureDraws)) : Infinity;
    let lossSum = 0;
    let acceptSum = 0;
    let virialSum = 0;
    for (let t = 0; t < draws; t++) {
      acceptSum += step(epsilon);
      lossSum += p.loss;
      let v = 0;
      for (let k = 0; k < d; k++) v += (p.theta[k] - wStar[k]) * p.gradU[k];
      virialSum += v;
      if (t % thin === 0) kept.push(o.nbeta * (p.loss - initLoss));
      if (t % probeEvery === 0 && curvature.length < o.curvatureDraws)
        curvature.push(topCurvature(lossFn, p.theta, o.nbeta, o.gamma));
      if ((t + 1) % 10_000 === 0) options.onStep?.(c, burnin + t + 1, epsilon);
    }
    // λ̂ from every draw; its error from the thinned trace (thinning only drops correlated draws).
    return {
      llc: o.nbeta * (lossSum / draws - initLoss),
      se: mcseMean(kept),
      drift: driftZ(kept),
      epsilon,
      acceptance: acceptSum / draws,
      virialPerD: virialSum / draws / d,
      burnin,
      draws,
      relaxations: (draws * epsilon * o.gamma) / 2,
      capped: burnin >= burninCap || draws < wanted,
      curvature,
    };
  });
  const llcPerChain = perChain.map((r) => r.llc);
  const llcSePerChain = perChain.map((r) => r.se);
  return {
    llcMean: mean(llcPerChain),
    llcMcse: mcseOfMean(llcPerChain, llcSePerChain),
    llcPerChain,
    llcSePerChain,
    chainAgreementP: chainAgreement(llcPerChain, llcSePerChain).p,
    driftZ: perChain.map((r) => r.drift),
    epsilon: perChain.map((r) => r.epsilon),
    acceptance: perChain.map((r) => r.acceptance),
    virialPerD: perChain.map((r) => r.virialPerD),
    burnin: perChain.map((r) => r.burnin),
    draws: perChain.map((r) => r.draws),
    relaxations: perChain.map((r) => r.relaxations),
    capped: perChain.some((r) => r.capped),
    curvature: perChain.flatMap((r) => r.curvature),
    nbeta: o.nbeta,
    gamma: o.gamma,
    initLoss,
    numParams: d,
    seconds: (Date.now() - start) / 1000,
  };
}
