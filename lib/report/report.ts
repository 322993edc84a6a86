/**
 * What the CLI prints and draws after a sweep: the summary tables (danfo) and the
 * figures under figures/ (<profile>-<figure>.svg/.png).
 */
import { ResultRow } from '../experiments/experiment';
import { gapSpec, saveFigure, scalingCurveSpec, sensitivitySpec, shuffledSpec } from './plots';
import { SweepName } from '../experiments/sweeps';
import { crossovers, droppedReasons, fitByArchitecture, gapByK, summarize } from './summary';
import { meanCI } from '../math/stats';
import { conclusionsBySetting, recheckRecords } from './contrasts';
import { lauAnswer } from './claims';

/** One table cell: integers exact, other numbers to `digits` significant digits, lists comma-joined. */
export function formatCell(v: unknown, digits = 4): string {
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? v.toPrecision(digits) : String(v);
  return Array.isArray(v) ? v.join(',') : String(v ?? '');
}

/**
 * Records as a markdown table (every row and column: danfo's console printer elides
 * both, and a sweep summary is read in logs and pasted into notes).
 */
export function markdownTable(records: object[], columns?: string[], digits = 4): string {
  if (records.length === 0) return '(no rows)';
  const cols = columns ?? Object.keys(records[0]);
  const lines = records.map(
    (r) => `| ${cols.map((c) => formatCell((r as Record<string, unknown>)[c], digits)).join(' | ')} |`,
  );
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`, ...lines].join('\n');
}

export async function reportSweep(
  sweep: SweepName,
  rows: ResultRow[],
  profile: string,
  figuresDir?: string,
  log = console.log,
): Promise<string[]> {
  if (rows.length === 0) {
    log('no finished cells to summarise yet');
    return [];
  }
  const written: string[] = [];
  // MNIST-1D figures get their own names so they never overwrite MNIST's.
  const prefix = rows[0].dataset === 'mnist' ? profile : `${profile}-${rows[0].dataset}`;
  const save = async (spec: object, name: string) =>
    written.push((await saveFigure(spec as Parameters<typeof saveFigure>[0], `${prefix}-${name}`, figuresDir)).pngPath);
  // The notebooks write the same files: same titles, so a figure does not depend on who wrote it last.
  const ds = rows[0].dataset === 'mnist1d' ? 'MNIST-1D: ' : '';
  const failed = rows.filter((r) => r.failed).length;
  const flagged = rows.filter((r) => r.flags.length > 0).length;
  const dropped = droppedReasons(rows);
  log(
    `${rows.length} cells; ${failed} failed and left out of every mean and fit${dropped ? ` (${dropped})` : ''}; ${flagged} with diagnostic flags (kept; see the 'flagged' column)`,
  );
  if (sweep === 'writeup' || sweep === 'fullmnist') {
    const summary = summarize(rows);
    log('\nλ̂ by architecture and number of labels (mean, sd, 95 % CI over seeds):');
    log(
      markdownTable(summary, [
        'architecture',
        'k',
        'mean',
        'sd',
        'count',
        'ciLo',
        'ciHi',
        'failed',
        'flagged',
        'dropped',
        'testAccuracy',
      ]),
    );
    if (sweep === 'writeup') {
      const fits = fitByArchitecture(rows);
      log('\nlinear fit λ̂ = intercept + slope·k:');
      log(markdownTable(fits, ['architecture', 'slope', 'slopeLo', 'slopeHi', 'intercept', 'r2', 'n']));
      const gaps = gapByK(rows);
      log('\nMLP − CNN, paired by seed:');
      log(markdownTable(gaps, ['k', 'gap', 'ciLo', 'ciHi', 'pairs', 't', 'p', 'mlpAccuracy', 'cnnAccuracy']));
      await save(scalingCurveSpec(summary, fits, `${ds}λ̂ vs number of labels (${profile} profile)`), 'scaling-curve');
      await save(gapSpec(gaps, `${ds}λ̂(MLP) − λ̂(CNN) (${profile} profile)`), 'mlp-cnn-gap');
    }
  } else if (sweep === 'shuffled') {
    const orders = crossovers(rows);
    log('\ncrossover k (smallest k from which MLP − CNN stays > 0) per label order:');
    log(markdownTable(orders.map((o) => ({ order: o.order, crossover: o.crossover, signChanges: o.signChanges }))));
    const ci = meanCI(orders.map((o) => o.crossover).filter(Number.isFinite));
    log(
      `crossover: mean ${ci.mean.toFixed(2)}, 95 % CI [${ci.lo.toFixed(2)}, ${ci.hi.toFixed(2)}] over ${ci.n} orders with a crossover (of ${orders.length})`,
    );
    await save(
      shuffledSpec(orders, `MLP − CNN for ${orders.length} shuffled label orders (${profile})`),
      'shuffled-orders',
    );
  } else if (sweep === 'lau2023') {
    log(`\n${lauAnswer({ profile, rows: [], cells: 0, lau: { rows, cells: rows.length } })}`);
  } else if (sweep === 'recheck') {
    log('\nthe conclusions at each γ × nβ (slope of λ̂ on k per label and pooled MLP − CNN, 95 % CI):');
    log(markdownTable(recheckRecords(conclusionsBySetting(rows))));
  } else if (sweep === 'sensitivity') {
    log('\nλ̂ over the ε × γ grid:');
    log(
      markdownTable(
        rows.map((r) => ({
          architecture: r.architecture,
          k: r.k,
          epsilon: r.config.llc.epsilon,
          gamma: r.config.llc.gamma,
          llcMean: r.llcMean,
          llcMcse: r.llcMcse,
          flags: [...new Set(r.flags)].join(',') || 'healthy',
        })),
      ),
    );
    await save(sensitivitySpec(rows, `${ds}λ̂ over ε × γ (${profile})`), 'sensitivity');
  }
  if (written.length) log(`\nfigures: ${written.join(', ')}`);
  return written;
}
