/**
 * What the CLI prints and draws after a sweep: the summary tables (danfo) and the
 * figures under figures/ (<profile>-<figure>.svg/.png).
 */
import { ResultRow } from './experiment';
import { gapSpec, saveFigure, scalingCurveSpec, sensitivitySpec, shuffledSpec } from './plots';
import { SweepName } from './sweeps';
import { crossovers, fitByArchitecture, gapByK, summarize, toDataFrame } from './summary';
import { meanCI } from './stats';

export async function reportSweep(sweep: SweepName, rows: ResultRow[], profile: string, figuresDir?: string, log = console.log): Promise<string[]> {
  if (rows.length === 0) {
    log('no finished cells to summarise yet');
    return [];
  }
  const written: string[] = [];
  const save = async (spec: object, name: string) => written.push((await saveFigure(spec as any, `${profile}-${name}`, figuresDir)).pngPath);
  const failed = rows.filter((r) => r.failed).length;
  const flagged = rows.filter((r) => r.flags.length > 0).length;
  log(`${rows.length} cells; ${failed} failed (no finite λ̂), ${flagged} with diagnostic flags (kept in the means; see the 'flagged' column)`);
  if (sweep === 'writeup' || sweep === 'fullmnist') {
    const summary = summarize(rows);
    log('\nλ̂ by architecture and number of labels (mean, sd, 95 % CI over seeds):');
    toDataFrame(summary).print();
    if (sweep === 'writeup') {
      const fits = fitByArchitecture(rows);
      log('\nlinear fit λ̂ = intercept + slope·k:');
      toDataFrame(fits).print();
      const gaps = gapByK(rows);
      log('\nMLP − CNN, paired by seed:');
      toDataFrame(gaps).print();
      await save(scalingCurveSpec(summary, fits), 'scaling-curve');
      await save(gapSpec(gaps), 'mlp-cnn-gap');
    }
  } else if (sweep === 'shuffled') {
    const orders = crossovers(rows);
    log('\ncrossover k (smallest k from which MLP − CNN stays > 0) per label order:');
    toDataFrame(orders.map((o) => ({ order: o.order, crossover: o.crossover, signChanges: o.signChanges }))).print();
    const ci = meanCI(orders.map((o) => o.crossover).filter(Number.isFinite));
    log(`crossover: mean ${ci.mean.toFixed(2)}, 95 % CI [${ci.lo.toFixed(2)}, ${ci.hi.toFixed(2)}] over ${ci.n} orders with a crossover (of ${orders.length})`);
    await save(shuffledSpec(orders), 'shuffled-orders');
  } else if (sweep === 'sensitivity') {
    log('\nλ̂ over the ε × γ grid:');
    toDataFrame(rows.map((r) => ({ architecture: r.architecture, k: r.k, epsilon: r.config.llc.epsilon, gamma: r.config.llc.gamma, llcMean: r.llcMean, flags: [...new Set(r.flags)].join(',') }))).print();
    await save(sensitivitySpec(rows), 'sensitivity');
  }
  if (written.length) log(`\nfigures: ${written.join(', ')}`);
  return written;
}
