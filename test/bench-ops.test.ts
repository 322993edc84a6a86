/** The per-op benchmark of a second thread (bench/ops.ts): its ops are the MLP step's, timed without leaks. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { modelDef, numParams } from '../lib/models/models';
import { opCases, timeOps, wakeRoundTrip } from '../bench/ops';

import { setup } from './helpers';

before(setup);

test('opCases are the MLP step’s products and θ-sized adds, and timing them leaks no tensor', () => {
  const shapes = modelDef('mlp').params.map((p) => p.shape.join(','));
  const cases = opCases();
  const out = cases.map((c) => {
    const y = c.run();
    const s = y.shape.slice();
    y.dispose();
    return s;
  });
  // Products yield a weight's shape (a gradient or its transpose's) or an activation [256, units].
  for (const [i, c] of cases.entries())
    if (c.spec.name.includes('weight gradient'))
      assert.ok(shapes.includes(out[i].join(',')), `${c.spec.name}: ${out[i]}`);
  assert.deepEqual(out[cases.findIndex((c) => c.spec.name === 'add over θ')], [numParams(modelDef('mlp'))]);
  const before = tf.memory().numTensors;
  const costs = timeOps(opCases(), 3, 2);
  assert.equal(tf.memory().numTensors, before);
  for (const c of costs) assert.ok(Number.isFinite(c.us) && c.us > 0, `${c.name}: ${c.us}`);
  cases.forEach((c) => c.dispose());
});

test('wakeRoundTrip measures a positive round trip both ways', async () => {
  const w = await wakeRoundTrip(200);
  assert.ok(w.sleeping > 0 && Number.isFinite(w.sleeping), `sleeping ${w.sleeping}`);
  assert.ok(w.spinning > 0 && Number.isFinite(w.spinning), `spinning ${w.spinning}`);
});
