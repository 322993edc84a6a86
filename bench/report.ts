/**
 * Tables and the results file of the benchmark: throughput per engine side by side, the
 * writeup sweeps' estimated wall time, and bench/results.md (newest run first, atomic write).
 */
import * as fs from 'fs';
import * as path from 'path';
import { resolveLlcSettings } from '../lib/estimator/llc';
import { ARCHITECTURES } from '../lib/models/models';
import { formatDuration } from '../lib/experiments/progress';
import { median } from '../lib/math/stats';
import { writeFileAtomic } from '../lib/experiments/store';
import { PROFILES, sweepCells } from '../lib/experiments/sweeps';
import { TRAIN_DEFAULTS } from '../lib/train/train';
import { Row, STEP_KINDS, StepKind } from './steps';

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(r: Row | undefined): Stats | null {
  if (!r?.repSeconds?.length) return null;
  const rates = r.repSeconds.map((s) => (r.stepsPerRep! * r.batch) / s);
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), n: rates.length };
}

export const fmtRate = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtStats = (s: Stats) => `${fmtRate(s.median)} [${fmtRate(s.min)}–${fmtRate(s.max)}]`;

/** A row as one console line. */
export function rowLine(r: Row): string {
  const s = stats(r);
  const what = `${r.column.padEnd(18)} ${r.arch} ${r.step.padEnd(7)} batch ${String(r.batch).padStart(4)}`;
  if (s == null) return `${what}   ${r.note}`;
  return `${what} ${fmtStats(s).padStart(24)} ex/s  (${((1000 * r.batch) / s.median).toFixed(1)} ms/step, ${s.n}×${r.stepsPerRep} steps)`;
}

export function find(rows: Row[], column: string, arch: string, step: StepKind, batch: number): Row | undefined {
  return rows.find((r) => r.column === column && r.arch === arch && r.step === step && r.batch === batch);
}

