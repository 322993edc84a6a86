/** The calibration rule (lib/experiments/calibration.ts) on constructed search points, and the cells it runs. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  CALIBRATION_DEFAULTS,
  burninFor,
  calibrationRule,
  calibrationPath,
  CalibrationPoint,
  CalibrationResult,
  readCalibration,
  writeCalibration,
  chooseEpsilon,
  chooseNbetaFactor,
  chooseStage1,
  nextStage1Cells,
  reachableEpsilons,
  redecide,
  stage1Cells,
  stage2Cells,
} from '../lib/experiments/calibration';
import { resolveCell } from '../lib/experiments/cell';
import { Architecture } from '../lib/models/models';
import { calibratedProfile, PROFILES, sweepCells } from '../lib/experiments/sweeps';
import { writeJsonAtomic } from '../lib/experiments/store';
import { calibrationRecords, calibrationVerdict, localizationCheck } from '../lib/report/calibration-report';

// burninRelaxations 0: every ε is tried at every γ with the fixed burn-in (the rule's other parts alone).
const o = {
  ...CALIBRATION_DEFAULTS,
  epsilons: [1e-5, 1e-4, 2e-4],
  gammas: [10, 100],
  ks: [2, 10],
  burninRelaxations: 0,
};

/** A grid where every point is healthy with λ̂ = 50·k, unless `edit` says otherwise. */
function grid(edit: (p: CalibrationPoint) => Partial<CalibrationPoint> = () => ({})): CalibrationPoint[] {
  const out: CalibrationPoint[] = [];
  for (const architecture of ['mlp', 'cnn'] as Architecture[])
    for (const gamma of o.gammas)
      for (const epsilon of o.epsilons)
        for (const nbetaFactor of [0.5, 1, 2])
          for (const k of o.ks) {
            const p: CalibrationPoint = {
              architecture,
              k,
              epsilon,
              gamma,
              nbetaFactor,
              llc: 50 * k,
              mcse: 2,
              minAcceptance: 0.95,
              rhatRank: 1.002,
              flags: [],
              healthy: true,
              reasons: [],
            };
            out.push({ ...p, ...edit(p) });
          }
  return out;
}

test('ε*: the largest healthy step size whose λ̂ agrees with the next smaller one', () => {
  assert.equal(chooseEpsilon(grid(), 'mlp', 10, o), 2e-4);
  // 2e-4 blows up at k = 10: the next one down is chosen.
  assert.equal(
    chooseEpsilon(
      grid((p) => (p.epsilon === 2e-4 && p.k === 10 ? { healthy: false } : {})),
      'mlp',
      10,
      o,
    ),
    1e-4,
  );
  // 2e-4 is healthy but biased (λ̂ 20 MCSEs above 1e-4's): not flat in ε.
  assert.equal(
    chooseEpsilon(
      grid((p) => (p.epsilon === 2e-4 ? { llc: 50 * p.k + 40 } : {})),
      'mlp',
      10,
      o,
    ),
    1e-4,
  );
  // The smallest ε has nothing below it to be flat against: never chosen alone.
  assert.equal(
    chooseEpsilon(
      grid((p) => (p.epsilon > 1e-5 ? { healthy: false } : {})),
      'mlp',
      10,
      o,
    ),
    null,
  );
});

test('flat in ε: a bias within flatTolerance passes however small the MCSE; a larger one, or tolerance 0, does not', () => {
  // 2e-4 sits 3 % above 1e-4 with MCSE 0.1 (≈ 10 combined MCSEs at k = 10): immaterial at 5 %.
  const biased = (rel: number) =>
    grid((p) => (p.epsilon === 2e-4 ? { llc: 50 * p.k * (1 + rel) } : {})).map((p) => ({ ...p, mcse: 0.1 }));
  assert.equal(chooseEpsilon(biased(0.03), 'mlp', 10, o), 2e-4);
  assert.equal(chooseEpsilon(biased(0.03), 'mlp', 10, { ...o, flatTolerance: 0 }), 1e-4);
  assert.equal(chooseEpsilon(biased(0.08), 'mlp', 10, o), 1e-4);
  // The rule's text states the tolerance the search used.
  assert.match(calibrationRule(o), /max\(3 MCSE, 5 % of λ̂\)/);
  assert.match(calibrationRule({ ...o, flatTolerance: 0 }), /within 3 MCSE of/);
});

