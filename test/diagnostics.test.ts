import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  collapsedDecile,
  autocovariance,
  chainAgreement,
  diagnose,
  driftZ,
  equipartitionFlag,
  maxDrawShare,
  mcseOfMean,
  rankNormalize,
  rhat,
  settleZ,
  splitChains,
  splitRhat,
} from '../lib/estimator/diagnostics';
import { makeRng } from '../lib/math/rng';
import { chiSquareUpperTail, normalQuantile } from '../lib/math/stats';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} ± ${tol}`);

/** A stationary trace L_n(w*) + |noise|, as a healthy chain's minibatch losses look. */
function healthyTrace(n: number, seed: number, level = 0.05): number[] {
  const rng = makeRng(seed);
  return Array.from({ length: n }, () => 0.01 + level * Math.abs(rng.normal()));
}

const base = { numParams: 1000, nbeta: 100, initLoss: 0.01 };
const llcOf = (t: number[]) => base.nbeta * (t.reduce((a, b) => a + b, 0) / t.length - base.initLoss);

test('a healthy stationary trace raises no flag', () => {
  const traces = [healthyTrace(500, 1), healthyTrace(500, 2)];
  const d = diagnose({ ...base, llcPerChain: traces.map(llcOf), lossTraces: traces });
  assert.deepEqual(d.flags, []);
  assert.ok(d.healthy && d.rhat < 1.1, `R̂ = ${d.rhat}`);
  assert.ok(d.rhatRank < 1.01 && d.rhatRank >= d.rhatBulk && d.rhatRank >= d.rhatTail, `rank R̂ ${d.rhatRank}`);
  // iid draws: ESS ≈ the 1000 draws; λ̂ ± mcse with mcse > 0; the chains agree.
  assert.ok(d.essBulk > 850 && d.essBulk < 1150, `ESS ${d.essBulk}`);
  assert.ok(d.essTail > 700, `tail ESS ${d.essTail}`);
  assert.ok(d.mcse > 0 && d.llcSe.every((se) => se > 0), `mcse ${d.mcse}, per chain ${d.llcSe}`);
  assert.ok(d.chainAgreementP > 0.01, `p ${d.chainAgreementP}`);
  assert.equal(d.driftZ.length, 2);
});

test('one excursion that carries most of λ̂ is flagged as a spike, naming the chain and the draw', () => {
  const t = healthyTrace(500, 3);
  [t[320], t[321], t[322]] = [5, 50, 20]; // the loss climbs out of the basin and back over 3 draws
  const { share, index, excursion } = maxDrawShare(t, base.initLoss);
  assert.equal(index, 321);
  assert.ok(share > 0.5 && excursion, `share ${share}`);
  const d = diagnose({ ...base, llcPerChain: [llcOf(t)], lossTraces: [t] });
  const spike = d.flags.find((f) => f.code === 'spike');
  assert.ok(spike, JSON.stringify(d.flags));
  assert.equal(spike.chain, 0);
  assert.match(spike.message, /one draw \(321,.*smaller epsilon or a larger gamma/);
  assert.ok(
    !d.flags.some((f) => f.code === 'unsettled'),
    'the settling test alone misses it (the spike inflates its noise estimate)',
  );
  assert.deepEqual(d.failedChains, [0], 'a spike fails its chain');
  // Nor is it a drift: a spike, even at the last draw, moves the slope's z by about √3 at most.
  const last = healthyTrace(500, 3);
  last[499] = 50;
  assert.ok(Math.abs(driftZ(last)) < 2 && !d.flags.some((f) => f.code === 'drifting'), `drift z ${driftZ(last)}`);
});

test('one large minibatch loss between ordinary draws is the heavy tail (as at k = 2, full n), not a spike', () => {
  const t = healthyTrace(500, 3);
  t[321] = 3; // one unlucky minibatch, ~25× the 99th percentile: the draws before and after are ordinary
  const { share, excursion } = maxDrawShare(t, base.initLoss);
  assert.ok(share > 0.1 && !excursion, `share ${share}`);
  const d = diagnose({ ...base, llcPerChain: [llcOf(t)], lossTraces: [t] });
  assert.ok(!d.flags.some((f) => f.code === 'spike'), JSON.stringify(d.flags));
  assert.deepEqual(d.failedChains, []);
});

test('one exploded draw (loss 1e15, as full-profile CNN chains at the write-up settings show) exceeds d/2 and is a spike', () => {
  const t = healthyTrace(2000, 11);
  t[1721] = 1.3e15;
  const d = diagnose({ ...base, llcPerChain: [llcOf(t)], lossTraces: [t] });
  const codes = d.flags.map((f) => f.code);
  assert.ok(codes.includes('exceedsHalfDim') && codes.includes('spike'), codes.join());
});

test('a drifting trace is unsettled; disagreeing chains raise R̂; negative and > d/2 are flagged', () => {
  const drift = healthyTrace(500, 4).map((v, i) => v + i * 1e-4);
  assert.ok(Math.abs(settleZ(drift)) > 4);
  const low = healthyTrace(500, 5);
  const high = healthyTrace(500, 6).map((v) => v + 0.2);
  assert.ok(rhat([low, high]) > 1.1);
  const below = healthyTrace(500, 7).map((v) => v - 0.05);
  const huge = healthyTrace(500, 8).map((v) => v + 10);
  const d = diagnose({ ...base, llcPerChain: [drift, below, huge].map(llcOf), lossTraces: [drift, below, huge] });
  const codes = (c: number) => d.flags.filter((f) => f.chain === c).map((f) => f.code);
  assert.ok(codes(0).includes('unsettled'), codes(0).join());
  assert.ok(codes(1).includes('negative'), codes(1).join());
  assert.ok(codes(2).includes('exceedsHalfDim'), codes(2).join());
  assert.ok(d.flags.some((f) => f.code === 'chainsDisagree'));
});

test('a non-finite trace fails its chain, which is named and excluded', () => {
  const t = healthyTrace(200, 9);
  t[17] = NaN;
  const ok = healthyTrace(200, 10);
  const d = diagnose({ ...base, llcPerChain: [NaN, llcOf(ok)], lossTraces: [t, ok] });
  assert.deepEqual(d.failedChains, [0]);
  assert.match(d.flags.find((f) => f.code === 'diverged')!.message, /chain 0 diverged: loss is NaN at draw 17/);
});

test('Φ⁻¹ (AS241) matches reference values in all three of its ranges', () => {
  // Reference values: SciPy's norm.ppf (Cephes ndtri).
  const cases: [number, number][] = [
    [0.975, 1.959963984540054],
    [0.001, -3.090232306167813],
    [0.6, 0.2533471031357997],
    [0.9, 1.2815515655446004],
    [1e-10, -6.361340902404056],
    [1e-20, -9.262340089798409],
  ];
  for (const [p, x] of cases) close(normalQuantile(p), x, 1e-12 * Math.max(1, Math.abs(x)), `Φ⁻¹(${p})`);
  assert.equal(normalQuantile(0.5), 0);
  close(normalQuantile(0.3) + normalQuantile(0.7), 0, 1e-15, 'symmetry');
  assert.equal(normalQuantile(0), -Infinity);
  assert.equal(normalQuantile(1), Infinity);
  assert.ok(Number.isNaN(normalQuantile(1.5)) && Number.isNaN(normalQuantile(NaN)));
});

test('χ² upper tail matches reference values (series and continued-fraction branches)', () => {
  // SciPy's chi2.sf.
  close(chiSquareUpperTail(11.344866730144373, 3), 0.01, 1e-12, 'χ²₃ 99 %');
  close(chiSquareUpperTail(0.5, 4), 0.9735009788392561, 1e-12, 'χ²₄(0.5)');
  close(chiSquareUpperTail(3, 1), 0.08326451666355042, 1e-10, 'χ²₁(3)');
  close(chiSquareUpperTail(42.5, 3) / 3.1423679948110406e-9, 1, 1e-8, 'χ²₃(42.5) relative');
  assert.equal(chiSquareUpperTail(0, 2), 1);
  assert.ok(Number.isNaN(chiSquareUpperTail(1, 0)));
});

test('classic R̂ (eqs. 1–4) and rank-normalised split-R̂ on a hand-computable case', () => {
  // Split chains [1,2] [3,4] [5,6] [7,8]: W = 0.5, B = 2·var(1.5, 3.5, 5.5, 7.5) = 40/3,
  // var⁺ = W/2 + B/2 = 83/12, R̂ = √(var⁺/W) = √(83/6).
  close(
    rhat([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]),
    Math.sqrt(83 / 6),
    1e-12,
    'classic R̂',
  );
  const chains = [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
  ];
  assert.deepEqual(splitChains(chains), [
    [1, 2],
    [3, 4],
    [5, 6],
    [7, 8],
  ]);
  // Normal scores z_r = Φ⁻¹((r − 3/8)/(8 + 1/4)) of ranks 1…8 (eq. 14).
  const z = rankNormalize(splitChains(chains));
  close(z[0][0], normalQuantile(0.625 / 8.25), 1e-15, 'z of rank 1');
  close(z[0][0], -1.4342001596863792, 1e-12, 'z of rank 1 (SciPy)');
  const r = splitRhat(chains);
  close(r.bulk, 2.9994207791566874, 1e-12, 'bulk R̂');
  // Folded |θ − 4.5| has ties (0.5, 0.5, 1.5, 1.5, …): average ranks [7.5, 5.5] [3.5, 1.5] [1.5, 3.5] [5.5, 7.5].
  close(r.tail, 1.618658569695271, 1e-12, 'folded R̂');
  assert.equal(r.rhat, Math.max(r.bulk, r.tail));
  // Ranks make it invariant to monotone transforms; an odd length drops the middle draw.
  const t = splitRhat(chains.map((c) => c.map((v) => Math.exp(3 * v))));
  close(t.bulk, r.bulk, 1e-12, 'after exp');
  assert.deepEqual(splitChains([[1, 2, 99, 3, 4]]), [
    [1, 2],
    [3, 4],
  ]);
  assert.ok(Number.isNaN(splitRhat([[1, 2, 3]]).rhat), 'halves of one draw');
  assert.ok(
    Number.isNaN(
      splitRhat([
        [2, 2, 2, 2],
        [2, 2, 2, 2],
      ]).rhat,
    ),
    'constant chains',
  );
});

test('FFT autocovariance equals the direct sums (divisor n)', () => {
  const rng = makeRng(21);
  const xs = Array.from({ length: 37 }, () => rng.normal());
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const g = autocovariance(xs);
  for (const t of [0, 1, 5, 36]) {
    let s = 0;
    for (let i = 0; i + t < xs.length; i++) s += (xs[i] - m) * (xs[i + t] - m);
    close(g[t], s / xs.length, 1e-12, `γ̂_${t}`);
  }
});

test("chainAgreement: Cochran's Q by hand; errors name the bad value", () => {
  // Estimates 1 and 3 with se 1: weighted mean 2, Q = 1 + 1 = 2 on 1 df, p = P(χ²₁ > 2).
  const a = chainAgreement([1, 3], [1, 1]);
  assert.equal(a.q, 2);
  assert.equal(a.df, 1);
  close(a.p, 0.15729920705028105, 1e-10, 'p');
  // Unequal errors: the centre is the inverse-variance weighted mean, 1.2 here, not 2; with two
  // chains Q = (λ̂₁ − λ̂₂)²/(se₁² + se₂²) = 4/2.5.
  close(chainAgreement([1, 3], [0.5, 1.5]).q, 0.2 ** 2 / 0.25 + 1.8 ** 2 / 2.25, 1e-12, 'weighted Q');
  close(chainAgreement([1, 3], [0.5, 1.5]).q, 1.6, 1e-12, 'two-chain identity');
  assert.ok(Number.isNaN(chainAgreement([5], [0.2]).p), 'one chain: nothing to compare');
  assert.throws(() => chainAgreement([1, 2], [0.1]), /2 estimates but 1 standard errors/);
  assert.throws(() => chainAgreement([1, 2], [0.1, NaN]), /chain 1 must be ≥ 0, got NaN/);
});

test('mcseOfMean: the larger of between-chain and within-chain error; one chain keeps its own error', () => {
  assert.equal(mcseOfMean([5], [0.3]), 0.3);
  // Two chains 2 apart with tiny errors: the spread over chains (sd/√2 = 1) dominates.
  close(mcseOfMean([4, 6], [0.01, 0.01]), 1, 1e-12, 'between');
  // Identical estimates: the within-chain errors, √(0.3² + 0.4²)/2, not 0.
  close(mcseOfMean([5, 5], [0.3, 0.4]), 0.25, 1e-12, 'within');
  assert.ok(Number.isNaN(mcseOfMean([], [])));
  assert.throws(() => mcseOfMean([1, 2], [0.1]), /2 estimates but 1 standard errors/);
});

test('MALA acceptance per chain feeds lowAcceptance with the existing threshold', () => {
  const traces = [healthyTrace(500, 1), healthyTrace(500, 2)];
  const d = diagnose({ ...base, llcPerChain: traces.map(llcOf), lossTraces: traces, acceptance: [0.93, 0.31] });
  const low = d.flags.filter((f) => f.code === 'lowAcceptance');
  assert.deepEqual(
    low.map((f) => f.chain),
    [1],
  );
  assert.match(low[0].message, /chain 1: MALA acceptance 0\.31 < 0\.5.*epsilon may be too large/);
  assert.equal(
    diagnose(
      { ...base, llcPerChain: traces.map(llcOf), lossTraces: traces, acceptance: [0.6, 0.6] },
      { acceptance: 0.7 },
    ).flags.filter((f) => f.code === 'lowAcceptance').length,
    2,
  );
});

test("notEquilibrated: the chains' mean virial/d below 0.8, failed chains and NaN left out", () => {
  const traces = [healthyTrace(500, 1), healthyTrace(500, 2)];
  const run = (equipartition: number[], thresholds = {}) =>
    diagnose({ ...base, llcPerChain: traces.map(llcOf), lossTraces: traces, equipartition }, thresholds).flags.filter(
      (f) => f.code === 'notEquilibrated',
    );
  const [flag] = run([0.3, 0.4]);
  assert.match(flag.message, /mean virial .* over d is 0\.35 < 0\.8 .*1\/\(εγ\)/);
  assert.equal(flag.chain, undefined);
  assert.equal(run([0.95, 1.1]).length, 0);
  assert.equal(run([0.7, 0.95]).length, 0, 'the mean over chains, 0.825, is what counts');
  assert.equal(run([NaN, NaN]).length, 0, 'no virial (no MALA terms): not checked');
  assert.equal(run([0.95, 1.1], { equipartition: 1.1 }).length, 1);
  // A diverged chain's virial does not count.
  const bad = [healthyTrace(500, 1), [...healthyTrace(499, 2), NaN]];
  const d = diagnose({ ...base, llcPerChain: bad.map(llcOf), lossTraces: bad, equipartition: [1.0, 0.01] });
  assert.ok(!d.flags.some((f) => f.code === 'notEquilibrated'));
  assert.equal(equipartitionFlag(undefined), null);
  assert.equal(equipartitionFlag([0.79])?.code, 'notEquilibrated');
});

test('collapse: a chain whose loss sits at chance (uniform predictions) fails; healthy ones, a w* at chance, or no chance loss do not', () => {
  const k = 8;
  const chance = Math.log(k);
  const healthy = Array.from({ length: 1000 }, (_, i) => 0.05 + 0.01 * Math.sin(i));
  const collapsed = healthy.map((v, i) => (i < 700 ? v : chance + 0.001 * Math.cos(i)));
  const nbeta = 1341;
  const llc = (t: number[]) => nbeta * (t.reduce((a, v) => a + v, 0) / t.length - 0.05);
  const input = {
    llcPerChain: [llc(healthy), llc(collapsed)],
    lossTraces: [healthy, collapsed],
    numParams: 100000,
    nbeta,
    initLoss: 0.05,
    chanceLoss: chance,
  };
  const d = diagnose(input);
  const flag = d.flags.find((f) => f.code === 'collapsed');
  assert.ok(flag, 'the collapsed chain is flagged');
  assert.equal(flag.chain, 1);
  assert.match(flag.message, /draws 700–799 sit at the chance loss \(mean 2\.079, sd 0\.001; log k = 2\.079/);
  assert.deepEqual(d.failedChains, [1], 'and fails; the healthy one counts');
  assert.equal(diagnose({ ...input, chanceLoss: undefined }).flags.filter((f) => f.code === 'collapsed').length, 0);
  assert.equal(collapsedDecile(collapsed, chance, chance), null, 'a w* already at chance has nothing to collapse from');
  assert.equal(collapsedDecile(healthy, 0.05, chance), null);
  assert.deepEqual(collapsedDecile(collapsed, 0.05, chance)?.from, 700);
});

test('collapse is a plateau, not a hot chain: a chain wandering near chance with minibatch noise is not flagged', () => {
  const chance = Math.log(10);
  const rng = makeRng(4);
  const hot = Array.from({ length: 1000 }, () => chance * (0.97 + 0.2 * rng.normal()));
  assert.equal(collapsedDecile(hot, 0.5, chance), null, 'sd 20 % of chance: sampling, not a collapse');
  const plateau = hot.map((v, i) => (i >= 500 ? chance * (1 + 0.01 * rng.normal()) : v));
  assert.equal(collapsedDecile(plateau, 0.5, chance)?.from, 500);
});
