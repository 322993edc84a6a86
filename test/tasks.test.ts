import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_NUM_TEST,
  DEFAULT_NUM_TRAIN,
  distinctOrderSeeds,
  firstK,
  makeTask,
  randomOrder,
} from '../lib/data/tasks';

test('k = 2 with the default n is exactly the full {0,1} training set', () => {
  const t = makeTask({ labels: [0, 1] });
  assert.equal(t.numTrain, DEFAULT_NUM_TRAIN);
  assert.equal(t.numTest, DEFAULT_NUM_TEST);
  assert.equal(t.xTrain.length, 12665 * 784);
  assert.equal(t.yTrain.filter((y) => y === 0).length, 5923);
  assert.ok(t.xTrain.every((v) => v >= -1 && v <= 1));
});

test('every task has the same n, only its labels, and is deterministic in the seed', () => {
  const a = makeTask({ labels: firstK(5), numTrain: 1000, numTest: 200, seed: 3 });
  const b = makeTask({ labels: firstK(5), numTrain: 1000, numTest: 200, seed: 3 });
  const c = makeTask({ labels: firstK(5), numTrain: 1000, numTest: 200, seed: 4 });
  assert.equal(a.yTrain.length, 1000);
  assert.ok(a.yTrain.every((y) => y < 5));
  assert.deepEqual(a.yTrain, b.yTrain);
  assert.deepEqual(a.xTrain, b.xTrain);
  assert.notDeepEqual(a.yTrain, c.yTrain);
  assert.equal(new Set(a.yTrain).size, 5);
});

test('firstK and seeded random orders', () => {
  assert.deepEqual(firstK(3), [0, 1, 2]);
  assert.deepEqual(firstK(2, [7, 3, 1]), [7, 3]);
  const o = randomOrder(1);
  assert.deepEqual([...o].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(randomOrder(1), o);
  assert.notDeepEqual(randomOrder(2), o);
});

test('bad input gets a clear error', () => {
  assert.throws(() => makeTask({ labels: [0, 10] }), /label 10 is not a digit; valid labels are integers 0..9/);
  assert.throws(() => makeTask({ labels: [3, 3] }), /label 3 appears twice/);
  assert.throws(() => makeTask({ labels: [4] }), /at least 2 labels/);
  assert.throws(
    () => makeTask({ labels: [0, 1], numTrain: 20000 }),
    /asked for 20000 examples of labels \[0, 1\] but only 12665 exist/,
  );
  assert.throws(() => firstK(11), /k=11 is out of range; valid k are integers 2..10/);
  assert.throws(() => makeTask({ labels: [0, 1.5] }), /label 1.5 is not a digit/);
});

test('distinctOrderSeeds: orders whose first-k tasks are all different at every k < 10; impossible requests are errors', () => {
  const seeds = distinctOrderSeeds(10);
  assert.equal(seeds.length, 10);
  for (let k = 2; k <= 9; k++) {
    const tasks = seeds.map((s) => [...randomOrder(s).slice(0, k)].sort().join(''));
    assert.equal(new Set(tasks).size, 10, `k = ${k}`);
  }
  assert.deepEqual(distinctOrderSeeds(3), seeds.slice(0, 3), 'a prefix of a longer list');
  assert.throws(() => distinctOrderSeeds(11), /only 10 of 11 label orders/, 'k = 9 has only 10 tasks');
});
