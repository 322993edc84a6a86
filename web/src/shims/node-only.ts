/**
 * `crypto` and `zlib` for lib/data/mnist.ts in the browser: it md5-checks and gunzips MNIST's
 * IDX files, which a page never loads (it generates MNIST-1D). Calling either is an error.
 * Lib change that removes it: have lib/data/tasks.ts import the loader lazily (or split MNIST's
 * constants and normalizePixels out of lib/data/mnist.ts), so tasks.ts no longer pulls in fs.
 */
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser (only real MNIST needs it; the page uses MNIST-1D)`);
}

export const createHash = (): never => unavailable('crypto.createHash');
export const gunzipSync = (): never => unavailable('zlib.gunzipSync');
