/**
 * Theoretical (global) learning coefficients λ — real log canonical thresholds —
 * of linear networks without biases, for calibrating LLC estimates.
 *
 * Sources:
 *  - [AW05] M. Aoyagi & S. Watanabe (2005), "Stochastic complexities of reduced
 *    rank regression in Bayesian estimation", Neural Networks 18(7):924–933.
 *    Closed form for the two-layer linear network (reduced-rank regression).
 *  - [A24] M. Aoyagi (2024), "Consideration on the learning efficiency of
 *    multiple-layered neural networks with linear units", Neural Networks 172:106132
 *    (preprint 2023, doi:10.2139/ssrn.4404877). Theorem 1 (general depth) and
 *    Remark 1 (some width equal to the true rank); its Theorem 2 restates [AW05].
 *  - [L+23] E. Lau, Z. Furman, G. Wang, D. Murfet & S. Wei, "The local learning
 *    coefficient: a singularity-aware complexity measure" (arXiv:2308.12108,
 *    AISTATS 2025), appendix on deep linear networks, which restates [A24] Theorem 1
 *    and uses it as ground truth.
 *  - [DP17] M. Drton & M. Plummer (2017), "A Bayesian information criterion for
 *    singular models", JRSS-B 79:323–380, §2.2 and Table 1 (RRR values).
 *
 * Conventions here: `widths = [H_1 (input), H_2, …, H_{L+1} (output)]`, L weight
 * matrices of sizes H_{i+1} × H_i, no biases, and `rank` = r is the rank of the
 * true product matrix. [A24] numbers the layers the other way round (H^(1) is the
 * output, H^(L+1) the input); the formula depends only on the multiset of widths
 * and on H_1 + H_{L+1}, so it is invariant under reversing the list.
 */

