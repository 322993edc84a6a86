/** The MNIST-1D reference accuracies and their reproduction (lib/train/mnist1d-reference.ts). */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import {
  accuracyMarkdown,
  accuracyRows,
  epochsForSteps,
  mnist1dTask,
  referenceData,
  ReferenceRun,
  runReferenceModel,
} from '../lib/train/mnist1d-reference';

import { setup } from './helpers';

before(setup);

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