test('γ*: the smallest γ at which every architecture has an ε*, shared; ε may differ by architecture', () => {
  const points = grid((p) =>
    p.architecture === 'cnn' && p.gamma === 10
      ? { healthy: false }
      : p.architecture === 'cnn' && p.epsilon === 2e-4
        ? { healthy: false }
        : {},
  );
  const s = chooseStage1(points, o);
  assert.equal(s.gamma, 100);
  assert.deepEqual(s.epsilon, { mlp: 2e-4, cnn: 1e-4 });
  assert.equal(s.perGamma.find((g) => g.gamma === 10)!.epsilon.cnn, null);
  assert.equal(
    chooseStage1(
      grid(() => ({ healthy: false })),
      o,
    ).gamma,
    null,
  );
});

test('nβ*: n/log n when healthy there, else the largest healthy factor below 1', () => {
  const chosen = { gamma: 10, epsilon: { mlp: 2e-4, cnn: 2e-4 } };
  assert.equal(chooseNbetaFactor(grid(), chosen, o), 1);
  assert.equal(
    chooseNbetaFactor(
      grid((p) => (p.nbetaFactor >= 1 ? { healthy: false } : {})),
      chosen,
      o,
    ),
    0.5,
  );
  assert.equal(
    chooseNbetaFactor(
      grid(() => ({ healthy: false })),
      chosen,
      o,
    ),
    null,
  );
});

test('the search runs ordinary cells: stage 1 is ε × γ × architecture × k at nβ = n/log n with the calibration chains; stage 2 the other nβ factors', () => {
  const base = sweepCells('writeup', PROFILES.tiny, { ks: [2], seeds: [0], architectures: ['mlp'] })[0];
  const cells = stage1Cells(base, o);
  assert.equal(cells.length, o.epsilons.length * o.gammas.length * 2 * o.ks.length);
  for (const c of cells) {
    assert.equal(c.llc.nbeta, 'auto');
    assert.equal(c.llc.numChains, o.numChains);
    assert.equal(c.llc.numBurnin, o.numBurnin);
    resolveCell(c); // valid cells
  }
  const s2 = stage2Cells(base, { gamma: 100, epsilon: { mlp: 1e-4, cnn: 1e-5 } }, o);
  assert.equal(s2.length, 2 * 2 * o.ks.length);
  assert.ok(s2.every((c) => typeof c.llc.nbeta === 'number' && c.llc.gamma === 100));
  assert.ok(s2.filter((c) => c.architecture === 'cnn').every((c) => c.llc.epsilon === 1e-5));
});

test('the search runs in waves: γ ascending, ε from the top, and nothing once the rule has decided', () => {
  const base = sweepCells('writeup', PROFILES.tiny, { ks: [2], seeds: [0], architectures: ['mlp'] })[0];
  const eps = (cells: ReturnType<typeof nextStage1Cells>) =>
    [...new Set(cells.map((c) => `${c.architecture} ${c.llc.gamma} ${c.llc.epsilon}`))].sort();
  // Nothing evaluated: the two largest ε at the smallest γ, for both architectures.
  assert.deepEqual(eps(nextStage1Cells([], base, o)), [
    'cnn 10 0.0001',
    'cnn 10 0.0002',
    'mlp 10 0.0001',
    'mlp 10 0.0002',
  ]);
  const all = grid();
  const only = (pred: (p: CalibrationPoint) => boolean) => all.filter((p) => p.nbetaFactor === 1 && pred(p));
  // Both healthy and flat at the top pair at γ = 10: decided.
  assert.deepEqual(
    nextStage1Cells(
      only((p) => p.gamma === 10 && p.epsilon >= 1e-4),
      base,
      o,
    ),
    [],
  );
  // The CNN fails at 2e-4: only it needs the next step size down.
  const cnnFails = only((p) => p.gamma === 10 && p.epsilon >= 1e-4).map((p) =>
    p.architecture === 'cnn' && p.epsilon === 2e-4 ? { ...p, healthy: false } : p,
  );
  assert.deepEqual(eps(nextStage1Cells(cnnFails, base, o)), ['cnn 10 0.00001']);
  // The CNN fails at every ε at γ = 10: γ = 100 is next, for both (a shared γ).
  const cnnNever = only((p) => p.gamma === 10).map((p) => (p.architecture === 'cnn' ? { ...p, healthy: false } : p));
  assert.deepEqual(eps(nextStage1Cells(cnnNever, base, o)), [
    'cnn 100 0.0001',
    'cnn 100 0.0002',
    'mlp 100 0.0001',
    'mlp 100 0.0002',
  ]);
});

