/**
 * The sweep runner: runs the cells that have no result yet, in parallel worker
 * processes (default: one per core), and returns every cell's result row.
 * Killing it loses at most the cells in flight; rerunning skips finished cells.
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../engine/backend';
import { cellKey, defaultDataDir, readResult, resultPath, ResultRow, runCell } from './experiment';
import { CellConfig } from './cell';
import { bar, eta, formatDuration, StatusLine } from './progress';
import type { WorkerMessage } from './worker';
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
  /**
   * The command that resumes this sweep (the CLI's). When given, Ctrl-C (SIGINT) or SIGTERM
   * stops the workers and prints how many cells are saved and this command, then exits
   * (130 / 143); cells then run in worker processes even when one is left, so the signal is
   * handled at once. With `workers: 1` they run in this process, where a signal cannot
   * interrupt a running cell: there the command is printed at the start instead.
   */
  resumeCommand?: string;
}

export function cellLabel(c: CellConfig): string {
  const order = c.order.join('');
  const llc = `ε=${c.llc.epsilon} γ=${c.llc.gamma}`;
  return `${c.architecture} k=${c.k} seed=${c.seed}${order === '0123456789' ? '' : ` order=${order}`} ${llc} n=${c.numTrain}`;
}

/** Result rows already on disk for these cells (null where missing). */
export function loadCellResults(
  cells: CellConfig[],
  profile: string,
  dataDir = defaultDataDir(),
): (ResultRow | null)[] {
  return cells.map((c) => readResult(resultPath(dataDir, profile, cellKey(c))));
}

function describeRow(r: ResultRow): string {
  const flags = r.flags.length ? ` flags: ${[...new Set(r.flags)].join(',')}` : '';
  if (r.failed)
    return `FAILED: no λ̂ (every chain failed: ${r.failReason})  test acc ${(100 * r.testAccuracy).toFixed(2)} %${flags}`;
  return `λ̂ = ${r.llcMean.toFixed(1)} ± ${r.llcMcse.toFixed(1)} (MCSE)  test acc ${(100 * r.testAccuracy).toFixed(2)} %  (train ${r.trainSeconds.toFixed(0)}s, llc ${r.llcSeconds.toFixed(0)}s)${flags}`;
}

/** Run all unfinished cells; resolves with the rows of all cells (in order). Rejects if any cell errored. */
export async function runCells(cells: CellConfig[], options: RunOptions): Promise<ResultRow[]> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const existing = loadCellResults(cells, options.profile, dataDir);
  const pending = cells.filter((_, i) => existing[i] == null);
  const status = new StatusLine(options.stream);
  const show = options.progress ?? true;
  if (show)
    status.log(`${cells.length} cells, ${cells.length - pending.length} already done, ${pending.length} to run`);
  const workers = Math.max(1, Math.min(options.workers ?? os.cpus().length, pending.length));
  const inProcess = workers === 1 && (options.resumeCommand == null || options.workers === 1);
  const children: ChildProcess[] = [];
  const resumable = options.resumeCommand != null && pending.length > 0;
  // In this process a running cell blocks the event loop, so a JS handler would only delay Ctrl-C: keep Node's default there.
  const stopOnSignal =
    resumable && !inProcess
      ? interruptHandler(cells, options.profile, dataDir, options.resumeCommand!, children, status, pending.length)
      : null;
  if (resumable && inProcess && show)
    status.log(`(Ctrl-C stops the sweep, keeping finished cells; resume with: ${options.resumeCommand})`);
  const start = Date.now();
  let finished = 0;
  const errors: string[] = [];
  const onFinished = (c: CellConfig, row: ResultRow | null, error?: string) => {
    finished++;
    const el = (Date.now() - start) / 1000;
    if (error) errors.push(`${cellLabel(c)}: ${error}`);
    if (show)
      status.log(
        `[${finished}/${pending.length}] ${cellLabel(c)}: ${row ? describeRow(row) : `ERROR ${error?.split('\n')[0]}`}  · sweep ETA ${formatDuration(eta(el, finished / pending.length))}`,
      );
  };

  if (pending.length > 0 && inProcess) {
    await initBackend();
    for (const c of pending) {
      try {
        const row = runCell(c, {
          profile: options.profile,
          dataDir,
          onProgress: (phase, done, total) =>
            show &&
            status.update(`${cellLabel(c)} ${phase} ${bar(done / total)} · cell ${finished + 1}/${pending.length}`),
        });
        onFinished(c, row);
      } catch (e) {
        onFinished(c, null, (e as Error).message);
      }
    }
  } else if (pending.length > 0) {
    await runInWorkers(pending, workers, options.profile, dataDir, show ? status : null, onFinished, start, children);
  }
  stopOnSignal?.();
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
  children: ChildProcess[] = [],
): Promise<void> {
  const queue = pending.slice();
  const state: { cell: CellConfig | null; text: string }[] = [];
  const render = () => {
    const doneFrac = (pending.length - queue.length - state.filter((s) => s.cell).length) / pending.length;
    const el = (Date.now() - start) / 1000;
    status?.update(
      `sweep ${bar(doneFrac, 12)} ETA ${formatDuration(eta(el, doneFrac))} | ${state.map((s, i) => `w${i + 1}: ${s.text}`).join(' | ')}`,
    );
  };
  return new Promise((resolve) => {
    let alive = count;
    for (let w = 0; w < count; w++) {
      state.push({ cell: null, text: 'starting' });
      const child: ChildProcess = fork(repoPath('lib', 'experiments', 'worker.ts'), [], {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const next = () => {
        const cell = queue.shift() ?? null;
        state[w].cell = cell;
        if (cell) {
          state[w].text = `${cell.architecture} k=${cell.k} s${cell.seed} start`;
          child.send({ cell, profile, dataDir });
        } else child.send({ type: 'exit' });
      };
      child.on('message', (msg: WorkerMessage) => {
        const cell = state[w].cell;
        if (msg.type === 'ready') next();
        else if (msg.type === 'progress' && cell) {
          state[w].text =
            `${cell.architecture} k=${cell.k} s${cell.seed} ${msg.phase} ${Math.round((100 * msg.done) / msg.total)}%`;
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

/**
 * Ctrl-C / SIGTERM during a sweep: stop the workers (their cells in flight are lost; every
 * finished cell is already on disk, written atomically), say what is saved and how to
 * resume, exit. Returns the function that removes the handlers.
 */
function interruptHandler(
  cells: CellConfig[],
  profile: string,
  dataDir: string,
  resume: string,
  children: ChildProcess[],
  status: StatusLine,
  toRun: number,
): () => void {
  const doneBefore = cells.length - toRun;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode == null && c.signalCode == null) c.kill('SIGKILL');
    status.done();
    const saved = cells.filter((c) => fs.existsSync(resultPath(dataDir, profile, cellKey(c)))).length;
    const abs = path.resolve(dataDir, 'results', profile);
    const rel = path.relative(process.cwd(), abs);
    const dir = rel && !rel.startsWith('..') ? rel : abs;
    process.stderr.write(
      `\n${signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `stopped by ${signal}`}: ${saved} of ${cells.length} cells are saved in ${dir}/ ` +
        `(${Math.max(0, saved - doneBefore)} finished in this run; cells in flight are lost). Resume with:\n  ${resume}\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
