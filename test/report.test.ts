import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { ResultRow } from '../lib/experiments/experiment';
import { repoPath } from '../lib/experiments/paths';
import { reportSweep } from '../lib/report/report';
import { loadCellResults } from '../lib/experiments/runner';
import { PROFILES, sweepCells } from '../lib/experiments/sweeps';

test('the CLI report titles its figures as the notebooks do (both write figures/<profile>-*)', async () => {
  const rows = loadCellResults(sweepCells('writeup', PROFILES.quick), 'quick', repoPath('data')).filter(
    (r): r is ResultRow => r != null,
  );
  assert.equal(rows.length, 54, 'the committed quick results');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-report-'));
  try {
    const lines: string[] = [];
    const written = await reportSweep('writeup', rows, 'quick', dir, (l) => lines.push(l));
    assert.deepEqual(
      written.map((p) => path.basename(p)),
      ['quick-scaling-curve.png', 'quick-mlp-cnn-gap.png'],
    );
    assert.match(
      fs.readFileSync(path.join(dir, 'quick-scaling-curve.svg'), 'utf8'),
      /λ̂ vs number of labels \(quick profile\)/,
    );
    assert.match(
      fs.readFileSync(path.join(dir, 'quick-mlp-cnn-gap.svg'), 'utf8'),
      /λ̂\(MLP\) − λ̂\(CNN\) \(quick profile\)/,
    );
    assert.ok(
      lines.some((l) => l.startsWith('54 cells;')),
      lines[0],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
