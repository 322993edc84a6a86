/**
 * The SGLD update against its equation, the MALA acceptance against the textbook formula,
 * and the flat θ of params.ts against per-parameter tensors.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';

import { makeRng, fillNormal, fillNormalJs } from '../lib/math/rng';
import {
  acceptanceFromLogRatio,
  malaInnerProducts,
  malaLogRatio,
  sgldDrift,
  sgldPotential,
  sgldUpdate,
} from '../lib/estimator/sgld';
import { setup } from './helpers';

before(setup);

const f32 = (xs: number[]) => tf.tensor1d(xs, 'float32');

test('sgldUpdate with zero noise is the gradient step w − (ε/2)(nβ∇L + γ(w − w*)) (Lau et al. eq. 12)', () => {
  const s = { epsilon: 0.1, gamma: 3, nbeta: 7 };
  const [w, g, w0] = [
    [1, -2, 0.5],
    [0.3, 0.1, -1],
    [0.9, -2.5, 0],
  ];
  const next = tf.tidy(() => sgldUpdate([f32(w)], [f32(g)], [f32(w0)], [f32([0, 0, 0])], s)[0].arraySync() as number[]);
  next.forEach((v, i) =>
    assert.ok(Math.abs(v - (w[i] - (s.epsilon / 2) * (s.nbeta * g[i] + s.gamma * (w[i] - w0[i])))) < 1e-6, `${v}`),
  );
});

test('sgldUpdate adds noise of variance ε (sample variance of 200,000 draws within 2 %)', () => {
  const epsilon = 0.04;
  const z = fillNormal(new Float32Array(200_000), makeRng(5));
  const zeros = () => tf.zeros([z.length]);
  const out = tf.tidy(() =>
    sgldUpdate([zeros()], [zeros()], [zeros()], [tf.tensor1d(z)], { epsilon, gamma: 1, nbeta: 1 })[0].dataSync(),
  );
  let m = 0;
  let v = 0;
  for (const x of out) m += x / out.length;
  for (const x of out) v += (x - m) ** 2 / (out.length - 1);
  assert.ok(Math.abs(v / epsilon - 1) < 0.02, `variance ${v} vs ε ${epsilon}`);
});

test('the update given sgldDrift equals the update without it (the same arithmetic)', () => {
  const s = { epsilon: 2e-4, gamma: 10, nbeta: 1341 };
  const rng = makeRng(3);
  const r = () => tf.tensor1d(fillNormal(new Float32Array(1000), rng));
  const [w, g, w0, z] = [r(), r(), r(), r()];
  const a = tf.tidy(() => sgldUpdate([w], [g], [w0], [z], s)[0].dataSync());
  const b = tf.tidy(() => sgldUpdate([w], [g], [w0], [z], s, [sgldDrift(w, g, w0, s)])[0].dataSync());
  assert.deepEqual(Array.from(a), Array.from(b));
  tf.dispose([w, g, w0, z]);
});

test('malaLogRatio equals the textbook log q(cur→prev) − log q(prev→cur) + U(prev) − U(cur) computed in float64', () => {
  const rng = makeRng(11);
  const d = 50;
  const s = { epsilon: 0.01, gamma: 2, nbeta: 5 };
  const v = () => Float64Array.from({ length: d }, () => Math.fround(rng.normal()));
  const [wPrev, gPrev, gCur, wStar, eta] = [v(), v(), v(), v(), v()];
  const drift = (w: Float64Array, g: Float64Array) =>
    w.map((wi, i) => Math.fround(-(s.epsilon / 2) * (s.nbeta * g[i] + s.gamma * (wi - wStar[i]))));
  const dPrev = drift(wPrev, gPrev);
  const wCur = wPrev.map((wi, i) => Math.fround(wi + dPrev[i] + Math.sqrt(s.epsilon) * eta[i]));
  const dCur = drift(wCur, gCur);
  const logq = (from: Float64Array, to: Float64Array, dFrom: Float64Array) =>
    -from.reduce((acc, x, i) => acc + (to[i] - x - dFrom[i]) ** 2, 0) / (2 * s.epsilon);
  const sq = (w: Float64Array) => w.reduce((acc, x, i) => acc + (x - wStar[i]) ** 2, 0);
  const [lPrev, lCur] = [0.7, 0.72];
  const uPrev = sgldPotential(lPrev, sq(wPrev), s);
  const uCur = sgldPotential(lCur, sq(wCur), s);
  const textbook = logq(wCur, wPrev, dCur) - logq(wPrev, wCur, dPrev) + uPrev - uCur;
  const [bc, cc] = tf.tidy(() =>
    Array.from(
      malaInnerProducts(
        tf.tensor1d(Float32Array.from(wPrev)),
        tf.tensor1d(Float32Array.from(dPrev)),
        tf.tensor1d(Float32Array.from(wCur)),
        tf.tensor1d(Float32Array.from(dCur)),
      ).dataSync(),
    ),
  );
  const ours = malaLogRatio(bc, cc, uPrev, uCur, s.epsilon);
  assert.ok(Math.abs(ours - textbook) < 1e-3 * Math.max(1, Math.abs(textbook)), `ours ${ours}, textbook ${textbook}`);
  assert.equal(acceptanceFromLogRatio(0.5), 1);
  assert.ok(Math.abs(acceptanceFromLogRatio(-1) - Math.exp(-1)) < 1e-12);
  assert.ok(Number.isNaN(acceptanceFromLogRatio(NaN)));
});

test("the WebAssembly ziggurat gives the JavaScript one's numbers and leaves the generator in the same state", () => {
  for (const n of [1, 7, 1000, 127_098]) {
    const [a, b] = [makeRng(42 + n), makeRng(42 + n)];
    const x = fillNormal(new Float32Array(n), a);
    const y = fillNormalJs(new Float32Array(n), b);
    assert.deepEqual(Array.from(x), Array.from(y), `n = ${n}`);
    assert.equal(a.uint32(), b.uint32(), `state after n = ${n}`);
  }
});
