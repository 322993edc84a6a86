/** Resolved cell configs (what is hashed and saved) and the write-up author's variant as options. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { cellKey, trainKey } from '../lib/experiments/experiment';
import { resolveCell } from '../lib/experiments/cell';
import { crossEntropy, writeupCrossEntropy } from '../lib/models/models';
import { getProfile, sweepCells } from '../lib/experiments/sweeps';
import { makeTask } from '../lib/data/tasks';
import { modelDef } from '../lib/models/models';
import { resolveTrainSettings, trainModel, TRAIN_DEFAULTS } from '../lib/train/train';
import { setup } from './helpers';

before(setup);

const tiny = getProfile('tiny');
const [cell] = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0] });

test('a resolved cell states every setting, so a default written out is the same cell and a changed one is not', () => {
  const r = resolveCell(cell);
  assert.equal(r.loss, 'ce');
  assert.equal(r.selection, 'random');
  for (const k of ['tolerance', 'patience', 'targetLoss', 'evalBatchSize', 'earlyStop'] as const)
    assert.equal(r.train[k], TRAIN_DEFAULTS[k], k);
  assert.equal(r.llc.evalBatchSize, 1024);
  assert.equal(r.llc.nbeta, 'auto');
  assert.equal(
    cellKey({ ...cell, train: { ...cell.train, patience: TRAIN_DEFAULTS.patience } }),
    cellKey(cell),
    'writing a default out changes nothing',
  );
  assert.notEqual(cellKey({ ...cell, train: { ...cell.train, patience: 5 } }), cellKey(cell));
  assert.notEqual(trainKey({ ...cell, loss: 'writeup' }), trainKey(cell));
  assert.notEqual(trainKey({ ...cell, selection: 'first' }), trainKey(cell));
});

test('unknown or misplaced settings are errors naming them and the valid ones', () => {
  assert.throws(
    () => resolveCell({ ...cell, train: { ...cell.train, learningrate: 1 } as never }),
    /unknown setting 'learningrate'.*valid: .*learningRate/,
  );
  assert.throws(
    () => resolveCell({ ...cell, llc: { ...cell.llc, eps: 1 } as never }),
    /unknown setting 'eps'.*valid: epsilon/,
  );
  assert.throws(() => resolveCell({ ...cell, lossFn: 'x' } as never), /unknown setting 'lossFn'/);
  assert.throws(() => resolveCell({ ...cell, loss: 'mse' as never }), /unknown loss 'mse'; valid: ce, writeup/);
  assert.throws(
    () => resolveCell({ ...cell, selection: 'last' as never }),
    /unknown selection 'last'; valid: random, first/,
  );
  assert.throws(() => resolveTrainSettings({ earlyStop: 'no' as never }), /earlyStop must be true or false/);
  assert.throws(
    () => resolveTrainSettings({ optimizer: 'sgd' as never }),
    /unknown optimizer 'sgd'; valid: adam, nesterov/,
  );
  assert.throws(() => resolveCell({ ...cell, hidden: 0 }), /hidden must be a positive integer, got 0/);
  assert.throws(() => resolveCell({ ...cell, architecture: 'cnn', hidden: 64 }), /MNIST MLP only/);
});

test("Lau et al.'s settings are optional cell settings: absent, a cell keeps its key; given, they make another cell and model", () => {
  assert.equal('optimizer' in resolveCell(cell).train, false, 'absent means Adam, not written out');
  assert.equal('hidden' in resolveCell(cell), false);
  assert.notEqual(trainKey({ ...cell, hidden: 1024 }), trainKey(cell));
  assert.notEqual(trainKey({ ...cell, train: { ...cell.train, optimizer: 'nesterov' } }), trainKey(cell));
  const [lau] = sweepCells('lau2023', getProfile('full'));
  assert.deepEqual(
    [
      lau.architecture,
      lau.hidden,
      lau.k,
      lau.numTrain,
      lau.train.optimizer,
      lau.train.epochs,
      lau.llc.epsilon,
      lau.llc.gamma,
    ],
    ['mlp', 1024, 10, 60000, 'nesterov', 200, 1e-5, 100],
  );
  assert.equal(sweepCells('lau2023', getProfile('full')).length, 5);
  // Nesterov SGD trains (tiny task) and is deterministic in its seed.
  const task = makeTask({ labels: [0, 1], numTrain: 256, numTest: 128, seed: 0 });
  const run = () =>
    trainModel(modelDef('mlp', 'mnist', 64), task, {
      epochs: 2,
      batchSize: 32,
      learningRate: 0.05,
      optimizer: 'nesterov',
    });
  const a = run();
  assert.ok(a.test.accuracy > 0.9, `test accuracy ${a.test.accuracy}`);
  assert.deepEqual(a.weights[0], run().weights[0]);
});

test("the write-up's loss −log(softmax + 1e-6) equals the cross-entropy where p ≫ 1e-6 and is capped at −log 1e-6 for a confidently wrong example", () => {
  const [ours, theirs] = tf.tidy(() => {
    const logits = tf.tensor2d([
      [2, 0],
      [0, 1],
      [40, -40],
    ]);
    const y = tf.tensor1d([0, 1, 1], 'int32');
    const one = (f: typeof crossEntropy) =>
      [0, 1, 2].map(
        (i) => f(tf.slice(logits, [i, 0], [1, 2]) as tf.Tensor2D, tf.slice(y, [i], [1]) as tf.Tensor1D).dataSync()[0],
      );
    return [one(crossEntropy), one(writeupCrossEntropy)];
  });
  assert.ok(Math.abs(ours[0] - theirs[0]) < 1e-5 && Math.abs(ours[1] - theirs[1]) < 1e-5);
  assert.ok(ours[2] > 79, `cross-entropy ${ours[2]}`);
  assert.ok(Math.abs(theirs[2] + Math.log(1e-6)) < 1e-3, `write-up loss ${theirs[2]}`);
});

test("selection 'first' takes the first n examples of the task's digits (the same for every seed); 'random' depends on the seed", () => {
  const first = (seed: number) => makeTask({ labels: [0, 1], numTrain: 50, numTest: 10, seed, selection: 'first' });
  assert.deepEqual(Array.from(first(0).xTrain.slice(0, 784 * 3)), Array.from(first(5).xTrain.slice(0, 784 * 3)));
  const random = (seed: number) => makeTask({ labels: [0, 1], numTrain: 50, numTest: 10, seed });
  assert.notDeepEqual(Array.from(random(0).yTrain), Array.from(random(5).yTrain));
});

test('earlyStop: false trains exactly `epochs` epochs even when the loss plateaus', () => {
  const task = makeTask({ labels: [0, 1], numTrain: 128, numTest: 32, seed: 0 });
  const stopped = trainModel(modelDef('mlp'), task, { epochs: 8, batchSize: 64, seed: 0, targetLoss: 10 });
  assert.equal(stopped.epochs, 1, 'a huge target loss stops after one epoch');
  const fixed = trainModel(modelDef('mlp'), task, {
    epochs: 3,
    batchSize: 64,
    seed: 0,
    targetLoss: 10,
    earlyStop: false,
  });
  assert.equal(fixed.epochs, 3);
  assert.equal(fixed.stoppedBecause, 'maxEpochs');
});

test("profile 'original' is full with the author's loss, selection and fixed epochs", () => {
  const o = getProfile('original');
  const [c] = sweepCells('writeup', o, { architectures: ['cnn'], ks: [3], seeds: [1] });
  const r = resolveCell(c);
  assert.equal(r.loss, 'writeup');
  assert.equal(r.selection, 'first');
  assert.equal(r.train.earlyStop, false);
  assert.equal(r.numTrain, 12665);
  assert.equal(r.llc.epsilon, 2e-4);
});
