/**
 * One engine's measurements, in a process of its own (forked by bench/bench.ts): the
 * backend, its thread counts (TensorFlow reads TF_NUM_INTRAOP_THREADS when it starts) and
 * its registered gradients are process-wide, so every engine gets a fresh process and no
 * engine's kernels leak into another's rows. Reports over IPC:
 *   {type: 'info', ...}  {type: 'row', row}  {type: 'memory', ...}  {type: 'rate', exPerSec}  {type: 'ops', ops}
 *
 * Modes: --rows (default): time --archs × --steps × --batches; --memory STEPS: a long SGLD
 * chain from a trained w*, memory before and after; --solo SECONDS: one CNN SGLD block for
 * the parallel-efficiency measurement; --ops REPS: single ops (bench/ops.ts), µs each.
 */
import * as v8 from 'v8';
import * as vm from 'vm';
import { BackendName, initBackend, tf } from '../lib/engine/backend';
import { disposeSplit, uploadSplit } from '../lib/data/batches';
import { withStockGradients, WASM_GRADIENT_OVERRIDES } from '../lib/engine/kernels';
import { Architecture, labelSelector, modelDef } from '../lib/models/models';
import { withoutSimdKernels } from '../lib/engine/simd';
import { unflatten } from '../lib/models/params';
import { makeTask } from '../lib/data/tasks';
import { paramShapes } from '../lib/train/train';
import { Budget, LABELS, measure, sgldStepper, StepKind, trainStepper } from './steps';
import { kernelsPerStep, opCases, StepKernels, timeOps } from './ops';

export const VARIANTS = ['ours', 'nosimd', 'stock', 'stockfilter'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface EngineJob {
  column: string;
  backend: BackendName;
  variant: Variant;
  archs: Architecture[];
  steps: StepKind[];
  batches: number[];
  budget: Budget;
  numTrain: number;
  /** Extra (arch, step, batch) rows, e.g. the profiles' batch sizes. */
  extra?: { arch: Architecture; step: StepKind; batch: number }[];
  memorySteps?: number;
  memoryBatch?: number;
  memoryPretrainSteps?: number;
  soloSeconds?: number;
  /** Time single ops (bench/ops.ts) instead of steps: this many ops per block. */
  opReps?: number;
}

const send = (msg: unknown) =>
  new Promise<void>((resolve) =>
    process.send ? process.send(msg, () => resolve()) : (console.log(JSON.stringify(msg)), resolve()),
  );

/** Stock gradients plus only our Conv2D filter gradient (call inside withStockGradients). */
function registerFilterGradOnly(): void {
  const stock = tf.getGradient(tf.Conv2D);
  const ours = WASM_GRADIENT_OVERRIDES.find((c) => c.kernelName === tf.Conv2D)!;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => ({
      ...stock.gradFunc(dy, saved, attrs),
      filter: ours.gradFunc(dy, saved, attrs).filter,
    }),
  });
}

function withVariant<T>(variant: Variant, fn: () => T): T {
  if (variant === 'nosimd') return withoutSimdKernels(fn);
  if (variant === 'stock') return withStockGradients(fn);
  if (variant === 'stockfilter') return withStockGradients(() => (registerFilterGradOnly(), fn()));
  return fn();
}

/** A gc() without --expose-gc on the command line. */
const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

function snapshot() {
  collect();
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return {
    ...process.memoryUsage(),
    tensors: tf.memory().numTensors,
    wasmHeap: b.wasm?.HEAPU8?.buffer.byteLength ?? 0,
  };
}

