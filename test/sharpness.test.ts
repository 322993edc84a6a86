/** λ_max by power iteration on finite-difference Hessian-vector products, and the SGLD stability bound it gives. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { DeviceSplit } from '../lib/data/batches';
import { estimateLlc } from '../lib/estimator/llc';
import { maxStableEpsilon, topHessianEigenvalue } from '../lib/estimator/sharpness';
import { LossFn } from '../lib/models/models';
import { linearRegressionData, setup } from './helpers';

before(setup);

test('λ_max of ½·mean((Xw − y)²) is the top eigenvalue of XᵀX/n (dense float64 reference), with no tensor leaked', () => {
  const n = 97;
  const d = 6;
  const { X, Y, wOls } = linearRegressionData(n, d, 3);
  const data: DeviceSplit = { x: tf.tensor2d(X, [n, d]), y: tf.tensor2d(Y, [n, 1]), n };
  const mse: LossFn = (ws, x, y) =>
    tf.mul(tf.mean(tf.square(tf.sub(tf.matMul(x as tf.Tensor2D, ws[0] as tf.Tensor2D), y))), 0.5) as tf.Scalar;
  const w = [tf.tensor2d(wOls, [d, 1])];
  // Reference: the dense Hessian XᵀX/n, its top eigenvalue by 500 power iterations in float64.
  const H = Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += X[i * d + a] * X[i * d + b];
      return s / n;
    }),
  );
  let v = Array.from({ length: d }, (_, i) => 1 + i);
  let ref = 0;
  for (let it = 0; it < 500; it++) {
    const hv = H.map((row) => row.reduce((s, h, j) => s + h * v[j], 0));
    ref = hv.reduce((s, x, j) => s + x * v[j], 0) / v.reduce((s, x) => s + x * x, 0);
    const norm = Math.hypot(...hv);
    v = hv.map((x) => x / norm);
  }
  const before = tf.memory().numTensors;
  const got = topHessianEigenvalue(mse, w, data, { iterations: 100, tolerance: 1e-6, batchSize: 10 });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Math.abs(got.lambdaMax - ref) < 1e-3 * ref, `${got.lambdaMax} vs ${ref}`);
  assert.ok(got.converged);
  tf.dispose([...w, data.x, data.y]);
});

test('SGLD on a quadratic is stable below 4/(nβ λ_max + γ) and diverges above it', () => {
  // L(w) = ½ Σ a_j w_j², whatever the batch: H = diag(a), λ_max = 3, λ = d/2.
  const a = tf.tensor2d([0.5, 1, 2, 3], [4, 1]);
  const quad: LossFn = (ws) => tf.mul(tf.sum(tf.mul(a, tf.square(ws[0]))), 0.5) as tf.Scalar;
  const n = 64;
  const data: DeviceSplit = { x: tf.zeros([n, 1]), y: tf.zeros([n, 1]), n };
  const wStar = [tf.zeros([4, 1])];
  const { lambdaMax } = topHessianEigenvalue(quad, wStar, data);
  assert.ok(Math.abs(lambdaMax - 3) < 3e-3, `λ_max ${lambdaMax}`); // float32 differences
  const nbeta = 20;
  const gamma = 1;
  const limit = maxStableEpsilon(lambdaMax, nbeta, gamma);
  assert.ok(Math.abs(limit - 4 / 61) < 1e-4 * 61);
  const run = (epsilon: number) =>
    estimateLlc(quad, wStar, data, { epsilon, gamma, nbeta, numChains: 2, numDraws: 300, numBurnin: 100, seed: 4 });
  const diverged = (r: ReturnType<typeof run>) => r.diagnostics.flags.filter((f) => f.code === 'diverged').length;
  // Near the bound the discretization inflates the variance along the sharp direction (λ̂ above d/2
  // can be flagged), but the chain stays finite; past it, it diverges.
  const below = run(0.7 * limit);
  assert.equal(diverged(below), 0, `λ̂ ${below.llcPerChain} below the bound`);
  assert.ok(below.llcPerChain.every(Number.isFinite));
  const above = run(1.2 * limit);
  assert.equal(diverged(above), 2, `λ̂ ${above.llcPerChain} above the bound`);
  tf.dispose([a, data.x, data.y, ...wStar]);
});
