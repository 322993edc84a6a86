/** Two data sets side by side (lib/report/contrasts.ts, notebook 05's analysis). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResultRow } from '../lib/experiments/experiment';
import { welchTTest } from '../lib/math/stats';
import { defaultNbeta } from '../lib/estimator/llc';
import {
  absoluteGap,
  conclusionsBySetting,
  contrastsByK,
  nearestSetting,
  pairContrast,
  parameterBaseline,
  priorVerdict,
  recheckRecords,
  settingGaps,
  side,
} from '../lib/report/contrasts';
import { GapPair } from '../lib/report/summary';

const row = (o: Partial<ResultRow> & { architecture: 'mlp' | 'cnn' }) =>
  ({
    k: 2,
    seed: 0,
    llcMean: 10,
    testAccuracy: 0.9,
    numParams: 100,
    healthy: true,
    config: { llc: {} },
    ...o,
  }) as ResultRow;
const pair = (k: number, mlp: number, cnn: number, accMlp = 0.8, accCnn = 0.9): GapPair => ({
  k,
  seed: 0,
  order: '0123456789',
  mlp: row({ architecture: 'mlp', k, llcMean: mlp, testAccuracy: accMlp }),
  cnn: row({ architecture: 'cnn', k, llcMean: cnn, testAccuracy: accCnn }),
});

test('pairContrast is Welch on the per-pair quantity, pooled or at one k; contrastsByK covers the shared k in points', () => {
  const a = [pair(2, 10, 5), pair(2, 12, 5), pair(3, 20, 8), pair(3, 22, 9)];
  const b = [pair(2, 10, 8), pair(2, 11, 9), pair(3, 20, 15), pair(3, 21, 16), pair(4, 30, 20)];
  assert.deepEqual(pairContrast(a, b, absoluteGap), welchTTest([5, 7, 12, 13], [2, 2, 5, 5, 10]));
  assert.deepEqual(pairContrast(a, b, absoluteGap, 3), welchTTest([12, 13], [5, 5]));
  const byK = contrastsByK(a, b);
  assert.deepEqual(
    byK.map((r) => r.k),
    [2, 3],
    'k = 4 is only in b',
  );
  const rel = welchTTest([0.5, 7 / 12], [0.2, 2 / 11]);
  assert.ok(Math.abs(byK[0].relativeGapDiff - 100 * rel.difference) < 1e-9);
});

test('side and priorVerdict: unanswerable, unresolved, yes, no', () => {
  const t = (lo: number, hi: number) => ({ ...welchTTest([1, 2], [1, 2]), lo, hi });
  assert.deepEqual([side(t(1, 2)), side(t(-2, -1)), side(t(-1, 1)), side(t(NaN, NaN))], [1, -1, 0, 0]);
  const names: [string, string] = ['MNIST-1D', 'MNIST'];
  assert.match(priorVerdict(t(-1, 1), t(1, 2), names), /Not answerable/);
  assert.match(priorVerdict(t(1, 2), t(-1, 1), names), /Not resolved.*more on MNIST-1D/);
  assert.match(priorVerdict(t(1, 2), t(0.5, 3), names), /\*\*Yes\*\*.*wider on MNIST-1D/);
  assert.match(
    priorVerdict(t(-2, -1), t(0.5, 3), names),
    /\*\*No\*\*: the prior matters more on MNIST, yet the relative gap is wider on MNIST-1D/,
  );
});

test('settingGaps pairs MLP and CNN at the same (k, ε, γ); nearestSetting is nearest in log ε and log γ', () => {
  const at = (architecture: 'mlp' | 'cnn', epsilon: number, gamma: number, llcMean: number, healthy = true) =>
    row({ architecture, llcMean, healthy, config: { llc: { epsilon, gamma } } as ResultRow['config'] });
  const grid = settingGaps([
    at('mlp', 1e-4, 10, 40),
    at('cnn', 1e-4, 10, 30, false),
    at('mlp', 1e-3, 100, 50),
    at('cnn', 1e-3, 100, 25),
    at('mlp', 1e-5, 10, 9),
  ]);
  assert.equal(grid.length, 2, 'an MLP setting without its CNN is left out');
  assert.deepEqual(
    grid.map((g) => [g.gap, g.relativeGap, g.bothHealthy]),
    [
      [10, 0.25, false],
      [25, 0.5, true],
    ],
  );
  assert.equal(nearestSetting(grid, 2e-4, 10)?.epsilon, 1e-4);
  assert.equal(nearestSetting(grid, 1e-3, 300)?.gamma, 100);
  assert.equal(nearestSetting([], 1e-4, 10), undefined);
});

test('parameterBaseline: 1 − d_CNN / d_MLP', () => {
  const rows = [row({ architecture: 'mlp', numParams: 200 }), row({ architecture: 'cnn', numParams: 50 })];
  assert.equal(parameterBaseline(rows), 0.75);
  assert.ok(Number.isNaN(parameterBaseline(rows.slice(0, 1))));
});

test('conclusionsBySetting: growth in k and the pooled gap per (γ, nβ), failed cells counted and left out', () => {
  const n = 12665;
  const rows: ResultRow[] = [];
  // γ = 10, nβ = n/log n: both grow (MLP 10/label, CNN 5/label), MLP above. γ = 100, nβ ×0.5: flat, CNN above.
  for (const seed of [0, 1, 2])
    for (const k of [2, 3, 4, 5])
      for (const [gamma, f, mlp, cnn] of [
        [10, 1, 10 * k + seed, 5 * k - seed],
        [100, 0.5, 3 + (seed % 2), 6 + ((seed + k) % 2)],
      ]) {
        const common = { k, seed, order: '0123456789', numTrain: n, nbeta: f * defaultNbeta(n), failed: false };
        const config = { llc: { gamma } } as ResultRow['config'];
        rows.push(row({ architecture: 'mlp', llcMean: mlp, config, ...common }));
        rows.push(row({ architecture: 'cnn', llcMean: cnn, config, ...common }));
      }
  rows.push(
    row({
      architecture: 'mlp',
      k: 6,
      seed: 0,
      llcMean: 1e6,
      failed: true,
      numTrain: n,
      nbeta: defaultNbeta(n),
      config: { llc: { gamma: 10 } } as ResultRow['config'],
    }),
  );
  const [a, b] = conclusionsBySetting(rows);
  assert.deepEqual([a.gamma, a.nbetaFactor, a.cells, a.failed], [10, 1, 25, 1]);
  assert.deepEqual([b.gamma, b.nbetaFactor, b.cells, b.failed], [100, 0.5, 24, 0]);
  const slope = (s: typeof a, arch: string) => s.linearity.find((t) => t.architecture === arch)!.slope;
  assert.ok(Math.abs(slope(a, 'mlp').estimate - 10) < 1e-9 && Math.abs(slope(a, 'cnn').estimate - 5) < 1e-9);
  assert.ok(a.gap.lo > 0, 'MLP above CNN at the first setting');
  assert.ok(b.gap.hi < 0, 'CNN above MLP at the second');
  const [ra, rb] = recheckRecords([a, b]);
  assert.deepEqual([ra['mlp grows in k'], ra['cnn grows in k'], ra.ordering], ['yes', 'yes', 'MLP > CNN']);
  assert.deepEqual([rb['mlp grows in k'], rb.ordering], ['not resolved', 'CNN > MLP']);
});

test('conclusionsBySetting: a setting whose failures leave an architecture λ̂ at one k gets no slope, not an error', () => {
  const n = 12665;
  const config = { llc: { gamma: 10 } } as ResultRow['config'];
  const common = { order: '0123456789', numTrain: n, nbeta: 2 * defaultNbeta(n), config };
  const rows: ResultRow[] = [];
  for (const seed of [0, 1])
    for (const k of [2, 3, 4]) {
      rows.push(row({ architecture: 'mlp', k, seed, llcMean: 10 * k + seed, failed: false, ...common }));
      // The CNN survives at k = 2 only (as at γ = 10, nβ = 2 n/log n on MNIST).
      rows.push(row({ architecture: 'cnn', k, seed, llcMean: k === 2 ? 4 : NaN, failed: k !== 2, ...common }));
    }
  const [s] = conclusionsBySetting(rows);
  const cnn = s.linearity.find((t) => t.architecture === 'cnn')!;
  assert.deepEqual([cnn.levels, cnn.slope.estimate, cnn.quadratic.estimate], [1, NaN, NaN]);
  assert.ok(Math.abs(s.linearity.find((t) => t.architecture === 'mlp')!.slope.estimate - 10) < 1e-9);
  const [r] = recheckRecords([s]);
  assert.deepEqual([r['cnn slope'], r['cnn 95 % CI'], r['cnn grows in k']], [NaN, '–', 'no slope (λ̂ at 1 k)']);
  assert.equal(r['mlp grows in k'], 'yes');
});
