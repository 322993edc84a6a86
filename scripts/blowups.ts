/**
 * Does the loss alone explain the CNN blow-ups at the write-up's SGLD settings? On the same
 * trained CNN (the `full` profile's cell, trained with the cross-entropy) and the same chain
 * seeds, sample with our cross-entropy and with the write-up code's −log(softmax + 1e-6), many
 * chains each, and count the chains that fail (diverge, blow up, spike), with Wilson intervals.
 * Saves data/blowups.json (atomically, after each loss).
 *
 *   npm run blowups                     CNN, k = 6, seed 0, 10 chains per loss (~15 min on a free core)
 *   npm run blowups -- --chains 20 --k 10 --arch cnn
 */
import * as path from 'path';
import { initBackend, tf } from '../lib/engine/backend';
import { disposeSplit, uploadSplit } from '../lib/data/batches';
import { eachFlag, positiveInt, runMain } from '../lib/cli/flags';
import { defaultDataDir, trainedModel } from '../lib/experiments/experiment';
import { resolveCell, taskForCell } from '../lib/experiments/cell';
import { estimateLlc } from '../lib/estimator/llc';
import { labelSelector, LOSSES, modelDef, parseArchitecture, taskLoss, weightsToTensors } from '../lib/models/models';
import { bar, StatusLine } from '../lib/experiments/progress';
import { deriveSeed } from '../lib/math/rng';
import { writeJsonAtomic } from '../lib/experiments/store';
import { getProfile, sweepCells } from '../lib/experiments/sweeps';

const USAGE =
  'usage: blowups [--arch mlp|cnn] [--k 2..10] [--seed N] [--chains N] (defaults: cnn, k 6, seed 0, 10 chains per loss)';

/** Wilson score interval of a proportion (95 %). */
export function wilson(successes: number, n: number, z = 1.959964): { p: number; lo: number; hi: number } {
  if (n === 0) return { p: NaN, lo: NaN, hi: NaN };
  const p = successes / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { p, lo: Math.max(0, c - h), hi: Math.min(1, c + h) };
}

async function main(): Promise<number> {
  const o = { arch: 'cnn', k: 6, seed: 0, chains: 10 };
  try {
    eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
      if (flag === '--arch') o.arch = parseArchitecture(value());
      else if (flag === '--k') o.k = positiveInt('--k', value());
      else if (flag === '--seed') o.seed = Number(value());
      else if (flag === '--chains') o.chains = positiveInt('--chains', value());
      else throw new Error(flag === '--help' ? USAGE : `unknown option '${flag}'\n${USAGE}`);
    });
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  await initBackend();
  const [cell] = sweepCells('writeup', getProfile('full'), {
    architectures: [o.arch as 'cnn'],
    ks: [o.k],
    seeds: [o.seed],
  });
  const resolved = resolveCell(cell);
  const status = new StatusLine();
  const task = taskForCell(cell);
  const model = trainedModel(cell, task, {
    profile: 'full',
    onProgress: (_p, d, t) => status.update(`training ${bar(d / t)}`),
  });
  status.done();
  const def = modelDef(cell.architecture);
  const selector = labelSelector(task.labels, def.numOutputs);
  const split = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const wStar = weightsToTensors(def, model.weights);
  const out: Record<string, unknown> = {
    cell: resolved,
    trainKey: model.trainKey,
    testAccuracy: model.test.accuracy,
    chainsPerLoss: o.chains,
    settings: null,
    losses: {},
  };
  const file = path.join(defaultDataDir(), `blowups-${o.arch}-k${o.k}-s${o.seed}.json`);
  try {
    for (const loss of LOSSES) {
      const t0 = Date.now();
      // The same chain seeds for both losses (the cell's own SGLD seed).
      const r = estimateLlc(taskLoss(def, selector, loss), wStar, split, {
        ...resolved.llc,
        numChains: o.chains,
        seed: deriveSeed(cell.seed, 'llc'),
        onStep: (s, t) => status.update(`${loss}: ${bar(s / t)}`),
      });
      status.done();
      const failed = r.diagnostics.failedChains.length;
      const firstBad = r.lossTraces.map((t) =>
        t.findIndex((v) => !Number.isFinite(v) || (v - r.initLoss) * r.settings.nbeta > r.numParams),
      );
      (out.losses as Record<string, unknown>)[loss] = {
        failedChains: r.diagnostics.failedChains,
        failedRate: wilson(failed, o.chains),
        llcPerChain: r.llcPerChain,
        llcMean: r.llcMean,
        llcMcse: r.llcMcse,
        flags: r.diagnostics.flags.map((f) => `${f.code}${f.chain != null ? `@${f.chain}` : ''}`),
        firstBlowUpStep: firstBad,
        initLoss: r.initLoss,
        seconds: (Date.now() - t0) / 1000,
      };
      out.settings = r.settings;
      writeJsonAtomic(file, out);
      const w = wilson(failed, o.chains);
      console.log(
        `${loss}: ${failed}/${o.chains} chains failed (${(100 * w.p).toFixed(0)} %, 95 % CI ${(100 * w.lo).toFixed(0)}–${(100 * w.hi).toFixed(0)} %); λ̂ over the others ${r.llcMean.toFixed(1)} ± ${r.llcMcse.toFixed(1)}`,
      );
    }
    console.log(`wrote ${file}`);
    return 0;
  } finally {
    tf.dispose([selector, ...wStar]);
    disposeSplit(split);
  }
}

if (require.main === module) {
  runMain(main);
}