/** Throw unless `value` is an integer ≥ `min`, naming the offending argument. */
function checkInteger(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${String(value)}`);
  }
  if (value < min) {
    throw new RangeError(`${name} must be ${min === 1 ? 'positive' : `≥ ${min}`}, got ${value}`);
  }
}

function checkWidths(widths: readonly number[]): void {
  if (!Array.isArray(widths)) throw new TypeError(`widths must be an array of layer widths, got ${String(widths)}`);
  if (widths.length < 2) {
    throw new RangeError(
      `widths needs at least 2 entries (input and output), got ${widths.length}: [${widths.join(', ')}]`,
    );
  }
  widths.forEach((h, i) => checkInteger(`widths[${i}]`, h, 1));
}

function checkRank(rank: number, widths: readonly number[]): void {
  checkInteger('rank', rank, 0);
  const minWidth = Math.min(...widths);
  if (rank > minWidth) {
    throw new RangeError(
      `rank ${rank} exceeds the smallest width ${minWidth} of [${widths.join(', ')}]; the product matrix cannot have that rank`,
    );
  }
}

/** Number of weights of a bias-free linear network: Σ_i H_i · H_{i+1}. */
export function parameterCount(widths: readonly number[]): number {
  checkWidths(widths);
  let d = 0;
  for (let i = 0; i + 1 < widths.length; i++) d += widths[i] * widths[i + 1];
  return d;
}

/** Which case of [AW05] (numbering of [DP17] §2.2 / devinterp's tests) applies. */
export type RrrCase = '1-even' | '1-odd' | '2' | '3' | '4';

export interface RrrDetails {
  lambda: number;
  /** Multiplicity m (order of the pole): 2 in case 1 with M+H+N+r odd, else 1. */
  multiplicity: number;
  case: RrrCase;
}

/**
 * Learning coefficient of reduced-rank regression (two-layer linear network
 * x ↦ B A x with A: H × M, B: N × H) when the true product BA has rank r, with the
 * multiplicity, from Aoyagi & Watanabe (2005) [AW05], Main Theorem:
 *
 *  1. N+r ≤ M+H, M+r ≤ N+H and H+r ≤ M+N:
 *       λ = [2(H+r)(M+N) − (M−N)² − (H+r)²] / 8        (M+H+N+r even, m = 1)
 *       λ = [2(H+r)(M+N) − (M−N)² − (H+r)² + 1] / 8    (M+H+N+r odd,  m = 2)
 *  2. M+H < N+r:  λ = (HM − Hr + Nr) / 2
 *  3. N+H < M+r:  λ = (HN − Hr + Mr) / 2
 *  4. M+N < H+r:  λ = MN / 2
 *
 * Cases 2–4 are mutually exclusive (any two together would force r > H, M or N) and
 * case 1 is their complement, so exactly one applies.
 */
export function rrrLambdaDetails(M: number, H: number, N: number, r: number): RrrDetails {
  checkInteger('M (input width)', M, 1);
  checkInteger('H (hidden width)', H, 1);
  checkInteger('N (output width)', N, 1);
  checkInteger('r (true rank)', r, 0);
  const minWidth = Math.min(M, H, N);
  if (r > minWidth) {
    throw new RangeError(`r (true rank) ${r} exceeds min(M, H, N) = ${minWidth} for (M, H, N) = (${M}, ${H}, ${N})`);
  }
  if (M + H < N + r) return { lambda: (H * M - H * r + N * r) / 2, multiplicity: 1, case: '2' };
  if (N + H < M + r) return { lambda: (H * N - H * r + M * r) / 2, multiplicity: 1, case: '3' };
  if (M + N < H + r) return { lambda: (M * N) / 2, multiplicity: 1, case: '4' };
  const core = 2 * (H + r) * (M + N) - (M - N) ** 2 - (H + r) ** 2;
  return (M + H + N + r) % 2 === 0
    ? { lambda: core / 8, multiplicity: 1, case: '1-even' }
    : { lambda: (core + 1) / 8, multiplicity: 2, case: '1-odd' };
}

/**
 * λ of reduced-rank regression: input width M, hidden width H, output width N, true
 * rank r — Aoyagi & Watanabe (2005). See {@link rrrLambdaDetails} for the cases.
 */
export function rrrLambda(M: number, H: number, N: number, r: number): number {
  return rrrLambdaDetails(M, H, N, r).lambda;
}

export interface DlnDetails {
  lambda: number;
  /** Multiplicity θ (order of the largest pole): a(ℓ−a) + 1, or 1 under Remark 1. */
  multiplicity: number;
  /** Indices into `widths` of the chosen set Σ (the "S-hat" of [A24]), ascending. */
  subset: number[];
  /** ℓ = |Σ| − 1. */
  ell: number;
  /** a = Σ_{j∈Σ} M_j − (M̄ − 1)ℓ ∈ {1, …, ℓ}, with M̄ = ⌈Σ_{j∈Σ} M_j / ℓ⌉. */
  a: number;
  /** True when some width equals the rank, i.e. [A24] Remark 1 applied. */
  degenerate: boolean;
}

/**
 * Learning coefficient λ of a deep linear network x ↦ W_L ⋯ W_1 x (no biases) whose
 * true product matrix has rank r, with its multiplicity θ — Aoyagi (2024) [A24],
 * Theorem 1 and Remark 1, as restated in the appendix of Lau et al. [L+23].
 *
 * Put M_j = H_j − r (j = 1, …, L+1). Let Σ ⊂ {1, …, L+1}, |Σ| = ℓ + 1, be the set with
 *   (i)   max_{j∈Σ} M_j < min_{k∉Σ} M_k,
 *   (ii)  Σ_{j∈Σ} M_j ≥ ℓ · max_{j∈Σ} M_j,
 *   (iii) Σ_{j∈Σ} M_j < ℓ · min_{k∉Σ} M_k,
 * let M̄ = ⌈Σ_{j∈Σ} M_j / ℓ⌉ and a = Σ_{j∈Σ} M_j − (M̄ − 1)ℓ. Then
 *   λ = (−r² + r(H_1 + H_{L+1}))/2 + a(ℓ − a)/(4ℓ)
 *       − (ℓ(ℓ − 1)/4) · (Σ_{j∈Σ} M_j / ℓ)² + ½ Σ_{i<j; i,j∈Σ} M_i M_j,
 *   θ = a(ℓ − a) + 1.
 * (Note the second term is a(ℓ − a)/(4ℓ), with ℓ, not Σ, inside the bracket.)
 * With S = Σ_{j∈Σ} M_j and Q = Σ_{j∈Σ} M_j², the last three terms collapse to
 * [a(ℓ − a) + S² − ℓQ]/(4ℓ), which is what is evaluated below (integer numerator).
 *
 * Remark 1 of [A24]: if some M_j = 0 (some width equals r, so r = min width) then
 * λ = (−r² + r(H_1 + H_{L+1}))/2 = r(H_1 + H_{L+1} − r)/2 and θ = 1, with Σ = the zeros
 * plus, if there is exactly one zero, the indices of the smallest positive M_j.
 *
 * By (i), Σ is a prefix of the widths sorted by M_j that never splits a group of
 * equal values; the smallest admissible prefix with ℓ ≥ 1 is used.
 * For a single layer (L = 1) this gives the regular value H_1 H_2 / 2 for every r,
 * and for L = 2 it coincides with [AW05] (checked in test/aoyagi.test.ts).
 */
export function dlnLambdaDetails(widths: readonly number[], rank: number): DlnDetails {
  checkWidths(widths);
  checkRank(rank, widths);
  const r = rank;
  const n = widths.length;
  const m = widths.map((h) => h - r);
  const base = (r * (widths[0] + widths[n - 1] - r)) / 2;

  const zeros = m.flatMap((v, i) => (v === 0 ? [i] : []));
  if (zeros.length > 0) {
    let subset = zeros;
    if (zeros.length === 1) {
      const positive = m.filter((v) => v > 0);
      const smallest = Math.min(...positive);
      subset = m.flatMap((v, i) => (v === 0 || v === smallest ? [i] : []));
    }
    return { lambda: base, multiplicity: 1, subset, ell: subset.length - 1, a: subset.length - 1, degenerate: true };
  }

  const order = m.map((_, i) => i).sort((i, j) => m[i] - m[j] || i - j);
  for (let size = 2; size <= n; size++) {
    // (i) strict separation: the prefix may not cut a run of equal M values.
    if (size < n && m[order[size - 1]] === m[order[size]]) continue;
    const ell = size - 1;
    const inside = order.slice(0, size).map((i) => m[i]);
    const sum = inside.reduce((s, v) => s + v, 0);
    const maxInside = m[order[size - 1]];
    if (sum < ell * maxInside) continue; // (ii)
    if (size < n && sum >= ell * m[order[size]]) continue; // (iii)
    const mBar = Math.ceil(sum / ell);
    const a = sum - (mBar - 1) * ell;
    const sumSquares = inside.reduce((s, v) => s + v * v, 0);
    const numerator = a * (ell - a) + sum * sum - ell * sumSquares;
    if (!Number.isSafeInteger(numerator)) {
      throw new RangeError(`widths [${widths.join(', ')}] are too large for exact evaluation`);
    }
    return {
      lambda: base + numerator / (4 * ell),
      multiplicity: a * (ell - a) + 1,
      subset: order.slice(0, size).sort((i, j) => i - j),
      ell,
      a,
      degenerate: false,
    };
  }
  // [A24] shows such a Σ always exists; reaching this line would be a bug here.
  throw new Error(`no admissible subset Σ for widths [${widths.join(', ')}] and rank ${r}`);
}

/**
 * λ of a deep linear network with `widths = [H_1 (input), …, H_{L+1} (output)]` and
 * true product matrix of rank `rank` — Aoyagi (2024), Theorem 1 / Remark 1. See
 * {@link dlnLambdaDetails} for the formula.
 */
export function dlnLambda(widths: readonly number[], rank: number): number {
  return dlnLambdaDetails(widths, rank).lambda;
}
