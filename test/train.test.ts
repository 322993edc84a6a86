import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { modelDef } from '../lib/models/models';
import { makeTask } from '../lib/data/tasks';
import { trainModel } from '../lib/train/train';
import { setup } from './helpers';

before(setup);

const small = () => makeTask({ labels: [0, 1], numTrain: 512, numTest: 256, seed: 0 });

for (const arch of ['mlp', 'cnn'] as const) {
  test(`${arch}: one epoch on 512 examples of {0,1} clearly learns (> 90 % test accuracy)`, () => {
    const r = trainModel(modelDef(arch), small(), { epochs: 1, batchSize: 32, seed: 0 });
    assert.equal(r.history.length, 1);
    assert.ok(r.test.accuracy > 0.9, `test accuracy ${r.test.accuracy}`);
    assert.equal(r.stoppedBecause, 'maxEpochs');
  });
}

test('training leaks no tensors and is deterministic in its seed', () => {
  const task = small();
  const before = tf.memory().numTensors;
  const a = trainModel(modelDef('mlp'), task, { epochs: 1, batchSize: 128, seed: 5 });
  assert.equal(tf.memory().numTensors, before);
  const b = trainModel(modelDef('mlp'), task, { epochs: 1, batchSize: 128, seed: 5 });
  assert.deepEqual(a.weights[0], b.weights[0]);
  assert.equal(a.history[0].trainLoss, b.history[0].trainLoss);
});

test('stops on the plateau criterion and records why', () => {
  // A learning rate of ~0 cannot improve the loss: the plateau rule must fire after `patience` epochs.
  const r = trainModel(modelDef('mlp'), small(), { epochs: 10, learningRate: 1e-12, patience: 2, batchSize: 256 });
  assert.equal(r.stoppedBecause, 'plateau');
  assert.equal(r.epochs, 3);
});

test('bad settings are rejected by name', () => {
  assert.throws(() => trainModel(modelDef('mlp'), small(), { epochs: 0 }), /epochs must be a positive integer, got 0/);
  assert.throws(
    () => trainModel(modelDef('mlp'), small(), { learningRate: -1 }),
    /learningRate must be a positive number, got -1/,
  );
});
