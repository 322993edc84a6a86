/**
 * The stability check (lib/estimator/stability.ts) on a sweep's cells: the cell's own chains
 * (same settings and seed as its stored result), with ε·h_max — the step against the largest
 * Hessian eigenvalue of U where the chain is — measured at `--probes` draws of every chain.
 * `sharpness` measures this at w* only; chains that leave w* can meet stiffer regions later
 * (the validation battery's deep linear networks do). Trains a model the cache lacks (as the
 * sweep would); compares λ̂ with the stored result when there is one (the probes take no random
 * numbers: same backend and machine, same λ̂). Rows go to data/stability/<profile>-<sweep>.json,
 * atomically after each cell; rerunning skips cells done.
 *
 *   npm run stability -- --profile calibrated --arch mlp,cnn --k 2,10 --seeds 0
 */
import * as path from 'path';
import { initBackend } from '../lib/engine/backend';
import { CELL_SELECTION_USAGE, cellSelection, cellSelectionFlag, selectedCells, selectionName } from '../lib/cli/cells';
import { eachFlag, positiveInt, runMain } from '../lib/cli/flags';
import { cellKey, defaultDataDir, readResult, resultPath, trainedModel } from '../lib/experiments/experiment';
import { cellLlcOptions, modelOnDevice, taskForCell } from '../lib/experiments/cell';
import { estimateLlcWithStabilityCheck, STABILITY_LIMIT, STABILITY_PROBES } from '../lib/estimator/stability';
import { readJson, writeJsonAtomic } from '../lib/experiments/store';
import { cellLabel } from '../lib/experiments/runner';
import { StatusLine, bar, eta, formatDuration } from '../lib/experiments/progress';

const USAGE = `usage: stability ${CELL_SELECTION_USAGE} [--probes N] [--iterations N]
  defaults: --profile calibrated --sweep writeup --dataset mnist, every architecture and k, --seeds 0
  each cell's chains with ε·h_max at N draws per chain [default ${STABILITY_PROBES}] (power iteration, default 30 steps), flagged above ${STABILITY_LIMIT}`;

export interface StabilityRow {
  key: string;
  label: string;
  architecture: string;
  k: number;
  seed: number;
  epsilon: number;
  gamma: number;
  nbeta: number;
  /** ε·h_max at each probe, per chain. */
  perChain: number[][];
  max: number;
  flagged: boolean;
  llcMean: number;
  llcMcse: number;
  /** λ̂ of the stored result of the same cell (null: none stored), and whether it is bit-identical. */
  storedLlc: number | null;
  identical: boolean | null;
  flags: string[];
  equipartitionPerChain: number[];
  seconds: number;
}

async function main(): Promise<number> {
  const sel = cellSelection('calibrated');
  const o = { probes: STABILITY_PROBES, iterations: 30 };
  try {
    eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
      if (cellSelectionFlag(sel, flag, value)) return;
      else if (flag === '--probes') o.probes = positiveInt('--probes', value());
      else if (flag === '--iterations') o.iterations = positiveInt('--iterations', value());
      else throw new Error(flag === '--help' ? USAGE : `unknown option '${flag}'\n${USAGE}`);
    });
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  await initBackend();
  const cells = selectedCells(sel);
  const dataDir = defaultDataDir();
  const file = path.join(dataDir, 'stability', `${selectionName(sel)}.json`);
  const rows: StabilityRow[] = readJson<StabilityRow[]>(file) ?? [];
  const todo = cells.filter((c) => !rows.some((r) => r.key === cellKey(c)));
  console.error(`${todo.length} of ${cells.length} cells to check; results in ${file}`);
  const status = new StatusLine();
  const start = Date.now();
  todo.forEach((cell, i) => {
    const key = cellKey(cell);
    const task = taskForCell(cell);
    const model = trainedModel(cell, task, {
      profile: sel.profile,
      dataDir,
      onProgress: (stage, s, total) =>
        status.update(`${i + 1}/${todo.length} ${cellLabel(cell)} ${stage} ${bar(s / total)}`),
    });
    const device = modelOnDevice(cell, task, model.weights);
    const t0 = Date.now();
    try {
      const est = estimateLlcWithStabilityCheck(
        device.lossFn,
        device.wStar,
        device.split,
        {
          ...cellLlcOptions(cell),
          onStep: (s, total) => {
            const elapsed = (Date.now() - start) / 1000;
            const fraction = (i + s / total) / todo.length;
            status.update(
              `${i + 1}/${todo.length} ${cellLabel(cell)} llc ${bar(s / total)} ${formatDuration(elapsed)} elapsed, ETA ${formatDuration(fraction > 0.01 ? eta(elapsed, fraction) : NaN)}`,
            );
          },
        },
        { probes: o.probes, sharpness: { iterations: o.iterations } },
      );
      const stored = readResult(resultPath(dataDir, sel.profile, key));
      rows.push({
        key,
        label: cellLabel(cell),
        architecture: cell.architecture,
        k: cell.k,
        seed: cell.seed,
        epsilon: est.settings.epsilon,
        gamma: est.settings.gamma,
        nbeta: est.settings.nbeta,
        perChain: est.stability.perChain,
        max: est.stability.max,
        flagged: est.diagnostics.flags.some((f) => f.code === 'nearStabilityLimit'),
        llcMean: est.llcMean,
        llcMcse: est.llcMcse,
        storedLlc: stored ? stored.llcMean : null,
        identical: stored ? stored.llcMean === est.llcMean : null,
        flags: [...new Set(est.diagnostics.flags.map((f) => f.code))],
        equipartitionPerChain: est.equipartitionPerChain,
        seconds: (Date.now() - t0) / 1000,
      });
      writeJsonAtomic(file, rows);
      const r = rows[rows.length - 1];
      status.done();
      console.log(
        `${r.label}: ε·h_max ${Math.min(...r.perChain.flat()).toFixed(2)}–${r.max.toFixed(2)}${r.flagged ? ' FLAGGED' : ''}; λ̂ ${r.llcMean.toFixed(3)} ± ${r.llcMcse.toFixed(3)}` +
          `${r.storedLlc == null ? '' : ` (stored ${r.storedLlc.toFixed(3)}${r.identical ? ', identical' : ''})`}; virial/d ${r.equipartitionPerChain.map((v) => v.toFixed(2)).join(', ')}; flags ${r.flags.join(', ') || '–'}; ${r.seconds.toFixed(0)} s`,
      );
    } finally {
      device.dispose();
    }
  });
  return 0;
}

runMain(main);
