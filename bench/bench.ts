/**
 * Throughput benchmark: examples/second of the steps the sweeps spend their time in
 * (bench/steps.ts), on every engine side by side with PyTorch, what that means for the
 * sweeps' wall time, and memory over a long SGLD chain.
 *
 *   npm run bench                 full run (~15 min on this 2-core machine); writes bench/results.md
 *   npm run bench -- --quick      few reps, fewer engines (~2 min); prints only (add --write to record)
 *   npm run bench -- --ops        only what a second TensorFlow thread costs per op (~1 min; add --write to record)
 *
 * Options: --quick  --write / --no-write  --no-torch  --no-stock (skip the stock wasm rows)
 * --cpu-cnn (CNN rows on the cpu backend: ~40 s per step)  --python PATH (default: a venv
 * with torch 2.13 under the bench's cache, created on first use); env BENCH_RESULTS: output file.
 *
 * Every engine runs in its own child process (bench/engine.ts) with its thread counts set
 * before TensorFlow starts, so no engine's registered kernels or threads leak into another's.
 */
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeAvailable, tf } from '../lib/engine/backend';
import { eachFlag } from '../lib/cli/flags';
import { Architecture, ARCHITECTURES, modelDef, numParams } from '../lib/models/models';
import { REPO_ROOT, repoPath } from '../lib/experiments/paths';
import { formatDuration } from '../lib/experiments/progress';
import { EVAL_BATCH_SIZE } from '../lib/data/batches';
import { DEFAULT_NUM_TEST, DEFAULT_NUM_TRAIN, makeTask } from '../lib/data/tasks';
import { EngineJob } from './engine';
import {
  estimateSweep,
  estimateTable,
  fmtRate,
  profileNeeds,
  rowLine,
  stats,
  find,
  summaryTable,
  writeResults,
} from './report';
import { Budget, FC1_FLOPS_PER_EXAMPLE, LABELS, Row } from './steps';
import { runTorch, runTorchOps, TorchInfo, torchPython } from './torch';
import { DISPATCH_OP, OP_SPECS, OpCost, OPS_HEADING, StepKernels, wakeRoundTrip } from './ops';

const USAGE =
  'usage: bench [--quick] [--ops] [--write|--no-write] [--no-torch] [--no-stock] [--cpu-cnn] [--python PATH]';
const opts = {
  quick: false,
  ops: false,
  write: undefined as boolean | undefined,
  torch: true,
  stock: true,
  cpuCnn: false,
  python: undefined as string | undefined,
};
eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
  switch (flag) {
    case '--quick':
      opts.quick = true;
      break;
    case '--ops':
      opts.ops = true;
      break;
    case '--write':
      opts.write = true;
      break;
    case '--no-write':
      opts.write = false;
      break;
    case '--no-torch':
      opts.torch = false;
      break;
    case '--no-stock':
      opts.stock = false;
      break;
    case '--cpu-cnn':
      opts.cpuCnn = true;
      break;
    case '--python':
      opts.python = value();
      break;
    default:
      throw new Error(`unknown option '${flag}'\n${USAGE}`);
  }
});

const RESULTS = process.env.BENCH_RESULTS ?? repoPath('bench', 'results.md');
const ARCHS: Architecture[] = [...ARCHITECTURES];
const MAIN_BATCHES = [256, 512];
const BUDGET: Budget = opts.quick ? { warmup: 1, reps: 3, repSeconds: 0.2 } : { warmup: 3, reps: 7, repSeconds: 1.0 };
/** The stock variants are up to ~10× slower and cpu ~50×: fewer, shorter blocks. */
const SLOW_BUDGET: Budget = opts.quick
  ? { warmup: 1, reps: 2, repSeconds: 0.1 }
  : { warmup: 2, reps: 5, repSeconds: 1.0 };
