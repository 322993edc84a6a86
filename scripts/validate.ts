/**
 * Longer ground-truth validation of the λ̂ estimator (the fast versions are in
 * test/llc.test.ts and test/groundtruth.test.ts). Prints the table quoted in the README.
 *   npm run validate
 */
import { initBackend } from '../lib/backend';
import { dlnProblem } from '../lib/groundtruth';
import { estimateLlc, LlcOptions } from '../lib/llc';
import { bar, StatusLine } from '../lib/progress';

const CASES: { widths: number[]; rank?: number }[] = [
  { widths: [10, 1] }, // linear regression, d = 10: λ = 5
  { widths: [50, 1] }, // d = 50: λ = 25
  { widths: [5, 3, 5], rank: 1 },
  { widths: [5, 3, 5], rank: 3 },
  { widths: [4, 3, 3, 4], rank: 1 },
  { widths: [5, 4, 3, 5], rank: 2 },
  { widths: [8, 6, 4, 6, 8], rank: 2 },
];

const SAMPLER: LlcOptions = { epsilon: 3e-5, gamma: 1, numChains: 4, numDraws: 6000, numBurnin: 1000, batchSize: 256, seed: 0 };

async function main(): Promise<void> {
  const backend = await initBackend();
  const status = new StatusLine();
  console.log(`backend ${backend}; n = 2000, SGLD ε = ${SAMPLER.epsilon}, γ = ${SAMPLER.gamma}, ${SAMPLER.numChains} chains × ${SAMPLER.numDraws} draws (+${SAMPLER.numBurnin} burn-in), m = ${SAMPLER.batchSize}, nβ = n/log n`);
  console.log('| model | d | d/2 | true λ | λ̂ (mean ± sd over chains) | error | flags | seconds |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of CASES) {
    const p = dlnProblem({ widths: c.widths, rank: c.rank, n: 2000, seed: 0 });
    try {
      const r = estimateLlc(p.lossFn, p.wStar, p.data, { ...SAMPLER, onStep: (s, t) => status.update(`${p.name} ${bar(s / t)}`) });
      status.done();
      const name = c.widths.length === 2 ? `linear regression ${c.widths[0]}→${c.widths[1]}` : p.name;
      const err = (100 * (r.llcMean - p.truth)) / p.truth;
      console.log(`| ${name} | ${p.numParams} | ${p.numParams / 2} | ${p.truth} | ${r.llcMean.toFixed(2)} ± ${r.llcStd.toFixed(2)} | ${err >= 0 ? '+' : ''}${err.toFixed(1)} % | ${[...new Set(r.diagnostics.flags.map((f) => f.code))].join(', ') || '–'} | ${r.seconds.toFixed(0)} |`);
    } finally {
      p.dispose();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
