import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { before, test } from 'node:test';
import { cellKey, runCell, trainKey } from '../lib/experiments/experiment';
import { parseShard, shardCells, sweepCells, getProfile } from '../lib/experiments/sweeps';
import { canonicalJson, configKey, readJson, writeFileAtomic, writeJsonAtomic } from '../lib/experiments/store';
import { runCells } from '../lib/experiments/runner';
import { summarize } from '../lib/report/summary';
import { setup } from './helpers';

before(setup);

const repo = path.resolve(__dirname, '..');
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llc-exp-'));
const tiny = getProfile('tiny');
const cli = (args: string[], dataDir: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/reproduce.ts'), ...args, '--data-dir', dataDir, '--figures-dir', path.join(dataDir, 'figures')], { cwd: repo, encoding: 'utf8' });

test('config keys: key order does not matter, any changed setting makes a new key', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
  assert.equal(configKey({ a: 1, b: 2 }), configKey({ b: 2, a: 1 }));
  const [cell] = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0] });
  const changed = { ...cell, llc: { ...cell.llc, epsilon: 1e-3 } };
  assert.notEqual(cellKey(changed), cellKey(cell));
  assert.equal(trainKey(changed), trainKey(cell), 'SGLD settings do not change the trained model');
  assert.notEqual(trainKey({ ...cell, seed: 1 }), trainKey(cell));
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
});

test('NaN and ±Infinity survive a result file (JSON would turn them into null, read as 0)', () => {
  const file = path.join(tmpDir(), 'r.json');
  writeJsonAtomic(file, { llcMean: NaN, trace: [1, Infinity, -Infinity], order: '0123' });
  const back = readJson<{ llcMean: number; trace: number[]; order: string }>(file)!;
  assert.ok(Number.isNaN(back.llcMean));
  assert.deepEqual(back.trace, [1, Infinity, -Infinity]);
  assert.equal(back.order, '0123');
});

test('a diverged cell is recorded as failed, the sweep goes on, and the summary shows it', async () => {
  const dataDir = tmpDir();
  const cells = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0, 1] });
  cells[0] = { ...cells[0], llc: { ...cells[0].llc, epsilon: 1e6 } };
  const rows = await runCells(cells, { profile: 'tiny', dataDir, workers: 1, progress: false });
  const reread = readJson<any>(path.join(dataDir, 'results', 'tiny', `${rows[0].key}.json`));
  assert.equal(reread.failed, true);
  assert.ok(Number.isNaN(reread.llcMean), `llcMean read back as ${reread.llcMean}`);
  assert.ok(reread.flags.includes('diverged'));
  assert.ok(Number.isFinite(rows[1].llcMean) && !rows[1].failed);
  const [kept] = summarize(rows);
  assert.equal(kept.failed, 1);
  assert.equal(kept.count, 1, 'a failed cell is left out of the mean by default');
  assert.equal(kept.mean, rows[1].llcMean);
  assert.match(kept.dropped, /^1 diverged/);
  const [all] = summarize(rows, { exclude: 'none' });
  assert.ok(Number.isNaN(all.mean), 'kept explicitly, a failed cell makes the mean NaN: never averaged silently');
});

test('atomic write: a failure before the rename leaves no file at the target', () => {
  const dir = tmpDir();
  const target = path.join(dir, 'x.json');
  const nodeFs = require('fs'); // the mutable module object behind every import of 'fs'
  const rename = nodeFs.renameSync;
  nodeFs.renameSync = () => { throw new Error('simulated crash'); };
  try {
    assert.throws(() => writeFileAtomic(target, '{"half":'), /simulated crash/);
  } finally {
    nodeFs.renameSync = rename;
  }
  assert.equal(fs.existsSync(target), false);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => !f.startsWith('.tmp-')), []);
});

