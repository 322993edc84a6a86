import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { labelSelector, modelDef, taskLoss, weightsToTensors } from '../lib/models/models';
import { disposeSplit, uploadSplit } from '../lib/data/batches';
import { makeTask } from '../lib/data/tasks';
import { resolveTrainSettings, trainModel } from '../lib/train/train';
import { fullGradNorm } from '../lib/estimator/llc';
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

test('polish: further Adam stages after the main phase bring w* closer to a minimum; absent, nothing changes', () => {
  const task = small();
  const def = modelDef('mlp');
  const main = { epochs: 1, batchSize: 64, seed: 3 };
  const plain = trainModel(def, task, main);
  const before = tf.memory().numTensors;
  const polished = trainModel(def, task, {
    ...main,
    polish: [
      { learningRate: 1e-3, epochs: 2 },
      { learningRate: 1e-4, epochs: 1 },
    ],
  });
  assert.equal(tf.memory().numTensors, before);
  // The main phase is the same run: its epoch is bit-identical, the polish's epochs follow it.
  assert.deepEqual(polished.history[0], { ...plain.history[0], seconds: polished.history[0].seconds });
  assert.deepEqual(
    polished.history.map((e) => e.polishLearningRate ?? null),
    [null, 1e-3, 1e-3, 1e-4],
  );
  const gradNorm = (weights: Float32Array[]) => {
    const selector = labelSelector(task.labels, def.numOutputs);
    const split = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
    const w = weightsToTensors(def, weights);
    try {
      return fullGradNorm(taskLoss(def, selector, 'ce'), w, split);
    } finally {
      tf.dispose([selector, ...w]);
      disposeSplit(split);
    }
  };
  const g0 = gradNorm(plain.weights);
  const g1 = gradNorm(polished.weights);
  assert.ok(polished.train.loss < plain.train.loss, `train loss ${plain.train.loss} → ${polished.train.loss}`);
  assert.ok(g1 < g0 / 2, `‖∇L_n(w*)‖ ${g0} → ${g1}`);
  // Never filled in when absent (earlier cells keep their keys); checked by name when given.
  assert.equal('polish' in resolveTrainSettings({}), false);
  assert.throws(
    () => resolveTrainSettings({ polish: [{ learningRate: 0, epochs: 1 }] }),
    /polish\[0\]\.learningRate must be a positive number, got 0/,
  );
  assert.throws(
    () => resolveTrainSettings({ polish: [{ learningRate: 1e-3, epochs: 1, lr: 1 } as never] }),
    /polish\[0\] has unknown key 'lr'; valid: learningRate, epochs/,
  );
});
