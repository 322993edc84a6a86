import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { initWeights, labelSelector, modelDef, numParams, taskLoss, weightsToTensors } from '../lib/models/models';
import { setup } from './helpers';

before(setup);

test("parameter counts are the write-up's", () => {
  assert.equal(numParams(modelDef('mlp')), 118282);
  assert.equal(numParams(modelDef('cnn')), 127098);
  // Lau et al.'s MNIST MLP, 784 → 1024 → 1024 → 10: "a total of 1863690 parameters".
  assert.equal(numParams(modelDef('mlp', 'mnist', 1024)), 1863690);
  assert.throws(
    () => modelDef('cnn', 'mnist', 1024),
    /hidden width applies to the MNIST MLP only, got architecture 'cnn'/,
  );
});

test('unknown architecture names the valid ones', () => {
  assert.throws(() => modelDef('resnet'), /unknown architecture 'resnet'; valid: mlp, cnn/);
});

test('the same seed gives the same weights, another seed others', () => {
  const def = modelDef('cnn');
  assert.deepEqual(initWeights(def, 7), initWeights(def, 7));
  assert.notDeepEqual(initWeights(def, 7)[0], initWeights(def, 8)[0]);
});

for (const arch of ['mlp', 'cnn'] as const) {
  test(`${arch}: the masked loss gives unused outputs exactly zero gradient`, () => {
    const def = modelDef(arch);
    const labels = [2, 7, 4];
    const selector = labelSelector(labels);
    const w = weightsToTensors(def, initWeights(def, 1));
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const grads = tf.grads((...ws: tf.Tensor[]) => taskLoss(def, selector)(ws, x, y))(w);
    const gW = grads[grads.length - 2].arraySync() as number[][]; // last weight [hidden, 10]
    const gB = grads[grads.length - 1].arraySync() as number[];
    for (let out = 0; out < 10; out++) {
      const column = gW.map((row) => row[out]);
      if (labels.includes(out))
        assert.ok(
          column.some((g) => g !== 0),
          `output ${out} is used and should get gradient`,
        );
      else {
        assert.ok(
          column.every((g) => g === 0),
          `output ${out} is unused but got gradient`,
        );
        assert.equal(gB[out], 0);
      }
    }
    tf.dispose([selector, x, y, ...w, ...grads]);
  });
}
