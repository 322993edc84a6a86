/**
 * `process` for lib/ modules in the browser: no environment variables (so every LLC_*
 * flag takes its default, e.g. our SIMD kernels on) and no process-level error listeners
 * (lib/engine/backend.ts removes the ones tfjs-backend-wasm's Node glue would install).
 * Lib change that removes it: read env flags through `globalThis.process?.env` and guard
 * the listener bookkeeping in backend.ts with `typeof process !== 'undefined'` (as rng.ts does).
 */
const browserProcess = {
  env: {} as Record<string, string | undefined>,
  listeners: (_event: string): never[] => [],
  removeListener: (_event: string, _listener: (...args: unknown[]) => void): void => {},
};

export default browserProcess;
