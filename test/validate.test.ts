/** The validation command line (lib/cli/validate.ts). */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { parseValidateArgs } from '../lib/cli/validate';
import { setup } from './helpers';

before(setup);

// ---------------------------------------------------------------- generator

test('validate flags: parsed, and bad ones are errors naming the value and the valid ones', () => {
  const a = parseValidateArgs(['--battery', '--seeds', '0,3', '--draws=500', '--shapes', '4', '--shape-seed', '9']);
  assert.equal(a.battery, true);
  assert.deepEqual(a.options, { problemSeeds: [0, 3], shapes: 4, shapeSeed: 9 });
  assert.equal(parseValidateArgs(['--battery', '--n', '20000']).options.n, 20000);
  assert.throws(() => parseValidateArgs(['--n', '20000']), /--n only apply to the battery: add --battery/);
  assert.deepEqual(a.sampler, { numDraws: 500 });
  assert.deepEqual(parseValidateArgs([]), {
    battery: false,
    help: false,
    options: {},
    sampler: {},
    fresh: false,
    stepCheck: false,
    stabilityCheck: false,
    report: false,
    exact: false,
  });
  assert.equal(parseValidateArgs(['--battery', '--step-check']).stepCheck, true);
  assert.deepEqual(parseValidateArgs(['--battery', '--control-variate']).sampler, { controlVariate: true });
  assert.deepEqual(parseValidateArgs(['--battery', '--epsilon', '1e-5', '--batch-size', '2000']).sampler, {
    epsilon: 1e-5,
    batchSize: 2000,
  });
  assert.throws(
    () => parseValidateArgs(['--epsilon', '2']),
    /--epsilon must be a number in \(0, 1\), e.g. 1e-5, got '2'/,
  );
  assert.throws(() => parseValidateArgs(['--batch-size', '0']), /--batch-size must be a positive integer, got '0'/);
  assert.equal(parseValidateArgs(['--battery', '--report']).report, true);
  assert.throws(() => parseValidateArgs(['--battery', '--report', '--fresh']), /give one/);
  assert.throws(() => parseValidateArgs(['--report']), /--report only apply to the battery/);
  assert.throws(() => parseValidateArgs(['--step-check']), /--step-check only apply to the battery: add --battery/);
  assert.throws(() => parseValidateArgs(['--draws', 'many']), /--draws must be a positive integer, got 'many'/);
  assert.throws(() => parseValidateArgs(['--battery', '--seeds', '0,x']), /--seeds: 'x' is not an integer ≥ 0/);
  assert.throws(() => parseValidateArgs(['--battery', '--seeds', '1,1']), /listed twice/);
  assert.throws(() => parseValidateArgs(['--bogus']), /unknown option '--bogus'; valid: --battery, --shapes/);
  assert.throws(() => parseValidateArgs(['--seeds', '0']), /--seeds only apply to the battery: add --battery/);
  assert.throws(() => parseValidateArgs(['--battery', '--draws']), /--draws needs a value/);
  assert.throws(() => parseValidateArgs(['--battery', '--battery']), /--battery is given twice/);
  assert.deepEqual(parseValidateArgs(['--battery', '--only', 'reg-5-s0, dln-5-3-5-r1-s2', '--out', 'x.json']).only, [
    'reg-5-s0',
    'dln-5-3-5-r1-s2',
  ]);
  assert.throws(() => parseValidateArgs(['--battery', '--only', 'reg-5-s0']), /--only needs --out FILE/);
  assert.throws(() => parseValidateArgs(['--battery', '--only', 'a,,b', '--out', 'x']), /an empty id in 'a,,b'/);
  assert.throws(() => parseValidateArgs(['--battery', '--only', 'a,a', '--out', 'x']), /listed twice/);
});

// ---------------------------------------------------------------- a short real run

test('validate --exact and --reference: parsed, and combinations that mean nothing are errors', () => {
  assert.equal(parseValidateArgs(['--battery', '--exact']).exact, true);
  assert.equal(parseValidateArgs(['--battery', '--stability-check']).stabilityCheck, true);
  assert.throws(() => parseValidateArgs(['--battery', '--stability-check', '--step-check']), /give one/);
  assert.throws(
    () => parseValidateArgs(['--battery', '--stability-check', '--exact']),
    /--stability-check is an SGLD check/,
  );
  assert.deepEqual(parseValidateArgs(['--battery', '--report', '--reference', 'r.json']).reference, ['r.json']);
  assert.equal(parseValidateArgs(['--battery', '--exact', '--gamma', '100']).sampler.gamma, 100);
  assert.equal(parseValidateArgs(['--battery', '--gamma', '10']).sampler.gamma, 10);
  assert.throws(
    () => parseValidateArgs(['--battery', '--gamma', '-1']),
    /--gamma must be a number > 0, e.g. 100, got '-1'/,
  );
  assert.deepEqual(parseValidateArgs(['--battery', '--report', '--reference', 'a.json,b.json']).reference, [
    'a.json',
    'b.json',
  ]);
  assert.throws(
    () => parseValidateArgs(['--battery', '--report', '--reference', 'a.json,']),
    /an empty file in 'a.json,'/,
  );
  assert.throws(
    () => parseValidateArgs(['--battery', '--report', '--reference', 'a.json,a.json']),
    /a file is listed twice/,
  );
  assert.throws(() => parseValidateArgs(['--exact']), /--exact only apply to the battery: add --battery/);
  assert.throws(
    () => parseValidateArgs(['--battery', '--reference', 'r.json']),
    /--reference scores stored results: add --report/,
  );
  assert.throws(() => parseValidateArgs(['--battery', '--exact', '--step-check']), /give one/);
  assert.throws(
    () => parseValidateArgs(['--battery', '--exact', '--epsilon', '1e-5']),
    /--epsilon set the SGLD sampler, which --exact does not run/,
  );
});
