/**
 * The sharpness λ_max of trained models (lib/estimator/sharpness.ts) and the SGLD step size above
 * which a chain started there cannot be stable, 4/(nβ λ_max + γ), beside the ε the cell samples
 * with. Reads models from the cache only (run the sweep first); saves the rows to
 * data/sharpness/<profile>-<sweep>.json (atomically, after each model; rerunning skips models done).
 *
 *   npm run sharpness -- --arch cnn --k 6 --seeds 0            the write-up's CNN, k = 6, seed 0
 *   npm run sharpness -- --profile full --sweep lau2023 --examples 10000
 */
import * as path from 'path';
import { initBackend, tf } from '../lib/engine/backend';
import { CELL_SELECTION_USAGE, cellSelection, cellSelectionFlag, selectedCells, selectionName } from '../lib/cli/cells';
import { eachFlag, positiveInt, runMain } from '../lib/cli/flags';
import { cachedModel, defaultDataDir, trainKey } from '../lib/experiments/experiment';
import { cellLlcOptions, modelOnDevice, taskForCell } from '../lib/experiments/cell';
import { resolveLlcSettings } from '../lib/estimator/llc';
import { maxStableEpsilon, topHessianEigenvalue } from '../lib/estimator/sharpness';
import { readJson, writeJsonAtomic } from '../lib/experiments/store';
import { markdownTable } from '../lib/report/report';

const USAGE = `usage: sharpness ${CELL_SELECTION_USAGE} [--examples N] [--iterations N]
  defaults: --profile full --sweep writeup --dataset mnist, every architecture and k, --seeds 0
  λ_max of each cached model of the sweep's cells (Hessian of L_n on its first N training examples; default all), and 4/(nβ λ_max + γ)`;

export interface SharpnessRow {
  trainKey: string;
  architecture: string;
  k: number;
  seed: number;
  numTrain: number;
  /** Training examples the Hessian was taken over (the first ones of the task). */
  examples: number;
  lambdaMax: number;
  converged: boolean;
  iterations: number;
  nbeta: number;
  gamma: number;
  epsilon: number;
  /** 4/(nβ λ_max + γ): the largest stable ε along the sharpest direction. */
  maxStableEpsilon: number;
  seconds: number;
}

async function main(): Promise<number> {
  const sel = cellSelection('full');
  const o = { examples: 0, iterations: 30 };
  try {
    eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
      if (cellSelectionFlag(sel, flag, value)) return;
      else if (flag === '--examples') o.examples = positiveInt('--examples', value());
      else if (flag === '--iterations') o.iterations = positiveInt('--iterations', value());
      else throw new Error(flag === '--help' ? USAGE : `unknown option '${flag}'\n${USAGE}`);
    });
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  await initBackend();
  const cells = selectedCells(sel);
  const file = path.join(defaultDataDir(), 'sharpness', `${selectionName(sel)}.json`);
  const rows: SharpnessRow[] = readJson<SharpnessRow[]>(file) ?? [];
  const seen = new Set<string>();
  for (const cell of cells) {
    const key = trainKey(cell);
    if (seen.has(key)) continue; // cells that differ only in SGLD settings share a model
    seen.add(key);
    const examples = Math.min(o.examples || cell.numTrain, cell.numTrain);
    if (rows.some((r) => r.trainKey === key && r.examples === examples)) continue;
    const model = cachedModel(cell);
    if (!model) {
      console.error(`skip ${cell.architecture} k=${cell.k} seed=${cell.seed}: model not trained yet (run the sweep)`);
      continue;
    }
    const device = modelOnDevice(cell, taskForCell(cell), model.weights);
    const t0 = Date.now();
    try {
      const split = {
        x: tf.slice(device.split.x, 0, examples),
        y: tf.slice(device.split.y, 0, examples),
        n: examples,
      };
      const s = topHessianEigenvalue(device.lossFn, device.wStar, split, { iterations: o.iterations });
      tf.dispose([split.x, split.y]);
      const llc = resolveLlcSettings(cellLlcOptions(cell), cell.numTrain);
      rows.push({
        trainKey: key,
        architecture: cell.architecture,
        k: cell.k,
        seed: cell.seed,
        numTrain: cell.numTrain,
        examples,
        lambdaMax: s.lambdaMax,
        converged: s.converged,
        iterations: s.history.length,
        nbeta: llc.nbeta,
        gamma: llc.gamma,
        epsilon: llc.epsilon,
        maxStableEpsilon: maxStableEpsilon(s.lambdaMax, llc.nbeta, llc.gamma),
        seconds: (Date.now() - t0) / 1000,
      });
      writeJsonAtomic(file, rows);
      const r = rows[rows.length - 1];
      console.error(
        `${r.architecture} k=${r.k} seed=${r.seed}: λ_max ${r.lambdaMax.toFixed(2)}${r.converged ? '' : ' (not converged)'}, ε ≤ ${r.maxStableEpsilon.toExponential(2)} (samples at ${r.epsilon}) — ${r.seconds.toFixed(0)} s`,
      );
    } finally {
      device.dispose();
    }
  }
  console.log(
    markdownTable(
      rows.map((r) => ({ ...r, ratio: r.epsilon / r.maxStableEpsilon })),
      [
        'architecture',
        'k',
        'seed',
        'examples',
        'lambdaMax',
        'converged',
        'nbeta',
        'gamma',
        'epsilon',
        'maxStableEpsilon',
        'ratio',
      ],
    ),
  );
  console.log(
    `\nratio = ε / (4/(nβ λ_max + γ)): above 1, the chain is unstable along the sharpest direction. Saved ${file}`,
  );
  return 0;
}

runMain(main);
