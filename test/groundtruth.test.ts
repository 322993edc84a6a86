/**
 * The estimator against known learning coefficients (fast versions; `npm run validate`
 * runs longer chains on more cases and prints the table the README quotes).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { dlnProblem } from '../lib/validation/groundtruth';
import { estimateLlc } from '../lib/estimator/llc';
import { setup } from './helpers';

before(setup);

// Small n keeps nβ small, which lets ε be large enough for few steps; the SGLD bias grows like ε·nβ.
const sampler = { epsilon: 5e-5, gamma: 1, numChains: 2, numDraws: 3000, numBurnin: 500, batchSize: 256, seed: 0 };

for (const [widths, rank] of [
  [[5, 3, 5], 1],
  [[5, 4, 3, 5], 2],
] as const) {
  test(`DLN ${widths.join('-')} rank ${rank}: λ̂ within 15 % of Aoyagi's λ, and clearly below d/2`, () => {
    const p = dlnProblem({ widths: [...widths], rank, n: 2000, seed: 0 });
    try {
      const r = estimateLlc(p.lossFn, p.wStar, p.data, sampler);
      const rel = Math.abs(r.llcMean - p.truth) / p.truth;
      assert.ok(rel < 0.15, `λ̂ = ${r.llcMean.toFixed(2)}, λ = ${p.truth}, error ${(100 * rel).toFixed(1)} %`);
      // Singular: the estimate sits far below the regular model's d/2.
      assert.ok(r.llcMean < 0.75 * (p.numParams / 2), `λ̂ = ${r.llcMean} vs d/2 = ${p.numParams / 2}`);
    } finally {
      p.dispose();
    }
  });
}
