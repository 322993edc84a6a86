/** The stability check (lib/estimator/stability.ts): ε·h_max at the chains' draws, and its flag. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { estimateLlc } from '../lib/estimator/llc';
import { estimateLlcWithStabilityCheck, stabilityFlag } from '../lib/estimator/stability';
import { dlnProblem } from '../lib/validation/groundtruth';
import { dlnStats } from '../lib/validation/exact';
import { singularValues } from '../lib/validation/signal';
import { setup } from './helpers';
import { tf } from '../lib/engine/backend';

before(setup);

test('stabilityFlag: fires beyond the limit, names the chain and the margin to divergence; NaN probes are ignored', () => {
  assert.equal(
    stabilityFlag([
      [0.1, 0.2],
      [0.9, NaN],
    ]),
    null,
  );
  const f = stabilityFlag([
    [0.1, 0.2],
    [NaN, 2.5],
  ]);
  assert.equal(f?.code, 'nearStabilityLimit');
  assert.match(f!.message, /2\.50 \(chain 1\) > 1/);
  assert.match(f!.message, /within 1\.6× of SGLD's stability limit/);
  assert.equal(stabilityFlag([[0.5]], 0.4)?.code, 'nearStabilityLimit');
});

test('stability check on a regression: the same λ̂ as estimateLlc, ε·h_max = ε(nβ·eig_max(XᵀX/n) + γ), flagged only near the limit', () => {
  const n = 400;
  const p = dlnProblem({ widths: [4, 1], n, seed: 2 });
  try {
    const stats = dlnStats([4, 1], p.data.x.dataSync(), p.data.y.dataSync(), n);
    const base = { gamma: 1, numChains: 2, numDraws: 200, numBurnin: 100, seed: 3 };
    const nbeta = n / Math.log(n);
    const hU = nbeta * singularValues(stats.sxx, 4, 4)[0] + base.gamma;
    for (const [epsilon, flagged] of [
      [1e-4, false],
      [2 / hU, true], // ε·h = 2: stable, but hot along the stiffest direction (variance × 2)
    ] as const) {
      const plain = estimateLlc(p.lossFn, p.wStar, p.data, { ...base, epsilon });
      const tensorsBefore = tf.memory().numTensors;
      const r = estimateLlcWithStabilityCheck(p.lossFn, p.wStar, p.data, { ...base, epsilon });
      assert.equal(tf.memory().numTensors, tensorsBefore, 'the probes leak no tensors');
      assert.deepEqual(r.llcPerChain, plain.llcPerChain, 'the probes must not change the chains');
      assert.equal(r.stability.perChain.length, 2);
      for (const v of r.stability.perChain.flat())
        assert.ok(Math.abs(v - epsilon * hU) < 0.01 * epsilon * hU, `ε·h ${v} vs ${epsilon * hU}`);
      assert.equal(
        r.diagnostics.flags.some((f) => f.code === 'nearStabilityLimit'),
        flagged,
      );
    }
  } finally {
    p.dispose();
  }
});