const NUM_TRAIN = opts.quick ? 4096 : DEFAULT_NUM_TRAIN;
const MEMORY = { steps: opts.quick ? 300 : 10_000, batch: 64, pretrainSteps: opts.quick ? 100 : 400 };
const PARALLEL_SECONDS = opts.quick ? 4 : 15;

type Message =
  | { type: 'info'; [k: string]: unknown }
  | { type: 'row'; row: Row }
  | { type: 'memory'; [k: string]: unknown }
  | { type: 'rate'; exPerSec: number }
  | { type: 'ops'; ops: OpCost[]; kernels: StepKernels[] };

/** Run one engine job in a child process; rows are printed as they arrive. */
function runEngine(
  job: Partial<EngineJob> & Pick<EngineJob, 'column' | 'backend'>,
  threads: number,
  onMessage: (m: Message) => void = () => {},
  sink: Row[] = rows,
): Promise<void> {
  const full: EngineJob = {
    variant: 'ours',
    archs: ARCHS,
    steps: ['train', 'sgld'],
    batches: MAIN_BATCHES,
    budget: BUDGET,
    numTrain: NUM_TRAIN,
    ...job,
  };
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(repoPath('bench', 'engine.ts'), [JSON.stringify(full)], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        TF_NUM_INTRAOP_THREADS: String(threads),
        TF_NUM_INTEROP_THREADS: '1',
        TF_CPP_MIN_LOG_LEVEL: '2',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (m: Message) => {
      if (m.type === 'row') {
        sink.push(m.row);
        console.log(rowLine(m.row));
      }
      onMessage(m);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench engine '${job.column}' exited with code ${code}`)),
    );
  });
}

const rows: Row[] = [];
const fmtLoad = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
/** A loss as read: fixed point, exponent form once a chain has exploded, 'NaN' once it diverged (IPC turns NaN into null). */
const fmtLoss = (x: number | null) =>
  x == null || !Number.isFinite(x) ? String(x ?? NaN) : Math.abs(x) < 1e4 ? x.toFixed(3) : x.toExponential(2);

function machine() {
  const cpus = os.cpus();
  let smt = '';
  try {
    smt = fs.readFileSync('/sys/devices/system/cpu/cpu0/topology/thread_siblings_list', 'utf8').trim();
  } catch {
    // not Linux, or no SMT topology exposed: leave it out of the report
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    smt: smt ? `cpu0 thread siblings: ${smt}` : '',
    memGb: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = fmtLoad();
  const m = machine();
  const write = opts.write ?? !opts.quick;
  const native = nativeAvailable();
  console.log(
    `llc-notebooks bench${opts.quick ? ' --quick (few reps: for development, not for the record)' : ''}  ${started.toISOString()}`,
  );
  console.log(
    `${m.cpu}, ${m.cores} cores${m.smt ? ` (${m.smt})` : ''}, ${m.memGb.toFixed(1)} GB, node ${m.node}, ${m.platform}`,
  );
  console.log(
    `tfjs-core ${tf.version_core}, tfjs-node ${native ? require('@tensorflow/tfjs-node/package.json').version : 'not installed'}, backend-wasm ${version_wasm}, backend-cpu ${version_cpu}`,
  );
  console.log(
    `load average (1/5/15 min) at start: ${loadStart}${os.loadavg()[0] > 0.3 * m.cores ? '  ← the machine is busy: numbers will be low and noisy' : ''}`,
  );
  console.log(
    `budget: ${BUDGET.warmup} warm-up step(s), ${BUDGET.reps} blocks of ~${BUDGET.repSeconds} s per row; training set ${NUM_TRAIN} MNIST examples on the backend\n`,
  );
  const threadCounts = m.cores >= 2 ? [1, Math.min(2, m.cores)] : [1];
  if (opts.ops) {
    if (!native || threadCounts.length < 2) throw new Error('--ops needs the native engine and 2 cores');
    const opLines = await secondThreadCost(threadCounts);
    if (opts.write)
      writeResults(
        RESULTS,
        [
          `## ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC — \`npm run bench -- --ops\``,
          '',
          `- Machine: ${m.cpu}, ${m.cores} cores, ${m.platform}; load average (1/5/15 min) ${loadStart} at start, ${fmtLoad()} at end`,
          '',
          OPS_HEADING,
          '',
          ...opLines,
          '',
        ].join('\n'),
      );
    return;
  }
  const t0 = performance.now();
  makeTask({ labels: LABELS, numTrain: NUM_TRAIN, numTest: DEFAULT_NUM_TEST, seed: 0 });
  const dataSeconds = (performance.now() - t0) / 1000;

  const engines = await engineRows(native, threadCounts);
  const sweepBackend: EngineJob['backend'] = native ? 'tensorflow' : 'wasm';
  const soloColumn = native ? 'tensorflow 1 thr' : 'wasm ours';
  const torch = await torchRows(threadCounts);
  const memLines = await memoryCheck(sweepBackend);
  const { efficiency, effText } = await parallelEfficiency(m.cores, sweepBackend);
  const pairLines = m.cores >= 2 && native ? await pairedRows(torch.torchCols.length > 0) : [];
  const opLines = native && threadCounts.length > 1 ? await secondThreadCost(threadCounts) : [];

  // 6. Sweep estimates from the fastest engine: 2 workers × 1 thread, and 1 worker × every core.
  const estimates = ['quick', 'full'].flatMap((p) => {
    const out = [
      {
        label: `${soloColumn}, 2 workers`,
        e: estimateSweep(rows, p, soloColumn, { workers: 2, efficiency, dataSeconds, evalBatch: EVAL_BATCH_SIZE }),
      },
    ];
    if (native && threadCounts.length > 1)
      out.push({
        label: `tensorflow ${threadCounts[1]} thr, 1 worker`,
        e: estimateSweep(rows, p, `tensorflow ${threadCounts[1]} thr`, {
          workers: 1,
          efficiency: 1,
          dataSeconds,
          evalBatch: EVAL_BATCH_SIZE,
        }),
      });
    return out;
  });
  const estLines = estimateTable(estimates);
  const estNotes = [
    `Sweep 'writeup'; training at the maximum epochs (early stopping only shortens it); forward examples = per-epoch test evaluation, final train and test evaluation and L_n(w*), at batch ${EVAL_BATCH_SIZE}; ` +
      `MNIST loading ${dataSeconds.toFixed(1)} s per cell; workers scheduled as lib/experiments/runner.ts does, at parallel efficiency ${efficiency.toFixed(2)} (${m.cores >= 2 ? 'measured' : 'one core'}).`,
    ...estimates
      .filter(({ e }) => e.missing.length)
      .map(({ label, e }) => `${e.profile} (${label}): no measurement for ${e.missing.join(', ')}`),
  ];

  const { torchInfo, torchNote, torchCols } = torch;
  const allColumns = [...engines, ...torchCols];
  const ratios: [string, string][] = threadCounts
    .filter((t) => native && torchCols.includes(`torch ${t} thr`))
    .map((t) => [`tensorflow ${t} thr`, `torch ${t} thr`]);
  if (torchCols.includes('torch 1 thr')) ratios.push(['wasm ours', 'torch 1 thr']);
  const table = summaryTable(rows, allColumns, ratios);
  const fc1Rates = allColumns.flatMap((c) => {
    const st = stats(find(rows, c, 'mlp', 'fc1', MAIN_BATCHES[0]));
    return st ? [`${c} ${((st.median * FC1_FLOPS_PER_EXAMPLE) / 1e9).toFixed(1)}`] : [];
  });
  const fc1Line = `Row fc1 = the MLP's x[${MAIN_BATCHES[0]}, 784] · W[784, 128] alone, in GFLOP/s: ${fc1Rates.join('; ') || 'not measured'}.`;
  console.log(`\nexamples/second, median [min–max]:\n${table.join('\n')}\n${fc1Line}`);
  console.log(`\nestimated wall time of the 'writeup' sweeps:\n${estLines.join('\n')}\n${estNotes.join('\n')}`);
  const loadEnd = fmtLoad();
  console.log(
    `\nload average at end: ${loadEnd}; bench took ${formatDuration((Date.now() - started.getTime()) / 1000)}`,
  );
  if (!write) return;

  const torchLines = torchInfo
    ? [
        `- PyTorch ${torchInfo.torch} (python ${torchInfo.python}), threads ${torchCols.map((c) => c.split(' ')[1]).join(' and ')} (interop ${torchInfo.interop_threads}), mkldnn ${torchInfo.mkldnn}`,
        `- BLAS: ${torchInfo.blas}; torch.__config__.show(): ${
          Object.entries(torchInfo.build)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ') || 'nothing reported'
        }`,
      ]
    : [`- PyTorch: not run (${torchNote})`];
  const section = [
    `## ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC — ${opts.quick ? '`npm run bench -- --quick` (few reps, not for comparison)' : '`npm run bench`'}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores${m.smt ? ` (${m.smt})` : ''}, ${m.memGb.toFixed(1)} GB RAM, ${m.platform}`,
    `- Load average (1/5/15 min): ${loadStart} at start, ${loadEnd} at end`,
    `- Node ${m.node}; tfjs-core ${tf.version_core}; tfjs-node ${native ? require('@tensorflow/tfjs-node/package.json').version : 'not installed'} (TensorFlow C library of the tensorflow-cpu 2.21.0 wheel, scripts/install-native.ts); backend-wasm ${version_wasm}; backend-cpu ${version_cpu}`,
    ...torchLines,
    `- Budget per row: ${BUDGET.warmup} warm-up step(s), ${BUDGET.reps} timed blocks of ~${BUDGET.repSeconds} s (stock/cpu: ${SLOW_BUDGET.reps}); training set of ${NUM_TRAIN} examples on the backend`,
    '',
    '### Throughput (examples/second)',
    '',
    ...table,
    '',
    fc1Line,
    '',
    '### Estimated wall time of the writeup sweeps',
    '',
    ...estLines,
    '',
    ...estNotes.map((l) => `${l}  `),
    '',
    '### Memory',
    '',
    ...memLines.map((l) => `- ${l}`),
    '',
    '### Parallel efficiency',
    '',
    `- ${effText}`,
    '',
    ...(pairLines.length
      ? ['### Two cores as the sweeps use them (2 processes × 1 thread)', '', ...pairLines, '']
      : []),
    ...(opLines.length ? [OPS_HEADING, '', ...opLines, ''] : []),
  ].join('\n');
  writeResults(RESULTS, section);
}