async function main(job: EngineJob): Promise<void> {
  const backend = await initBackend({ backend: job.backend, log: false });
  await send({
    type: 'info',
    backend,
    threads: process.env.TF_NUM_INTRAOP_THREADS ?? 'default',
    simd: backend === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : null,
  });
  const task = makeTask({ labels: LABELS, numTrain: job.numTrain, numTest: 1, seed: 0 });
  const data = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  try {
    if (job.opReps != null) return await ops(job, data);
    if (job.memorySteps != null) return await memory(job, data);
    if (job.soloSeconds != null) return await solo(job, data);
    const wanted = job.archs.flatMap((arch) =>
      job.steps.flatMap((step) => job.batches.map((batch) => ({ arch, step, batch }))),
    );
    for (const e of job.extra ?? [])
      if (!wanted.some((w) => w.arch === e.arch && w.step === e.step && w.batch === e.batch)) wanted.push(e);
    for (const { arch, step, batch } of wanted) {
      if (step === 'fc1' && arch !== 'mlp') continue;
      await send({
        type: 'row',
        row: withVariant(job.variant, () => measure(job.column, arch, step, batch, data, job.budget)),
      });
    }
  } finally {
    disposeSplit(data);
  }
}

/** Single ops, µs each (bench/ops.ts), and how many kernels each model's training and SGLD step launch. */
async function ops(job: EngineJob, data: ReturnType<typeof uploadSplit>): Promise<void> {
  const costs = timeOps(opCases(), job.opReps!);
  const kernels: StepKernels[] = [];
  for (const arch of job.archs)
    for (const step of ['train', 'sgld'] as const) {
      const selector = labelSelector(LABELS);
      const s = (step === 'train' ? trainStepper : sgldStepper)(modelDef(arch), data, selector, 256);
      kernels.push({ arch, step, kernels: await kernelsPerStep(() => s.step()) });
      s.finish();
      s.dispose();
      selector.dispose();
    }
  await send({ type: 'ops', ops: costs, kernels });
}

/** Memory over a long SGLD chain (CNN) that starts at a trained w*, as a real chain does. */
async function memory(job: EngineJob, data: ReturnType<typeof uploadSplit>): Promise<void> {
  const def = modelDef('cnn');
  const selector = labelSelector(LABELS);
  const batch = job.memoryBatch ?? 64;
  const pre = trainStepper(def, data, selector, batch);
  for (let i = 0; i < (job.memoryPretrainSteps ?? 0); i++) pre.step();
  const wStar = tf.tidy(() => unflatten(pre.theta, paramShapes(def)));
  pre.dispose();
  const s = sgldStepper(def, data, selector, batch, wStar);
  s.step();
  s.finish();
  const before = snapshot();
  const t = performance.now();
  for (let i = 0; i < job.memorySteps!; i++) s.step();
  s.finish();
  const seconds = (performance.now() - t) / 1000;
  const after = snapshot();
  const losses = Array.from(s.losses());
  s.dispose();
  tf.dispose(wStar);
  selector.dispose();
  const finite = losses.filter(Number.isFinite);
  const firstNonFinite = losses.findIndex((x) => !Number.isFinite(x));
  await send({
    type: 'memory',
    steps: job.memorySteps,
    batch,
    exPerSec: (job.memorySteps! * batch) / seconds,
    before,
    after,
    afterDispose: tf.memory().numTensors,
    chain: {
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      maxLoss: finite.length ? Math.max(...finite) : NaN,
      firstNonFinite: firstNonFinite < 0 ? null : firstNonFinite,
    },
  });
}

/** One CNN SGLD block of a fixed duration: run alone and in pairs for the parallel efficiency. */
async function solo(job: EngineJob, data: ReturnType<typeof uploadSplit>): Promise<void> {
  const s = sgldStepper(modelDef('cnn'), data, labelSelector(LABELS), 256);
  for (let i = 0; i < 2; i++) s.step();
  s.finish();
  let steps = 0;
  const t = performance.now();
  while (performance.now() - t < 1000 * job.soloSeconds!) {
    s.step();
    steps++;
  }
  s.finish();
  await send({ type: 'rate', exPerSec: (steps * 256) / ((performance.now() - t) / 1000) });
  s.dispose();
}

if (require.main === module) {
  const job = JSON.parse(process.argv[2]) as EngineJob;
  main(job).then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