test("profile 'calibrated': each dataset runs with its own calibration's choice, or is refused with the reason", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-cal-'));
  const save = (dataset: string, chosen: unknown) =>
    writeJsonAtomic(path.join(dir, 'calibration', `${dataset}.json`), {
      dataset,
      complete: true,
      chosen,
      numTrain: 797,
      options: { numChains: 4, numDraws: 1000, numBurnin: 500 },
    });
  save('mnist', null);
  save('mnist1d', { gamma: 1000, nbetaFactor: 1, epsilon: { mlp: 2e-4, cnn: 3e-5 } });
  const p = calibratedProfile(dir);
  const cells = sweepCells('writeup', p, { dataset: 'mnist1d', ks: [2], seeds: [0] });
  assert.deepEqual(
    cells.map((c) => [c.architecture, c.llc.epsilon, c.llc.gamma, c.llc.numChains]),
    [
      ['mlp', 2e-4, 1000, 4],
      ['cnn', 3e-5, 1000, 4],
    ],
  );
  assert.throws(() => sweepCells('writeup', p), /the mnist calibration .* found no setting that passes its rule/);
  // A calibration of polished models: the profile's cells get the same polish after full's training.
  const polish = [{ learningRate: 1e-3, epochs: 20 }];
  writeJsonAtomic(path.join(dir, 'calibration', 'mnist.json'), {
    dataset: 'mnist',
    complete: true,
    chosen: { gamma: 100, nbetaFactor: 1, epsilon: { mlp: 1e-4, cnn: 3e-5 } },
    numTrain: 12665,
    polish,
    options: { numChains: 4, numDraws: 1000, numBurnin: 500 },
  });
  const [mlp] = sweepCells('writeup', calibratedProfile(dir), { ks: [2], seeds: [0] });
  assert.deepEqual(mlp.train, { ...PROFILES.full.train, polish });
  assert.equal(mlp.llc.epsilon, 1e-4);
  assert.equal(
    'polish' in sweepCells('writeup', calibratedProfile(dir), { dataset: 'mnist1d', ks: [2] })[0].train,
    false,
  );
  save('mnist', null);
  save('mnist1d', null);
  assert.throws(() => calibratedProfile(dir), /mnist calibration .*no setting.*; and the mnist1d calibration/);
  // A choice that records each architecture's burn-in: the cells get it; one without keeps options.numBurnin.
  save('mnist1d', {
    gamma: 100,
    nbetaFactor: 1,
    epsilon: { mlp: 1e-4, cnn: 1e-5 },
    numBurnin: { mlp: 500, cnn: 3000 },
  });
  const m1d = sweepCells('writeup', calibratedProfile(dir), { dataset: 'mnist1d', ks: [2], seeds: [0] });
  assert.deepEqual(
    m1d.map((c) => [c.architecture, c.llc.epsilon, c.llc.numBurnin]),
    [
      ['mlp', 1e-4, 500],
      ['cnn', 1e-5, 3000],
    ],
  );
});

