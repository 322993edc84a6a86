/** The flat parameter vector θ (lib/models/params.ts). */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { flatten, segmentSizes, splitHost, unflatten } from '../lib/models/params';
import { makeRng, fillNormal } from '../lib/math/rng';

import { setup } from './helpers';

before(setup);

test('flatten / unflatten / splitHost round-trip parameter tensors exactly', () => {
  const shapes = [[2, 3], [3], [1, 1]];
  const rng = makeRng(2);
  const parts = shapes.map((s) => fillNormal(new Float32Array(segmentSizes([s])[0]), rng));
  const theta = tf.tidy(() => flatten(parts.map((p, i) => tf.tensor(p, shapes[i]))));
  const back = tf.tidy(() => unflatten(theta, shapes).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })));
  back.forEach((b, i) => {
    assert.deepEqual(b.shape, shapes[i]);
    assert.deepEqual(b.data, Array.from(parts[i]));
  });
  assert.deepEqual(
    splitHost(theta.dataSync() as Float32Array, shapes).map((a) => Array.from(a)),
    parts.map((p) => Array.from(p)),
  );
  theta.dispose();
});
