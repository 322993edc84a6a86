import assert from 'node:assert/strict';
import { test } from 'node:test';
import { median } from '../lib/stats';

test('median: middle value, mean of the two middle values, NaN when empty; input untouched', () => {
  const xs = [5, 1, 3];
  assert.equal(median(xs), 3);
  assert.deepEqual(xs, [5, 1, 3]);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
