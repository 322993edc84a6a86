/** The sweep runner (lib/experiments/runner.ts): failures recorded, interruptions resumed. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { ResultRow } from '../lib/experiments/experiment';
import { REPO_ROOT } from '../lib/experiments/paths';
import { runCells } from '../lib/experiments/runner';
import { readJson } from '../lib/experiments/store';
import { getProfile, sweepCells } from '../lib/experiments/sweeps';
import { summarize } from '../lib/report/summary';
import { reproduceIn, setup } from './helpers';

before(setup);

const repo = REPO_ROOT;
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llc-exp-'));
const tiny = getProfile('tiny');

test('a diverged cell is recorded as failed, the sweep goes on, and the summary shows it', async () => {
  const dataDir = tmpDir();
  const cells = sweepCells('writeup', tiny, { architectures: ['mlp'], ks: [2], seeds: [0, 1] });
  cells[0] = { ...cells[0], llc: { ...cells[0].llc, epsilon: 1e6 } };
  const rows = await runCells(cells, { profile: 'tiny', dataDir, workers: 1, progress: false });
  const reread = readJson<ResultRow>(path.join(dataDir, 'results', 'tiny', `${rows[0].key}.json`));
  assert.ok(reread, 'the failed cell has a result file');
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

test('killing a sweep mid-cell leaves no result that looks finished; rerunning completes it', async () => {
  const dataDir = tmpDir();
  const args = [
    '--profile',
    'tiny',
    '--arch',
    'mlp',
    '--k',
    '2',
    '--seeds',
    '0',
    '--workers',
    '1',
    '--draws',
    '600',
    '--data-dir',
    dataDir,
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/reproduce.ts'), ...args], {
    cwd: repo,
    stdio: 'ignore',
  });
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
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('child finished before it could be killed'));
    });
  });
  await new Promise((r) => child.on('exit', r));
  const results = path.join(dataDir, 'results', 'tiny');
  const finished = fs.existsSync(results) ? fs.readdirSync(results).filter((f) => f.endsWith('.json')) : [];
  assert.deepEqual(finished, []);
  const rerun = reproduceIn(args.slice(0, -2), dataDir); // reproduceIn() adds --data-dir
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.equal(fs.readdirSync(results).filter((f) => f.endsWith('.json')).length, 1);
});
