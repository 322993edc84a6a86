/**
 * Reproducing MNIST-1D's reference test accuracies (Greydanus 2020, README table):
 *
 *   model                 MNIST-1D   shuffled sequence
 *   logistic regression   32 %       32 %
 *   MLP                   68 %       68 %
 *   CNN                   94 %       56 %
 *
 * on the default data set (seed 42, 4000 train / 1000 test), trained as the reference
 * (`notebooks/train.py`): Adam, lr 1e-2, no weight decay, batch 100, 8000 steps, final
 * test accuracy. The "shuffled sequence" control permutes the 40 positions with one
 * fixed permutation, the same for every train and test example (the generator's
 * `shuffleSeq`, drawn after the example order, so the examples themselves are unchanged).
 * A fixed permutation cannot change what logistic regression or the MLP can learn (their
 * first layer is permutation-equivariant and its initialisation iid), only the CNN's.
 *
 * Differences from the reference, kept on purpose: minibatches are drawn from a fresh
 * shuffle each epoch (the reference cycles through the data in order), and the number
 * of steps is rounded up to whole epochs (8000 steps = 200 epochs of 40 batches exactly).
 */
import { cnn1dDef, logistic1dDef, mlp1dDef } from '../models/mnist1d-models';
import { makeMnist1d, Mnist1d, Mnist1dOptions, MNIST1D_NUM_CLASSES } from '../data/mnist1d';
import { ModelDef, numParams } from '../models/models';
import { meanCI } from '../math/stats';
import { Task } from '../data/tasks';
import { trainModel } from './train';
import { checkPositive } from '../math/checks';

export const MNIST1D_REFERENCE_MODELS = ['logistic', 'mlp', 'cnn'] as const;
export type Mnist1dReferenceModel = (typeof MNIST1D_REFERENCE_MODELS)[number];

/** Test accuracy in % from the MNIST-1D README (plain and spatially shuffled sequence). */
export const MNIST1D_REFERENCE_ACCURACY: Readonly<Record<Mnist1dReferenceModel, { plain: number; shuffled: number }>> =
  Object.freeze({
    logistic: { plain: 32, shuffled: 32 },
    mlp: { plain: 68, shuffled: 68 },
    cnn: { plain: 94, shuffled: 56 },
  });

/** The reference's training (`get_model_args()`): Adam lr 1e-2, batch 100, 8000 steps. */
export const MNIST1D_REFERENCE_TRAINING = Object.freeze({ steps: 8000, batchSize: 100, learningRate: 1e-2 });

/** The tolerance of the reproduction, in accuracy points. */
export const MNIST1D_TOLERANCE_POINTS = 5;

export function parseReferenceModel(name: string): Mnist1dReferenceModel {
  if (!(MNIST1D_REFERENCE_MODELS as readonly string[]).includes(name)) {
    throw new Error(`unknown MNIST-1D model '${name}'; valid: ${MNIST1D_REFERENCE_MODELS.join(', ')}`);
  }
  return name as Mnist1dReferenceModel;
}

export function referenceModelDef(model: Mnist1dReferenceModel): ModelDef {
  switch (model) {
    case 'logistic':
      return logistic1dDef();
    case 'mlp':
      return mlp1dDef();
    case 'cnn':
      return cnn1dDef();
  }
}

/** A whole MNIST-1D data set as a 10-class task, in the generator's order. */
export function mnist1dTask(data: Mnist1d): Task {
  return {
    labels: Array.from({ length: MNIST1D_NUM_CLASSES }, (_, i) => i),
    inputShape: [data.seqLength],
    xTrain: data.xTrain,
    yTrain: Int32Array.from(data.yTrain),
    xTest: data.xTest,
    yTest: Int32Array.from(data.yTest),
    numTrain: data.numTrain,
    numTest: data.numTest,
  };
}

/** The default data set (or `options` over it), plain or with its positions shuffled by one fixed permutation. */
export function referenceData(shuffled: boolean, options: Omit<Mnist1dOptions, 'shuffleSeq'> = {}): Mnist1d {
  return makeMnist1d({ ...options, shuffleSeq: shuffled });
}

export interface ReferenceRunOptions {
  /** Adam steps (default 8000), rounded up to whole epochs. */
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  /** Seed of the initial weights and the minibatch order. */
  seed?: number;
  onStep?: (step: number, total: number) => void;
}

export interface ReferenceRun {
  model: Mnist1dReferenceModel;
  shuffled: boolean;
  seed: number;
  numParams: number;
  /** Steps actually taken (whole epochs). */
  steps: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Best test accuracy over the epochs (the reference reports the final one; this is for context). */
  bestTestAccuracy: number;
  seconds: number;
}

