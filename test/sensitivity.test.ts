import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/backend';
import { llcGrid } from '../lib/sensitivity';
import { LossFn } from '../lib/models';
import { linearRegressionData, setup } from './helpers';

before(setup);

const mseLoss: LossFn = (ws, x, y) => tf.tidy(() => tf.mul(tf.mean(tf.square(tf.sub(tf.matMul(x as tf.Tensor2D, ws[0] as tf.Tensor2D), y))), 0.5) as tf.Scalar);

test('llcGrid: one row per (nβ, γ, ε); a calibrated ε is healthy near d/2, a far too large ε is flagged; w* unchanged', () => {
  const [n, d] = [1000, 6];
  const { X, Y, wOls } = linearRegressionData(n, d, 3);
  const data = { x: tf.tensor2d(X, [n, d]), y: tf.tensor2d(Y, [n, 1]), n };
  const wStar = [tf.tensor2d(wOls, [d, 1])];
  const before = tf.memory().numTensors;
  const rows = llcGrid(mseLoss, wStar, data, { epsilons: [3e-4, 0.5], gammas: [1, 10], nbetas: ['auto', 50], base: { numChains: 2, numDraws: 400, numBurnin: 100, seed: 0 } });
  assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  assert.equal(rows.length, 8);
  assert.deepEqual([...new Set(rows.map((r) => r.epsilon))], [3e-4, 0.5]);
  assert.ok(Math.abs(rows[0].nbeta - n / Math.log(n)) < 1e-9 && rows[4].nbeta === 50);
  const good = rows.find((r) => r.epsilon === 3e-4 && r.gamma === 1 && r.nbeta !== 50)!;
  assert.ok(Math.abs(good.llcMean - d / 2) / (d / 2) < 0.25, `λ̂ = ${good.llcMean}, d/2 = ${d / 2}`);
  assert.ok(!good.flags.includes('diverged') && !good.flags.includes('negative'), good.flags.join(','));
  const bad = rows.filter((r) => r.epsilon === 0.5);
  assert.ok(bad.every((r) => !r.healthy && r.flags.length > 0), JSON.stringify(bad.map((r) => r.flags)));
  assert.deepEqual(Array.from(wStar[0].dataSync()), Array.from(wOls));
  tf.dispose([data.x, data.y, ...wStar]);
});

test('llcGrid: an empty grid is rejected by name', () => {
  const data = { x: tf.zeros([1, 1]), y: tf.zeros([1, 1]), n: 1 };
  assert.throws(() => llcGrid(mseLoss, [], data, { epsilons: [], gammas: [1] }), /epsilons must be a non-empty list, got \[\]/);
  tf.dispose([data.x, data.y]);
});