test('killing a sweep mid-cell leaves no result that looks finished; rerunning completes it', async () => {
  const dataDir = tmpDir();
  const args = ['--profile', 'tiny', '--arch', 'mlp', '--k', '2', '--seeds', '0', '--workers', '1', '--draws', '600', '--data-dir', dataDir];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/reproduce.ts'), ...args], { cwd: repo, stdio: 'ignore' });
  const models = path.join(dataDir, 'models');
  // Kill as soon as the model is trained, i.e. during SGLD.
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(models) && fs.readdirSync(models).some((f) => f.endsWith('.json'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => { clearInterval(timer); reject(new Error('child finished before it could be killed')); });
  });
  await new Promise((r) => child.on('exit', r));
  const results = path.join(dataDir, 'results', 'tiny');
  const finished = fs.existsSync(results) ? fs.readdirSync(results).filter((f) => f.endsWith('.json')) : [];
  assert.deepEqual(finished, []);
  const rerun = cli(args.slice(0, -2), dataDir); // cli() adds --data-dir
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.equal(fs.readdirSync(results).filter((f) => f.endsWith('.json')).length, 1);
});

test('shards partition a sweep exactly: every cell once across N shards', () => {
  const cells = sweepCells('writeup', getProfile('full'));
  assert.equal(cells.length, 90);
  for (const n of [1, 3, 7]) {
    const keys = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }).map(cellKey)).flat();
    assert.equal(keys.length, cells.length);
    assert.deepEqual([...keys].sort(), cells.map(cellKey).sort());
  }
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['0/3', '4/3', '1/0', 'a/b', '3']) assert.throws(() => parseShard(bad), /malformed shard/);
});

test('the declared sweeps have the write-up\'s sizes', () => {
  const full = getProfile('full');
  assert.equal(sweepCells('shuffled', full).length, 180);
  assert.equal(new Set(sweepCells('shuffled', full).map((c) => c.order.join(''))).size, 10);
  assert.ok(sweepCells('fullmnist', full).every((c) => c.numTrain === 60000 && c.k === 10));
  const w = sweepCells('writeup', full)[0];
  assert.deepEqual({ eps: w.llc.epsilon, gamma: w.llc.gamma, draws: w.llc.numDraws, burn: w.llc.numBurnin, chains: w.llc.numChains, m: w.llc.batchSize }, { eps: 2e-4, gamma: 10, draws: 2000, burn: 0, chains: 1, m: 256 });
});

test('CLI: a tiny sweep end to end (2 cells), then --list shows them done', () => {
  const dataDir = tmpDir();
  const r = cli(['--profile', 'tiny', '--arch', 'mlp', '--k', '2,3', '--seeds', '0', '--workers', '2'], dataDir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /λ̂ by architecture and number of labels/);
  assert.equal(fs.readdirSync(path.join(dataDir, 'results', 'tiny')).filter((f) => f.endsWith('.json')).length, 2);
  assert.ok(fs.existsSync(path.join(dataDir, 'figures', 'tiny-scaling-curve.png')));
  const list = cli(['--profile', 'tiny', '--arch', 'mlp', '--k', '2,3', '--seeds', '0', '--list'], dataDir);
  assert.match(list.stdout, /2\/2 done/);
});

test('CLI: bad input → clear error, non-zero exit, nothing written', () => {
  const cases: [string[], RegExp][] = [
    [['--arch', 'rnn'], /unknown architecture 'rnn'; valid: mlp, cnn/],
    [['--profile', 'huge'], /unknown profile 'huge'; valid: tiny, full, quick/],
    [['--sweep', 'all'], /unknown sweep 'all'; valid: writeup, shuffled, sensitivity, fullmnist/],
    [['--k', '1'], /k=1 is out of range; valid k are integers 2..10/],
    [['--shard', '5/4'], /malformed shard '5\/4'/],
    [['--draws', '0'], /--draws must be a positive integer, got '0'/],
    [['--epochs', '-3'], /--epochs must be a positive integer, got '-3'/],
    [['--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const dataDir = tmpDir();
    const r = cli(args, dataDir);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.deepEqual(fs.readdirSync(dataDir), [], `${args.join(' ')} wrote files`);
  }
});