/** 1–2. Throughput rows of every engine: native TensorFlow at 1 thread (what each sweep worker uses) and at every core; wasm (ours; full runs: without SIMD, stock, stock + filter gradient, cpu). */
async function engineRows(native: boolean, threadCounts: number[]): Promise<string[]> {
  const needs = ARCHS.flatMap((arch) => profileNeeds(EVAL_BATCH_SIZE).map((n) => ({ arch, ...n })));
  const engines: string[] = [];
  if (native) {
    for (const t of threadCounts) {
      const column = `tensorflow ${t} thr`;
      engines.push(column);
      await runEngine({ column, backend: 'tensorflow', extra: needs, steps: ['train', 'sgld', 'fc1'] }, t);
    }
  } else console.log('tensorflow: not installed (npm run setup:native)');
  // 2. wasm: ours, and (full runs) ours without SIMD, stock, stock + filter gradient.
  engines.push('wasm ours');
  await runEngine({ column: 'wasm ours', backend: 'wasm', extra: needs, steps: ['train', 'sgld', 'fc1'] }, 1);
  if (!opts.quick && opts.stock) {
    const slow = { budget: SLOW_BUDGET, batches: [MAIN_BATCHES[0]] };
    await runEngine({ column: 'wasm ours −simd', backend: 'wasm', variant: 'nosimd', ...slow }, 1);
    await runEngine({ column: 'wasm stock', backend: 'wasm', variant: 'stock', ...slow }, 1);
    await runEngine(
      { column: 'wasm stock+filter', backend: 'wasm', variant: 'stockfilter', archs: ['cnn'], ...slow },
      1,
    );
    await runEngine({ column: 'cpu ours', backend: 'cpu', archs: opts.cpuCnn ? ARCHS : ['mlp'], ...slow }, 1);
    engines.push('wasm ours −simd', 'wasm stock', 'wasm stock+filter', 'cpu ours');
  }
  return engines;
}

