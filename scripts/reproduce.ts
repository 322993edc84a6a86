/**
 * The main job: run a sweep (cached, resumable, parallel), then print its summary
 * table and write its figures to figures/.
 *
 *   npm start                                   write-up sweep, quick profile
 *   npm run reproduce -- --profile full --sweep shuffled
 *   npm run reproduce -- --list                 cells and which are done
 *   npm run reproduce -- --shard 3/8            one deterministic 1/8 slice (SLURM arrays)
 *   npm run reproduce -- --help                 every option with its default
 *
 * Ctrl-C stops the sweep: finished cells are kept, and the command that resumes it is printed.
 */
import * as path from 'path';
import { cellLabel, loadCellResults, runCells } from '../lib/experiments/runner';
import { runMain } from '../lib/cli/flags';
import { helpText, parseArgs, selectedCells, selectionNote, settingsTag } from '../lib/cli/reproduce';
import { reportSweep } from '../lib/report/report';
import { ResultRow } from '../lib/experiments/experiment';
import { writeFileAtomic } from '../lib/experiments/store';
import { resultsFrameCsv } from '../lib/report/summary';
import { REPO_ROOT } from '../lib/experiments/paths';
import { setFigureTag } from '../lib/report/plots';

/** A word as the shell reads it back. */
const shellWord = (w: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/** The command that reruns this invocation (and so resumes it): npm's form when started through npm. */
export function resumeCommand(args: string[], env = process.env, cwd = process.cwd()): string {
  const words = args.map(shellWord).join(' ');
  const event = env.npm_lifecycle_event;
  if (event === 'start' || event === 'reproduce') return `npm run reproduce --${words ? ` ${words}` : ''}`;
  const cd = path.resolve(cwd) === REPO_ROOT ? '' : `cd ${shellWord(REPO_ROOT)} && `;
  return `${cd}npx tsx scripts/reproduce.ts${words ? ` ${words}` : ''}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let options;
  try {
    options = parseArgs(args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (options.help) {
    console.log(helpText());
    return 0;
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
  const tag = settingsTag(options);
  const t0 = Date.now();
  if (!options.summaryOnly) {
    console.error(
      `sweep '${options.sweep}', profile '${profile}'${shard}: ${cells.length} cells${tag ? ` (settings tag '${tag}')` : ''}`,
    );
    await runCells(cells, {
      profile,
      workers: options.workers,
      dataDir: options.dataDir,
      resumeCommand: resumeCommand(args),
    });
    console.error(`sweep finished in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  }
  const rows = loadCellResults(cells, profile, options.dataDir).filter((r): r is ResultRow => r != null);
  // Figures of a run with other settings than the profile's own get the tag in their names,
  // so they never replace the profile's (committed) figures.
  setFigureTag(tag);
  if (tag) console.log(`figures are named <name>-${tag}: these settings differ from the ${profile} profile's own`);
  const partial = selectionNote(options);
  if (partial) console.log(`note: the figures show ${partial}`);
  await reportSweep(options.sweep, rows, profile, options.figuresDir);
  if (options.csv) {
    writeFileAtomic(options.csv, resultsFrameCsv(rows));
    console.log(`wrote ${rows.length} cells to ${options.csv}`);
  }
  return 0;
}

if (require.main === module) {
  runMain(main);
}
