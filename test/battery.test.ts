/**
 * The validation battery (lib/validation/battery.ts): its generator, its scoring and a short real run.
 * The full battery is `npm run validate -- --battery` (~30 min).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { dlnLambda } from '../lib/validation/aoyagi';
import { FlagCode } from '../lib/estimator/diagnostics';
import {
  BatteryProblem,
  batteryProblems,
  BatteryProgress,
  BatteryResult,
  BATTERY_SAMPLER,
  batterySettings,
  batterySummary,
  quantile,
  resolveBatteryOptions,
  resultRow,
  runBattery,
  scoreEstimate,
  selectProblems,
  summaryLines,
  withCurrentFlags,
} from '../lib/validation/battery';

import { setup } from './helpers';

before(setup);

// ---------------------------------------------------------------- generator

test('the default battery: ≥ 30 problems, 12 random shapes × 3 seeds + 3 regressions × 3 seeds, unique ids', () => {
  const ps = batteryProblems();
  assert.equal(ps.length, 45);
  assert.equal(new Set(ps.map((p) => p.id)).size, ps.length);
  assert.deepEqual([...new Set(ps.map((p) => p.seed))], [0, 1, 2]);
  for (const seed of [0, 1, 2]) {
    assert.equal(ps.filter((p) => p.seed === seed && p.kind === 'dln').length, 12);
    assert.deepEqual(
      ps.filter((p) => p.seed === seed && p.kind === 'regression').map((p) => p.widths[0]),
      [5, 20, 50],
    );
  }
});

test('the generator is deterministic per shape seed, and another shape seed draws other shapes', () => {
  assert.deepEqual(batteryProblems(), batteryProblems({ shapeSeed: 0 }));
  const shapes = (seed: number) =>
    batteryProblems({ shapeSeed: seed, problemSeeds: [0], regressionDims: [] }).map((p) => p.id);
  assert.notDeepEqual(shapes(0), shapes(1));
  assert.deepEqual(shapes(7), shapes(7));
});

test('more shapes or seeds add problems without changing the ones there were', () => {
  const base = batteryProblems({ problemSeeds: [0] });
  const more = batteryProblems({ problemSeeds: [0, 5], shapes: 20 });
  for (const p of base)
    assert.deepEqual(
      more.find((q) => q.id === p.id),
      p,
      p.id,
    );
});

test('shapes cover every depth 2–5 × rank class (1, full, between), widths 2–10, plus regression (L = 1)', () => {
  const ps = batteryProblems({ problemSeeds: [0] });
  const dln = ps.filter((p) => p.kind === 'dln');
  for (const L of [2, 3, 4, 5]) {
    for (const cls of ['one', 'full', 'between'])
      assert.ok(
        dln.some((p) => p.widths.length - 1 === L && p.rankClass === cls),
        `no depth ${L} with rank class ${cls}`,
      );
  }
  assert.ok(ps.some((p) => p.kind === 'regression' && p.widths.length === 2));
  for (const p of dln) {
    for (const w of p.widths) assert.ok(w >= 2 && w <= 10, `${p.id}: width ${w}`);
    const minW = Math.min(...p.widths);
    if (p.rankClass === 'one') assert.equal(p.rank, 1, p.id);
    if (p.rankClass === 'full') assert.equal(p.rank, minW, p.id);
    if (p.rankClass === 'between') assert.ok(p.rank > 1 && p.rank < minW, p.id);
  }
  // Over many shapes the ranks spread well beyond the classes' 1 and 2 (high ranks are rare: they
  // need every width high; 300 shapes of seed 0 draw rank 7 three times, 8 and 9 once).
  const many = batteryProblems({ shapes: 300, problemSeeds: [0], regressionDims: [] });
  for (let r = 1; r <= 7; r++)
    assert.ok(
      many.some((p) => p.rank === r),
      `rank ${r} never drawn`,
    );
});

test("truths are Aoyagi's λ (aoyagi.ts): d/2 for regression, dlnLambda for each DLN", () => {
  for (const p of batteryProblems()) {
    if (p.kind === 'regression') assert.equal(p.truth, p.widths[0] / 2, p.id);
    else assert.equal(p.truth, dlnLambda(p.widths, p.rank), p.id);
    assert.equal(
      p.numParams,
      p.widths.slice(1).reduce((a, w, i) => a + w * p.widths[i], 0),
      p.id,
    );
  }
  // Known values (README table; Aoyagi & Watanabe 2005 for two layers).
  assert.equal(dlnLambda([5, 3, 5], 1), 8);
  assert.equal(dlnLambda([5, 4, 3, 5], 2), 9);
  assert.equal(dlnLambda([20, 1], 1), 10);
});

test('bad battery options are errors naming the value and what is valid', () => {
  assert.throws(() => resolveBatteryOptions({ depths: [1, 3] }), /depths has 1; valid: integers 2 or more/);
  assert.throws(() => resolveBatteryOptions({ problemSeeds: [0, 0] }), /problemSeeds lists a value twice/);
  assert.throws(() => resolveBatteryOptions({ maxWidth: 1 }), /maxWidth has 1; valid: integers 2/);
  assert.throws(() => resolveBatteryOptions({ depth: [2] } as never), /unknown option 'depth'; valid: shapeSeed/);
  assert.throws(() => resolveBatteryOptions({ maxWidth: 2 }), /'between' needs a smallest width ≥ 3/);
});

// ---------------------------------------------------------------- scoring

const problem = (id: string, truth: number): BatteryProblem => ({
  id,
  kind: 'dln',
  widths: [3, 2, 3],
  rank: 1,
  rankClass: 'one',
  seed: 0,
  n: 100,
  truth,
  numParams: 12,
});

function result(id: string, truth: number, estimate: number, mcse: number, flags: FlagCode[] = []): BatteryResult {
  return {
    problem: problem(id, truth),
    estimate,
    mcse,
    ...scoreEstimate(truth, estimate, mcse),
    flags,
    failedChains: [],
    llcPerChain: [],
    acceptancePerChain: [],
    rhatRank: 1,
    essBulk: 1000,
    samplerSeed: 0,
    seconds: 2,
  };
}

test("withCurrentFlags: a stored result gets the equipartition flag today's checks raise from its stored virial/d", () => {
  const old = { ...result('a', 10, 10.5, 0.2, ['lowEss']), equipartitionPerChain: [0.3, 0.4] };
  assert.deepEqual(withCurrentFlags(old).flags, ['lowEss', 'notEquilibrated']);
  assert.deepEqual(withCurrentFlags(withCurrentFlags(old)).flags, ['lowEss', 'notEquilibrated'], 'idempotent');
  assert.deepEqual(
    withCurrentFlags({ ...old, flags: ['notEquilibrated'], equipartitionPerChain: [1.0, 0.95] }).flags,
    [],
  );
  assert.deepEqual(withCurrentFlags(result('b', 10, 10, 0.1)).flags, [], 'stored before the virial existed: unchanged');
  assert.deepEqual(
    withCurrentFlags({ ...old, flags: [], failedChains: [1], equipartitionPerChain: [1.0, 0.01] }).flags,
    [],
    'a failed chain does not count',
  );
  assert.equal(withCurrentFlags(old).estimate, old.estimate);
});

test('scoreEstimate: relative error, and λ ∈ λ̂ ± 1.96·MCSE (NaN λ̂ or MCSE is never covered)', () => {
  assert.deepEqual(scoreEstimate(10, 11, 0.5), { relError: 0.1, covered: false });
  assert.equal(scoreEstimate(10, 11, 0.52).covered, true);
  assert.equal(scoreEstimate(10, 9, 0.52).covered, true);
  assert.equal(scoreEstimate(10, 11, NaN).covered, false);
  const failed = scoreEstimate(10, NaN, 1);
  assert.ok(Number.isNaN(failed.relError));
  assert.equal(failed.covered, false);
});

test('quantile is type 7 (NumPy default)', () => {
  assert.equal(quantile([4, 1, 3, 2], 0.25), 1.75);
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(quantile([5], 0.75), 5);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('batterySummary counts silent failures, caught errors, false alarms and coverage on a constructed list', () => {
  const results = [
    result('ok', 10, 10.2, 0.2), // +2 %, covered, no flag
    result('silent-low', 10, 8.5, 0.3), // −15 %, no flag: silent
    result('silent-high', 20, 22.4, 0.5, []), // +12 %: silent
    result('caught', 10, 7, 0.3, ['drifting', 'lowEss']), // −30 %, flagged
    result('false-alarm', 10, 10.5, 0.3, ['lowAcceptance']), // +5 %, flagged, covered
    result('failed', 10, NaN, NaN, ['diverged']), // no estimate: wrong, flagged
    result('edge', 10, 11, 0.2), // exactly +10 %: not wrong
  ];
  const s = batterySummary(results);
  assert.equal(s.problems, 7);
  assert.equal(s.finite, 6);
  assert.equal(s.wrong, 4);
  assert.equal(s.flagged, 3);
  assert.equal(s.caught, 2);
  assert.equal(s.silentFailures, 2);
  assert.deepEqual(s.silent, ['silent-low', 'silent-high']);
  assert.equal(s.falseAlarms, 1);
  assert.equal(s.covered, 2);
  assert.equal(s.coverage, 2 / 6);
  assert.deepEqual(s.byFlag, { drifting: 1, lowEss: 1, lowAcceptance: 1, diverged: 1 });
  const errors = [0.02, -0.15, 0.12, -0.3, 0.05, 0.1];
  assert.ok(Math.abs(s.error.median - 0.035) < 1e-12, String(s.error.median));
  assert.ok(Math.abs(s.error.q1 - quantile(errors, 0.25)) < 1e-12);
  assert.ok(Math.abs(s.error.q3 - quantile(errors, 0.75)) < 1e-12);
  assert.ok(Math.abs(s.error.min + 0.3) < 1e-12);
  assert.ok(Math.abs(s.error.maxAbs - 0.3) < 1e-12);
  assert.equal(s.seconds, 14);
  // At a 5 % tolerance the unflagged +10 % edge becomes silent; the flagged +5 % stays a false alarm.
  const tight = batterySummary(results, 0.05);
  assert.deepEqual(tight.silent, ['silent-low', 'silent-high', 'edge']);
  assert.equal(tight.falseAlarms, 1);
  // The printed forms say the same.
  assert.match(resultRow(results[1], 1), /-15\.0 % \*\*SILENT\*\*/);
  assert.doesNotMatch(resultRow(results[3], 3), /SILENT/);
  const text = summaryLines(s).join('\n');
  assert.match(text, /\| 7 \| 6 \| \+3\.5 % \|/);
  assert.match(text, /Silent failures \(off by more than 10 % with no flag\): silent-low, silent-high\./);
});

