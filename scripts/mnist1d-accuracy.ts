/**
 * Reproduce MNIST-1D's reference test accuracies (logistic 32 %, MLP 68 %, CNN 94 %; with the
 * sequence shuffled: 32 / 68 / 56 %) on the default data set (seed 42, 4000 / 1000), trained
 * as the reference (Adam lr 1e-2, batch 100, 8000 steps). Prints a markdown table and writes
 * it, with the settings, to data/mnist1d-accuracy.md (quoted by the README).
 *
 *   npm run mnist1d:accuracy                               # the reference settings, seed 0
 *   npx tsx scripts/mnist1d-accuracy.ts --steps 400 --no-write   # a quick look
 *   npx tsx scripts/mnist1d-accuracy.ts --seeds 0,1,2 --models cnn
 *
 * Exits with code 1 if a row is outside ±5 points (only at ≥ 8000 steps, where the check is meant).
 */
import * as fs from 'fs';
import * as path from 'path';
import { initBackend } from '../lib/engine/backend';
import {
  accuracyMarkdown,
  AccuracyRow,
  accuracyRows,
  mnist1dTask,
  MNIST1D_MODEL_NAMES,
  MNIST1D_REFERENCE_MODELS,
  MNIST1D_REFERENCE_TRAINING,
  MNIST1D_TOLERANCE_POINTS,
  Mnist1dReferenceModel,
  parseReferenceModel,
  referenceData,
  ReferenceRun,
  runReferenceModel,
} from '../lib/train/mnist1d-reference';
import { eachFlag, parseNumber, positiveInt, runMain } from '../lib/cli/flags';
import { repoPath } from '../lib/experiments/paths';
import { bar, StatusLine } from '../lib/experiments/progress';

const USAGE = `usage: mnist1d-accuracy [--steps N] [--seeds 0,1,...] [--models logistic,mlp,cnn] [--shuffled both|no|yes]
                        [--batch N] [--lr X] [--out FILE] [--no-write]`;

interface Options {
  steps: number;
  seeds: number[];
  models: Mnist1dReferenceModel[];
  shuffled: boolean[];
  batchSize: number;
  learningRate: number;
  out: string | null;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    steps: MNIST1D_REFERENCE_TRAINING.steps,
    seeds: [0],
    models: [...MNIST1D_REFERENCE_MODELS],
    shuffled: [false, true],
    batchSize: MNIST1D_REFERENCE_TRAINING.batchSize,
    learningRate: MNIST1D_REFERENCE_TRAINING.learningRate,
    out: repoPath('data', 'mnist1d-accuracy.md'),
  };
  eachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--steps':
        o.steps = positiveInt('--steps', value());
        break;
      case '--batch':
        o.batchSize = positiveInt('--batch', value());
        break;
      case '--lr':
        o.learningRate = parseNumber('--lr', value(), (v) => v > 0, 'a positive number');
        break;
      case '--seeds':
        o.seeds = value()
          .split(',')
          .map((t) => {
            const v = Number(t);
            if (!Number.isInteger(v) || v < 0) throw new Error(`--seeds: '${t}' is not an integer ≥ 0`);
            return v;
          });
        break;
      case '--models':
        o.models = value().split(',').map(parseReferenceModel);
        break;
      case '--shuffled': {
        const v = value();
        const choices: Record<string, boolean[]> = { both: [false, true], no: [false], yes: [true] };
        if (!choices[v]) throw new Error(`--shuffled must be both, no or yes, got '${v}'`);
        o.shuffled = choices[v];
        break;
      }
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--no-write':
        o.out = null;
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option '${flag}'\n${USAGE}`);
    }
  });
  return o;
}

/** Per model run both ways: test accuracy plain → shuffled, ours next to the reference's. */
function shuffleEffects(rows: AccuracyRow[]): string[] {
  const out: string[] = [];
  for (const model of MNIST1D_REFERENCE_MODELS) {
    const plain = rows.find((r) => r.model === model && !r.shuffled);
    const shuffled = rows.find((r) => r.model === model && r.shuffled);
    if (!plain || !shuffled) continue;
    const d = shuffled.ours - plain.ours;
    out.push(
      `- ${MNIST1D_MODEL_NAMES[model]}: shuffling the positions changes our test accuracy by ${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} points (${plain.ours.toFixed(1)} → ${shuffled.ours.toFixed(1)} %; reference ${plain.reference} → ${shuffled.reference} %).`,
    );
  }
  return out.length ? ['', ...out] : [];
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const backend = await initBackend();
  const status = new StatusLine();
  const runs: ReferenceRun[] = [];
  const t0 = Date.now();
  for (const shuffled of o.shuffled) {
    const data = referenceData(shuffled);
    const task = mnist1dTask(data);
    for (const model of o.models) {
      for (const seed of o.seeds) {
        const label = `${model}${shuffled ? ' (shuffled)' : ''} seed ${seed}`;
        const r = runReferenceModel(model, task, shuffled, {
          steps: o.steps,
          batchSize: o.batchSize,
          learningRate: o.learningRate,
          seed,
          onStep: (s, total) => status.update(`${label} ${bar(s / total)}`),
        });
        status.done();
        status.log(
          `${label}: test ${(100 * r.testAccuracy).toFixed(1)} % (best epoch ${(100 * r.bestTestAccuracy).toFixed(1)} %), train ${(100 * r.trainAccuracy).toFixed(1)} %, ${r.steps} steps, ${r.seconds.toFixed(0)} s`,
        );
        runs.push(r);
      }
    }
  }
  const rows = accuracyRows(runs);
  const table = accuracyMarkdown(rows);
  const steps = runs[0]?.steps ?? o.steps;
  const settings =
    `MNIST-1D default data set (seed 42, 4000 train / 1000 test; shuffled = one fixed permutation of the 40 positions, ` +
    `the same for train and test). Adam lr ${o.learningRate}, batch ${o.batchSize}, ${steps} steps (no early stopping), ` +
    `final test accuracy; training seed(s) ${o.seeds.join(', ')}; tfjs backend ${backend}. ` +
    `Reference: the MNIST-1D README (Greydanus 2020). "seconds" is training time summed over seeds.`;
  console.log(`\n${settings}\n\n${table}\n`);
  const outside = rows.filter((r) => !r.within);
  if (o.out) {
    const command = `npx tsx scripts/mnist1d-accuracy.ts ${process.argv.slice(2).join(' ')}`.trim();
    const doc = [
      '# MNIST-1D: reference test accuracies reproduced',
      '',
      settings,
      '',
      table,
      '',
      `${rows.length - outside.length} of ${rows.length} rows within ±${MNIST1D_TOLERANCE_POINTS} points of the reference.`,
      ...shuffleEffects(rows),
      '',
      `Written by \`${command}\` on ${new Date().toISOString().slice(0, 10)} in ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
      '',
    ].join('\n');
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(o.out, doc);
    console.log(`wrote ${path.relative(process.cwd(), o.out)}`);
  }
  if (outside.length && steps >= MNIST1D_REFERENCE_TRAINING.steps) {
    console.error(
      `${outside.length} row(s) outside ±${MNIST1D_TOLERANCE_POINTS} points: ${outside.map((r) => `${r.model}${r.shuffled ? ' shuffled' : ''}`).join(', ')}`,
    );
    return 1;
  }
  return 0;
}

runMain(main);
