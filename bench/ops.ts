/**
 * What a second TensorFlow thread costs per op: single ops of the MLP's training step timed one
 * after another (as eager dispatch runs them), and the round trip of waking a sleeping thread.
 *
 * Why it is measured: the MLP's step gets *slower* with 2 intra-op threads. Each op that
 * TensorFlow's cost model splits hands half its work to a pool thread; between two eager ops the
 * Node thread spends tens of µs in JavaScript, long enough for the pool to go to sleep, so each
 * split op pays a wake-up. Ops too small to split pay nothing. wakeRoundTrip prices that wake-up on
 * this machine (a VM's can be several times a bare machine's).
 */
import { Worker } from 'worker_threads';
import { tf } from '../lib/engine/backend';
import { median } from '../lib/math/stats';
import { Architecture, modelDef, numParams } from '../lib/models/models';

/** One op of the list, as data: PyTorch's side (bench/torch_bench.py --ops) times the same list. */
export type OpSpec =
  | { name: string; kind: 'matmul'; a: number[]; b: number[]; transposeA?: boolean; transposeB?: boolean }
  | { name: string; kind: 'add'; n: number };

export interface OpCost {
  name: string;
  /** Operand shapes, as printed. */
  shape: string;
  /** Median over blocks of µs per op. */
  us: number;
}

/** The heading of this measurement in bench/results.md (full runs and `--ops` alone). */
export const OPS_HEADING = '### What a second TensorFlow thread costs per op';

/** How many kernels one step of a model launches (kernelsPerStep). */
export interface StepKernels {
  arch: Architecture;
  step: 'train' | 'sgld';
  kernels: number;
}

/** The op whose time is dispatch alone: the last of OP_SPECS. */
export const DISPATCH_OP = 'add, 10 (dispatch alone)';

/**
 * The MLP's products (batch 256, forward and both gradients), two adds either side of TensorFlow's
 * split threshold, and an add of 10 floats: the cost of dispatching an op at all.
 */
export const OP_SPECS: OpSpec[] = [
  { name: 'fc1 forward', kind: 'matmul', a: [256, 784], b: [784, 128] },
  { name: 'fc1 weight gradient', kind: 'matmul', a: [256, 784], b: [256, 128], transposeA: true },
  { name: 'fc2 forward', kind: 'matmul', a: [256, 128], b: [128, 128] },
  { name: 'fc2 weight gradient', kind: 'matmul', a: [256, 128], b: [256, 128], transposeA: true },
  { name: 'fc3 forward', kind: 'matmul', a: [256, 128], b: [128, 10] },
  { name: 'fc3 input gradient', kind: 'matmul', a: [256, 10], b: [128, 10], transposeB: true },
  // Adam's and SGLD's elementwise ops run over all of the MLP's θ.
  { name: 'add over θ', kind: 'add', n: numParams(modelDef('mlp')) },
  { name: 'add, 32k', kind: 'add', n: 256 * 128 },
  { name: DISPATCH_OP, kind: 'add', n: 10 },
];

/** How an op's operands print: `[256, 784]ᵀ · [256, 128]`, `[10] + [10]`. */
export function opShape(o: OpSpec): string {
  const t = (s: number[], tr?: boolean) => `[${s.join(', ')}]${tr ? 'ᵀ' : ''}`;
  return o.kind === 'matmul' ? `${t(o.a, o.transposeA)} · ${t(o.b, o.transposeB)}` : `[${o.n}] + [${o.n}]`;
}

/** One op on fixed random operands, ready to run on the current backend. */
export interface OpCase {
  spec: OpSpec;
  run(): tf.Tensor;
  dispose(): void;
}

export function opCases(specs: OpSpec[] = OP_SPECS): OpCase[] {
  return specs.map((spec) => {
    if (spec.kind === 'add') {
      const x = tf.randomNormal([spec.n], 0, 1, 'float32', 3);
      return { spec, run: () => tf.add(x, x), dispose: () => x.dispose() };
    }
    const x = tf.randomNormal(spec.a, 0, 1, 'float32', 1);
    const y = tf.randomNormal(spec.b, 0, 1, 'float32', 2);
    return {
      spec,
      run: () => tf.matMul(x, y, spec.transposeA, spec.transposeB),
      dispose: () => tf.dispose([x, y]),
    };
  });
}

/** Kernels one step of a stepper launches (tf.profile), after a warm-up step. */
export async function kernelsPerStep(step: () => void): Promise<number> {
  step();
  const profile = await tf.profile(step);
  return profile.kernels.length;
}

/** µs per op of each case: `reps` ops back to back per block, median over `blocks` blocks. */
export function timeOps(cases: OpCase[], reps = 200, blocks = 5): OpCost[] {
  return cases.map((c) => {
    for (let i = 0; i < 20; i++) c.run().dispose();
    const us: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const t = performance.now();
      for (let i = 0; i < reps; i++) c.run().dispose();
      us.push(((performance.now() - t) * 1000) / reps);
    }
    c.dispose();
    return { name: c.spec.name, shape: opShape(c.spec), us: median(us) };
  });
}

/**
 * Round trip between two threads, µs: `sleeping` = each side blocks in Atomics.wait until the
 * other's Atomics.notify (a futex wake, as a parked thread-pool thread needs); `spinning` = each
 * side polls the shared word (as OpenMP threads do between ops by default).
 */
export async function wakeRoundTrip(trips = 20_000): Promise<{ sleeping: number; spinning: number }> {
  const measure = async (spin: boolean): Promise<number> => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { workerData } = require('worker_threads');
       const f = workerData.flag, spin = workerData.spin;
       for (let i = 0; i < workerData.trips; i++) {
         if (spin) while (Atomics.load(f, 0) !== 1); else while (Atomics.load(f, 0) !== 1) Atomics.wait(f, 0, 0);
         Atomics.store(f, 0, 0); Atomics.notify(f, 0);
       }`,
      { eval: true, workerData: { flag, spin, trips } },
    );
    const done = new Promise((resolve, reject) => (worker.once('exit', resolve), worker.once('error', reject)));
    await new Promise((r) => worker.once('online', r));
    const t = performance.now();
    for (let i = 0; i < trips; i++) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      if (spin) while (Atomics.load(flag, 0) !== 0);
      else while (Atomics.load(flag, 0) !== 0) Atomics.wait(flag, 0, 1);
    }
    const us = ((performance.now() - t) * 1000) / trips;
    await done;
    return us;
  };
  return { sleeping: await measure(false), spinning: await measure(true) };
}