test('batterySummary of no results is empty, not an error', () => {
  const s = batterySummary([]);
  assert.equal(s.problems, 0);
  assert.equal(s.silentFailures, 0);
  assert.ok(Number.isNaN(s.coverage) && Number.isNaN(s.error.median));
});

// ---------------------------------------------------------------- command line

test('a short real run: finite λ̂ with MCSE > 0 per problem, progress to 100 %, results in order', () => {
  // One small DLN and one regression, n = 500, 2 short chains: seconds, not minutes.
  const problems = batteryProblems({
    shapes: 1,
    depths: [2],
    maxWidth: 4,
    problemSeeds: [0],
    regressionDims: [5],
    n: 500,
  });
  assert.deepEqual(
    problems.map((p) => p.kind),
    ['dln', 'regression'],
  );
  const progress: BatteryProgress[] = [];
  const seen: string[] = [];
  const results = runBattery(
    problems,
    { epsilon: 1e-4, gamma: 1, numChains: 2, numDraws: 300, numBurnin: 100, batchSize: 64, seed: 0 },
    (p) => progress.push(p),
    (r) => seen.push(r.problem.id),
  );
  assert.deepEqual(
    seen,
    problems.map((p) => p.id),
  );
  for (const r of results) {
    assert.ok(Number.isFinite(r.estimate), `${r.problem.id}: λ̂ = ${r.estimate}`);
    assert.ok(r.mcse > 0 && Number.isFinite(r.mcse), `${r.problem.id}: MCSE = ${r.mcse}`);
    assert.equal(r.llcPerChain.length, 2);
    assert.ok(r.seconds > 0);
    assert.deepEqual(scoreEstimate(r.problem.truth, r.estimate, r.mcse), { relError: r.relError, covered: r.covered });
  }
  // The regression (λ = 2.5) is regular and easy: even short chains land near it.
  const reg = results[1];
  assert.ok(Math.abs(reg.relError) < 0.35, `regression d = 5: λ̂ = ${reg.estimate}`);
  const fractions = progress.map((p) => p.fraction);
  assert.ok(
    fractions.every((f, i) => i === 0 || f >= fractions[i - 1]),
    'progress never goes back',
  );
  assert.equal(fractions.at(-1), 1);
  assert.equal(progress.length, 2 * 2 * 400);
  // Same seeds, same numbers.
  const again = runBattery(problems.slice(1), {
    epsilon: 1e-4,
    gamma: 1,
    numChains: 2,
    numDraws: 300,
    numBurnin: 100,
    batchSize: 64,
    seed: 0,
  });
  assert.equal(again[0].estimate, reg.estimate);
  assert.equal(batterySummary(results).problems, 2);
});

test('the control variate is part of the battery settings (a run with it never reuses plain results), and absent when off', () => {
  const plain = batterySettings(BATTERY_SAMPLER, 2000);
  const cv = batterySettings({ ...BATTERY_SAMPLER, controlVariate: true }, 2000);
  assert.ok(!('controlVariate' in plain.sampler));
  assert.equal(cv.sampler.controlVariate, true);
  assert.notDeepEqual(cv, plain);
  assert.deepEqual(batterySettings({ ...BATTERY_SAMPLER, controlVariate: false }, 2000), plain);
});

test("selectProblems keeps the listed ids in the battery's order and names an unknown id with the valid ones", () => {
  const problems = batteryProblems({ shapes: 2, problemSeeds: [0, 1], regressionDims: [5] });
  const [a, b] = [problems[3].id, problems[0].id];
  assert.deepEqual(
    selectProblems(problems, [a, b]).map((p) => p.id),
    [b, a],
  );
  assert.throws(
    () => selectProblems(problems, ['dln-nope']),
    (e: Error) => e.message.includes("no problem 'dln-nope'") && e.message.includes(`valid: ${problems[0].id}`),
  );
});
