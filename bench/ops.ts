/**
 * What a second TensorFlow thread costs per op: single ops of the MLP's training step timed one
 * after another (as eager dispatch runs them), and the round trip of waking a sleeping thread.
 *
 * Why it is measured: the MLP's step gets *slower* with 2 intra-op threads. Each op that
 * TensorFlow's cost model splits hands half its work to a pool thread; between two eager ops the
 * Node thread spends tens of µs in JavaScript, long enough for the pool to go to sleep, so each
 * split op pays a wake-up. Ops too small to split pay nothing. The wake rows price that wake-up on
 * this machine (a VM's can be several times a bare machine's).
 */
import { Worker } from 'worker_threads';
import { tf } from '../lib/engine/backend';
import { median } from '../lib/math/stats';

/** One op on fixed random operands. */
export interface OpCase {
  name: string;
  /** Operand shapes, as printed. */
  shape: string;
  run(): tf.Tensor;
  dispose(): void;
}

export interface OpCost {
  name: string;
  shape: string;
  /** Median over blocks of µs per op. */
  us: number;
}

const THETA = 118_282; // the MLP's parameter count: Adam's and SGLD's elementwise ops run over all of θ

/**
 * The MLP's products (batch 256, forward and both gradients), two adds either side of TensorFlow's
 * split threshold, and an add of 10 floats: the cost of dispatching an op from JavaScript at all.
 */
export function opCases(): OpCase[] {
  const product = (name: string, a: number[], b: number[], ta = false, tb = false): OpCase => {
    const x = tf.randomNormal(a, 0, 1, 'float32', 1);
    const y = tf.randomNormal(b, 0, 1, 'float32', 2);
    const t = (s: number[], tr: boolean) => `[${s.join(', ')}]${tr ? 'ᵀ' : ''}`;
    return {
      name,
      shape: `${t(a, ta)} · ${t(b, tb)}`,
      run: () => tf.matMul(x, y, ta, tb),
      dispose: () => tf.dispose([x, y]),
    };
  };
  const add = (name: string, n: number): OpCase => {
    const x = tf.randomNormal([n], 0, 1, 'float32', 3);
    return { name, shape: `[${n}] + [${n}]`, run: () => tf.add(x, x), dispose: () => x.dispose() };
  };
  return [
    product('fc1 forward', [256, 784], [784, 128]),
    product('fc1 weight gradient', [256, 784], [256, 128], true),
    product('fc2 forward', [256, 128], [128, 128]),
    product('fc2 weight gradient', [256, 128], [256, 128], true),
    product('fc3 forward', [256, 128], [128, 10]),
    product('fc3 input gradient', [256, 10], [128, 10], false, true),
    add('add over θ', THETA),
    add('add, 32k', 256 * 128),
    add('add, 10 (dispatch alone)', 10),
  ];
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
    return { name: c.name, shape: c.shape, us: median(us) };
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
