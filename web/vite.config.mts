/**
 * Vite config of the browser page (web/): `npm run web` builds and serves it, `npm run
 * build:web` writes web/dist, a static folder any host can serve.
 *
 * The page imports lib/ as it is. Where a lib module reaches for Node (fs, path, crypto,
 * zlib, process, __dirname, @tensorflow/tfjs-node), the plugin below hands *that lib module
 * only* a small browser shim from web/src/shims/ (each shim's header says which lib change
 * would make it unnecessary). Nothing under node_modules is redirected.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const LIB = here('../lib/');
const SHIMS = here('src/shims/');

/** Bare imports of lib/ modules that the browser cannot satisfy, and their shims. */
const SHIMMED: Record<string, string> = {
  fs: 'fs.ts', // lib/engine/simd.ts reads simd/kernels.wasm; lib/data/mnist.ts (IDX files, never read here)
  path: 'path.ts', // lib/engine/simd.ts joins __dirname; lib/data/mnist.ts
  crypto: 'node-only.ts', // lib/data/mnist.ts (md5 of the IDX files): never called for MNIST-1D
  zlib: 'node-only.ts', // lib/data/mnist.ts (gunzip): never called for MNIST-1D
  '@tensorflow/tfjs-node': 'tfjs-node.ts', // lib/engine/backend.ts nativeAvailable(): require() in a try
};

const fromLib = (id: string | undefined): boolean => id != null && id.startsWith(LIB);

/** lib/engine/simd/kernels.wasm as base64, for the fs shim (lib/engine/simd.ts reads it with fs.readFileSync). */
const KERNELS_MODULE = 'virtual:lib-simd-kernels-wasm';

function libNodeShims(): Plugin {
  return {
    name: 'llc-lib-node-shims',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === KERNELS_MODULE) return '\0' + KERNELS_MODULE;
      const shim = SHIMMED[source.replace(/^node:/, '')];
      return shim && fromLib(importer) ? SHIMS + shim : null;
    },
    load(id) {
      if (id !== '\0' + KERNELS_MODULE) return null;
      return `export default ${JSON.stringify(readFileSync(LIB + 'engine/simd/kernels.wasm').toString('base64'))};`;
    },
    // `process` (env flags, backend.ts's listener bookkeeping) and `__dirname` (simd.ts) are
    // free globals in lib/; give the lib modules that use them module-local stand-ins.
    transform(code, id) {
      if (!fromLib(id) || !id.endsWith('.ts')) return null;
      let prelude = '';
      if (/(^|[^.\w])process\??\.[A-Za-z_]/m.test(code))
        prelude += `import process from ${JSON.stringify(SHIMS + 'process.ts')};\n`;
      if (/\b__dirname\b/.test(code)) prelude += `const __dirname = '/lib';\n`;
      return prelude ? { code: prelude + code, map: null } : null;
    },
  };
}

export default defineConfig({
  root: here('.'),
  // Relative asset URLs: the built folder works from any path of any static host.
  base: './',
  publicDir: false,
  plugins: [libNodeShims()],
  worker: { format: 'es', plugins: () => [libNodeShims()] },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // tfjs (the umbrella package lib/engine/backend.ts imports) is ~3 MB minified.
    chunkSizeWarningLimit: 5000,
  },
  server: { fs: { allow: [here('..')] } },
});
