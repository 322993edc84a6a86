import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultRow } from '../lib/experiment';
import { gapByK, gapPairs, stepSizeElasticity } from '../lib/summary';

/** The fields the summaries read, on a minimal row. */
function row(architecture: 'mlp' | 'cnn', k: number, seed: number, llcMean: number, llc: { epsilon?: number; gamma?: number } = {}): ResultRow {
  return { architecture, k, seed, order: '0123456789', numTrain: 100, llcMean, testAccuracy: 0.9, failed: !Number.isFinite(llcMean), flags: [], config: { llc } } as unknown as ResultRow;
}

test('gapByK pairs exactly the rows gapPairs pairs', () => {
  const rows = [row('mlp', 2, 0, 10), row('cnn', 2, 0, 4), row('mlp', 2, 1, 12), row('cnn', 2, 1, 5), row('mlp', 3, 0, 20)];
  assert.equal(gapPairs(rows).length, 2);
  const [g] = gapByK(rows);
  assert.equal(g.pairs, 2);
  assert.equal(g.gap, 6.5);
});

test('stepSizeElasticity: 1 when λ̂ ∝ ε, 0 when λ̂ does not move; ε above the cap and non-positive λ̂ are left out', () => {
  const eps = [1e-4, 2e-4, 4e-4, 8e-4, 3e-3];
  const rows = [
    ...eps.map((e) => row('mlp', 5, 0, 1e5 * e, { epsilon: e, gamma: 1 })),
    ...eps.map((e) => row('cnn', 5, 0, 7, { epsilon: e, gamma: 100 })),
    row('cnn', 5, 0, -3, { epsilon: 5e-5, gamma: 100 }),
  ];
  const [prop, flat] = stepSizeElasticity(rows);
  assert.equal(prop.points, 4);
  assert.ok(Math.abs(prop.elasticity - 1) < 1e-9, `${prop.elasticity}`);
  assert.equal(flat.points, 4);
  assert.ok(Math.abs(flat.elasticity) < 1e-9, `${flat.elasticity}`);
  assert.deepEqual([flat.architecture, flat.gamma], ['cnn', 100]);
});
