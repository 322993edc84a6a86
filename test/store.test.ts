/**
 * The result store never aborts on a bad file: a corrupt or foreign cache file is named in
 * a one-line warning, moved to .quarantine/ beside it and read as missing, so its cell is
 * recomputed and the sweep (or --list) goes on.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../lib/experiments/paths';
import {
  quarantineDir,
  readJson,
  readWeights,
  setWarn,
  writeFileAtomic,
  writeJsonAtomic,
  writeWeights,
} from '../lib/experiments/store';

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llc-store-'));
const KEY = '0123456789abcdef';
const OTHER = 'fedcba9876543210';
const row = (key: string) => ({
  key,
  trainKey: 'x',
  schema: 1,
  config: { llc: {}, train: {} },
  dataset: 'mnist',
  architecture: 'mlp',
  k: 2,
  seed: 0,
  numParams: 10,
  llcMean: NaN,
  llcStd: 0,
  llcPerChain: [1],
  lossTraces: [[0.1, 0.2]],
  initLoss: 0.1,
  nbeta: 5,
  testAccuracy: 0.9,
  trainAccuracy: 0.9,
  flags: [],
});

/** As writeJsonAtomic writes it (NaN as "NaN"). */
const asStored = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

function withWarnings<T>(f: () => T): { value: T; warnings: string[] } {
  const warnings: string[] = [];
  setWarn((m) => warnings.push(m));
  try {
    return { value: f(), warnings };
  } finally {
    setWarn((m) => process.stderr.write(`${m}\n`));
  }
}

test('a valid result row is read (non-finite numbers included); a missing one is null', () => {
  const file = path.join(tmpDir(), 'results', 'tiny', `${KEY}.json`);
  assert.equal(readJson(file), null);
  writeJsonAtomic(file, row(KEY));
  const { value, warnings } = withWarnings(() => readJson<ReturnType<typeof row>>(file));
  assert.deepEqual(warnings, []);
  assert.ok(Number.isNaN(value!.llcMean));
});

test('corrupt, empty, foreign or malformed cache files are named, moved to .quarantine/ and read as missing', () => {
  const cases: [string, string, RegExp][] = [
    ['truncated', asStored(row(KEY)).slice(0, 40), /not valid JSON \(.*\)/],
    ['empty', '', /empty file/],
    ['{}', '{}', /not a result record \(no 'key'\)/],
    ['array', '[1,2]', /not a result record \(a JSON array\)/],
    [
      'foreign',
      asStored(row(OTHER)),
      new RegExp(`holds the result of ${OTHER}, not of ${KEY} \\(a renamed or copied file\\)`),
    ],
    ['incomplete', asStored({ ...row(KEY), lossTraces: undefined }), /incomplete result record: no 'lossTraces'/],
    [
      'malformed',
      asStored({ ...row(KEY), llcPerChain: 'x' }),
      /malformed result record: 'llcPerChain' is not a list of numbers/,
    ],
  ];
  for (const [name, text, problem] of cases) {
    const dir = path.join(tmpDir(), 'results', 'quick');
    const file = path.join(dir, `${KEY}.json`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, text);
    const { value, warnings } = withWarnings(() => readJson(file));
    assert.equal(value, null, name);
    assert.equal(fs.existsSync(file), false, `${name}: still in place`);
    const moved = fs.readdirSync(quarantineDir(file));
    assert.equal(moved.length, 1, name);
    assert.equal(fs.readFileSync(path.join(quarantineDir(file), moved[0]), 'utf8'), text, `${name}: content kept`);
    assert.equal(warnings.length, 1, name);
    assert.ok(warnings[0].includes(`${KEY}.json`), `${name}: warning does not name the file: ${warnings[0]}`);
    assert.match(warnings[0], problem, name);
    assert.match(
      warnings[0],
      /moved to .*\.quarantine\/.*; its cell is treated as missing and will be recomputed$/,
      name,
    );
    assert.doesNotMatch(warnings[0], /\n/, 'one line');
    // read again: simply missing now
    assert.deepEqual(
      withWarnings(() => readJson(file)),
      { value: null, warnings: [] },
    );
  }
});

