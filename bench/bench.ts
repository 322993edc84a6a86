/**
 * Throughput benchmark: examples/second of the steps the sweeps spend their time in,
 * on every available backend, side by side with PyTorch, plus what that means for
 * the sweeps' wall time, plus memory over a long SGLD chain.
 *
 *   npm run bench                 full run (~10 min on this 2-core machine, ~3.5 of them the 10,000-step memory run); writes bench/results.md
 *   npm run bench -- --quick      few reps, small budgets (< 1 min); prints only (add --write to record)
 *
 * Options: --quick  --write / --no-write  --no-torch  --cpu-cnn (CNN rows on the cpu
 * backend: ~40 s per batch-256 step)  --parallel (measure the 2-process efficiency
 * also with --quick)  --python PATH (default /usr/bin/python3 or $BENCH_PYTHON); env BENCH_RESULTS: output file.
 *
 * Steps (each mirrors the library code, with the same building blocks):
 *   train    lib/train.ts: gather a minibatch from the device-resident training set,
 *            forward, masked cross-entropy, backward, Adam update; loss / accuracy sums
 *            stay on the backend and are read back at the end of each timed block
 *   sgld     lib/llc.ts runChain: minibatch indices drawn with replacement and N(0,1)
 *            noise generated in JS, gather, valueAndGrads, lib/sgld.ts update; losses
 *            read back every 100 steps and at the end of each timed block
 *   forward  lib/train.ts evaluate() on 1,024 examples (evaluation and L_n(w*) passes)
 * Each row: warm-up steps, then `reps` timed blocks of a step count calibrated from the
 * last warm-up step; ex/s = median over the blocks [min–max].
 *
 * Gradient variants on wasm (registerGradient is global, so stock rows run inside
 * lib/kernels.ts withStockGradients): ours = lib/kernels.ts overrides + lib/simd.ts
 * kernels (what the project runs), ours −simd = the same without lib/simd.ts's kernels (tfjs's stock wasm kernels
 * under our gradients), stock = tfjs's own gradients and kernels, stock+filter = stock plus
 * only our Conv2DBackpropFilter replacement (the least it takes to train the CNN on wasm at all).
 */
import { ChildProcess, fork, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { BackendName, initBackend, nativeAvailable, tf } from '../lib/backend';
import { DeviceSplit, disposeSplit, uploadSplit } from '../lib/batches';
import { WASM_GRADIENT_OVERRIDES, withStockGradients } from '../lib/kernels';
import { withoutSimdKernels } from '../lib/simd';
import { batchIndices, defaultNbeta, resolveLlcSettings, sgldStep, WRITEUP_LLC } from '../lib/llc';
import { Architecture, initWeights, labelSelector, modelDef, ModelDef, numParams, taskLoss, weightsToTensors } from '../lib/models';
import { REPO_ROOT, repoPath } from '../lib/paths';
import { makeRng } from '../lib/rng';
import { median } from '../lib/stats';
import { writeFileAtomic } from '../lib/store';
import { PROFILES, sweepCells } from '../lib/sweeps';
import { DEFAULT_NUM_TEST, DEFAULT_NUM_TRAIN, makeTask, Task } from '../lib/tasks';
import { adamStep, evaluate, TRAIN_DEFAULTS } from '../lib/train';

/** Where runs are recorded (BENCH_RESULTS overrides, e.g. to try --write elsewhere). */
const RESULTS = process.env.BENCH_RESULTS ?? repoPath('bench', 'results.md');
const LABELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const ARCHS: Architecture[] = ['mlp', 'cnn'];
const MAIN_BATCHES = [256, 512];
const EVAL_BATCH = 1024;

type StepKind = 'train' | 'sgld' | 'forward' | 'fc1';

interface Budget {
  warmup: number;
  reps: number;
  /** Target seconds of one timed block. */
  repSeconds: number;
}

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const QUICK = flag('--quick');
const BUDGET: Budget = QUICK ? { warmup: 1, reps: 3, repSeconds: 0.1 } : { warmup: 3, reps: 7, repSeconds: 1.0 };
/** cpu is ~50× slower than wasm: keep its rows cheap. */
const CPU_BUDGET: Budget = QUICK ? { warmup: 1, reps: 2, repSeconds: 0.1 } : { warmup: 1, reps: 3, repSeconds: 1.0 };
/** The stock variants are up to ~10× slower: fewer, shorter blocks. */
const STOCK_BUDGET: Budget = QUICK ? { warmup: 1, reps: 2, repSeconds: 0.1 } : { warmup: 2, reps: 5, repSeconds: 1.0 };
const MEMORY_STEPS = QUICK ? 50 : 10000;
/** Small batches keep the 10,000-step run at a few minutes; leaks scale with steps, not batch size. */
const MEMORY_BATCH = 64;
/** Adam steps (batch MEMORY_BATCH) that give the memory run's chain a trained w*. */
const MEMORY_PRETRAIN_STEPS = QUICK ? 5 : 400;
const PARALLEL_SECONDS = QUICK ? 4 : 15;
/** Stated when not measured (SMT siblings or memory bandwidth can make it lower). */
const ASSUMED_EFFICIENCY = 0.85;
/** Device-resident training set: the write-up's n. */
const NUM_TRAIN = QUICK ? 4096 : DEFAULT_NUM_TRAIN;

// ---------------------------------------------------------------------------
// Rows and statistics

interface Row {
  /** Column of the summary table, e.g. 'wasm ours', 'torch 1 thr'. */
  column: string;
  arch: Architecture;
  step: StepKind;
  batch: number;
  stepsPerRep?: number;
  repSeconds?: number[];
  /** Why there is no number ('n/a: ...'). */
  note?: string;
}

interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

function stats(r: Row): Stats | null {
  if (!r.repSeconds?.length) return null;
  const rates = r.repSeconds.map((s) => (r.stepsPerRep! * r.batch) / s);
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), n: rates.length };
}

