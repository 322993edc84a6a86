/**
 * Compile lib/simd/kernels.as.ts (AssemblyScript) to lib/simd/kernels.wasm, the
 * binary lib/simd.ts loads. The .wasm is committed, so users need no compiler;
 * test/simd.test.ts rebuilds it and checks the committed one matches its source.
 *
 *   npm run build:simd [-- --out PATH]
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { eachFlag } from '../lib/cli';
import { SIMD_WASM_PATH } from '../lib/simd';

const USAGE = 'usage: build-simd [--out PATH]';

export const SIMD_SOURCE_PATH = path.join(path.dirname(SIMD_WASM_PATH), 'kernels.as.ts');

/**
 * The module must own no memory of its own: it imports tfjs's heap (--importMemory)
 * and may place no data or runtime there (stub runtime, no abort messages or asserts).
 */
export const ASC_FLAGS = ['-O3', '--enable', 'simd', '--runtime', 'stub', '--importMemory', '--noAssert', '--use', 'abort='];

export function buildSimd(out: string = SIMD_WASM_PATH): void {
  const asc = require.resolve('assemblyscript/bin/asc.js');
  execFileSync(process.execPath, [asc, SIMD_SOURCE_PATH, '-o', out, ...ASC_FLAGS], { stdio: 'inherit' });
}

if (require.main === module) {
  let out = SIMD_WASM_PATH;
  eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
    if (flag === '--out') out = path.resolve(value());
    else throw new Error(`unknown option '${flag}'; valid: --out PATH\n${USAGE}`);
  });
  buildSimd(out);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