test('other JSON files are only checked for being JSON', () => {
  const file = path.join(tmpDir(), 'notes.json');
  fs.writeFileSync(file, '{}');
  assert.deepEqual(readJson(file), {});
  fs.writeFileSync(file, '{');
  assert.equal(withWarnings(() => readJson(file)).value, null);
});

test('a model whose weights file is missing or has the wrong size is moved aside whole', () => {
  const dir = path.join(tmpDir(), 'models');
  const json = path.join(dir, `${KEY}.json`);
  const model = { trainKey: KEY, history: [], train: {}, test: {}, stoppedBecause: 'maxEpochs' };
  writeJsonAtomic(json, model);
  const noBin = withWarnings(() => readJson(json));
  assert.equal(noBin.value, null);
  assert.match(noBin.warnings[0], new RegExp(`${KEY}\\.json: its weights file ${KEY}\\.bin is missing`));
  writeJsonAtomic(json, model);
  writeWeights(path.join(dir, `${KEY}.bin`), [new Float32Array(3)]);
  assert.deepEqual(readJson(json), model);
  const { warnings } = withWarnings(() =>
    assert.throws(
      () => readWeights(path.join(dir, `${KEY}.bin`), [4]),
      /holds 3 floats, expected 4; both moved to .*\.quarantine; rerun to retrain this model/,
    ),
  );
  assert.equal(warnings.length, 2);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => !f.startsWith('.')),
    [],
  );
});

test('CLI: a corrupt and a foreign result file do not abort --list or the sweep; their cells are recomputed', () => {
  const dataDir = tmpDir();
  const args = [
    '--profile',
    'tiny',
    '--arch',
    'mlp',
    '--k',
    '2,3',
    '--seeds',
    '0',
    '--workers',
    '1',
    '--data-dir',
    dataDir,
    '--figures-dir',
    path.join(dataDir, 'figures'),
  ];
  const cli = (extra: string[] = []) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/reproduce.ts'), ...args, ...extra], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  const first = cli();
  assert.equal(first.status, 0, first.stderr);
  const results = path.join(dataDir, 'results', 'tiny');
  const [a, b] = fs
    .readdirSync(results)
    .filter((f) => f.endsWith('.json'))
    .sort();
  fs.writeFileSync(path.join(results, a), fs.readFileSync(path.join(results, a), 'utf8').slice(0, 100)); // truncated
  fs.writeFileSync(path.join(results, b), '{}');
  const list = cli(['--list']);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /0\/2 done/);
  assert.match(list.stderr, new RegExp(`results/tiny/${a}: not valid JSON`));
  assert.match(list.stderr, new RegExp(`results/tiny/${b}: not a result record \\(no 'key'\\)`));
  assert.equal(fs.readdirSync(path.join(results, '.quarantine')).length, 2);
  // a foreign file: a valid row under another cell's name
  const again = cli();
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /2 cells, 0 already done, 2 to run/);
  fs.copyFileSync(path.join(results, a), path.join(results, b));
  const third = cli();
  assert.equal(third.status, 0, third.stderr);
  assert.match(
    third.stderr,
    new RegExp(`results/tiny/${b}: holds the result of ${a.replace('.json', '')}, not of ${b.replace('.json', '')}`),
  );
  assert.match(third.stderr, /2 cells, 1 already done, 1 to run/);
  assert.equal(fs.readdirSync(results).filter((f) => f.endsWith('.json')).length, 2);
});

test('atomic write: a failure before the rename leaves no file at the target', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-store-'));
  const target = path.join(dir, 'x.json');
  const nodeFs = require('fs'); // the mutable module object behind every import of 'fs'
  const rename = nodeFs.renameSync;
  nodeFs.renameSync = () => {
    throw new Error('simulated crash');
  };
  try {
    assert.throws(() => writeFileAtomic(target, '{"half":'), /simulated crash/);
  } finally {
    nodeFs.renameSync = rename;
  }
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => !f.startsWith('.tmp-')),
    [],
  );
});
