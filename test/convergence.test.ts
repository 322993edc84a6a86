/**
 * Convergence diagnostics on constructed chains of known behaviour (seeded): AR(1) chains of
 * known ESS, shifted chains, the "4.9–7.0 with se 0.24" case classic R̂ missed, drifting
 * chains, and the false-alarm rate on stationary ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  diagnose,
  driftZ,
  effectiveSampleSize,
  essBulk,
  essTail,
  mcseMean,
  mcseOfMean,
  rhat,
  settleZ,
  splitRhat,
} from '../lib/estimator/diagnostics';
import { deriveSeed, fillNormal, makeRng } from '../lib/math/rng';

/** Stationary AR(1): x_t = ρ x_{t−1} + ε_t, ε ~ N(0, 1), started from its stationary law N(0, 1/(1 − ρ²)). */
function ar1(n: number, rho: number, seed: number): number[] {
  const e = fillNormal(new Float32Array(n), makeRng(seed));
  const out: number[] = new Array(n);
  let x = e[0] / Math.sqrt(1 - rho * rho);
  out[0] = x;
  for (let i = 1; i < n; i++) out[i] = x = rho * x + e[i];
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const chainsOf = (count: number, n: number, rho: number, label: string, seed = 0) =>
  Array.from({ length: count }, (_, c) => ar1(n, rho, deriveSeed(seed, label, rho, c)));

test('bulk ESS of AR(1) chains is N(1 − ρ)/(1 + ρ) within 10 % on average, 25 % each (4 × 2000 draws)', () => {
  for (const rho of [0.5, 0.9]) {
    const truth = (8000 * (1 - rho)) / (1 + rho);
    const ess = Array.from({ length: 6 }, (_, seed) => essBulk(chainsOf(4, 2000, rho, 'ess', seed)));
    const avg = mean(ess);
    assert.ok(
      Math.abs(avg / truth - 1) < 0.1,
      `ρ = ${rho}: mean ESS ${avg.toFixed(0)} vs ${truth.toFixed(0)} (${ess.map((e) => e.toFixed(0))})`,
    );
    for (const e of ess)
      assert.ok(Math.abs(e / truth - 1) < 0.25, `ρ = ${rho}: ESS ${e.toFixed(0)} vs ${truth.toFixed(0)}`);
  }
});

test('iid chains from one distribution: every R̂ ≈ 1, bulk and tail ESS ≈ the number of draws', () => {
  const chains = chainsOf(4, 2000, 0, 'iid');
  const r = splitRhat(chains);
  for (const [name, v] of Object.entries(r)) assert.ok(Math.abs(v - 1) < 0.005, `${name} R̂ = ${v}`);
  assert.ok(Math.abs(rhat(chains) - 1) < 0.005, `classic R̂ ${rhat(chains)}`);
  for (const [name, ess] of [
    ['bulk', essBulk(chains)],
    ['tail', essTail(chains)],
    ['plain', effectiveSampleSize(chains)],
  ] as const) {
    assert.ok(Math.abs(ess / 8000 - 1) < 0.1, `${name} ESS ${ess.toFixed(0)} vs 8000`);
  }
});

test('matches a NumPy/SciPy port of the ArviZ/Stan algorithms on 3 skewed, trending chains of odd length with a tie', () => {
  // Reference numbers: the same draws run through NumPy's FFT, scipy.stats.rankdata and
  // norm.ppf in an independent implementation of Vehtari et al.'s split-R̂ / ESS.
  const chains = [0, 1, 2].map((c) =>
    ar1(301, 0.7, deriveSeed(5, c)).map((v, i) => Math.exp(v / 2) + (c === 2 ? 0.3 : 0) + i * 1e-3),
  );
  chains[1][7] = chains[1][8];
  const rel = (a: number, b: number, what: string) => assert.ok(Math.abs(a / b - 1) < 1e-9, `${what}: ${a} vs ${b}`);
  const r = splitRhat(chains);
  rel(r.bulk, 1.0988592579146035, 'bulk R̂');
  rel(r.tail, 1.011486693786884, 'folded R̂');
  rel(essBulk(chains), 28.026782248981128, 'bulk ESS');
  rel(essTail(chains), 74.17064412947336, 'tail ESS');
  rel(effectiveSampleSize(chains), 88.73656363105019, 'ESS');
});

test('one chain shifted by one stationary SD: rank R̂ > 1.01 and the χ² agreement test fire', () => {
  const chains = chainsOf(4, 2000, 0.5, 'shift').map((c, i) =>
    i === 3 ? c.map((v) => v + 1 / Math.sqrt(1 - 0.25)) : c,
  );
  const r = splitRhat(chains);
  assert.ok(r.bulk > 1.01, `bulk R̂ ${r.bulk}`);
  const traces = chains.map((c) => c.map((v) => 1 + 0.01 * v));
  const d = diagnose({
    llcPerChain: traces.map((t) => 100 * (mean(t) - 0.9)),
    lossTraces: traces,
    numParams: 1e6,
    nbeta: 100,
  });
  assert.ok(d.rhatRank > 1.01 && d.chainAgreementP < 1e-6, `rank R̂ ${d.rhatRank}, p ${d.chainAgreementP}`);
  const flag = d.flags.find((f) => f.code === 'chainsDisagree');
  assert.ok(flag, JSON.stringify(d.flags));
  assert.match(flag.message, /rank-normalised split-R̂ = .* > 1\.01.*χ² = .*3 df/);
});

test('same location, one chain with a third of the variance: the folded (tail) R̂ sees what the bulk R̂ cannot', () => {
  const chains = chainsOf(4, 2000, 0.3, 'scale').map((c, i) => (i === 0 ? c.map((v) => v / Math.sqrt(3)) : c));
  const r = splitRhat(chains);
  assert.ok(r.tail > 1.01 && r.tail > r.bulk, `tail ${r.tail}, bulk ${r.bulk}`);
  assert.equal(r.rhat, r.tail);
});

test("the issue's case: four chains' λ̂ 4.9–7.0, within-chain se 0.24 — classic R̂ ≈ 1, chains flagged as disagreeing", () => {
  const nbeta = 100;
  const initLoss = 0.01;
  const n = 2000;
  const llcs = [4.9, 5.6, 6.3, 7.0];
  // iid per-draw noise of sd 0.24·√n in λ units (se of the mean 0.24), centred so λ̂ is exact.
  const traces = llcs.map((llc, c) => {
    const noise = ar1(n, 0, deriveSeed(7, 'issue', c)).map((v) => v * 0.24 * Math.sqrt(n));
    const m = mean(noise);
    return noise.map((v) => initLoss + (llc + v - m) / nbeta);
  });
  const llcPerChain = traces.map((t) => nbeta * (mean(t) - initLoss));
  llcPerChain.forEach((l, c) => assert.ok(Math.abs(l - llcs[c]) < 1e-9));
  const d = diagnose({ llcPerChain, lossTraces: traces, numParams: 1000, nbeta, initLoss });
  assert.ok(d.rhat < 1.01, `classic R̂ ${d.rhat}: it does not see this`);
  d.llcSe.forEach((se) => assert.ok(Math.abs(se / 0.24 - 1) < 0.15, `se ${se}`));
  assert.ok(d.chainAgreementP < 1e-6, `p ${d.chainAgreementP}`);
  assert.ok(
    d.flags.some((f) => f.code === 'chainsDisagree'),
    JSON.stringify(d.flags),
  );
  // λ̂ = 5.95 ± mcse: the spread over chains (sd 0.90/√4 = 0.45), not the within-chain 0.12.
  assert.ok(Math.abs(d.mcse - Math.sqrt(0.816667 / 4)) < 1e-3, `mcse ${d.mcse}`);
});

test('a slowly drifting chain (AR(1) ρ = 0.9 plus a trend of 3 stationary SDs over 2,000 draws) is flagged', () => {
  const sd = 1 / Math.sqrt(1 - 0.81);
  const drifting = (seed: number) => ar1(2000, 0.9, deriveSeed(seed, 'drift')).map((v, i) => v + (3 * sd * i) / 2000);
  const trace = drifting(0).map((v) => 1 + 0.01 * v);
  const d = diagnose({ llcPerChain: [100 * (mean(trace) - 0.9)], lossTraces: [trace], numParams: 1e6, nbeta: 100 });
  const flag = d.flags.find((f) => f.code === 'drifting');
  assert.ok(flag && flag.chain === 0, JSON.stringify(d.flags));
  assert.match(flag.message, /still drifts .*burn-in/);
  // Over 200 seeds: the drift test catches every one; the half-vs-half settle test misses some.
  const z = Array.from({ length: 200 }, (_, s) => drifting(s));
  const caught = z.filter((x) => Math.abs(driftZ(x)) > 4).length;
  const settled = z.filter((x) => Math.abs(settleZ(x)) > 4).length;
  assert.ok(caught >= 198, `drift test caught ${caught}/200`);
  assert.ok(caught >= settled, `settle test caught ${settled}/200`);
});

test('stationary AR(1) chains (ρ = 0.9, 2,000 draws): the drift and settle flags stay below 5 % false alarms', () => {
  let drift = 0;
  let settle = 0;
  for (let s = 0; s < 200; s++) {
    const x = ar1(2000, 0.9, deriveSeed(s, 'stationary'));
    if (Math.abs(driftZ(x)) > 4) drift++;
    if (Math.abs(settleZ(x)) > 4) settle++;
  }
  assert.ok(drift / 200 < 0.05, `drift false alarms ${drift}/200`);
  assert.ok(settle / 200 < 0.05, `settle false alarms ${settle}/200`);
});

test('healthy chains (4 × 2000, ρ = 0.5) rarely raise any flag, and λ̂ ± mcse covers the truth ≈ 95 % of the time', () => {
  let flagged = 0;
  let covered = 0;
  const R = 100;
  for (let s = 0; s < R; s++) {
    const traces = chainsOf(4, 2000, 0.5, 'healthy', s).map((c) => c.map((v) => 1 + 0.01 * v));
    const llcPerChain = traces.map((t) => 100 * (mean(t) - 0.9));
    const d = diagnose({ llcPerChain, lossTraces: traces, numParams: 1e6, nbeta: 100 });
    if (!d.healthy) flagged++;
    // True λ = 100·(1 − 0.9) = 10.
    if (Math.abs(mean(llcPerChain) - 10) < 1.96 * d.mcse) covered++;
  }
  assert.ok(flagged <= 8, `${flagged}/${R} healthy estimates flagged`);
  assert.ok(covered >= 88 && covered <= 100, `coverage ${covered}/${R}`);
});

test('a sticky chain (ρ = 0.99, 500 draws) has too few effective draws: lowEss', () => {
  const trace = ar1(500, 0.99, 3).map((v) => 1 + 0.001 * v);
  const d = diagnose({ llcPerChain: [100 * (mean(trace) - 0.9)], lossTraces: [trace], numParams: 1e6, nbeta: 100 });
  assert.ok(d.essBulk < 100, `ESS ${d.essBulk}`);
  assert.match(d.flags.find((f) => f.code === 'lowEss')!.message, /bulk ESS = \d+ < 100 per chain × 1.*numDraws/);
});

test('one chain: λ̂ ± its own autocorrelation-corrected error, never ± 0', () => {
  const x = ar1(2000, 0.9, 11);
  const se = mcseMean(x);
  // Theory: sd·√(τ/n) with τ = (1 + ρ)/(1 − ρ) = 19, sd = 1/√(1 − ρ²).
  const theory = Math.sqrt(19 / 0.19 / 2000);
  assert.ok(Math.abs(se / theory - 1) < 0.3, `se ${se} vs ${theory}`);
  assert.equal(mcseOfMean([mean(x)], [se]), se);
});
