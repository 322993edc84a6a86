/** The write-up's claims answered from results (lib/report/claims.ts, scripts/claims.ts). */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { ResultRow } from '../lib/experiments/experiment';
import { repoPath } from '../lib/experiments/paths';
import { claimProfiles, claims, claimsMarkdown } from '../lib/report/claims';
import { MARKERS, withClaims } from '../scripts/claims';

const row = (architecture: 'mlp' | 'cnn', k: number, seed: number, llcMean: number, failed = false) =>
  ({
    architecture,
    k,
    seed,
    llcMean,
    failed,
    failReason: failed ? 'diverged' : undefined,
    flags: failed ? ['diverged'] : [],
    order: '0123456789',
    numTrain: 100,
    testAccuracy: 0.9,
    trainAccuracy: 0.95,
  }) as unknown as ResultRow;

/** λ̂ = 10·k (MLP) and 6·k (CNN) with seed noise: linear, CNN lower, the gap growing with k. */
function sweep(): ResultRow[] {
  const out: ResultRow[] = [];
  for (const seed of [0, 1, 2])
    for (let k = 2; k <= 10; k++) {
      const noise = ((seed * 7 + k * 3) % 5) / 10;
      out.push(row('mlp', k, seed, 10 * k + noise), row('cnn', k, seed, 6 * k - noise));
    }
  return out;
}

test('claims: a linear sweep with the CNN lower reads as linear and CNN-lower; failures are counted, not averaged', () => {
  const rows = [...sweep(), row('cnn', 3, 3, NaN, true)];
  const [linear, lower, , , , failing] = claims([{ profile: 'x', rows, cells: 60 }]);
  assert.match(linear.answers[0], /MLP: slope 10\.0 \[.*a straight line fits/);
  assert.match(lower.answers[0], /\*\*CNN lower\*\*, as the write-up says/);
  assert.match(failing.answers[0], /failed cells: MLP 0\/27, CNN 1\/28 \(1 diverged\)/);
  assert.match(linear.answers[0], /\(55\/60 cells, 1 failed \(left out\)\)/);
});

test('claims: curvature and a higher CNN are reported as such; a profile without results says so', () => {
  const rows = sweep().map(
    (r) => ({ ...r, llcMean: r.architecture === 'cnn' ? r.k * r.k * 3 : r.llcMean }) as ResultRow,
  );
  const [linear, lower] = claims([
    { profile: 'x', rows, cells: 54 },
    { profile: 'y', rows: [], cells: 54 },
  ]);
  assert.match(linear.answers[0], /CNN: .*\*\*not a straight line\*\*/);
  assert.match(lower.answers[0], /\*\*CNN higher\*\*, against the write-up/);
  assert.equal(linear.answers[1], 'not run yet');
  // A calibrated profile's answers say how much larger λ̂ is at the next smaller γ.
  const localization = [
    {
      architecture: 'mlp',
      k: 10,
      epsilon: 3e-5,
      gamma: 1000,
      below: { gamma: 100, llc: 65, mcse: 1, ratio: 6.5, healthy: true, reasons: [] },
    },
    {
      architecture: 'cnn',
      k: 10,
      epsilon: 2e-4,
      gamma: 1000,
      below: { gamma: 100, llc: 36, mcse: 1, ratio: 24, healthy: false, reasons: ['spike'] },
    },
  ];
  const [cal] = claims([{ profile: 'calibrated', rows, cells: 54, localization }]);
  assert.match(
    cal.answers[0],
    /at k = 10 λ̂ is 6\.5× \(MLP\), 24\.0× \(CNN, unhealthy there\) larger at γ = 100 than at the chosen γ = 1000/,
  );
  // A profile that cannot be built (no calibration file) says why in every row.
  const table = claims([{ profile: 'calibrated', rows: [], cells: 0, unavailable: 'needs the mnist calibration' }]);
  assert.ok(table.every((c) => c.answers[0] === 'not available: needs the mnist calibration'));
});

test("the README's claim table is the one the committed results give (npm run claims -- --write)", () => {
  const readme = fs.readFileSync(repoPath('README.md'), 'utf8');
  assert.ok(readme.includes(MARKERS[0]) && readme.includes(MARKERS[1]));
  assert.equal(readme, withClaims(readme, claimsMarkdown(claimProfiles())), 'run `npm run claims -- --write`');
  assert.throws(() => withClaims('no markers', ''), /README.md has no <!-- claims:start -->/);
});

test('claims: the full-MNIST row reports λ̂ over the cells that did not fail, and how many failed', () => {
  const mnist = [row('mlp', 10, 0, 300), row('mlp', 10, 1, 320), row('cnn', 10, 0, NaN, true)];
  // Traces nβ·(L − L*) = 2·(L − 0.5): a spike in the first half, then 1,000 (seed 0) and 1,200 (seed 1).
  const trace = (late: number) => [0.5, 5e4, 0.5, 0.5, 0.5 + late / 2, 0.5 + late / 2, 0.5 + late / 2, 0.5 + late / 2];
  const lau = [
    { ...row('mlp', 10, 0, 1000), initLoss: 0.5, nbeta: 2, lossTraces: [trace(1000), trace(1000)] } as ResultRow,
    {
      ...row('mlp', 10, 1, 1100),
      initLoss: 0.5,
      nbeta: 2,
      lossTraces: [trace(1200), [NaN, NaN, NaN, NaN]],
    } as ResultRow,
  ];
  const table = claims([
    { profile: 'x', rows: sweep(), cells: 54, fullMnist: { rows: mnist, cells: 10 }, lau: { rows: lau, cells: 5 } },
    { profile: 'y', rows: sweep(), cells: 54 },
  ]);
  const full = table.find((c) => c.claim.startsWith('full MNIST'))!;
  assert.match(
    full.answers[0],
    /MLP 310\.0 \[182\.9, 437\.1\] \(2 of 2 cells; none failed\); CNN no λ̂ \(0 of 1 cells; 1 diverged\)/,
  );
  assert.match(
    full.answers[0],
    /Lau et al.'s own MNIST MLP .* ours λ̂ 1050\.0 \[.*\] \(2 of 2\/5 cells; none failed; test error 10\.00 %; over each chain's second half \(a burn-in chosen after seeing the traces\) λ̂ per chain 1000\.0–1200\.0, mean over seeds 1100\.0 \[.*\]\); they report λ̂ ≈ 950–1,084/,
  );
  assert.equal(full.answers[1], 'not run yet');
});

