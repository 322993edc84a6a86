/**
 * The native engine (@tensorflow/tfjs-node, lib/engine/native.ts) against the reference `cpu`
 * backend and wasm: every op and gradient the models, training and SGLD use, and a small
 * λ̂ problem estimated on each. Skipped, with the reason, where tfjs-node is not installed,
 * unless LLC_REQUIRE_NATIVE=1 (CI) makes its absence a failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initBackend, nativeAvailable, tf } from '../lib/engine/backend';
import { estimateLlc } from '../lib/estimator/llc';
import { initWeights, labelSelector, LossFn, modelDef, taskLoss, weightsToTensors } from '../lib/models/models';
import { makeRng, fillNormal } from '../lib/math/rng';
import { linearRegressionData, relError } from './helpers';

const native = nativeAvailable();
const skip = native ? false : 'tfjs-node is not installed (npm run setup:native)';
if (!native && process.env.LLC_REQUIRE_NATIVE === '1')
  throw new Error('LLC_REQUIRE_NATIVE=1 but @tensorflow/tfjs-node does not load');

/** Loss and gradient of a model on a fixed batch, on one backend, as host arrays. */
async function lossAndGrads(backend: 'cpu' | 'wasm' | 'tensorflow', arch: 'mlp' | 'cnn', lossKind: 'ce' | 'writeup') {
  await initBackend({ backend, log: false });
  const def = modelDef(arch);
  const rng = makeRng(7);
  const x = tf.tensor(fillNormal(new Float32Array(32 * 784), rng), [32, 28, 28, 1]);
  const y = tf.tensor1d(
    Int32Array.from({ length: 32 }, (_, i) => i % 4),
    'int32',
  );
  const selector = labelSelector([3, 1, 4, 5]);
  const w = weightsToTensors(def, initWeights(def, 3));
  const lossFn = taskLoss(def, selector, lossKind);
  const out = tf.tidy(() => {
    const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => lossFn(ws, x, y))(w);
    return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
  tf.dispose([x, y, selector, ...w]);
  return out;
}

for (const arch of ['mlp', 'cnn'] as const) {
  for (const loss of ['ce', 'writeup'] as const) {
    test(
      `${arch} (${loss} loss): loss and every gradient agree on tensorflow, wasm and cpu (max rel. error < 1e-4)`,
      { skip },
      async () => {
        const ref = await lossAndGrads('cpu', arch, loss);
        for (const backend of ['tensorflow', 'wasm'] as const) {
          const got = await lossAndGrads(backend, arch, loss);
          assert.ok(
            Math.abs(got.loss - ref.loss) < 1e-4 * Math.abs(ref.loss),
            `${backend} loss ${got.loss} vs cpu ${ref.loss}`,
          );
          got.grads.forEach((g, i) =>
            assert.ok(
              relError(g, ref.grads[i]) < 1e-4,
              `${backend} gradient ${i}: rel. error ${relError(g, ref.grads[i])}`,
            ),
          );
        }
      },
    );
  }
}

test('the native backend is the default when installed, and its ReluGrad kernel is registered', { skip }, async () => {
  delete process.env.LLC_BACKEND;
  await initBackend({ backend: 'tensorflow', log: false });
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.ok(tf.getKernel('LlcReluGrad', 'tensorflow') != null);
});

test(
  'native Reshape: an unchanged shape shares the tensor, a new one reshapes, dtypes kept, nothing leaks',
  { skip },
  async () => {
    await initBackend({ backend: 'tensorflow', log: false });
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = tf.memory().numTensors;
    const same = tf.reshape(x, [2, 3]);
    assert.equal(same.dataId, x.dataId); // no TensorFlow call
    same.dispose();
    assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3, 4, 5, 6]); // the shared data outlives the view
    for (const [shape, want] of [
      [
        [3, 2],
        [3, 2],
      ],
      [[6], [6]],
      [
        [1, 6, 1],
        [1, 6, 1],
      ],
      [
        [-1, 2],
        [3, 2],
      ],
    ]) {
      for (let twice = 0; twice < 2; twice++) {
        // the second time reuses the kept shape operand
        const a = tf.reshape(x, shape);
        assert.deepEqual(a.shape, want);
        assert.deepEqual(Array.from(a.dataSync()), [1, 2, 3, 4, 5, 6]);
        a.dispose();
      }
    }
    for (const dtype of ['int32', 'bool'] as const) {
      const t = tf.tensor1d([1, 0, 1, 1], dtype);
      const r = tf.reshape(t, [2, 2]);
      assert.equal(r.dtype, dtype);
      assert.deepEqual(Array.from(r.dataSync()), [1, 0, 1, 1]);
      tf.dispose([t, r]);
    }
    // The gradient of a reshape is a reshape back.
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.reshape(v, [3, 2]), tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]))))(
      x,
    );
    assert.deepEqual(g.shape, [2, 3]);
    assert.deepEqual(Array.from(g.dataSync()), [1, 2, 3, 4, 5, 6]);
    g.dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  },
);

test(
  'a linear regression λ̂ (d = 10, λ = 5) agrees across tensorflow, wasm and cpu within 4 combined MCSEs',
  { skip },
  async () => {
    const { X, Y, wOls } = linearRegressionData(1000, 10, 3);
    const mse: LossFn = (ws, x, yy) =>
      tf.tidy(
        () =>
          tf.mul(tf.mean(tf.square(tf.sub(tf.matMul(x as tf.Tensor2D, ws[0] as tf.Tensor2D), yy))), 0.5) as tf.Scalar,
      );
    const est: Record<string, { mean: number; mcse: number }> = {};
    for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
      await initBackend({ backend, log: false });
      const data = { x: tf.tensor2d(X, [1000, 10]), y: tf.tensor2d(Y, [1000, 1]), n: 1000 };
      const wStar = [tf.tensor2d(wOls, [10, 1])];
      const r = estimateLlc(mse, wStar, data, {
        epsilon: 3e-4,
        gamma: 1,
        numChains: 2,
        numDraws: 1000,
        numBurnin: 200,
        seed: 4,
      });
      est[backend] = { mean: r.llcMean, mcse: r.llcMcse };
      tf.dispose([data.x, data.y, ...wStar]);
    }
    for (const b of ['wasm', 'cpu']) {
      const diff = Math.abs(est[b].mean - est.tensorflow.mean);
      assert.ok(
        diff < 4 * Math.hypot(est[b].mcse, est.tensorflow.mcse),
        `${b} ${JSON.stringify(est[b])} vs tensorflow ${JSON.stringify(est.tensorflow)}`,
      );
    }
  },
);