const fmtRate = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const fmtStats = (s: Stats) => `${fmtRate(s.median)} [${fmtRate(s.min)}–${fmtRate(s.max)}]`;

const rows: Row[] = [];
function record(r: Row): Row {
  rows.push(r);
  const s = stats(r);
  const what = `${r.column.padEnd(18)} ${r.arch} ${r.step.padEnd(7)} batch ${String(r.batch).padStart(4)}`;
  if (s == null) console.log(`${what}   ${r.note}`);
  else {
    const ms = (1000 * r.batch) / s.median;
    console.log(`${what} ${fmtStats(s).padStart(24)} ex/s  (${ms.toFixed(1)} ms/step, ${s.n}×${r.stepsPerRep} steps)`);
  }
  return r;
}

function find(column: string, arch: string, step: StepKind, batch: number): Row | undefined {
  return rows.find((r) => r.column === column && r.arch === arch && r.step === step && r.batch === batch);
}

// ---------------------------------------------------------------------------
// Steps (synchronous: wasm and cpu kernels run when called, so the read-backs in
// finish() are where a block's work is certainly done)

interface Stepper {
  step(): void;
  /** Read back what the library reads back at the end of a block. */
  finish(): void;
  dispose(): void;
}

/** One Adam step as lib/train.ts trainModel takes it; `weights` are the model's variables. */
function trainStepper(def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, batch: number): Stepper & { weights: tf.Variable[] } {
  const init = weightsToTensors(def, initWeights(def, 1));
  const vars = init.map((t) => tf.variable(t, true));
  tf.dispose(init);
  const optimizer = tf.train.adam(TRAIN_DEFAULTS.learningRate);
  const rng = makeRng(2);
  let lossSum = tf.scalar(0);
  let correct = tf.scalar(0);
  return {
    weights: vars,
    step() {
      const r = adamStep(def, vars, optimizer, selector, data, batchIndices(data.n, batch, rng)); // train.ts: a slice of a shuffled permutation
      const [l, c] = tf.tidy(() => [tf.add(lossSum, tf.mul(r.loss, batch)), tf.add(correct, r.correct)]);
      tf.dispose([r.loss, r.correct, lossSum, correct]);
      lossSum = l as tf.Scalar;
      correct = c as tf.Scalar;
    },
    finish() {
      lossSum.dataSync();
      correct.dataSync();
    },
    dispose() {
      optimizer.dispose();
      tf.dispose([...vars, lossSum, correct]);
    },
  };
}

/** What the memory run reports about its chain besides memory. */
interface ChainStats {
  /** Minibatch loss of the first step (at w*). */
  firstLoss: number;
  lastLoss: number;
  /** Largest finite minibatch loss of the run (an escape from the basin shows here). */
  maxLoss: number;
  /** Index of the first step whose loss was not finite (the chain diverged), or null. */
  firstNonFinite: number | null;
}

/** One SGLD step as lib/llc.ts runChain takes it (w* = `start`, default: random weights). */
function sgldStepper(def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, batch: number, start?: tf.Tensor[]): Stepper & { chain: ChainStats } {
  const lossFn = taskLoss(def, selector);
  const wStar = start ? start.map((t) => tf.clone(t)) : weightsToTensors(def, initWeights(def, 1));
  const settings = { epsilon: WRITEUP_LLC.epsilon!, gamma: WRITEUP_LLC.gamma!, nbeta: defaultNbeta(data.n), batchSize: batch };
  const rng = makeRng(3);
  let w = wStar.map((t) => tf.clone(t));
  let pending: tf.Scalar[] = [];
  let done = 0;
  const chain: ChainStats = { firstLoss: NaN, lastLoss: NaN, maxLoss: -Infinity, firstNonFinite: null };
  const flush = () => {
    if (pending.length === 0) return;
    const stacked = tf.stack(pending);
    const v = stacked.dataSync();
    chain.lastLoss = v[v.length - 1];
    if (done === 0) chain.firstLoss = v[0];
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (chain.firstNonFinite == null && bad >= 0) chain.firstNonFinite = done + bad;
    for (const x of v) if (x > chain.maxLoss) chain.maxLoss = x;
    done += v.length;
    stacked.dispose();
    tf.dispose(pending);
    pending = [];
  };
  return {
    step() {
      const { next, loss } = sgldStep(lossFn, w, wStar, data, rng, settings);
      tf.dispose(w);
      w = next;
      pending.push(loss);
      if (pending.length >= 100) flush();
    },
    finish: flush,
    dispose() {
      flush();
      tf.dispose([...w, ...wStar]);
    },
    chain,
  };
}