test('claims: a sweep that has only begun says so instead of fitting', () => {
  const [linear] = claims([{ profile: 'x', rows: sweep().slice(0, 4), cells: 54 }]);
  assert.match(linear.answers[0], /^too few cells yet for a fit \(4\/54 cells\)/);
});

test('claims: models that did not learn their task are named (train accuracy ≤ 1.5/k)', () => {
  const rows = sweep().map((r) =>
    r.architecture === 'mlp' && r.k === 2 && r.seed === 1 ? ({ ...r, trainAccuracy: 0.47 } as ResultRow) : r,
  );
  const failing = claims([{ profile: 'x', rows, cells: 54 }]).find((c) => c.claim.startsWith('the sampler'))!;
  assert.match(
    failing.answers[0],
    /\*\*training failed\*\* \(train accuracy ≤ 1\.5\/k, kept in the statistics\) in 1: MLP k=2 s1 47\.0 %/,
  );
});

test('claims: the shuffled-orders row pools every (order, seed) curve and says where each order bends', () => {
  // Three orders × two seeds: no gap up to k = 5, then MLP − CNN = 4k.
  const rows: ResultRow[] = [];
  for (const order of ['0123456789', '9876543210', '5038127469'])
    for (const seed of [0, 1])
      for (let k = 2; k <= 10; k++) {
        const noise = ((seed * 7 + k * 3 + order.charCodeAt(0)) % 5) / 10;
        rows.push(
          { ...row('mlp', k, seed, 10 * k + noise), order } as ResultRow,
          { ...row('cnn', k, seed, k > 5 ? 6 * k : 10 * k), order } as ResultRow,
        );
      }
  const shuffled = claims([{ profile: 'x', rows: sweep(), cells: 54, shuffled: { rows, cells: 108 } }]).find((c) =>
    c.claim.includes('shuffled'),
  )!;
  assert.match(shuffled.answers[0], /over 6 \(order, seed\) curves: .* → \*\*the gap's slope rises after 5\*\*/);
  assert.match(shuffled.answers[0], /\(3 orders × 2 seeds: 108\/108 cells, 0 failed \(left out\)\)/);
  assert.equal(claims([{ profile: 'x', rows: sweep(), cells: 54 }])[3].answers[0], 'not run yet');
});
