/** Progress bars and ETAs of the long runs (lib/experiments/progress.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bar, eta, formatDuration } from '../lib/experiments/progress';

test('formatDuration: seconds, minutes, hours; "?" for what is not a duration', () => {
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(125), '2m05s');
  assert.equal(formatDuration(3 * 3600 + 7 * 60), '3h07m');
  for (const bad of [NaN, -1, Infinity]) assert.equal(formatDuration(bad), '?');
});

test('bar: filled in proportion, clamped to [0, 1], percent right-aligned', () => {
  assert.equal(bar(0.5, 10), '[#####.....]  50%');
  assert.equal(bar(-0.2, 4), '[....]   0%');
  assert.equal(bar(1.7, 4), '[####] 100%');
});

test('eta: linear extrapolation from the fraction done; unknown before any progress', () => {
  assert.equal(eta(30, 0.25), 90);
  assert.equal(eta(10, 1), 0);
  assert.ok(Number.isNaN(eta(5, 0)));
});