/** lib/train.ts evaluate() on the first `batch` examples (one block). */
function forwardStepper(def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, batch: number): Stepper {
  const weights = weightsToTensors(def, initWeights(def, 1));
  const part: DeviceSplit = { x: tf.slice(data.x, 0, batch), y: tf.slice(data.y, 0, batch), n: batch };
  return {
    step: () => void evaluate(def, weights, part, selector, batch),
    finish() {},
    dispose() {
      tf.dispose(weights);
      disposeSplit(part);
    },
  };
}

/**
 * The MLP's largest dense product alone, x[batch, 784] · W[784, 128] (forward): the
 * ceiling of the MLP's step on a backend, since that step is mostly such products.
 */
function fc1Stepper(_def: ModelDef, data: DeviceSplit, _selector: tf.Tensor2D, batch: number): Stepper {
  const x = tf.tidy(() => tf.reshape(tf.slice(data.x, 0, batch), [batch, -1]));
  const w = tf.randomNormal([784, 128], 0, 0.05, 'float32', 1);
  let y: tf.Tensor | null = null;
  return {
    step() {
      y?.dispose();
      y = tf.matMul(x, w);
    },
    finish: () => void y?.dataSync(),
    dispose: () => tf.dispose([x, w, ...(y ? [y] : [])]),
  };
}

/** Flops per example of the fc1 product (a multiply and an add per weight). */
const FC1_FLOPS_PER_EXAMPLE = 2 * 784 * 128;

const STEPPERS = { train: trainStepper, sgld: sgldStepper, forward: forwardStepper, fc1: fc1Stepper };

