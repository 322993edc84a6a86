/**
 * Is Aoyagi's λ the learning coefficient *at* the battery's true parameter? λ (aoyagi.ts) is the
 * global coefficient: the smallest local one over the whole set of true parameters. λ̂(w*)
 * estimates the local one at w*, which can be larger when w* is not among the most singular
 * true parameters.
 *
 * A bound settles it where it bites. Near w0, K(w) = ½‖B(w) − B0‖² (unit Gaussian inputs) is at
 * least the sum of squares of k = rank of the Jacobian of w ↦ B(w) = W_1···W_L coordinates, so
 * the volume {K < t} is at most ~t^{k/2} and the local coefficient at w0 is ≥ k/2.
 *
 * Measured (the battery's construction, groundtruth.ts, which cuts the inputs of the first
 * layer's surplus units but not their outputs): DLN 8-4-5 rank 2 has k = 34 at w0, so its local
 * coefficient is ≥ 17 against λ = 14 (there the true set is smooth of codimension 34, so it is
 * exactly 17); 3 of the battery's 12 shapes have k/2 > λ.
 */
import { dlnTrueWeights } from './groundtruth';
import { identity, matMul, prefixProducts, singularValues } from './signal';

/**
 * Rank of the Jacobian of (W_1, …, W_L) ↦ W_1···W_L at the given row-major layers
 * (widths[l] × widths[l+1]); singular values below `relTol` × the largest count as 0.
 */
export function productJacobianRank(widths: number[], weights: ArrayLike<number>[], relTol = 1e-6): number {
  const L = widths.length - 1;
  const dIn = widths[0],
    dOut = widths[L];
  // prefix[l] = W_1···W_l (dIn × widths[l]), suffix[l] = W_{l+1}···W_L (widths[l] × dOut), row-major.
  const prefix = prefixProducts(widths, weights);
  const suffix: Float64Array[] = new Array(L + 1);
  suffix[L] = identity(dOut);
  for (let l = L - 1; l >= 0; l--) suffix[l] = matMul(weights[l], suffix[l + 1], widths[l], widths[l + 1], dOut);
  // ∂B/∂W_l[a][b] = prefix[l][:, a] ⊗ suffix[l+1][b, :]: one row of Jᵀ per parameter.
  const params = widths.slice(0, L).reduce((s, w, l) => s + w * widths[l + 1], 0);
  const jt = new Float64Array(params * dIn * dOut);
  let row = 0;
  for (let l = 0; l < L; l++)
    for (let a = 0; a < widths[l]; a++)
      for (let b = 0; b < widths[l + 1]; b++, row++)
        for (let i = 0; i < dIn; i++)
          for (let j = 0; j < dOut; j++)
            jt[row * dIn * dOut + i * dOut + j] = prefix[l][i * widths[l] + a] * suffix[l + 1][b * dOut + j];
  const sv = singularValues(jt, params, dIn * dOut);
  return sv.filter((s) => s > relTol * sv[0]).length;
}

/** rank(J)/2 at the true parameter of dlnProblem({ widths, rank, seed }): a lower bound on its local coefficient. */
export function dlnLocalLowerBound(widths: number[], rank: number, seed: number): number {
  return productJacobianRank(widths, dlnTrueWeights(widths, rank, seed)) / 2;
}