/** Markdown: one line per (model, batch, step), one column per engine, and ratios ours / peer at equal threads. */
export function summaryTable(rows: Row[], columns: string[], ratios: [string, string][]): string[] {
  const header = [
    'model',
    'batch',
    'step',
    ...columns.map((c) => `${c} ex/s`),
    ...ratios.map(([a, b]) => `${a} / ${b}`),
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const keys = new Map<string, Row>();
  const order = (r: Row) =>
    `${ARCHITECTURES.indexOf(r.arch)}-${STEP_KINDS.indexOf(r.step)}-${String(r.batch).padStart(5, '0')}`;
  for (const r of [...rows].sort((a, b) => order(a).localeCompare(order(b))))
    keys.set(`${r.arch}/${r.step}/${r.batch}`, r);
  for (const k of keys.values()) {
    const cells = columns.map((c) => {
      const r = find(rows, c, k.arch, k.step, k.batch);
      if (r == null) return '–';
      const s = stats(r);
      return s
        ? fmtStats(s)
        : r
            .note!.replace(/Kernel '(\w+)' not registered for backend '(\w+)'/, 'no $1 kernel on $2')
            .replace(/\|/g, '/');
    });
    const ratioCells = ratios.map(([a, b]) => {
      const x = stats(find(rows, a, k.arch, k.step, k.batch));
      const y = stats(find(rows, b, k.arch, k.step, k.batch));
      return x && y ? `${(x.median / y.median).toFixed(2)}×` : '–';
    });
    lines.push(`| ${[k.arch, k.batch, k.step, ...cells, ...ratioCells].join(' | ')} |`);
  }
  return lines;
}

export interface SweepEstimate {
  profile: string;
  cells: number;
  perArch: Record<
    string,
    { trainEx: number; trainBatch: number; evalEx: number; sgldSteps: number; m: number; seconds: number }
  >;
  seconds: number;
  missing: string[];
}

/** The (step, batch) pairs the profiles' writeup sweeps need. */
export function profileNeeds(evalBatch: number): { step: StepKind; batch: number }[] {
  const out = new Map<string, { step: StepKind; batch: number }>();
  for (const name of ['quick', 'full']) {
    const p = PROFILES[name];
    const m = resolveLlcSettings(p.llc, p.numTrain).batchSize;
    for (const [step, batch] of [
      ['train', p.train.batchSize ?? TRAIN_DEFAULTS.batchSize],
      ['sgld', m],
      ['forward', evalBatch],
    ] as const)
      out.set(`${step}/${batch}`, { step, batch });
  }
  return [...out.values()];
}

/**
 * Wall time of a profile's writeup sweep from one engine column's rates: `workers` processes
 * take the next cell in sweep order (lib/experiments/runner.ts), each at `efficiency` of its solo speed.
 * Training at the maximum epochs (early stopping only shortens it).
 */
export function estimateSweep(
  rows: Row[],
  profileName: string,
  column: string,
  opts: { workers: number; efficiency: number; dataSeconds: number; evalBatch: number },
): SweepEstimate {
  const p = PROFILES[profileName];
  const cells = sweepCells('writeup', p);
  const perArch: SweepEstimate['perArch'] = {};
  const missing = new Set<string>();
  const rate = (arch: string, step: StepKind, batch: number) => {
    const s = stats(find(rows, column, arch, step, batch));
    if (s == null) missing.add(`${arch} ${step} ${batch}`);
    return s?.median ?? NaN;
  };
  const free = new Array(opts.workers).fill(0);
  for (const c of cells) {
    const epochs = c.train.epochs ?? TRAIN_DEFAULTS.epochs;
    const trainBatch = c.train.batchSize ?? TRAIN_DEFAULTS.batchSize;
    const llc = resolveLlcSettings(c.llc, c.numTrain);
    const sgldSteps = llc.numChains * (llc.numBurnin + llc.numDraws * llc.stepsBetweenDraws);
    const trainEx = c.numTrain * epochs;
    // per-epoch test evaluation, final train + test evaluation, L_n(w*) over the training set
    const evalEx = epochs * c.numTest + c.numTrain + c.numTest + c.numTrain;
    const seconds =
      opts.dataSeconds +
      trainEx / rate(c.architecture, 'train', trainBatch) +
      evalEx / rate(c.architecture, 'forward', opts.evalBatch) +
      (sgldSteps * llc.batchSize) / rate(c.architecture, 'sgld', llc.batchSize);
    perArch[c.architecture] = { trainEx, trainBatch, evalEx, sgldSteps, m: llc.batchSize, seconds };
    const w = free.indexOf(Math.min(...free));
    free[w] += seconds / opts.efficiency;
  }
  return { profile: profileName, cells: cells.length, perArch, seconds: Math.max(...free), missing: [...missing] };
}

export function estimateTable(estimates: { label: string; e: SweepEstimate }[]): string[] {
  const lines = [
    '| profile | engine and workers | cells | per cell: training examples (batch) | forward examples | SGLD steps × m | est. per cell (mlp / cnn) | sweep |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { label, e } of estimates) {
    const a = e.perArch.mlp ?? e.perArch.cnn;
    lines.push(
      `| ${e.profile} | ${label} | ${e.cells} | ${a.trainEx} (${a.trainBatch}) | ${a.evalEx} | ${a.sgldSteps} × ${a.m} | ${formatDuration(e.perArch.mlp?.seconds)} / ${formatDuration(e.perArch.cnn?.seconds)} | ${formatDuration(e.seconds)} |`,
    );
  }
  return lines;
}

const HEADER = `# Benchmark results

Written by \`npm run bench\` (bench/*.ts, bench/torch_bench.py); newest run first.
Throughput in examples/second: median [min–max] over timed blocks of steps.
Each engine runs in a process of its own. *tensorflow N thr* = @tensorflow/tfjs-node with N intra-op threads and
lib/engine/native.ts kernels; *wasm ours* = tfjs-backend-wasm (1 thread) with lib/engine/kernels.ts gradients and lib/engine/simd.ts kernels;
*wasm ours −simd* = the same gradients on tfjs's stock wasm kernels; *stock* = tfjs's own gradients and kernels;
*stock+filter* = stock plus only our Conv2DBackpropFilter. *torch N thr* = PyTorch (the venv's CPU wheel) at N threads.
Ratios compare engines at equal threads.

<!-- runs below (bench/bench.ts inserts new runs here) -->
`;

/** Insert a run's section at the top of the results file (atomically). */
export function writeResults(file: string, section: string): void {
  const marker = '<!-- runs below';
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : HEADER;
  if (!text.includes(marker)) text = HEADER + '\n' + text;
  else text = HEADER + text.slice(text.indexOf('\n', text.indexOf(marker)) + 1);
  const at = text.indexOf('\n', text.indexOf(marker)) + 1;
  text = text.slice(0, at) + '\n' + section.trimEnd() + '\n' + text.slice(at);
  writeFileAtomic(file, text);
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}