/** 3. PyTorch's rows at 1 thread and at every core (its columns, its versions, or why it did not run). */
async function torchRows(
  threadCounts: number[],
): Promise<{ torchInfo: TorchInfo | null; torchNote: string | null; torchCols: string[] }> {
  let torchInfo: TorchInfo | null = null;
  let torchNote: string | null = opts.torch ? null : 'skipped (--no-torch)';
  const torchCols: string[] = [];
  if (opts.torch) {
    try {
      const python = opts.python ?? torchPython();
      console.log(`\nPyTorch (${python} bench/torch_bench.py):`);
      for (const threads of threadCounts) {
        torchInfo =
          (await runTorch(
            python,
            threads,
            { archs: ARCHS, batches: MAIN_BATCHES, budget: BUDGET, numTrain: NUM_TRAIN },
            (r) => (rows.push(r), console.log(rowLine(r))),
          )) ?? torchInfo;
        torchCols.push(`torch ${threads} thr`);
      }
    } catch (e) {
      torchNote = (e as Error).message;
    }
    if (torchInfo) {
      const np = ARCHS.map((a) => `${a} ${numParams(modelDef(a))} vs ${torchInfo!.num_params[a]}`).join(', ');
      console.log(
        `  torch ${torchInfo.torch}, python ${torchInfo.python}, mkldnn ${torchInfo.mkldnn}; parameters (ours vs torch): ${np}; BLAS: ${torchInfo.blas}`,
      );
    }
  }
  if (torchNote != null) console.log(`\nPyTorch: not run (${torchNote})`);
  return { torchInfo, torchNote, torchCols };
}

