/**
 * `fs` for lib/ modules in the browser. lib/engine/simd.ts reads its WebAssembly kernels with
 * `fs.readFileSync(path.join(__dirname, 'simd', 'kernels.wasm'))`; here those bytes are
 * inlined into the bundle at build time (base64, by the plugin in web/vite.config.mts, from
 * the same lib/engine/simd/kernels.wasm).
 * Everything else (MNIST's IDX files, the caches) is not available in a page.
 * Lib change that removes it: ship the kernels as base64 in a generated module, as
 * lib/engine/simd/normals-wasm.ts already does for the normal generator.
 */
import kernelsWasmBase64 from 'virtual:lib-simd-kernels-wasm';

export function readFileSync(file: string): Uint8Array {
  if (file.endsWith('/simd/kernels.wasm')) return Uint8Array.from(atob(kernelsWasmBase64), (c) => c.charCodeAt(0));
  throw new Error(`fs.readFileSync('${file}'): no file system in the browser`);
}

export function existsSync(_file: string): boolean {
  return false;
}

export function realpathSync(file: string): string {
  return file;
}
