/**
 * Shared test set-up: one backend per test process, the default one (native TensorFlow when
 * installed, else wasm; LLC_BACKEND forces one), named once per test file in the output.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend, tf } from '../lib/engine/backend';
import { REPO_ROOT } from '../lib/experiments/paths';
import { makeRng } from '../lib/math/rng';

export async function setup(): Promise<typeof tf> {
  await initBackend({ log: true });
  return tf;
}

/** Synthetic linear-regression data y = X w0 + N(0, 1), with its least-squares solution. */
export function linearRegressionData(n: number, d: number, seed: number) {
  const rng = makeRng(seed);
  const X = new Float32Array(n * d).map(() => rng.normal());
  const w0 = Float64Array.from({ length: d }, () => rng.normal());
  const Y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] * w0[j];
    Y[i] = s + rng.normal();
  }
  return { X, Y, wOls: solveLeastSquares(X, Y, n, d) };
}

/** Normal equations solved by Gaussian elimination in float64. */
export function solveLeastSquares(X: ArrayLike<number>, Y: ArrayLike<number>, n: number, d: number): Float32Array {
  const A = Array.from({ length: d }, () => new Float64Array(d + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const xj = X[i * d + j];
      for (let k = 0; k < d; k++) A[j][k] += xj * X[i * d + k];
      A[j][d] += xj * Y[i];
    }
  }
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k <= d; k++) A[r][k] -= f * A[c][k];
    }
  }
  return Float32Array.from({ length: d }, (_, j) => A[j][d] / A[j][j]);
}

/** Largest relative difference max|a − b| / max|b|. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** scripts/reproduce.ts as a user runs it, with its caches and figures under dataDir. */
export function reproduceIn(args: string[], dataDir: string) {
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'scripts/reproduce.ts'),
      ...args,
      '--data-dir',
      dataDir,
      '--figures-dir',
      path.join(dataDir, 'figures'),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
}