/** Time one (arch, step, batch) on the current backend with the current gradients. */
function measure(column: string, arch: Architecture, step: StepKind, batch: number, data: DeviceSplit, budget: Budget): Row {
  const row: Row = { column, arch, step, batch };
  const def = modelDef(arch);
  const selector = labelSelector(LABELS);
  let s: Stepper | null = null;
  try {
    s = STEPPERS[step](def, data, selector, batch);
    let warm = Infinity;
    for (let i = 0; i < Math.max(1, budget.warmup); i++) {
      const t = performance.now();
      s.step();
      s.finish();
      warm = (performance.now() - t) / 1000;
    }
    row.stepsPerRep = Math.max(1, Math.round(budget.repSeconds / warm));
    row.repSeconds = [];
    for (let r = 0; r < budget.reps; r++) {
      const t = performance.now();
      for (let i = 0; i < row.stepsPerRep; i++) s.step();
      s.finish();
      row.repSeconds.push((performance.now() - t) / 1000);
    }
  } catch (e) {
    row.repSeconds = undefined;
    row.note = `n/a: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    s?.dispose();
    selector.dispose();
  }
  return record(row);
}

/** Stock gradients plus only our Conv2D filter gradient (call inside withStockGradients). */
function registerFilterGradOnly(): void {
  const stock = tf.getGradient(tf.Conv2D);
  const ours = WASM_GRADIENT_OVERRIDES.find((c) => c.kernelName === tf.Conv2D)!;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => ({ ...stock.gradFunc(dy, saved, attrs), filter: ours.gradFunc(dy, saved, attrs).filter }),
  });
}

// ---------------------------------------------------------------------------
// PyTorch

interface TorchInfo {
  torch: string;
  python: string;
  threads: number;
  interop_threads: number;
  mkldnn: boolean;
  /** What the mapped libraries say: 'OpenBLAS (...)', 'MKL', 'reference BLAS ...'. */
  blas: string;
  /** BLAS_INFO, LAPACK_INFO, USE_MKLDNN, USE_OPENMP, USE_NNPACK from torch.__config__.show(). */
  build: Record<string, string>;
  libraries: string[];
  config: string;
  parallel_info: string;
  num_params: Record<string, number>;
}

const PYTHON = option('--python') ?? process.env.BENCH_PYTHON ?? '/usr/bin/python3';

/** Null when torch imports; else the reason it does not. */
function torchUnavailable(): Promise<string | null> {
  return new Promise((resolve) => {
    const p = spawn(PYTHON, ['-c', 'import torch'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', (e) => resolve(`${PYTHON}: ${e.message}`));
    p.on('close', (code) => resolve(code === 0 ? null : err.trim().split('\n').pop() || `exit code ${code}`));
  });
}

function runTorch(threads: number, budget: Budget): Promise<TorchInfo | null> {
  const column = `torch ${threads} thr`;
  const script = repoPath('bench', 'torch_bench.py');
  let info: TorchInfo | null = null;
  return new Promise<TorchInfo | null>((resolve, reject) => {
    const args = [script, '--threads', String(threads), '--archs', ARCHS.join(','), '--batches', MAIN_BATCHES.join(','), '--steps', 'train,sgld,fc1',
      '--warmup', String(budget.warmup), '--reps', String(budget.reps), '--rep-seconds', String(budget.repSeconds), '--num-train', String(NUM_TRAIN)];
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const p = spawn(PYTHON, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const msg = JSON.parse(line);
        if (msg.type === 'info') info = msg;
        else if (msg.type === 'row') record({ column, arch: msg.arch, step: msg.step, batch: msg.batch, stepsPerRep: msg.steps_per_rep, repSeconds: msg.rep_seconds });
      }
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(info) : reject(new Error(`torch_bench.py exited with code ${code}`))));
  });
}

// ---------------------------------------------------------------------------
// Memory over a long SGLD chain

interface MemoryResult {
  steps: number;
  column: string;
  before: NodeJS.MemoryUsage & { tensors: number; wasmHeap: number };
  after: NodeJS.MemoryUsage & { tensors: number; wasmHeap: number };
  afterDispose: number;
  exPerSec: number;
  pretrainSteps: number;
  chain: ChainStats;
}

function wasmHeapBytes(): number {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.buffer.byteLength ?? 0;
}

/** A gc() without --expose-gc on the command line (npm run bench passes no node flags). */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

function snapshot() {
  collect();
  return { ...process.memoryUsage(), tensors: tf.memory().numTensors, wasmHeap: wasmHeapBytes() };
}

/** Adam steps as lib/train.ts takes them; returns the weights (the chain's w*, as in a real cell). */
function pretrain(def: ModelDef, data: DeviceSplit, selector: tf.Tensor2D, steps: number, batch: number): tf.Tensor[] {
  const s = trainStepper(def, data, selector, batch);
  for (let i = 0; i < steps; i++) s.step();
  const w = s.weights.map((v) => tf.clone(v));
  s.dispose();
  return w;
}

/** Losses as read: fixed point, or exponent form once a chain has exploded. */
const fmtLoss = (x: number) => (Math.abs(x) < 1e4 ? x.toFixed(3) : x.toExponential(2));

function memoryTest(column: string, data: DeviceSplit, steps: number): MemoryResult {
  const def = modelDef('cnn');
  const selector = labelSelector(LABELS);
  // SGLD from random weights drifts down the loss with a large effective step and can diverge
  // in a long run; a real chain starts at a trained w*, so the memory run does too.
  const wStar = pretrain(def, data, selector, MEMORY_PRETRAIN_STEPS, MEMORY_BATCH);
  const s = sgldStepper(def, data, selector, MEMORY_BATCH, wStar);
  tf.dispose(wStar);
  s.step(); // warm-up
  s.finish();
  const before = snapshot();
  const t = performance.now();
  for (let i = 0; i < steps; i++) s.step();
  s.finish();
  const seconds = (performance.now() - t) / 1000;
  const after = snapshot();
  const chain = { ...s.chain };
  s.dispose();
  selector.dispose();
  return { steps, column, before, after, afterDispose: tf.memory().numTensors, exPerSec: (steps * MEMORY_BATCH) / seconds, pretrainSteps: MEMORY_PRETRAIN_STEPS, chain };
}

// ---------------------------------------------------------------------------
// Parallel efficiency: the same SGLD block in 1 and in 2 concurrent worker processes

const CHILD_JOB = { arch: 'cnn' as Architecture, step: 'sgld' as StepKind, batch: 256 };

async function childMain(): Promise<void> {
  const backend = option('--backend') as BackendName;
  const seconds = Number(option('--seconds'));
  await initBackend({ backend, log: false });
  const task = makeTask({ labels: LABELS, numTrain: 4096, numTest: 1, seed: 0 });
  const data = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const selector = labelSelector(LABELS);
  const s = STEPPERS[CHILD_JOB.step](modelDef(CHILD_JOB.arch), data, selector, CHILD_JOB.batch);
  for (let i = 0; i < 2; i++) s.step();
  s.finish();
  let steps = 0;
  const t = performance.now();
  while (performance.now() - t < 1000 * seconds) {
    s.step();
    steps++;
  }
  s.finish();
  const exPerSec = (steps * CHILD_JOB.batch) / ((performance.now() - t) / 1000);
  process.send?.({ exPerSec }, () => process.exit(0));
}

function runChildren(count: number, backend: string, seconds: number): Promise<number[]> {
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const child: ChildProcess = fork(__filename, ['--child', '--backend', backend, '--seconds', String(seconds)], {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let rate = NaN;
      child.on('message', (m: any) => (rate = m.exPerSec));
      child.on('error', reject);
      child.on('exit', (code) => (Number.isFinite(rate) ? resolve(rate) : reject(new Error(`bench child exited with code ${code}`))));
    });
  return Promise.all(Array.from({ length: count }, one));
}

// ---------------------------------------------------------------------------
// Sweep wall-time estimates

interface SweepEstimate {
  profile: string;
  cells: number;
  perArch: Record<string, { trainEx: number; trainBatch: number; evalEx: number; sgldSteps: number; m: number; seconds: number }>;
  seconds1: number;
  seconds2: number;
  efficiency: number;
  missing: string[];
}

/** The (step, batch) pairs the profiles' writeup sweeps need. */
function profileNeeds(): { step: StepKind; batch: number }[] {
  const out = new Map<string, { step: StepKind; batch: number }>();
  for (const name of ['quick', 'full']) {
    const p = PROFILES[name];
    const m = resolveLlcSettings(p.llc, p.numTrain).batchSize;
    for (const [step, batch] of [['train', p.train.batchSize ?? TRAIN_DEFAULTS.batchSize], ['sgld', m], ['forward', EVAL_BATCH]] as const) {
      out.set(`${step}/${batch}`, { step, batch });
    }
  }
  return [...out.values()];
}

function estimateSweep(profileName: string, column: string, efficiency: number, dataSeconds: number): SweepEstimate {
  const p = PROFILES[profileName];
  const cells = sweepCells('writeup', p);
  const perArch: SweepEstimate['perArch'] = {};
  const missing: string[] = [];
  const rate = (arch: string, step: StepKind, batch: number) => {
    const s = stats(find(column, arch, step, batch) ?? ({} as Row));
    if (s == null) missing.push(`${arch} ${step} ${batch}`);
    return s?.median ?? NaN;
  };
  const cellSeconds = cells.map((c) => {
    const epochs = c.train.epochs ?? TRAIN_DEFAULTS.epochs;
    const trainBatch = c.train.batchSize ?? TRAIN_DEFAULTS.batchSize;
    const llc = resolveLlcSettings(c.llc, c.numTrain);
    const m = llc.batchSize;
    const sgldSteps = llc.numChains * (llc.numBurnin + llc.numDraws * llc.stepsBetweenDraws);
    const trainEx = c.numTrain * epochs;
    // per-epoch test evaluation, final train + test evaluation, L_n(w*) over the training set
    const evalEx = epochs * c.numTest + c.numTrain + c.numTest + c.numTrain;
    const seconds =
      dataSeconds + trainEx / rate(c.architecture, 'train', trainBatch) + evalEx / rate(c.architecture, 'forward', EVAL_BATCH) + (sgldSteps * m) / rate(c.architecture, 'sgld', m);
    perArch[c.architecture] = { trainEx, trainBatch, evalEx, sgldSteps, m, seconds };
    return seconds;
  });
  // Two workers take the next cell in sweep order (lib/runner.ts), each at `efficiency` of solo speed.
  const free = [0, 0];
  for (const s of cellSeconds) {
    const w = free[0] <= free[1] ? 0 : 1;
    free[w] += s / efficiency;
  }
  return { profile: profileName, cells: cells.length, perArch, seconds1: cellSeconds.reduce((a, b) => a + b, 0), seconds2: Math.max(...free), efficiency, missing: [...new Set(missing)] };
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

// ---------------------------------------------------------------------------
// Machine

function machine() {
  const cpus = os.cpus();
  let smt = '';
  try {
    smt = fs.readFileSync('/sys/devices/system/cpu/cpu0/topology/thread_siblings_list', 'utf8').trim();
  } catch {}
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    smt: smt ? `cpu0 thread siblings: ${smt}` : '',
    memGb: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Run f with console.warn muted. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return await f();
  } finally {
    console.warn = warn;
  }
}

const fmtLoad = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

// ---------------------------------------------------------------------------
// Report

function summaryTable(columns: string[], oursColumn: string, torchColumn: string | null): string[] {
  const header = ['model', 'batch', 'step', ...columns.map((c) => `${c} ex/s`), ...(torchColumn ? [`${oursColumn} / ${torchColumn}`] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  const keys = new Map<string, { arch: Architecture; step: StepKind; batch: number }>();
  const order = (r: Row) => `${ARCHS.indexOf(r.arch)}-${['train', 'sgld', 'forward', 'fc1'].indexOf(r.step)}-${String(r.batch).padStart(5, '0')}`;
  for (const r of [...rows].sort((a, b) => order(a).localeCompare(order(b)))) keys.set(`${r.arch}/${r.step}/${r.batch}`, r);
  for (const k of keys.values()) {
    const cells = columns.map((c) => {
      const r = find(c, k.arch, k.step, k.batch);
      if (r == null) return '–';
      const s = stats(r);
      return s ? fmtStats(s) : r.note!.replace(/Kernel '(\w+)' not registered for backend '(\w+)'/, 'no $1 kernel on $2').replace(/\|/g, '/');
    });
    const ratio = () => {
      const a = stats(find(oursColumn, k.arch, k.step, k.batch) ?? ({} as Row));
      const b = stats(find(torchColumn!, k.arch, k.step, k.batch) ?? ({} as Row));
      return a && b ? `${(a.median / b.median).toFixed(2)}×` : '–';
    };
    lines.push(`| ${[k.arch, k.batch, k.step, ...cells, ...(torchColumn ? [ratio()] : [])].join(' | ')} |`);
  }
  return lines;
}

const HEADER = `# Benchmark results

Written by \`npm run bench\` (bench/bench.ts, bench/torch_bench.py); newest run first.
Throughput in examples/second: median [min–max] over timed blocks of steps.
*ours* = the tfjs backend with lib/kernels.ts gradient overrides and, on wasm, lib/simd.ts kernels (what the project runs);
*ours −simd* = the same gradients on tfjs's stock wasm kernels (without lib/simd.ts); *stock* = tfjs's own gradients and kernels; *stock+filter* = stock plus only our Conv2DBackpropFilter.
The ratio compares ours with PyTorch at one thread each (our wasm backend is single-threaded).

<!-- runs below (bench/bench.ts inserts new runs here) -->
`;

function writeResults(section: string): void {
  const marker = '<!-- runs below';
  let text = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : HEADER;
  if (!text.includes(marker)) text = HEADER + '\n' + text;
  const at = text.indexOf('\n', text.indexOf(marker)) + 1;
  text = text.slice(0, at) + '\n' + section.trimEnd() + '\n' + text.slice(at);
  writeFileAtomic(RESULTS, text);
  console.log(`\nwrote ${path.relative(process.cwd(), RESULTS)}`);
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const loadStart = fmtLoad();
  const m = machine();
  const write = flag('--no-write') ? false : flag('--write') || !QUICK;
  const ours = await initBackend({ backend: nativeAvailable() ? 'tensorflow' : 'wasm', log: false }); // what the sweeps use
  await initBackend({ backend: 'wasm', log: false }); // registers our gradients (global, every backend)
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const mt = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  console.log(`llc-notebooks bench${QUICK ? ' --quick (few reps: for development, not for the record)' : ''}  ${started.toISOString()}`);
  console.log(`${m.cpu}, ${m.cores} cores${m.smt ? ` (${m.smt})` : ''}, ${m.memGb.toFixed(1)} GB, node ${m.node}, ${m.platform}`);
  console.log(`tfjs-core ${tf.version_core}, backend-wasm ${version_wasm} (SIMD ${simd ? 'on' : 'off'}, multithread ${mt ? 'supported' : 'unsupported'}, ${getThreadsCount()} thread), backend-cpu ${version_cpu}`);
  console.log(`load average (1/5/15 min) at start: ${loadStart}${os.loadavg()[0] > 0.3 * m.cores ? '  ← the machine is busy: numbers will be low and noisy' : ''}`);
  console.log(`budget: ${BUDGET.warmup} warm-up step(s), ${BUDGET.reps} blocks of ~${BUDGET.repSeconds} s per row; training set ${NUM_TRAIN} MNIST examples on the backend\n`);

  const t0 = performance.now();
  const task: Task = makeTask({ labels: LABELS, numTrain: NUM_TRAIN, numTest: DEFAULT_NUM_TEST, seed: 0 });
  const dataSeconds = (performance.now() - t0) / 1000;
  let data = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const reupload = async (backend: string) => {
    disposeSplit(data);
    await tf.setBackend(backend);
    data = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  };

  // 1. wasm, our gradients: the main rows, the profiles' batch sizes and the forward pass.
  const oursCol = 'wasm ours';
  const NO_SIMD_COL = 'wasm ours −simd';
  for (const arch of ARCHS) {
    for (const step of ['train', 'sgld'] as const) for (const b of MAIN_BATCHES) measure(oursCol, arch, step, b, data, BUDGET);
    for (const { step, batch } of profileNeeds()) if (!find(oursCol, arch, step, batch)) measure(oursCol, arch, step, batch, data, BUDGET);
  }
  measure(oursCol, 'mlp', 'fc1', MAIN_BATCHES[0], data, BUDGET);

  // 1b. wasm, our gradients on tfjs's stock kernels (what lib/simd.ts's kernels add).
  withoutSimdKernels(() => {
    for (const arch of ARCHS) for (const step of ['train', 'sgld'] as const) measure(NO_SIMD_COL, arch, step, MAIN_BATCHES[0], data, STOCK_BUDGET);
  });

  // 2. wasm, stock gradients; the CNN also with only the missing filter gradient added.
  withStockGradients(() => {
    for (const arch of ARCHS) for (const step of ['train', 'sgld'] as const) for (const b of MAIN_BATCHES) {
      if (arch === 'cnn' && b !== MAIN_BATCHES[0]) {
        record({ column: 'wasm stock', arch, step, batch: b, note: find('wasm stock', arch, step, MAIN_BATCHES[0])?.note ?? 'n/a' });
      } else measure('wasm stock', arch, step, b, data, STOCK_BUDGET);
    }
    registerFilterGradOnly(); // undone when withStockGradients restores ours
    for (const step of ['train', 'sgld'] as const) for (const b of MAIN_BATCHES) measure('wasm stock+filter', 'cnn', step, b, data, STOCK_BUDGET);
  });

  // 3. cpu (pure JS), our gradients: the MLP only unless --cpu-cnn.
  await quietly(() => reupload('cpu')); // tfjs-backend-cpu's "install the node backend" banner
  for (const step of ['train', 'sgld'] as const) for (const b of MAIN_BATCHES) measure('cpu ours', 'mlp', step, b, data, CPU_BUDGET);
  const cpuCnnNote = 'skipped: ~6 ex/s, one batch-256 step ≈ 40 s (--cpu-cnn to run)';
  if (flag('--cpu-cnn')) for (const step of ['train', 'sgld'] as const) measure('cpu ours', 'cnn', step, 256, data, { warmup: 1, reps: 1, repSeconds: 0 });
  else for (const step of ['train', 'sgld'] as const) record({ column: 'cpu ours', arch: 'cnn', step, batch: 256, note: cpuCnnNote });

  // 4. tfjs-node, when installed (multi-threaded TensorFlow; TF_NUM_INTRAOP_THREADS applies).
  const columns = [oursCol, NO_SIMD_COL, 'wasm stock', 'wasm stock+filter', 'cpu ours'];
  if (ours === 'tensorflow') {
    await reupload('tensorflow');
    columns.unshift('tensorflow ours');
    for (const arch of ARCHS) {
      for (const step of ['train', 'sgld'] as const) for (const b of MAIN_BATCHES) measure('tensorflow ours', arch, step, b, data, BUDGET);
      for (const { step, batch } of profileNeeds()) if (!find('tensorflow ours', arch, step, batch)) measure('tensorflow ours', arch, step, batch, data, BUDGET);
    }
  }
  const sweepColumn = ours === 'tensorflow' ? 'tensorflow ours' : oursCol;

  // 5. Memory over a long SGLD chain (CNN, batch MEMORY_BATCH, from a trained w*) on the sweeps' backend.
  await reupload(ours);
  console.log(`\nmemory: ${MEMORY_STEPS} SGLD steps, CNN, batch ${MEMORY_BATCH}, ${ours} ...`);
  const mem = memoryTest(ours, data, MEMORY_STEPS);
  disposeSplit(data);
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const memLines = [
    `${mem.steps} SGLD steps (CNN, batch ${MEMORY_BATCH}, ${mem.column}, w* after ${mem.pretrainSteps} Adam steps) at ${fmtRate(mem.exPerSec)} ex/s sustained; ` +
      `minibatch loss at the first and last step ${fmtLoss(mem.chain.firstLoss)} and ${fmtLoss(mem.chain.lastLoss)}, max ${fmtLoss(mem.chain.maxLoss)}` +
      (mem.chain.firstNonFinite == null ? '' : ` (the chain diverged: loss not finite from step ${mem.chain.firstNonFinite})`),
    `RSS ${mb(mem.before.rss)} → ${mb(mem.after.rss)} (${mem.after.rss >= mem.before.rss ? '+' : ''}${mb(mem.after.rss - mem.before.rss)}); ` +
      `JS heap ${mb(mem.before.heapUsed)} → ${mb(mem.after.heapUsed)}; external ${mb(mem.before.external)} → ${mb(mem.after.external)}` +
      (mem.before.wasmHeap ? `; wasm heap ${mb(mem.before.wasmHeap)} → ${mb(mem.after.wasmHeap)}` : ''),
    `tf.memory().numTensors ${mem.before.tensors} → ${mem.after.tensors} (${mem.afterDispose} after disposing the chain)`,
  ];
  memLines.forEach((l) => console.log(`  ${l}`));

  // 6. PyTorch at 1 thread (and at every core on a full run).
  let torchInfo: TorchInfo | null = null;
  let torchNote = flag('--no-torch') ? 'skipped (--no-torch)' : await torchUnavailable();
  const torchCols: string[] = [];
  if (torchNote == null) {
    console.log(`\nPyTorch (${PYTHON} bench/torch_bench.py):`);
    const threadCounts = QUICK || m.cores < 2 ? [1] : [1, m.cores];
    try {
      for (const threads of threadCounts) {
        torchInfo = (await runTorch(threads, BUDGET)) ?? torchInfo;
        torchCols.push(`torch ${threads} thr`);
      }
    } catch (e) {
      torchNote = (e as Error).message;
    }
    if (torchInfo) {
      const np = ARCHS.map((a) => `${a} ${numParams(modelDef(a))} vs ${torchInfo!.num_params[a]}`).join(', ');
      console.log(`  torch ${torchInfo.torch}, python ${torchInfo.python}, mkldnn ${torchInfo.mkldnn}; parameters (ours vs torch): ${np}`);
      console.log(`  BLAS: ${torchInfo.blas}; build: ${Object.entries(torchInfo.build).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      console.log(`  loaded: ${torchInfo.libraries.map((l) => path.basename(path.dirname(l)) + '/' + path.basename(l)).join(', ') || 'none found'}`);
    }
  }
  if (torchNote != null) console.log(`\nPyTorch: not run (${torchNote})`);

  // 7. Parallel efficiency of 2 worker processes.
  let efficiency = ASSUMED_EFFICIENCY;
  let effText = `assumed ${ASSUMED_EFFICIENCY} (not measured${QUICK ? ' with --quick; --parallel measures it' : ''})`;
  if (m.cores >= 2 && (!QUICK || flag('--parallel'))) {
    console.log(`\nparallel efficiency: ${CHILD_JOB.arch} ${CHILD_JOB.step} batch ${CHILD_JOB.batch} for ${PARALLEL_SECONDS} s in 1, then 2 concurrent processes ...`);
    const [solo] = await runChildren(1, ours, PARALLEL_SECONDS);
    const pair = await runChildren(2, ours, PARALLEL_SECONDS);
    const measured = (pair[0] + pair[1]) / (2 * solo);
    // Above 1 is noise in the solo run (two processes cannot beat twice one): estimate with 1.
    efficiency = Math.min(1, measured);
    effText =
      `${measured.toFixed(2)} measured${measured > 1 ? ' (noise; the estimates use 1.00)' : ''}: ` +
      `${CHILD_JOB.arch} ${CHILD_JOB.step} batch ${CHILD_JOB.batch}, 1 process ${fmtRate(solo)} ex/s, 2 processes ${pair.map(fmtRate).join(' + ')} ex/s`;
  }
  console.log(`\nparallel efficiency: ${effText}`);

  // 8. Sweep estimates.
  const estimates = ['quick', 'full'].map((p) => estimateSweep(p, sweepColumn, efficiency, dataSeconds));
  const estLines = [
    `| profile | cells | per cell: training examples (batch) | forward examples | SGLD steps × m | est. per cell (mlp / cnn) | 1 worker | 2 workers |`,
    `|---|---|---|---|---|---|---|---|`,
  ];
  for (const e of estimates) {
    const a = e.perArch.mlp ?? e.perArch.cnn;
    estLines.push(
      `| ${e.profile} | ${e.cells} | ${a.trainEx} (${a.trainBatch}) | ${a.evalEx} | ${a.sgldSteps} × ${a.m} | ${fmtDuration(e.perArch.mlp?.seconds)} / ${fmtDuration(e.perArch.cnn?.seconds)} | ${fmtDuration(e.seconds1)} | ${fmtDuration(e.seconds2)} |`,
    );
  }
  const estNotes = [
    `Sweep 'writeup' on ${sweepColumn}; training at the maximum epochs (early stopping only shortens it); forward examples = per-epoch test evaluation, ` +
      `final train and test evaluation and L_n(w*), at batch ${EVAL_BATCH}; MNIST loading ${dataSeconds.toFixed(1)} s per cell; ` +
      `2 workers scheduled as lib/runner.ts does at parallel efficiency ${efficiency.toFixed(2)}${effText.startsWith('assumed') ? ' (assumed)' : ' (measured)'}.`,
    ...estimates.filter((e) => e.missing.length).map((e) => `${e.profile}: no measurement for ${e.missing.join(', ')}`),
  ];

  // Report.
  const allColumns = [...columns, ...torchCols];
  const torchCol = torchCols.includes('torch 1 thr') ? 'torch 1 thr' : null;
  const table = summaryTable(allColumns, sweepColumn, torchCol);
  const fc1Rates = allColumns.flatMap((c) => {
    const st = stats(find(c, 'mlp', 'fc1', MAIN_BATCHES[0]) ?? ({} as Row));
    return st ? [`${c} ${((st.median * FC1_FLOPS_PER_EXAMPLE) / 1e9).toFixed(1)}`] : [];
  });
  const fc1Line = `Row fc1 = the MLP's x[${MAIN_BATCHES[0]}, 784] · W[784, 128] alone, in GFLOP/s: ${fc1Rates.join('; ') || 'not measured'}.`;
  console.log(`\nexamples/second, median [min–max]:\n${table.join('\n')}\n${fc1Line}`);
  console.log(`\nestimated wall time of the 'writeup' sweeps:\n${estLines.join('\n')}\n${estNotes.join('\n')}`);
  const loadEnd = fmtLoad();
  console.log(`\nload average at end: ${loadEnd}; bench took ${fmtDuration((Date.now() - started.getTime()) / 1000)}`);

  if (!write) return;
  const torchLines = torchInfo
    ? [
        `- PyTorch ${torchInfo.torch} (python ${torchInfo.python}), threads ${torchCols.map((c) => c.split(' ')[1]).join(' and ')} (interop ${torchInfo.interop_threads}), mkldnn ${torchInfo.mkldnn}`,
        `- BLAS: ${torchInfo.blas}; torch.__config__.show(): ${Object.entries(torchInfo.build).map(([k, v]) => `\`${k}=${v}\``).join(', ') || 'nothing reported'}`,
        `- BLAS / threading libraries mapped: ${torchInfo.libraries.map((l) => `\`${l}\``).join(', ') || 'none found'}`,
      ]
    : [`- PyTorch: not run (${torchNote})`];
  const section = [
    `## ${started.toISOString().replace('T', ' ').slice(0, 16)} UTC — ${QUICK ? '`npm run bench -- --quick` (few reps, not for comparison)' : '`npm run bench`'}`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores${m.smt ? ` (${m.smt})` : ''}, ${m.memGb.toFixed(1)} GB RAM, ${m.platform}`,
    `- Load average (1/5/15 min): ${loadStart} at start, ${loadEnd} at end`,
    `- Node ${m.node}; tfjs-core ${tf.version_core}, backend-wasm ${version_wasm} (SIMD ${simd ? 'on' : 'off'}, ${getThreadsCount()} thread), backend-cpu ${version_cpu}`,
    ...torchLines,
    `- Budget per row: ${BUDGET.warmup} warm-up step(s), ${BUDGET.reps} timed blocks of ~${BUDGET.repSeconds} s (stock: ${STOCK_BUDGET.reps}, cpu: ${CPU_BUDGET.reps}); training set of ${NUM_TRAIN} examples on the backend`,
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
    `### Parallel efficiency`,
    '',
    `- ${effText}`,
    '',
  ].join('\n');
  writeResults(section);
}

if (flag('--child')) {
  childMain().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
