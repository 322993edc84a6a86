/** Splits on the device and minibatches (lib/data/batches.ts). */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { blocks, disposeSplit, gatherBatch, labelPositions, uploadSplit } from '../lib/data/batches';
import { setup } from './helpers';

before(setup);

test('labelPositions: digits become their index in the task labels; a digit outside the task is an error naming it', () => {
  assert.deepEqual([...labelPositions([7, 3, 7, 9], [3, 7, 9])], [1, 0, 1, 2]);
  assert.throws(() => labelPositions([3, 4], [3, 7]), /example 1 has label 4, not one of the task's labels \[3, 7\]/);
});

test('blocks cover 0..n exactly once, the last one short', () => {
  assert.deepEqual(blocks(10, 4), [
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  assert.deepEqual(blocks(0, 4), []);
});

test('uploadSplit + gatherBatch: the rows and targets asked for, repeats allowed; bad indices named; nothing leaks', () => {
  const before = tf.memory().numTensors;
  const x = Float32Array.from({ length: 5 * 2 }, (_, i) => i); // 5 examples of 2 features: row i = [2i, 2i + 1]
  const split = uploadSplit(x, [4, 1, 4, 1, 1], [2], [1, 4]);
  assert.deepEqual(split.x.shape, [5, 2]);
  const b = gatherBatch(split, Int32Array.from([3, 0, 3]));
  assert.deepEqual(Array.from(b.x.dataSync()), [6, 7, 0, 1, 6, 7]);
  assert.deepEqual(Array.from(b.y.dataSync()), [0, 1, 0]);
  assert.throws(() => gatherBatch(split, Int32Array.from([5])), /index 5 is not in \[0, 4\]/);
  tf.dispose([b.x, b.y]);
  disposeSplit(split);
  assert.equal(tf.memory().numTensors, before);
});
