/** Argument checks shared by every stage (lib/math/checks.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPositive } from '../lib/math/checks';

test('checkPositive: finite and > 0 (an integer when asked); the error names the setting and the value', () => {
  checkPositive('epsilon', 1e-9);
  checkPositive('numDraws', 3, true);
  assert.throws(() => checkPositive('epsilon', 0), /epsilon must be a positive number, got 0/);
  assert.throws(() => checkPositive('epsilon', Infinity), /epsilon must be a positive number, got Infinity/);
  assert.throws(() => checkPositive('epsilon', '1e-4'), /epsilon must be a positive number, got 1e-4/);
  assert.throws(() => checkPositive('numDraws', 2.5, true), /numDraws must be a positive integer, got 2.5/);
});