test('burn-in: at least 3 relaxation times 1/(εγ) of the slowest direction; step sizes that would need more than maxBurnin are not tried', () => {
  const r = { ...CALIBRATION_DEFAULTS, epsilons: [1e-6, 1e-5, 3e-5, 1e-4, 2e-4], gammas: [10, 100, 1000], ks: [2, 10] };
  assert.equal(burninFor(1e-5, 100, r), 3000); // not 3001: 3/(1e-5·100) rounds in floating point
  assert.equal(burninFor(3e-5, 100, r), 1000);
  assert.equal(burninFor(2e-4, 100, r), 500); // never below numBurnin
  assert.equal(burninFor(1e-6, 100, r), null); // 30,000 > 6,000
  assert.equal(burninFor(1e-6, 100, { ...r, maxBurnin: 40000 }), 30000);
  assert.equal(burninFor(1e-6, 100, { ...r, burninRelaxations: 0 }), 500);
  assert.deepEqual(reachableEpsilons(10, r), [2e-4, 1e-4]);
  assert.deepEqual(reachableEpsilons(100, r), [2e-4, 1e-4, 3e-5, 1e-5]);
  assert.deepEqual(reachableEpsilons(1000, r), [2e-4, 1e-4, 3e-5, 1e-5, 1e-6]);
  const base = sweepCells('writeup', PROFILES.tiny, { ks: [2], seeds: [0], architectures: ['mlp'] })[0];
  const cells = stage1Cells(base, r);
  assert.equal(cells.length, (2 + 4 + 5) * 2 * r.ks.length);
  for (const c of cells) assert.equal(c.llc.numBurnin, burninFor(c.llc.epsilon!, c.llc.gamma!, r));
  // ε* needs a smaller ε that can settle at γ to be flat against: at γ = 10 only 2e-4 and 1e-4 can,
  // so 1e-4 is never chosen there, and when 2e-4 fails the search moves on to γ = 100.
  const points: CalibrationPoint[] = cells.map((c) => ({
    architecture: c.architecture,
    k: c.k,
    epsilon: c.llc.epsilon!,
    gamma: c.llc.gamma!,
    nbetaFactor: 1,
    llc: 50 * c.k,
    mcse: 2,
    minAcceptance: 0.95,
    rhatRank: 1.002,
    flags: [],
    healthy: !(c.llc.gamma === 10 && c.llc.epsilon === 2e-4),
    reasons: [],
  }));
  assert.equal(chooseEpsilon(points, 'mlp', 10, r), null);
  assert.equal(chooseEpsilon(points, 'mlp', 100, r), 2e-4);
  const tens = points.filter((p) => p.gamma === 10);
  assert.deepEqual(
    [...new Set(nextStage1Cells(tens, base, r).map((c) => `${c.llc.gamma} ${c.llc.epsilon} ${c.llc.numBurnin}`))],
    ['100 0.0002 500', '100 0.0001 500'],
  );
});

test('a calibration saved under a variant is kept apart from the one the profile reads, and reported with its models', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-cal-'));
  const points = grid((p) => (p.epsilon === 2e-4 ? { healthy: false, reasons: ['negative λ̂'] } : {})).map((p) => ({
    ...p,
    gradNorm: p.k === 10 ? 0.5 : 0.03,
  }));
  const result: CalibrationResult = {
    dataset: 'mnist',
    profile: 'full',
    numTrain: 12665,
    polish: null,
    options: { ...CALIBRATION_DEFAULTS, ...o },
    rule: 'r',
    complete: true,
    chosen: null,
    perGamma: [{ gamma: 10, epsilon: { mlp: null, cnn: null } }],
    points,
    seconds: 1,
    cellSeconds: 600,
    finishedAt: '',
  };
  assert.equal(path.basename(writeCalibration(result, dir, 'plateau')), 'mnist-plateau.json');
  assert.equal(readCalibration('mnist', dir), null);
  assert.equal(readCalibration('mnist', dir, 'plateau')?.points.length, points.length);
  assert.equal(calibrationPath('mnist', dir), path.join(dir, 'calibration', 'mnist.json'));
  const verdict = calibrationVerdict(result);
  assert.match(verdict, /no polish\); ‖∇L_n\(w\*\)‖ 3\.0e-2–5\.0e-1/);
  assert.match(verdict, /No setting passed the rule\*\* among the 72 points evaluated \(10 min/);
  const polished = calibrationVerdict({
    ...result,
    polish: [{ learningRate: 1e-3, epochs: 20 }],
    chosen: { gamma: 100, nbetaFactor: 1, epsilon: { mlp: 1e-4, cnn: 3e-5 } },
  });
  assert.match(polished, /polished \(20 epochs at lr 0\.001\)/);
  assert.match(polished, /Chosen\*\*: γ = 100, nβ = 1 × n\/log n, ε = 0\.0001 \(MLP\), 0\.00003 \(CNN\)/);
  const records = calibrationRecords(result);
  assert.equal(records.length, points.length);
  assert.equal(records.find((r) => r.epsilon === 2e-4)!.verdict, 'negative λ̂');
  assert.equal(records[0].gradNorm, points[0].gradNorm);
});

