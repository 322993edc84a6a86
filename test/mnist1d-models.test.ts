import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { modelDef, numParams } from '../lib/models/models';
import { cnn1dDef, logistic1dDef, mlp1dDef } from '../lib/models/mnist1d-models';
import { getProfile, MNIST1D_PAIR_TEST, MNIST1D_PAIR_TRAIN, sweepCells } from '../lib/experiments/sweeps';
import { makeTaskFrom, mnist1dData } from '../lib/data/tasks';
import { trainModel } from '../lib/train/train';
import {
  accuracyMarkdown,
  accuracyRows,
  epochsForSteps,
  mnist1dTask,
  referenceData,
  ReferenceRun,
  runReferenceModel,
} from '../lib/train/mnist1d-reference';
import { ResultRow } from '../lib/experiments/experiment';
import { gapPairs, relativeGapByK } from '../lib/report/summary';
import { welchTTest } from '../lib/math/stats';
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

test('reference runs: 8000 steps are 200 epochs; rows compare the mean over seeds with the README within ±5 points', () => {
  assert.deepEqual(epochsForSteps(8000, 4000, 100), { epochs: 200, steps: 8000 });
  assert.deepEqual(epochsForSteps(50, 4000, 100), { epochs: 2, steps: 80 });
  assert.throws(() => epochsForSteps(0, 4000, 100), /steps/);
  const run = (model: ReferenceRun['model'], shuffled: boolean, seed: number, testAccuracy: number): ReferenceRun => ({
    model,
    shuffled,
    seed,
    numParams: 0,
    steps: 8000,
    trainAccuracy: 1,
    testAccuracy,
    bestTestAccuracy: testAccuracy,
    seconds: 2,
  });
  const rows = accuracyRows([
    run('cnn', true, 0, 0.5),
    run('cnn', false, 0, 0.9),
    run('cnn', false, 1, 0.92),
    run('logistic', false, 0, 0.33),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.model, r.shuffled, r.reference]),
    [
      ['logistic', false, 32],
      ['cnn', false, 94],
      ['cnn', true, 56],
    ],
  );
  assert.ok(Math.abs(rows[1].ours - 91) < 1e-9 && rows[1].within && rows[1].seconds === 4 && rows[1].ciLo < 91);
  assert.ok(Math.abs(rows[2].difference + 6) < 1e-9 && !rows[2].within);
  const md = accuracyMarkdown(rows).split('\n');
  assert.match(md[0], /\| model \| shuffled\? \| reference % \| ours %.*\| difference \| within ±5\? \| seconds \|/);
  assert.equal(md.length, 2 + rows.length);
  assert.match(md[4], /CNN \| yes \| 56 \| 50\.0 \| −6\.0 \| \*\*no\*\*/);
});

test('a reference run trains for exactly the step budget (no early stopping)', () => {
  const data = referenceData(false, { numSamples: 200 });
  let taken = 0;
  const task = mnist1dTask(data);
  const r = runReferenceModel('logistic', task, false, { steps: 7, batchSize: 40, onStep: () => taken++ });
  assert.equal(r.steps, 8); // 160 training examples: 4 steps per epoch, 7 rounded up to 2 epochs
  assert.equal(taken, 8);
  assert.equal(r.numParams, 410);
  // Accuracy is a count over the whole test split, not a minibatch estimate.
  const correct = r.testAccuracy * task.yTest.length;
  assert.ok(
    Math.abs(correct - Math.round(correct)) < 1e-6,
    `${r.testAccuracy} × ${task.yTest.length} test examples is not a count`,
  );
});

test('notebook 05 helpers: MLP/CNN pairs, relative gap per k, Welch two-sample interval', () => {
  const row = (architecture: 'mlp' | 'cnn', k: number, seed: number, llcMean: number, testAccuracy: number) =>
    ({
      architecture,
      k,
      seed,
      order: '0123456789',
      numTrain: 100,
      llcMean,
      testAccuracy,
      failed: false,
      flags: [],
    }) as unknown as ResultRow;
  const rows = [
    row('mlp', 2, 0, 100, 0.6),
    row('cnn', 2, 0, 40, 0.9),
    row('mlp', 2, 1, 200, 0.7),
    row('cnn', 2, 1, 100, 0.8),
    row('mlp', 3, 0, 50, 0.5),
  ];
  assert.equal(gapPairs(rows).length, 2);
  const [g] = relativeGapByK(rows);
  assert.equal(g.k, 2);
  assert.ok(Math.abs(g.relativeGap - 0.55) < 1e-12 && g.pairs === 2); // (0.6 + 0.5) / 2
  assert.ok(Math.abs(g.accuracyAdvantage - 0.2) < 1e-12); // (0.3 + 0.1) / 2
  // Welch: equal variances and sizes give df = 2(n − 1); a shift of 3 with sd 1, n = 5 is clearly resolved.
  const w = welchTTest([4, 5, 6, 5, 5], [1, 2, 3, 2, 2]);
  assert.ok(Math.abs(w.difference - 3) < 1e-12 && Math.abs(w.df - 8) < 1e-9 && w.lo > 0 && w.p < 0.01);
  assert.ok(Number.isNaN(welchTTest([1], [2, 3]).lo));
});
