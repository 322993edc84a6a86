import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { modelDef, numParams } from '../lib/models/models';
import { cnn1dDef, logistic1dDef, mlp1dDef } from '../lib/models/mnist1d-models';
import { getProfile, MNIST1D_PAIR_TEST, MNIST1D_PAIR_TRAIN, sweepCells } from '../lib/experiments/sweeps';
import { makeTaskFrom, mnist1dData } from '../lib/data/tasks';
import { trainModel } from '../lib/train/train';
import { mnist1dTask, referenceData } from '../lib/train/mnist1d-reference';

import { setup } from './helpers';

before(setup);

test('MNIST-1D reference models have the reference parameter counts', () => {
  assert.equal(numParams(logistic1dDef()), 410);
  assert.equal(numParams(mlp1dDef()), 15210);
  assert.equal(numParams(cnn1dDef()), 5210);
  assert.equal(modelDef('cnn', 'mnist1d').inputShape[0], 40);
});

test('the MNIST-1D profiles use n = |{0,1}| of its training split', () => {
  const d = mnist1dData();
  const pairs = (y: ArrayLike<number>) => Array.from(y).filter((v) => v < 2).length;
  assert.equal(pairs(d.yTrain), MNIST1D_PAIR_TRAIN);
  assert.equal(pairs(d.yTest), MNIST1D_PAIR_TEST);
  const [c] = sweepCells('writeup', getProfile('full'), {
    dataset: 'mnist1d',
    ks: [2],
    architectures: ['cnn'],
    seeds: [0],
  });
  assert.equal(c.numTrain, MNIST1D_PAIR_TRAIN);
  assert.equal(c.train.batchSize, 100);
});

test('a short training run of the 1-D CNN beats logistic regression on all 10 classes', () => {
  const task = makeTaskFrom(mnist1dData(), { labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], numTrain: 4000, numTest: 1000 });
  const opts = { epochs: 15, batchSize: 100, learningRate: 1e-2, seed: 0, patience: 100 };
  const cnn = trainModel(cnn1dDef(), task, opts);
  const log = trainModel(logistic1dDef(), task, opts);
  assert.ok(cnn.test.accuracy > log.test.accuracy + 0.1, `cnn ${cnn.test.accuracy} vs logistic ${log.test.accuracy}`);
});

test('the shuffled-sequence control permutes train and test with one and the same permutation', () => {
  const plain = mnist1dTask(referenceData(false));
  const shuffled = mnist1dTask(referenceData(true));
  const L = 40;
  assert.deepEqual([plain.numTrain, plain.numTest, shuffled.numTrain, shuffled.numTest], [4000, 1000, 4000, 1000]);
  assert.deepEqual(shuffled.yTrain, plain.yTrain);
  assert.deepEqual(shuffled.yTest, plain.yTest);
  // Recover the permutation from the first training example, then check it on every example of both splits.
  const where = Array.from({ length: L }, (_, j) =>
    plain.xTrain.subarray(0, L).findIndex((v) => v === shuffled.xTrain[j]),
  );
  assert.equal(new Set(where).size, L, 'a permutation of the 40 positions');
  assert.ok(
    where.some((w, j) => w !== j),
    'not the identity',
  );
  for (const [a, b, n] of [
    [plain.xTrain, shuffled.xTrain, plain.numTrain],
    [plain.xTest, shuffled.xTest, plain.numTest],
  ] as const) {
    for (let i = 0; i < n; i++)
      for (let j = 0; j < L; j++)
        if (b[i * L + j] !== a[i * L + where[j]])
          assert.fail(`example ${i} position ${j} is not permuted like the first training example`);
  }
});
