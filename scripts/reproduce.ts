/**
 * The main job: run a sweep (cached, resumable, parallel), then print its summary
 * table and write its figures to figures/.
 *
 *   npm start                                   write-up sweep, quick profile
 *   npm run reproduce -- --profile full --sweep shuffled
 *   npm run reproduce -- --list                 cells and which are done
 *   npm run reproduce -- --shard 3/8            one deterministic 1/8 slice (SLURM arrays)
 */
import { cellLabel, loadCellResults, runCells } from '../lib/runner';
import { parseArgs, selectedCells, USAGE } from '../lib/cli';
import { reportSweep } from '../lib/report';
import { ResultRow } from '../lib/experiment';

async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return (e as Error).message === USAGE ? 0 : 2;
  }
  const cells = selectedCells(options);
  const profile = options.profile.name;
  const shard = options.shard ? ` shard ${options.shard.index}/${options.shard.count}` : '';
  if (options.list) {
    const done = loadCellResults(cells, profile, options.dataDir);
    cells.forEach((c, i) => console.log(`${done[i] ? 'done   ' : 'pending'} ${cellLabel(c)}`));
    console.log(`${done.filter(Boolean).length}/${cells.length} done (${options.sweep}, ${profile}${shard})`);
    return 0;
  }
  const t0 = Date.now();
  if (!options.summaryOnly) {
    console.error(`sweep '${options.sweep}', profile '${profile}'${shard}: ${cells.length} cells`);
    await runCells(cells, { profile, workers: options.workers, dataDir: options.dataDir });
    console.error(`sweep finished in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  }
  const rows = loadCellResults(cells, profile, options.dataDir).filter((r): r is ResultRow => r != null);
  await reportSweep(options.sweep, rows, profile, options.figuresDir);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
