import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { before, test } from 'node:test';
import { cellKey, runCell, trainedModel, trainKey } from '../lib/experiments/experiment';
import { estimateCell, taskForCell } from '../lib/experiments/cell';
import { profileCell, sweepCells, getProfile } from '../lib/experiments/sweeps';
import { canonicalJson, configKey, readJson, writeJsonAtomic } from '../lib/experiments/store';
import { setup } from './helpers';

before(setup);

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llc-exp-'));
const tiny = getProfile('tiny');
test('config keys: key order does not matter, any changed setting makes a new key', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
  assert.equal(configKey({ a: 1, b: 2 }), configKey({ b: 2, a: 1 }));
  const [cell] = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0] });
  const changed = { ...cell, llc: { ...cell.llc, epsilon: 1e-3 } };
  assert.notEqual(cellKey(changed), cellKey(cell));
  assert.equal(trainKey(changed), trainKey(cell), 'SGLD settings do not change the trained model');
  assert.notEqual(trainKey({ ...cell, seed: 1 }), trainKey(cell));
});

test('one route: the notebook path (profileCell → trainedModel → estimateCell) is the sweep cell, number for number', () => {
  const dataDir = tmpDir();
  const [sweepCell] = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [1] });
  const cell = profileCell(tiny, { architecture: 'mlp', labels: [0, 1], seed: 1 });
  assert.equal(cellKey(cell), cellKey(sweepCell), 'labels [0, 1] at seed 1 is the sweep cell k = 2, seed 1');
  const row = runCell(sweepCell, { profile: 'tiny', dataDir });
  const task = taskForCell(cell);
  const est = estimateCell(cell, task, trainedModel(cell, task, { profile: 'tiny', dataDir }));
  assert.deepEqual(est.llcPerChain, row.llcPerChain);
  assert.deepEqual(est.lossTraces, row.lossTraces);
  assert.notEqual(
    cellKey(profileCell(tiny, { architecture: 'mlp', labels: [1, 0], seed: 1 })),
    cellKey(cell),
    'another order is another cell',
  );
});

test('a cell runs once: rerunning reads its result instead of recomputing', () => {
  const dataDir = tmpDir();
  const [cell] = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0] });
  const a = runCell(cell, { profile: 'tiny', dataDir });
  const file = path.join(dataDir, 'results', 'tiny', `${a.key}.json`);
  assert.ok(fs.existsSync(file));
  const mtime = fs.statSync(file).mtimeMs;
  const b = runCell(cell, { profile: 'tiny', dataDir });
  assert.equal(b.finishedAt, a.finishedAt);
  assert.equal(fs.statSync(file).mtimeMs, mtime);
  assert.equal(a.config.k, 2);
  assert.equal(a.lossTraces.length, tiny.llc.numChains);
  // The equipartition is stored with the row (one finite virial/d per chain).
  assert.equal(a.equipartitionPerChain?.length, tiny.llc.numChains);
  assert.ok(
    a.equipartitionPerChain!.every((e) => Number.isFinite(e) && e > 0),
    `${a.equipartitionPerChain}`,
  );
});

test('NaN and ±Infinity survive a result file (JSON would turn them into null, read as 0)', () => {
  const file = path.join(tmpDir(), 'r.json');
  writeJsonAtomic(file, { llcMean: NaN, trace: [1, Infinity, -Infinity], order: '0123' });
  const back = readJson<{ llcMean: number; trace: number[]; order: string }>(file)!;
  assert.ok(Number.isNaN(back.llcMean));
  assert.deepEqual(back.trace, [1, Infinity, -Infinity]);
  assert.equal(back.order, '0123');
});
