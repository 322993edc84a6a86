/**
 * The command line (lib/cli/reproduce.ts, scripts/reproduce.ts): flags that need a value never take
 * the next option, duplicates are errors, --help documents every flag with its default and
 * exits 0, the SGLD/training knobs are validated and reach every cell, runs with other
 * settings get a figure tag, and Ctrl-C says what is saved and the command that resumes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { reproduceIn } from './helpers';

import { FLAGS, helpText, parseArgs, selectedCells, selectionNote, settingsTag } from '../lib/cli/reproduce';
import { cellsTag } from '../lib/experiments/sweeps';
import { REPO_ROOT } from '../lib/experiments/paths';
import { getProfile, PROFILES, sweepCells } from '../lib/experiments/sweeps';
import { resumeCommand } from '../scripts/reproduce';

const repo = REPO_ROOT;
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'llc-cli-'));
const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/reproduce.ts'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
  });

test('duplicates in --k, --seeds, --arch are errors naming the duplicate', () => {
  assert.throws(() => parseArgs(['--k', '2,2']), /--k: '2' is listed twice/);
  assert.throws(() => parseArgs(['--k', '2,3,4,3']), /--k: '3' is listed twice/);
  assert.throws(() => parseArgs(['--seeds', '0,1,0']), /--seeds: '0' is listed twice/);
  assert.throws(() => parseArgs(['--arch', 'mlp,cnn,mlp']), /--arch: 'mlp' is listed twice/);
  assert.throws(() => parseArgs(['--k', '2,,3']), /--k: '' is not an integer/);
  assert.throws(() => parseArgs(['--k', '2.5']), /--k: '2.5' is not an integer/);
  assert.deepEqual(parseArgs(['--k', '4,2']).ks, [4, 2]);
});

test('--help lists every flag with a description and its default', () => {
  const text = helpText();
  for (const f of FLAGS) {
    const line = text
      .split('\n')
      .find(
        (l) => l.trimStart().startsWith(f.name + ' ') || l.trim() === f.name || l.trimStart().startsWith(`${f.name}  `),
      );
    assert.ok(line, `--help has no line for ${f.name}`);
    assert.ok(
      line
        .replace(f.name, '')
        .replace(f.arg ?? '', '')
        .trim().length > 10,
      `${f.name} has no description: '${line}'`,
    );
    if (f.name !== '--help') assert.match(line, /\[default: .+\]/, `${f.name} shows no default`);
  }
  // profile-dependent defaults are given per profile
  const draws = Object.values(PROFILES)
    .map((p) => `${p.name} ${p.llc.numDraws}`)
    .join(', ');
  assert.ok(
    text.includes(`[default: the profile's draws (${draws})]`),
    `--draws default per profile (${draws}) missing`,
  );
  assert.match(draws, /quick 500/);
  assert.equal(parseArgs(['--help']).help, true);
  assert.equal(parseArgs(['--k', '2', '-h', '--bogus']).help, true);
  const r = cli(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), text.trim());
  assert.equal(r.stderr, '');
});

test('SGLD and training knobs: validated with the bad value and the valid range', () => {
  const bad: [string[], RegExp][] = [
    [['--epsilon', '0'], /--epsilon must be a number in \(0, 1\), e\.g\. 2e-4, got '0'/],
    [['--epsilon', 'abc'], /--epsilon must be a number in \(0, 1\), e\.g\. 2e-4, got 'abc'/],
    [['--epsilon', '1'], /--epsilon must be a number in \(0, 1\)/],
    [['--gamma', '-1'], /--gamma must be a number ≥ 0, e\.g\. 10, got '-1'/],
    [['--gamma', ''], /--gamma must be a number ≥ 0/],
    [['--nbeta', '0'], /--nbeta must be a number > 0 or 'auto' \(n\/log n\), got '0'/],
    [['--nbeta', 'Auto'], /--nbeta must be a number > 0 or 'auto'/],
    [['--chains', '0'], /--chains must be a positive integer, got '0'/],
    [['--chains', '1.5'], /--chains must be a positive integer, got '1.5'/],
    [['--draws', '1e9x'], /--draws must be a positive integer, got '1e9x'/],
    [['--burnin', '-1'], /--burnin must be an integer ≥ 0, got '-1'/],
    [['--batch-size', '0'], /--batch-size must be a positive integer, got '0'/],
    [['--train-batch-size', 'x'], /--train-batch-size must be a positive integer, got 'x'/],
    [['--lr', '0'], /--lr must be a number in \(0, 1\], e\.g\. 1e-2, got '0'/],
    [['--lr', '2'], /--lr must be a number in \(0, 1\]/],
    [['--workers', '0x2'], /--workers must be a positive integer, got '0x2'/],
    [
      ['--sweep', 'sensitivity', '--epsilon', '1e-4'],
      /the sensitivity sweep varies ε and γ itself .*--epsilon and --gamma cannot be used with it/,
    ],
  ];
  for (const [args, message] of bad) assert.throws(() => parseArgs(args), message, args.join(' '));
  assert.equal(parseArgs(['--burnin', '0']).llc.numBurnin, 0);
  assert.equal(parseArgs(['--nbeta', 'auto']).llc.nbeta, 'auto');
  assert.equal(parseArgs(['--epsilon', '5e-5']).llc.epsilon, 5e-5);
});

test('the knobs override every selected cell, like --draws and --epochs', () => {
  const o = parseArgs([
    '--profile',
    'quick',
    '--arch',
    'mlp',
    '--k',
    '2,3',
    '--seeds',
    '0',
    '--epsilon',
    '1e-4',
    '--gamma',
    '100',
    '--nbeta',
    '300',
    '--chains',
    '3',
    '--draws',
    '50',
    '--burnin',
    '5',
    '--batch-size',
    '32',
    '--lr',
    '0.005',
    '--epochs',
    '2',
    '--train-batch-size',
    '64',
  ]);
  const cells = selectedCells(o);
  assert.equal(cells.length, 2);
  for (const c of cells) {
    assert.deepEqual(
      { ...c.llc },
      {
        ...getProfile('quick').llc,
        epsilon: 1e-4,
        gamma: 100,
        nbeta: 300,
        numChains: 3,
        numDraws: 50,
        numBurnin: 5,
        batchSize: 32,
      },
    );
    assert.deepEqual({ ...c.train }, { epochs: 2, learningRate: 0.005, batchSize: 64 });
  }
  // the profile's own cells are not touched
  assert.equal(sweepCells('writeup', getProfile('quick'))[0].llc.epsilon, getProfile('quick').llc.epsilon);
});

test('figure tags: empty at the profile defaults, naming the settings that changed otherwise', () => {
  const tag = (args: string[]) => settingsTag(parseArgs(args));
  assert.equal(tag([]), '');
  assert.equal(tag(['--profile', 'full']), '');
  assert.equal(tag(['--draws', '500']), '', 'the quick default draws change nothing');
  assert.equal(tag(['--nbeta', 'auto']), '');
  assert.equal(tag(['--draws', '100']), 'draws100');
  assert.equal(tag(['--epsilon', '0.001', '--lr', '0.005']), 'eps0.001-lr0.005');
  assert.equal(tag(['--chains', '4', '--k', '2,3']), 'chains4');
  assert.equal(
    tag(['--sweep', 'sensitivity', '--draws', '100']),
    'draws100',
    'the grid of ε and γ is the sweep, not a change',
  );
  // which cells: no tag, but a note
  assert.equal(tag(['--k', '2,3', '--seeds', '0', '--arch', 'mlp']), '');
  assert.equal(
    selectionNote(parseArgs(['--k', '2,3', '--seeds', '0', '--arch', 'mlp'])),
    '2 of the 54 cells of the quick writeup sweep',
  );
  assert.equal(
    selectionNote(parseArgs(['--shard', '2/4'])),
    '54 of the 54 cells of the quick writeup sweep (shard 2/4)',
  );
  assert.equal(selectionNote(parseArgs(['--k', '10,9,8,7,6,5,4,3,2'])), '');
  assert.match(
    tag([
      '--epsilon',
      '0.000123456',
      '--gamma',
      '123.456',
      '--nbeta',
      '1234.5678',
      '--chains',
      '7',
      '--burnin',
      '33',
      '--batch-size',
      '17',
    ]),
    /^settings-[0-9a-f]{8}$/,
  );
  // cellsTag on transformed cells (the notebooks' path)
  const d = sweepCells('writeup', getProfile('quick'));
  assert.equal(
    cellsTag(
      d.map((c) => ({ ...c, llc: { ...c.llc, nbeta: 100 } })),
      d,
    ),
    'nbeta100',
  );
  assert.equal(cellsTag(d.slice(0, 3), d), '');
});

test('the resume command reruns the same invocation', () => {
  assert.equal(
    resumeCommand(['--profile', 'quick', '--sweep', 'writeup'], { npm_lifecycle_event: 'start' }, repo),
    'npm run reproduce -- --profile quick --sweep writeup',
  );
  assert.equal(
    resumeCommand(['--data-dir', '/tmp/a b'], { npm_lifecycle_event: 'reproduce' }, repo),
    "npm run reproduce -- --data-dir '/tmp/a b'",
  );
  assert.equal(resumeCommand(['--k', '2,3'], {}, repo), 'npx tsx scripts/reproduce.ts --k 2,3');
  assert.equal(resumeCommand([], {}, '/'), `cd ${repo} && npx tsx scripts/reproduce.ts`);
});

test('Ctrl-C stops a sweep: says what is saved and the exact resume command, stops the workers; the command resumes it', async () => {
  const dataDir = tmpDir();
  const args = [
    '--profile',
    'tiny',
    '--arch',
    'mlp',
    '--k',
    '2,3,4',
    '--seeds',
    '0,1',
    '--workers',
    '2',
    '--data-dir',
    dataDir,
    '--figures-dir',
    path.join(dataDir, 'figures'),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'scripts/reproduce.ts'), ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/\[1\/6\]/.test(stderr)) {
        clearInterval(timer);
        child.kill('SIGINT'); // the parent only: it must stop its workers itself
        resolve();
      }
    }, 20);
    exited.then(() => {
      clearInterval(timer);
      reject(new Error(`finished before it could be interrupted:\n${stderr}`));
    });
  });
  const code = await exited;
  assert.equal(code, 130, stderr);
  const m =
    /interrupted \(Ctrl-C\): (\d) of 6 cells are saved in (.+)\/ \((\d) finished in this run; cells in flight are lost\)\. Resume with:\n {2}(.+)\n/.exec(
      stderr,
    );
  assert.ok(m, `no resume message in:\n${stderr}`);
  const results = path.join(dataDir, 'results', 'tiny');
  const count = () => fs.readdirSync(results).filter((f) => f.endsWith('.json')).length;
  assert.equal(Number(m[1]), count());
  assert.ok(Number(m[1]) >= 1 && Number(m[1]) < 6);
  assert.equal(m[4], `npx tsx scripts/reproduce.ts ${args.join(' ')}`);
  // the workers are gone: nothing more is written
  const before = count();
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(count(), before, 'a worker kept computing after Ctrl-C');
  // the printed command resumes: only the missing cells are computed
  const rerun = spawnSync('sh', ['-c', m[4]], { cwd: repo, encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stderr, new RegExp(`6 cells, ${before} already done, ${6 - before} to run`));
  assert.equal(count(), 6);
});

test("--loss sets every cell's loss (and names the figures), a bad one names the valid ones; --csv takes a file", () => {
  const o = parseArgs(['--profile', 'tiny', '--loss', 'writeup', '--csv', 'out.csv']);
  assert.equal(o.csv, 'out.csv');
  assert.ok(selectedCells(o).every((c) => c.loss === 'writeup'));
  assert.throws(() => parseArgs(['--loss', 'mse']), /unknown loss 'mse'; valid: ce, writeup/);
});

test('CLI: a tiny sweep end to end (2 cells), then --list shows them done', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-cli-'));
  const r = reproduceIn(
    ['--profile', 'tiny', '--arch', 'mlp', '--k', '2,3', '--seeds', '0', '--workers', '2'],
    dataDir,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /λ̂ by architecture and number of labels/);
  assert.equal(fs.readdirSync(path.join(dataDir, 'results', 'tiny')).filter((f) => f.endsWith('.json')).length, 2);
  assert.ok(fs.existsSync(path.join(dataDir, 'figures', 'tiny-scaling-curve.png')));
  const list = reproduceIn(['--profile', 'tiny', '--arch', 'mlp', '--k', '2,3', '--seeds', '0', '--list'], dataDir);
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
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-cli-'));
    const r = reproduceIn(args, dataDir);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.deepEqual(fs.readdirSync(dataDir), [], `${args.join(' ')} wrote files`);
  }
});