test('redecide: a saved search judged by another rule from its own points, its timings kept; incomplete when it lacks a point the rule needs', () => {
  // The search ran at tolerance 0: 2e-4 (3 % above 1e-4, ≈ 10 combined MCSEs) failed, so it went on to 1e-5.
  const points = grid((p) => (p.epsilon === 2e-4 ? { llc: 50 * p.k * 1.03 } : {})).map((p) => ({ ...p, mcse: 0.1 }));
  // A file saved before burninRelaxations and flatTolerance existed: options without them.
  const { burninRelaxations: _b, flatTolerance: _f, ...older } = o;
  const s1 = chooseStage1(points, { ...o, flatTolerance: 0 });
  assert.deepEqual(s1.epsilon, { mlp: 1e-4, cnn: 1e-4 });
  const saved: CalibrationResult = {
    dataset: 'mnist',
    profile: 'full',
    numTrain: 12665,
    polish: null,
    options: older as CalibrationResult['options'],
    rule: 'old',
    complete: true,
    chosen: { gamma: 10, nbetaFactor: 1, epsilon: s1.epsilon },
    perGamma: s1.perGamma,
    points,
    seconds: 1234,
    cellSeconds: 600,
    finishedAt: 'then',
  };
  // Today's rule: the default tolerance where the file has none.
  const now = redecide(saved);
  assert.deepEqual(now.chosen, { gamma: 10, nbetaFactor: 1, epsilon: { mlp: 2e-4, cnn: 2e-4 } });
  assert.equal(now.complete, true);
  assert.equal(now.options.burninRelaxations, 0, 'an older file keeps the fixed burn-in it ran with');
  assert.equal('numBurnin' in now.chosen!, false, 'nor a per-architecture burn-in');
  assert.match(now.rule, /^largest ε healthy .* max\(3 MCSE, 5 % of λ̂\)/);
  assert.deepEqual([now.seconds, now.cellSeconds, now.finishedAt, now.points], [1234, 600, 'then', points]);
  assert.ok(now.redecidedAt);
  // Judged at tolerance 0 without the 1e-5 points the stricter rule needs: incomplete, no choice.
  const lacking = { ...saved, points: points.filter((p) => p.epsilon !== 1e-5) };
  const strict = redecide(lacking, { flatTolerance: 0 });
  assert.deepEqual([strict.complete, strict.chosen], [false, null]);
  // And at 0.05 the points it has suffice.
  assert.equal(redecide(lacking).complete, true);
});

test('localizationCheck: λ̂ at the chosen γ against the next smaller γ, and its scaling in nβ', () => {
  // λ̂ = 50k at γ = 10; at γ = 100 it is 10× smaller and proportional to nβ: localization sets it.
  const points = grid((p) => (p.gamma === 100 ? { llc: 5 * p.k * p.nbetaFactor } : {}));
  const cal = {
    options: { ...CALIBRATION_DEFAULTS, ...o },
    chosen: { gamma: 100, nbetaFactor: 1, epsilon: { mlp: 1e-4 } },
    points,
  } as unknown as CalibrationResult;
  const text = localizationCheck(cal)!;
  assert.match(text, /MLP, k = 10, ε = 0\.0001: λ̂ = 50\.00 ± 2\.00 at γ = 100; 500\.00 ± 2\.00 at γ = 10 \(10\.0×\)/);
  assert.match(text, /over nβ = 0\.5×, 1×, 2× n\/log n: 25\.00, 50\.00, 100\.00 \(λ̂ ∝ nβ\^1\.00\)/);
  assert.equal(localizationCheck({ ...cal, chosen: null }), null);
});
