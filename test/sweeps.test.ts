/** Sweeps and profiles as data (lib/experiments/sweeps.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellKey } from '../lib/experiments/experiment';
import { MNIST_LABEL_COUNTS } from '../lib/data/mnist';
import { defaultNbeta } from '../lib/estimator/llc';
import { getProfile, parseShard, shardCells, sweepCells } from '../lib/experiments/sweeps';

test('shards partition a sweep exactly: every cell once across N shards', () => {
  const cells = sweepCells('writeup', getProfile('full'));
  assert.equal(cells.length, 90);
  for (const n of [1, 3, 7]) {
    const keys = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }).map(cellKey)).flat();
    assert.equal(keys.length, cells.length);
    assert.deepEqual([...keys].sort(), cells.map(cellKey).sort());
  }
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['0/3', '4/3', '1/0', 'a/b', '3']) assert.throws(() => parseShard(bad), /malformed shard/);
});

test('the recheck sweep is the writeup sweep at every γ × nβ; at (10, n/log n) it is the writeup sweep itself', () => {
  const full = getProfile('full');
  const cells = sweepCells('recheck', full);
  assert.equal(cells.length, 2 * 3 * 90);
  const writeup = new Set(sweepCells('writeup', full).map(cellKey));
  const same = cells.filter((c) => c.llc.gamma === 10 && c.llc.nbeta === 'auto');
  assert.equal(same.length, 90);
  assert.ok(same.every((c) => writeup.has(cellKey(c))));
  assert.equal(cells.filter((c) => writeup.has(cellKey(c))).length, 90, 'no other setting reuses a writeup key');
  const nbetas = new Set(cells.map((c) => c.llc.nbeta));
  assert.deepEqual([...nbetas].sort(), [0.5 * defaultNbeta(12665), 2 * defaultNbeta(12665), 'auto'].sort());
  assert.deepEqual(
    cells.slice(0, 108).map((c) => c.seed),
    Array(108).fill(0),
    'seeds outermost: the first seed at every setting comes first',
  );
});

test("the declared sweeps have the write-up's sizes", () => {
  const full = getProfile('full');
  const shuffled = sweepCells('shuffled', full);
  assert.equal(shuffled.length, 360, '10 orders × 2 seeds × 9 k × 2 architectures');
  assert.equal(new Set(shuffled.map((c) => c.order.join(''))).size, 10);
  for (let k = 2; k <= 9; k++) {
    const tasks = new Set(
      shuffled
        .filter((c) => c.k === k && c.seed === 0 && c.architecture === 'mlp')
        .map((c) => [...c.order.slice(0, k)].sort().join('')),
    );
    assert.equal(tasks.size, 10, `k = ${k}: every order cuts its own task`);
  }
  assert.deepEqual([...new Set(shuffled.map((c) => c.seed))], [0, 1]);
  // A k = 2 task smaller than n = 12,665 takes all its examples; every larger task keeps n (and its key).
  for (const c of shuffled) {
    const labels = c.order.slice(0, c.k);
    const have = (split: 'train' | 'test') => labels.reduce((s, d) => s + MNIST_LABEL_COUNTS[split][d], 0);
    assert.equal(c.numTrain, Math.min(12665, have('train')), `${labels}`);
    assert.equal(c.numTest, Math.min(2115, have('test')), `${labels}`);
    if (c.k > 2) assert.equal(c.numTrain, 12665);
  }
  assert.ok(shuffled.some((c) => c.numTrain < 12665));
  assert.ok(sweepCells('fullmnist', full).every((c) => c.numTrain === 60000 && c.k === 10));
  const w = sweepCells('writeup', full)[0];
  assert.deepEqual(
    {
      eps: w.llc.epsilon,
      gamma: w.llc.gamma,
      draws: w.llc.numDraws,
      burn: w.llc.numBurnin,
      chains: w.llc.numChains,
      m: w.llc.batchSize,
    },
    { eps: 2e-4, gamma: 10, draws: 2000, burn: 0, chains: 1, m: 256 },
  );
});
