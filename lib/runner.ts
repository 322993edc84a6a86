/**
 * The sweep runner: runs the cells that have no result yet, in parallel worker
 * processes (default: one per core), and returns every cell's result row.
 * Killing it loses at most the cells in flight; rerunning skips finished cells.
 */
import { ChildProcess, fork } from 'child_process';
import * as os from 'os';
import { initBackend } from './backend';
import { CellConfig, cellKey, defaultDataDir, readResult, resultPath, ResultRow, runCell } from './experiment';
import { bar, eta, formatDuration, StatusLine } from './progress';
import { REPO_ROOT, repoPath } from './paths';

export interface RunOptions {
  /** Results subfolder (profile name). */
  profile: string;
  /** Worker processes (default: number of cores; 1 = run in this process). */
  workers?: number;
  dataDir?: string;
  /** Show progress (default true). */
  progress?: boolean;
  /** Where progress goes (default stderr; notebooks use stdout, which Jupyter does not paint as an error). */
  stream?: NodeJS.WriteStream;
}

export function cellLabel(c: CellConfig): string {
  const order = c.order.join('');
  const llc = `ε=${c.llc.epsilon} γ=${c.llc.gamma}`;
  return `${c.architecture} k=${c.k} seed=${c.seed}${order === '0123456789' ? '' : ` order=${order}`} ${llc} n=${c.numTrain}`;
}

/** Result rows already on disk for these cells (null where missing). */
export function loadCellResults(cells: CellConfig[], profile: string, dataDir = defaultDataDir()): (ResultRow | null)[] {
  return cells.map((c) => readResult(resultPath(dataDir, profile, cellKey(c))));
}

function describeRow(r: ResultRow): string {
  const flags = r.flags.length ? ` flags: ${[...new Set(r.flags)].join(',')}` : '';
  if (r.failed) return `FAILED: no finite λ̂ (every chain diverged)  test acc ${(100 * r.testAccuracy).toFixed(2)} %${flags}`;
  return `λ̂ = ${r.llcMean.toFixed(1)} ± ${r.llcStd.toFixed(1)}  test acc ${(100 * r.testAccuracy).toFixed(2)} %  (train ${r.trainSeconds.toFixed(0)}s, llc ${r.llcSeconds.toFixed(0)}s)${flags}`;
}

/** Run all unfinished cells; resolves with the rows of all cells (in order). Rejects if any cell errored. */
export async function runCells(cells: CellConfig[], options: RunOptions): Promise<ResultRow[]> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const existing = loadCellResults(cells, options.profile, dataDir);
  const pending = cells.filter((_, i) => existing[i] == null);
  const status = new StatusLine(options.stream);
  const show = options.progress ?? true;
  if (show) status.log(`${cells.length} cells, ${cells.length - pending.length} already done, ${pending.length} to run`);
  const workers = Math.max(1, Math.min(options.workers ?? os.cpus().length, pending.length));
  const start = Date.now();
  let finished = 0;
  const errors: string[] = [];
  const onFinished = (c: CellConfig, row: ResultRow | null, error?: string) => {
    finished++;
    const el = (Date.now() - start) / 1000;
    if (error) errors.push(`${cellLabel(c)}: ${error}`);
    if (show) status.log(`[${finished}/${pending.length}] ${cellLabel(c)}: ${row ? describeRow(row) : `ERROR ${error?.split('\n')[0]}`}  · sweep ETA ${formatDuration(eta(el, finished / pending.length))}`);
  };

  if (pending.length > 0 && workers === 1) {
    await initBackend();
    for (const c of pending) {
      try {
        const row = runCell(c, {
          profile: options.profile,
          dataDir,
          onProgress: (phase, done, total) => show && status.update(`${cellLabel(c)} ${phase} ${bar(done / total)} · cell ${finished + 1}/${pending.length}`),
        });
        onFinished(c, row);
      } catch (e) {
        onFinished(c, null, (e as Error).message);
      }
    }
  } else if (pending.length > 0) {
    await runInWorkers(pending, workers, options.profile, dataDir, show ? status : null, onFinished, start);
  }
  status.done();
  if (errors.length) throw new Error(`${errors.length} cell(s) failed:\n${errors.join('\n')}`);
  return loadCellResults(cells, options.profile, dataDir).map((r, i) => {
    if (r == null) throw new Error(`no result for ${cellLabel(cells[i])}`);
    return r;
  });
}

function runInWorkers(
  pending: CellConfig[],
  count: number,
  profile: string,
  dataDir: string,
  status: StatusLine | null,
  onFinished: (c: CellConfig, row: ResultRow | null, error?: string) => void,
  start: number,
): Promise<void> {
  const queue = pending.slice();
  const state: { cell: CellConfig | null; text: string }[] = [];
  const render = () => {
    const doneFrac = (pending.length - queue.length - state.filter((s) => s.cell).length) / pending.length;
    const el = (Date.now() - start) / 1000;
    status?.update(`sweep ${bar(doneFrac, 12)} ETA ${formatDuration(eta(el, doneFrac))} | ${state.map((s, i) => `w${i + 1}: ${s.text}`).join(' | ')}`);
  };
  return new Promise((resolve) => {
    let alive = count;
    for (let w = 0; w < count; w++) {
      state.push({ cell: null, text: 'starting' });
      const child: ChildProcess = fork(repoPath('lib', 'worker.ts'), [], {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const next = () => {
        const cell = queue.shift() ?? null;
        state[w].cell = cell;
        if (cell) {
          state[w].text = `${cell.architecture} k=${cell.k} s${cell.seed} start`;
          child.send({ cell, profile, dataDir });
        } else child.send({ type: 'exit' });
      };
      child.on('message', (msg: any) => {
        const cell = state[w].cell;
        if (msg.type === 'ready') next();
        else if (msg.type === 'progress' && cell) {
          state[w].text = `${cell.architecture} k=${cell.k} s${cell.seed} ${msg.phase} ${Math.round((100 * msg.done) / msg.total)}%`;
          render();
        } else if ((msg.type === 'done' || msg.type === 'error') && cell) {
          const row = msg.type === 'done' ? readResult(resultPath(dataDir, profile, msg.key)) : null;
          onFinished(cell, row, msg.type === 'error' ? msg.message : undefined);
          next();
        }
      });
      child.on('exit', (code) => {
        const cell = state[w].cell;
        if (cell) {
          onFinished(cell, null, `worker exited with code ${code}`);
          state[w].cell = null;
        }
        if (--alive === 0) resolve();
      });
    }
  });
}
