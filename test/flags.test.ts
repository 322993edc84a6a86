/** The command-line primitives (lib/cli/flags.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachFlag, intList, noDuplicates, nonNegativeInt, parseNumber, positiveInt } from '../lib/cli/flags';
import { parseArgs } from '../lib/cli/reproduce';
import { cellSelection, cellSelectionFlag, selectedCells, selectionName } from '../lib/cli/cells';

test('a flag that needs a value never swallows the next --flag', () => {
  assert.throws(
    () => parseArgs(['--profile', '--list']),
    /--profile needs a value, but the next argument is the option '--list'/,
  );
  assert.throws(
    () => parseArgs(['--data-dir', '--summary-only']),
    /--data-dir needs a value, but the next argument is the option '--summary-only'/,
  );
  assert.throws(() => parseArgs(['--k']), /--k needs a value/);
  // --flag=value works, and a switch given a value is an error
  assert.equal(parseArgs(['--profile=full']).profile.name, 'full');
  assert.equal(parseArgs(['--draws=7']).draws, 7);
  assert.throws(() => parseArgs(['--list=yes']), /--list takes no value, got '--list=yes'/);
  // negative numbers are values, then checked
  assert.throws(() => parseArgs(['--seeds', '-1']), /seed -1 must be ≥ 0/);
  // other command lines sharing the loop
  assert.throws(
    () => eachFlag(['--out', '--x'], 'usage', (_f, v) => v()),
    /--out needs a value, but the next argument is the option '--x'/,
  );
});

test('value parsers name the flag, the bad value and what is valid', () => {
  assert.equal(positiveInt('--n', '12'), 12);
  assert.throws(() => positiveInt('--n', '0'), /--n must be a positive integer, got '0'/);
  assert.throws(() => positiveInt('--n', '1.5'), /--n must be a positive integer, got '1.5'/);
  assert.equal(nonNegativeInt('--b', '0'), 0);
  assert.throws(() => nonNegativeInt('--b', '-1'), /--b must be an integer ≥ 0, got '-1'/);
  assert.equal(
    parseNumber('--eps', '2e-4', (v) => v > 0 && v < 1, 'a number in (0, 1)'),
    2e-4,
  );
  assert.throws(
    () => parseNumber('--eps', '0x10', (v) => v > 0, 'a positive number'),
    /--eps must be a positive number, got '0x10'/,
  );
  assert.deepEqual(intList('--k', '2,3,10'), [2, 3, 10]);
  assert.throws(() => intList('--k', '2,,3'), /--k: '' is not an integer/);
  assert.throws(() => noDuplicates('--k', [2, 3, 2]), /--k: '2' is listed twice/);
});

test('cell selection (lib/cli/cells.ts): the shared flags, a bad dataset named with the valid ones, the file name', () => {
  const sel = cellSelection('quick');
  const apply = (...argv: string[]) =>
    eachFlag(argv, 'usage', (flag, value) => {
      if (!cellSelectionFlag(sel, flag, value)) throw new Error(`not a selection flag: ${flag}`);
    });
  apply('--arch', 'mlp', '--k', '2,10', '--seeds', '0,1');
  assert.deepEqual([sel.arch, sel.ks, sel.seeds], [['mlp'], [2, 10], [0, 1]]);
  const cells = selectedCells(sel);
  assert.equal(cells.length, 4);
  assert.ok(cells.every((c) => c.architecture === 'mlp' && c.dataset === 'mnist'));
  assert.equal(selectionName(sel), 'quick-writeup');
  apply('--dataset', 'mnist1d');
  assert.equal(selectionName(sel), 'quick-writeup-mnist1d');
  assert.throws(() => apply('--dataset', 'cifar'), /--dataset: unknown dataset 'cifar'; valid: mnist, mnist1d/);
  assert.throws(() => apply('--probes', '2'), /not a selection flag: --probes/);
});
