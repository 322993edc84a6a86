/**
 * Compute backend selection. Preference: tfjs-node (native TensorFlow; `npm ci` installs it,
 * scripts/install-native.ts) → wasm (SIMD, single thread) → cpu (pure JS, slow).
 * Force one with `initBackend({ backend })` or the env var LLC_BACKEND.
 *
 * There is exactly one copy of tfjs-core in the tree; everything imports `tf` from here.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle registers no gradients; the umbrella package's bundle does
// (into the same global registry). Its ESM file dist/register_all_gradients cannot be
// required by plain Node, which is how tslab loads packages.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernelFixes } from './kernels';
import { registerNativeKernels } from './native';

export { tf };

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendOptions {
  /** Force a backend; default: env LLC_BACKEND, else the fastest available. */
  backend?: BackendName;
  /** Log the chosen backend once (default true). */
  log?: boolean;
}

let chosen: BackendName | null = null;

/** Why the native backend could not be loaded (null when it loads or was not tried). */
let nativeError: string | null = null;

/** Whether @tensorflow/tfjs-node can be loaded here (it registers the 'tensorflow' backend). */
export function nativeAvailable(): boolean {
  try {
    // TensorFlow's C++ INFO/WARNING lines (CPU features, oneDNN) on every start are noise here;
    // errors still print. Read by TensorFlow when the library loads; a user's setting wins.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    require('@tensorflow/tfjs-node');
    return true;
  } catch (e) {
    nativeError = (e as Error).message.split('\n')[0];
    return false;
  }
}

function parseBackend(value: string, source: string): BackendName {
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`${source}: unknown backend '${value}'; valid: ${BACKENDS.join(', ')}`);
  }
  return value as BackendName;
}

/**
 * Select and initialise the backend (idempotent). Returns its name.
 * On wasm, registers our gradient kernels (see kernels.ts) which the stock
 * backend lacks or runs through slow paths.
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  const requested =
    options.backend ?? (process.env.LLC_BACKEND ? parseBackend(process.env.LLC_BACKEND, 'LLC_BACKEND') : undefined);
  if (requested != null) parseBackend(requested, 'initBackend');
  if (chosen != null && (requested == null || requested === chosen)) return chosen;

  const candidates: BackendName[] = requested != null ? [requested] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of candidates) {
    if (name === 'tensorflow' && !nativeAvailable()) {
      if (requested != null)
        throw new Error(
          "backend 'tensorflow' requested but @tensorflow/tfjs-node is not installed (npm install @tensorflow/tfjs-node@4.22.0)",
        );
      continue;
    }
    const before = { ex: process.listeners('uncaughtException'), rej: process.listeners('unhandledRejection') };
    const ok = await tf.setBackend(name);
    if (name === 'wasm') dropListenersAddedSince(before);
    if (!ok) {
      if (requested != null) throw new Error(`backend '${name}' failed to initialise`);
      continue;
    }
    await tf.ready();
    if (name === 'wasm') registerWasmKernelFixes();
    if (name === 'tensorflow') registerNativeKernels();
    chosen = name;
    if (options.log ?? true) {
      const simd =
        name === 'wasm' ? ` (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, 1 thread)` : '';
      const threads =
        name === 'tensorflow' ? ` (${process.env.TF_NUM_INTRAOP_THREADS ?? 'default'} intra-op threads)` : '';
      // Said once, when the native engine was wanted but is missing: why, and how to get it.
      const why =
        requested == null && name !== 'tensorflow'
          ? `; native TensorFlow is not available (${nativeError ?? 'not installed'}): run \`npm run setup:native\` for a 2–5× faster engine`
          : '';
      console.error(`[llc] tfjs backend: ${name}${simd}${threads}${why}`);
    }
    return name;
  }
  throw new Error('no tfjs backend could be initialised');
}

/**
 * The emscripten-built wasm module installs process handlers that rethrow every
 * uncaught error from inside its own minified source, so Node prints ~30 kB of
 * wasm glue instead of the error. Remove them; Node's default reporting is better.
 */
function dropListenersAddedSince(before: {
  ex: NodeJS.UncaughtExceptionListener[];
  rej: NodeJS.UnhandledRejectionListener[];
}): void {
  for (const l of process.listeners('uncaughtException'))
    if (!before.ex.includes(l)) process.removeListener('uncaughtException', l);
  for (const l of process.listeners('unhandledRejection'))
    if (!before.rej.includes(l)) process.removeListener('unhandledRejection', l);
}

/** The active backend's name (after initBackend). */
export function backendName(): string {
  return tf.getBackend();
}