/** Epochs covering at least `steps` minibatches of `batchSize` from `numTrain` examples. */
export function epochsForSteps(steps: number, numTrain: number, batchSize: number): { epochs: number; steps: number } {
  checkPositive('steps', steps, true);
  const perEpoch = Math.ceil(numTrain / batchSize);
  const epochs = Math.ceil(steps / perEpoch);
  return { epochs, steps: epochs * perEpoch };
}

/** Train one reference model for a fixed number of steps (no early stopping) and report its accuracies. */
export function runReferenceModel(
  model: Mnist1dReferenceModel,
  task: Task,
  shuffled: boolean,
  options: ReferenceRunOptions = {},
): ReferenceRun {
  const batchSize = options.batchSize ?? MNIST1D_REFERENCE_TRAINING.batchSize;
  const { epochs, steps } = epochsForSteps(options.steps ?? MNIST1D_REFERENCE_TRAINING.steps, task.numTrain, batchSize);
  const def = referenceModelDef(model);
  const seed = options.seed ?? 0;
  const r = trainModel(def, task, {
    epochs,
    batchSize,
    learningRate: options.learningRate ?? MNIST1D_REFERENCE_TRAINING.learningRate,
    seed,
    // A fixed budget, as the reference: never stop early.
    patience: Number.MAX_SAFE_INTEGER,
    targetLoss: 0,
    onStep: options.onStep,
  });
  return {
    model,
    shuffled,
    seed,
    numParams: numParams(def),
    steps,
    trainAccuracy: r.train.accuracy,
    testAccuracy: r.test.accuracy,
    bestTestAccuracy: Math.max(...r.history.map((h) => h.testAccuracy)),
    seconds: r.seconds,
  };
}

export interface AccuracyRow {
  model: Mnist1dReferenceModel;
  shuffled: boolean;
  /** Reference accuracy, %. */
  reference: number;
  /** Our mean test accuracy over seeds, %. */
  ours: number;
  /** Standard deviation over seeds (NaN with one seed), %. */
  sd: number;
  /** 95 % t-interval of the mean over seeds (NaN with one seed), %. */
  ciLo: number;
  ciHi: number;
  seeds: number[];
  /** ours − reference, points. */
  difference: number;
  within: boolean;
  trainAccuracy: number;
  seconds: number;
}

/** One row per (model, shuffled): mean test accuracy over seeds against the reference. */
export function accuracyRows(runs: ReferenceRun[], tolerance = MNIST1D_TOLERANCE_POINTS): AccuracyRow[] {
  const groups = new Map<string, ReferenceRun[]>();
  for (const r of runs) {
    const key = `${r.model}|${r.shuffled}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const order = (r: { model: Mnist1dReferenceModel; shuffled: boolean }) =>
    2 * MNIST1D_REFERENCE_MODELS.indexOf(r.model) + (r.shuffled ? 1 : 0);
  return [...groups.values()]
    .map((g) => {
      const { model, shuffled } = g[0];
      const ci = meanCI(g.map((r) => 100 * r.testAccuracy));
      const reference = MNIST1D_REFERENCE_ACCURACY[model][shuffled ? 'shuffled' : 'plain'];
      const difference = ci.mean - reference;
      return {
        model,
        shuffled,
        reference,
        ours: ci.mean,
        sd: ci.sd,
        ciLo: ci.lo,
        ciHi: ci.hi,
        seeds: g.map((r) => r.seed),
        difference,
        within: Math.abs(difference) <= tolerance,
        trainAccuracy: meanCI(g.map((r) => 100 * r.trainAccuracy)).mean,
        seconds: g.reduce((s, r) => s + r.seconds, 0),
      };
    })
    .sort((a, b) => order(a) - order(b));
}

export const MNIST1D_MODEL_NAMES: Record<Mnist1dReferenceModel, string> = {
  logistic: 'logistic regression',
  mlp: 'MLP',
  cnn: 'CNN',
};

/** The accuracy table as markdown: model, shuffled?, reference %, ours %, difference, within ±tolerance?, seconds. */
export function accuracyMarkdown(rows: AccuracyRow[], tolerance = MNIST1D_TOLERANCE_POINTS): string {
  const multi = rows.some((r) => r.seeds.length > 1);
  const ours = (r: AccuracyRow) =>
    r.seeds.length > 1
      ? `${r.ours.toFixed(1)} ± ${r.sd.toFixed(1)} (95 % CI ${r.ciLo.toFixed(1)}–${r.ciHi.toFixed(1)})`
      : r.ours.toFixed(1);
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
  return [
    `| model | shuffled? | reference % | ours %${multi ? ' (mean ± sd over seeds)' : ''} | difference | within ±${tolerance}? | seconds |`,
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${MNIST1D_MODEL_NAMES[r.model]} | ${r.shuffled ? 'yes' : 'no'} | ${r.reference} | ${ours(r)} | ${signed(r.difference)} | ${r.within ? 'yes' : '**no**'} | ${r.seconds.toFixed(0)} |`,
    ),
  ].join('\n');
}
