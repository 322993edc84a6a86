/** The step-size check (lib/estimator/stepcheck.ts): λ̂ again at ε/2, flagged when it moves. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf } from '../lib/engine/backend';
import { estimateLlc, LlcResult } from '../lib/estimator/llc';
import { estimateLlcWithStepCheck, stepSizeFlag, withStepCheck } from '../lib/estimator/stepcheck';
import { dlnProblem } from '../lib/validation/groundtruth';
import { setup } from './helpers';

before(setup);

test('stepSizeFlag: z of the difference over the combined MCSE; a flag beyond 3 that says which way', () => {
  assert.deepEqual(stepSizeFlag({ llcMean: 10, llcMcse: 0.3 }, { llcMean: 10.5, llcMcse: 0.4 }, 1e-4), {
    z: -1,
    flag: null,
  });
  const short = stepSizeFlag({ llcMean: 10, llcMcse: 0.3 }, { llcMean: 7, llcMcse: 0.4 }, 1e-4);
  assert.equal(short.z, 6);
  assert.equal(short.flag?.code, 'stepSizeDependent');
  assert.match(short.flag!.message, /10\.00 ± 0\.30 at ε = 0\.0001 but 7\.00 ± 0\.40 at ε\/2.*too short/);
  const biased = stepSizeFlag({ llcMean: 7, llcMcse: 0.3 }, { llcMean: 10, llcMcse: 0.4 }, 1e-4);
  assert.match(biased.flag!.message, /large enough to bias/);
  assert.equal(stepSizeFlag({ llcMean: NaN, llcMcse: 1 }, { llcMean: 1, llcMcse: 1 }, 1e-4).flag, null);
});

test('withStepCheck adds the flag to an otherwise healthy estimate and makes it unhealthy; an agreeing twin changes nothing', () => {
  const est = (llcMean: number, seconds = 1) =>
    ({
      llcMean,
      llcMcse: 0.2,
      seconds,
      settings: { epsilon: 1e-4 },
      diagnostics: { flags: [], healthy: true },
    }) as unknown as LlcResult;
  const moved = withStepCheck(est(10), est(8, 2));
  assert.deepEqual(
    moved.diagnostics.flags.map((f) => f.code),
    ['stepSizeDependent'],
  );
  assert.equal(moved.diagnostics.healthy, false);
  assert.equal(moved.llcMean, 10, 'the estimate reported is the one at ε');
  assert.equal(moved.seconds, 3);
  assert.deepEqual(moved.stepCheck.halfStep, { llcMean: 8, llcMcse: 0.2 });
  const same = withStepCheck(est(10), est(10.1));
  assert.equal(same.diagnostics.healthy, true);
});

test('estimateLlcWithStepCheck is estimateLlc at ε and at ε/2 with the same seed, progress over both, no tensor leaks', () => {
  const p = dlnProblem({ widths: [5, 1], rank: 1, n: 300, seed: 0 });
  try {
    const options = { epsilon: 1e-4, gamma: 1, numChains: 2, numDraws: 100, numBurnin: 20, batchSize: 64, seed: 3 };
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const r = estimateLlcWithStepCheck(p.lossFn, p.wStar, p.data, {
      ...options,
      onStep: (done, total) => steps.push(done / total),
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r.llcMean, estimateLlc(p.lossFn, p.wStar, p.data, options).llcMean);
    const half = estimateLlc(p.lossFn, p.wStar, p.data, { ...options, epsilon: 5e-5 });
    assert.equal(r.stepCheck.halfStep.llcMean, half.llcMean);
    assert.equal(r.stepCheck.z, (r.llcMean - half.llcMean) / Math.hypot(r.llcMcse, half.llcMcse));
    assert.ok(steps.every((f, i) => i === 0 || f > steps[i - 1]) && steps.at(-1) === 1, 'progress runs once to 100 %');
  } finally {
    p.dispose();
  }
});
