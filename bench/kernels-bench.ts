/**
 * Training throughput with and without the wasm gradient overrides of lib/kernels.ts.
 *
 *   node --import tsx bench/kernels-bench.ts [--seconds 2.5]
 *
 * One step = forward + backward + plain SGD update (w ← w − lr·g) on one fixed
 * MNIST-shaped batch, for the project's MLP and CNN (lib/models.ts). Each row is
 * batch / median step time over the repetitions that fit in --seconds (at least 3,
 * after one warm-up step).
 *
 * registerGradient is global, so the order matters: the stock rows run first,
 * then a CNN row with only the missing filter gradient added (the least it takes
 * to train the CNN on wasm at all), then the rows with all overrides registered.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernelFixes, WASM_GRADIENT_OVERRIDES } from '../lib/kernels';
import { initWeights, labelSelector, modelDef, taskLoss } from '../lib/models';
import { makeRng } from '../lib/rng';

type Arch = 'mlp' | 'cnn';
interface Row {
  backend: string;
  gradients: string;
  arch: Arch;
  batch: number;
  msPerStep?: number;
  reps?: number;
  error?: string;
}

const secondsArg = process.argv.indexOf('--seconds');
const BUDGET_MS = 1000 * (secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 2.5);
const MIN_REPS = 3;
const MAX_REPS = 50;
const LR = 0.01;

/** MNIST-like inputs, normalised as lib/mnist.ts does: mostly background −1, the rest in [−1, 1). */
function batchData(batch: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = makeRng(seed);
  const x = new Float32Array(batch * 784);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < 0.75 ? -1 : 2 * rng.uniform() - 1;
  const y = Int32Array.from({ length: batch }, () => rng.int(10));
  return { x, y };
}

async function measure(backend: string, gradients: string, arch: Arch, batch: number): Promise<Row> {
  const row: Row = { backend, gradients, arch, batch };
  await tf.setBackend(backend);
  const def = modelDef(arch);
  const vars = initWeights(def, 1).map((w, i) => tf.variable(tf.tensor(w, def.params[i].shape)));
  const data = batchData(batch, 2);
  const x = tf.tensor4d(data.x, [batch, 28, 28, 1]);
  const y = tf.tensor1d(data.y, 'int32');
  const selector = labelSelector([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const loss = taskLoss(def, selector);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => loss(vars, x, y), vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], LR)));
      return value.dataSync()[0]; // wasm and cpu run synchronously; this just forces completion
    });
  try {
    step(); // warm-up (XNNPACK operator set-up, heap growth)
    const times: number[] = [];
    const start = performance.now();
    while (times.length < MIN_REPS || (performance.now() - start < BUDGET_MS && times.length < MAX_REPS)) {
      const t = performance.now();
      step();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    row.msPerStep = times[Math.floor(times.length / 2)];
    row.reps = times.length;
  } catch (e) {
    row.error = (e as Error).message.split('\n')[0];
  } finally {
    tf.dispose([...vars, x, y, selector]);
  }
  print(row);
  return row;
}

function print(r: Row): void {
  const what = `${r.backend.padEnd(5)} ${r.gradients.padEnd(22)} ${r.arch} batch ${String(r.batch).padStart(3)}`;
  if (r.error != null) console.log(`${what}   fails: ${r.error}`);
  else console.log(`${what} ${((1000 * r.batch) / r.msPerStep!).toFixed(0).padStart(7)} ex/s  (${r.msPerStep!.toFixed(1)} ms/step, median of ${r.reps})`);
}

/** Stock gradients plus only our Conv2D filter gradient (the kernel wasm lacks). */
function registerFilterGradOnly(): () => void {
  const stock = tf.getGradient(tf.Conv2D);
  const ours = WASM_GRADIENT_OVERRIDES.find((c) => c.kernelName === tf.Conv2D)!;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => ({ ...stock.gradFunc(dy, saved, attrs), filter: ours.gradFunc(dy, saved, attrs).filter }),
  });
  return () => tf.registerGradient(stock);
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(`tfjs ${tf.version_core}, wasm SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, 1 thread; ~${BUDGET_MS / 1000} s per row`);
  const rows: Row[] = [];
  const batches = [256, 512];

  // 1. Stock gradients (nothing registered yet).
  for (const arch of ['mlp', 'cnn'] as const) for (const b of batches) rows.push(await measure('wasm', 'stock', arch, b));
  for (const b of batches) rows.push(await measure('cpu', 'stock', 'mlp', b));

  // 2. The CNN with just the missing Conv2DBackpropFilter replaced.
  const restore = registerFilterGradOnly();
  for (const b of batches) rows.push(await measure('wasm', 'stock + filter grad', 'cnn', b));
  restore(); // registerWasmKernelFixes must see the true stock configs

  // 3. All overrides.
  registerWasmKernelFixes();
  for (const arch of ['mlp', 'cnn'] as const) for (const b of batches) rows.push(await measure('wasm', 'overrides', arch, b));
  for (const b of batches) rows.push(await measure('cpu', 'overrides', 'mlp', b));

  console.log('\nspeed-up of the overrides (ex/s ratio):');
  for (const r of rows.filter((r) => r.gradients === 'overrides' && r.msPerStep != null)) {
    const base = rows.filter((s) => s.backend === r.backend && s.arch === r.arch && s.batch === r.batch && s !== r && s.msPerStep != null);
    for (const s of base) console.log(`  ${r.backend} ${r.arch} batch ${r.batch}: ×${(s.msPerStep! / r.msPerStep!).toFixed(2)} vs ${s.gradients}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
