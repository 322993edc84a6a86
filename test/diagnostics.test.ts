import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, maxDrawShare, rhat, settleZ } from '../lib/diagnostics';
import { makeRng } from '../lib/rng';

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
});

test('one excursion that carries most of λ̂ is flagged as a spike, naming the chain and the draw', () => {
  const t = healthyTrace(500, 3);
  t[321] = 50; // one minibatch loss ~1000× the typical one
  const { share, index } = maxDrawShare(t, base.initLoss);
  assert.equal(index, 321);
  assert.ok(share > 0.5, `share ${share}`);
  const d = diagnose({ ...base, llcPerChain: [llcOf(t)], lossTraces: [t] });
  const spike = d.flags.find((f) => f.code === 'spike');
  assert.ok(spike, JSON.stringify(d.flags));
  assert.equal(spike.chain, 0);
  assert.match(spike.message, /one draw \(321,.*smaller epsilon or a larger gamma/);
  assert.ok(!d.flags.some((f) => f.code === 'unsettled'), 'the settling test alone misses it (the spike inflates its noise estimate)');
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
