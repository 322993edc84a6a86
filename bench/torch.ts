/**
 * The PyTorch peer: bench/torch_bench.py, run in a venv under the bench's own cache with the
 * `torch` 2.13 CPU wheel that pip serves (PyPI online, or the machine's configured index),
 * never Debian's older python3-torch. Created on first use (~20 s from a local index).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoPath } from '../lib/experiments/paths';
import { Architecture } from '../lib/models/models';
import { OpSpec } from './ops';
import { Budget, Row } from './steps';

export const TORCH_VERSION = '2.13.0';

export interface TorchInfo {
  torch: string;
  python: string;
  threads: number;
  interop_threads: number;
  mkldnn: boolean;
  blas: string;
  build: Record<string, string>;
  libraries: string[];
  num_params: Record<string, number>;
}

const cacheRoot = () =>
  process.env.LLC_CACHE_DIR ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'llc-notebooks');

/** The venv's python, creating the venv (torch TORCH_VERSION) if it is missing; throws with the reason if pip cannot. */
export function torchPython(): string {
  const venv = path.join(cacheRoot(), 'bench-venv');
  const python = path.join(venv, 'bin', 'python');
  const has = () =>
    fs.existsSync(python) &&
    spawnSync(python, [
      '-c',
      `import torch, sys; sys.exit(0 if torch.__version__.startswith('${TORCH_VERSION}') else 1)`,
    ]).status === 0;
  if (has()) return python;
  console.log(`creating ${venv} with torch ${TORCH_VERSION} (pip; once) ...`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  // --retries 0 / --timeout: an unreachable index fails in seconds instead of retrying for minutes.
  execFileSync(
    path.join(venv, 'bin', 'pip'),
    ['install', '-q', '--retries', '0', '--timeout', '10', `torch==${TORCH_VERSION}`, 'numpy'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (!has()) throw new Error(`torch ${TORCH_VERSION} did not install into ${venv}`);
  return python;
}

/** Run torch_bench.py at `threads`; `onRow` gets each row as it comes. */
export async function runTorch(
  python: string,
  threads: number,
  opts: { archs: Architecture[]; batches: number[]; budget: Budget; numTrain: number },
  onRow: (r: Row) => void,
): Promise<TorchInfo | null> {
  const column = `torch ${threads} thr`;
  let info: TorchInfo | null = null;
  const args = [
    repoPath('bench', 'torch_bench.py'),
    '--threads',
    String(threads),
    '--archs',
    opts.archs.join(','),
    '--batches',
    opts.batches.join(','),
    '--steps',
    'train,sgld,fc1',
    '--warmup',
    String(opts.budget.warmup),
    '--reps',
    String(opts.budget.reps),
    '--rep-seconds',
    String(opts.budget.repSeconds),
    '--num-train',
    String(opts.numTrain),
  ];
  await runTorchScript(python, threads, args, (msg) => {
    if (msg.type === 'info') info = msg as unknown as TorchInfo;
    else if (msg.type === 'row')
      onRow({
        column,
        arch: msg.arch as Architecture,
        step: msg.step as Row['step'],
        batch: msg.batch as number,
        stepsPerRep: msg.steps_per_rep as number,
        repSeconds: msg.rep_seconds as number[],
      });
  });
  return info;
}

/** PyTorch's µs per op of each spec (bench/ops.ts), at `threads` threads. */
export async function runTorchOps(
  python: string,
  threads: number,
  specs: OpSpec[],
  reps: number,
): Promise<{ name: string; us: number }[]> {
  let ops: { name: string; us: number }[] = [];
  const args = [repoPath('bench', 'torch_bench.py'), '--threads', String(threads), '--ops', JSON.stringify(specs)];
  await runTorchScript(python, threads, [...args, '--op-reps', String(reps)], (msg) => {
    if (msg.type === 'ops') ops = msg.ops as typeof ops;
  });
  return ops;
}

/** Run torch_bench.py with its thread counts pinned; each JSON line of its output goes to onMessage. */
function runTorchScript(
  python: string,
  threads: number,
  args: string[],
  onMessage: (msg: Record<string, unknown>) => void,
): Promise<void> {
  const env = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  };
  return new Promise((resolve, reject) => {
    const p = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) onMessage(JSON.parse(line));
      }
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`torch_bench.py exited with code ${code}`))));
  });
}