/** 4. Memory over a long SGLD chain (CNN, from a trained w*) on the sweeps' engine: the report's lines. */
async function memoryCheck(sweepBackend: EngineJob['backend']): Promise<string[]> {
  console.log(`\nmemory: ${MEMORY.steps} SGLD steps, CNN, batch ${MEMORY.batch}, ${sweepBackend} ...`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the engine process's memory message (bench/engine.ts), read field by field below
  let mem: any = null;
  await runEngine(
    {
      column: 'memory',
      backend: sweepBackend,
      memorySteps: MEMORY.steps,
      memoryBatch: MEMORY.batch,
      memoryPretrainSteps: MEMORY.pretrainSteps,
    },
    1,
    (msg) => msg.type === 'memory' && (mem = msg),
  );
  const memLines = [
    `${mem.steps} SGLD steps (CNN, batch ${mem.batch}, ${sweepBackend}, w* after ${MEMORY.pretrainSteps} Adam steps) at ${fmtRate(mem.exPerSec)} ex/s sustained; ` +
      `minibatch loss at the first and last step ${fmtLoss(mem.chain.firstLoss)} and ${fmtLoss(mem.chain.lastLoss)}, max ${fmtLoss(mem.chain.maxLoss)}` +
      (mem.chain.firstNonFinite == null
        ? ''
        : ` (the chain diverged: loss not finite from step ${mem.chain.firstNonFinite})`),
    `RSS ${mb(mem.before.rss)} → ${mb(mem.after.rss)} (${mem.after.rss >= mem.before.rss ? '+' : ''}${mb(mem.after.rss - mem.before.rss)}); JS heap ${mb(mem.before.heapUsed)} → ${mb(mem.after.heapUsed)}` +
      (mem.before.wasmHeap ? `; wasm heap ${mb(mem.before.wasmHeap)} → ${mb(mem.after.wasmHeap)}` : ''),
    `tf.memory().numTensors ${mem.before.tensors} → ${mem.after.tensors} (${mem.afterDispose} after disposing the chain)`,
  ];
  memLines.forEach((l) => console.log(`  ${l}`));
  return memLines;
}

/** 5. Parallel efficiency: a CNN SGLD block in 1, then in 2 concurrent processes (1 thread each). */
async function parallelEfficiency(
  cores: number,
  sweepBackend: EngineJob['backend'],
): Promise<{ efficiency: number; effText: string }> {
  let efficiency = 1;
  let effText = 'one core: not applicable';
  if (cores >= 2) {
    const solo = async () => {
      let rate = NaN;
      await runEngine(
        { column: 'solo', backend: sweepBackend, soloSeconds: PARALLEL_SECONDS },
        1,
        (msg) => msg.type === 'rate' && (rate = msg.exPerSec),
      );
      return rate;
    };
    console.log(
      `\nparallel efficiency: CNN SGLD batch 256 on ${sweepBackend} for ${PARALLEL_SECONDS} s in 1, then 2 concurrent processes ...`,
    );
    const one = await solo();
    const two = await Promise.all([solo(), solo()]);
    const measured = (two[0] + two[1]) / (2 * one);
    // Above 1 is noise in the solo run (two processes cannot beat twice one): estimate with 1.
    efficiency = Math.min(1, measured);
    effText = `${measured.toFixed(2)} measured${measured > 1 ? ' (noise; the estimates use 1.00)' : ''}: 1 process ${fmtRate(one)} ex/s, 2 processes ${two.map(fmtRate).join(' + ')} ex/s`;
    console.log(`  ${effText}`);
  }
  return { efficiency, effText };
}

/**
 * 6. Two cores as the sweeps use them: two 1-thread processes of each engine at once (MLP and CNN,
 * train and SGLD, batch 256), the sum of their medians against PyTorch's two 1-thread processes.
 * The two processes run the same rows with the same time-based blocks, so they overlap row by row.
 */
async function pairedRows(withTorch: boolean): Promise<string[]> {
  const batches = [MAIN_BATCHES[0]];
  const steps: ('train' | 'sgld')[] = ['train', 'sgld'];
  const ours: Row[] = [];
  const peer: Row[] = [];
  console.log('\ntwo cores as the sweeps use them: 2 processes × 1 thread, each engine ...');
  await Promise.all(
    ['a', 'b'].map((p) => runEngine({ column: `pair ${p}`, backend: 'tensorflow', batches, steps }, 1, () => {}, ours)),
  );
  if (withTorch) {
    const python = opts.python ?? torchPython();
    await Promise.all(
      ['a', 'b'].map((p) =>
        runTorch(python, 1, { archs: ARCHS, batches, budget: BUDGET, numTrain: NUM_TRAIN }, (r) =>
          peer.push({ ...r, column: `pair ${p}` }),
        ),
      ),
    );
  }
  const sum = (rs: Row[], arch: Architecture, step: 'train' | 'sgld') => {
    const st = ['pair a', 'pair b'].map((c) => stats(find(rs, c, arch, step, batches[0])));
    return st.every((x) => x != null) ? st.reduce((a, x) => a + x!.median, 0) : NaN;
  };
  const lines = [
    `| model | step | tensorflow, 2 × 1 thread ex/s | PyTorch 2.13, 2 × 1 thread ex/s | ratio |`,
    '|---|---|---|---|---|',
    ...ARCHS.flatMap((arch) =>
      steps.map((step) => {
        const [a, b] = [sum(ours, arch, step), sum(peer, arch, step)];
        const f = (v: number) => (Number.isFinite(v) ? fmtRate(v) : '–');
        return `| ${arch} | ${step} | ${f(a)} | ${f(b)} | ${Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–'} |`;
      }),
    ),
    '',
    `Batch ${batches[0]}; each entry the sum of two concurrent processes' medians (${BUDGET.reps} blocks of ~${BUDGET.repSeconds} s each).`,
  ];
  lines.forEach((l) => console.log(l));
  return lines;
}

/**
 * 7. Why the MLP's step is slower with a second thread: single ops of its step, back to back, at 1
 * and at every core (bench/ops.ts), and the round trip of waking a sleeping thread against a spinning one.
 */
async function secondThreadCost(threadCounts: number[]): Promise<string[]> {
  const [lo, hi] = [threadCounts[0], threadCounts[threadCounts.length - 1]];
  const reps = opts.quick ? 50 : 200;
  console.log(`\nper-op cost of a second thread: single ops at ${lo} and ${hi} threads ...`);
  const tfUs: OpCost[][] = [];
  let kernels: StepKernels[] = [];
  for (const t of [lo, hi])
    await runEngine({ column: 'ops', backend: 'tensorflow', opReps: reps, numTrain: 1024 }, t, (msg) => {
      if (msg.type !== 'ops') return;
      tfUs.push(msg.ops);
      kernels = msg.kernels;
    });
  const torchUs: { name: string; us: number }[][] = [];
  let torchNote = opts.torch ? '' : ' (PyTorch skipped: --no-torch)';
  if (opts.torch)
    try {
      const python = opts.python ?? torchPython();
      for (const t of [lo, hi]) torchUs.push(await runTorchOps(python, t, OP_SPECS, reps));
    } catch (e) {
      torchNote = ` (PyTorch not run: ${(e as Error).message})`;
    }
  const wake = await wakeRoundTrip(opts.quick ? 2_000 : 20_000);
  const cols = (us: number[]) => {
    const d = us[1] - us[0];
    return `${us[0].toFixed(1)} | ${us[1].toFixed(1)} | ${d >= 0 ? '+' : ''}${d.toFixed(1)}`;
  };
  const dispatchUs = (costs: { name: string; us: number }[]) => costs.find((c) => c.name === DISPATCH_OP)!.us;
  const lines = [
    `| op | operands | tensorflow ${lo} thr µs | tensorflow ${hi} thr µs | difference | ` +
      (torchUs.length ? `torch ${lo} thr µs | torch ${hi} thr µs | difference |` : ''),
    `|---|---|---|---|---|${torchUs.length ? '---|---|---|' : ''}`,
    ...tfUs[0].map(
      (o, i) =>
        `| ${o.name} | ${o.shape} | ${cols([tfUs[0][i].us, tfUs[1][i].us])} |` +
        (torchUs.length ? ` ${cols([torchUs[0][i].us, torchUs[1][i].us])} |` : ''),
    ),
    '',
    `Median µs per op over 5 blocks of ${reps} ops run back to back (bench/ops.ts; PyTorch: bench/torch_bench.py --ops)${torchNote}. ` +
      `Waking a thread and back (two Node threads, Atomics.wait/notify): ${wake.sleeping.toFixed(1)} µs sleeping, ${wake.spinning.toFixed(2)} µs spinning.`,
    '',
    `Kernels per step (batch 256, tf.profile) and their dispatch alone at ${lo} thread (× the 10-float add, ${dispatchUs(tfUs[0]).toFixed(1)} µs` +
      (torchUs.length ? `; PyTorch's: ${dispatchUs(torchUs[0]).toFixed(1)} µs` : '') +
      '): ' +
      kernels
        .map((k) => `${k.arch} ${k.step} ${k.kernels} (${((k.kernels * dispatchUs(tfUs[0])) / 1000).toFixed(2)} ms)`)
        .join(', ') +
      '.',
  ];
  lines.forEach((l) => console.log(l));
  return lines;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
