/**
 * One run of the page: an MNIST-1D cell as lib/experiments/experiment.ts runCell computes it (the same
 * task draw, the same training and SGLD seeds, the same settings), without its file caches,
 * which need Node. Every piece is a lib function; this module only wires them up and
 * reports progress. Runs in the page's worker (worker.ts).
 *
 * experiment.ts itself is out of the browser's import graph: it imports store.ts (fs,
 * crypto) and paths.ts (fs at load time). What is re-stated from it: the seed derivations
 * of taskForCell / trainedModel / runCell (task: seed; training: deriveSeed(seed, 'train');
 * SGLD: deriveSeed(seed, 'llc')) and validateCell's seed and example-count checks.
 * Lib change that removes that: move resolveCell / validateCell / taskForCell and the
 * cache-free part of runCell into a Node-free module (experiment.ts keeps the caches).
 */
import { backendName, tf } from '../../lib/engine/backend';
import { disposeSplit, uploadSplit } from '../../lib/data/batches';
import { Flag } from '../../lib/estimator/diagnostics';
import { LlcResult, resolveLlcSettings } from '../../lib/estimator/llc';
import {
  labelSelector,
  modelDef,
  numParams,
  parseArchitecture,
  taskLoss,
  weightsToTensors,
} from '../../lib/models/models';
import { deriveSeed } from '../../lib/math/rng';
import { DEFAULT_ORDER, firstK, makeTaskFrom, mnist1dData } from '../../lib/data/tasks';
import { EpochRecord, resolveTrainSettings, trainModel } from '../../lib/train/train';
import { ChainProgress, estimateLlcInPieces } from './sampler';
import type { RunConfig } from './settings';

export type RunEvent =
  | { type: 'phase'; phase: 'data' | 'train' | 'sample'; message: string }
  | { type: 'trainStep'; step: number; total: number }
  | { type: 'epoch'; record: EpochRecord; maxEpochs: number }
  | {
      type: 'trained';
      trainLoss: number;
      trainAccuracy: number;
      testLoss: number;
      testAccuracy: number;
      epochs: number;
      stoppedBecause: string;
      seconds: number;
    }
  | ({ type: 'chain' } & ChainProgress);

/** A finished run: what the page shows and the results table keeps. */
export interface RunResult {
  config: RunConfig;
  labels: number[];
  numParams: number;
  backend: string;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  epochs: number;
  stoppedBecause: string;
  llcMean: number;
  llcStd: number;
  llcMcse: number;
  llcPerChain: number[];
  acceptancePerChain: number[];
  initLoss: number;
  nbeta: number;
  flags: Flag[];
  failedChains: number[];
  healthy: boolean;
  rhatRank: number;
  essBulk: number;
  seconds: { data: number; train: number; sample: number; total: number };
}

/** Validate every setting with the library's own checks, before anything is computed (errors name the value and the valid ones). */
export function validate(config: RunConfig): void {
  parseArchitecture(config.architecture);
  firstK(config.k, DEFAULT_ORDER);
  // experiment.ts validateCell's checks (not importable in the browser; see the module comment).
  if (!Number.isInteger(config.seed) || config.seed < 0)
    throw new Error(`seed must be an integer ≥ 0, got ${config.seed}`);
  for (const [name, v] of [
    ['numTrain', config.numTrain],
    ['numTest', config.numTest],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  resolveTrainSettings(config.train);
  resolveLlcSettings({ ...config.llc, seed: 0 }, config.numTrain);
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** Generate the data, train, sample: one cell, reporting as it goes. */
export async function runCellInPage(
  config: RunConfig,
  report: (e: RunEvent) => void,
  between: () => Promise<void>,
): Promise<RunResult> {
  validate(config);
  const t0 = performance.now();
  report({ type: 'phase', phase: 'data', message: 'generating MNIST-1D and drawing the task' });
  await between();
  const labels = firstK(config.k, DEFAULT_ORDER);
  const task = makeTaskFrom(mnist1dData(), {
    labels,
    numTrain: config.numTrain,
    numTest: config.numTest,
    seed: config.seed,
    selection: 'random',
  });
  const def = modelDef(config.architecture, 'mnist1d');
  const tData = seconds(t0);

  const t1 = performance.now();
  report({
    type: 'phase',
    phase: 'train',
    message: `training the ${config.architecture.toUpperCase()} (${numParams(def).toLocaleString('en')} parameters) on k = ${config.k} labels`,
  });
  await between();
  const trained = trainModel(def, task, {
    ...resolveTrainSettings(config.train),
    loss: 'ce',
    seed: deriveSeed(config.seed, 'train'),
    onEpoch: (record, maxEpochs) => report({ type: 'epoch', record, maxEpochs }),
    onStep: (step, total) => {
      if (step % 10 === 0 || step === total) report({ type: 'trainStep', step, total });
    },
  });
  const tTrain = seconds(t1);
  report({
    type: 'trained',
    trainLoss: trained.train.loss,
    trainAccuracy: trained.train.accuracy,
    testLoss: trained.test.loss,
    testAccuracy: trained.test.accuracy,
    epochs: trained.history.length,
    stoppedBecause: trained.stoppedBecause,
    seconds: tTrain,
  });

  const t2 = performance.now();
  report({ type: 'phase', phase: 'sample', message: 'sampling the localized posterior with SGLD' });
  await between();
  const selector = labelSelector(task.labels, def.numOutputs);
  const split = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const wStar = weightsToTensors(def, trained.weights);
  let est: LlcResult;
  try {
    est = await estimateLlcInPieces(taskLoss(def, selector, 'ce'), wStar, split, {
      ...config.llc,
      seed: deriveSeed(config.seed, 'llc'),
      chanceLoss: Math.log(task.labels.length),
      onProgress: (p) => report({ type: 'chain', ...p }),
      between,
    });
  } finally {
    tf.dispose([selector, ...wStar]);
    disposeSplit(split);
  }
  const tSample = seconds(t2);
  const d = est.diagnostics;
  return {
    config,
    labels,
    numParams: est.numParams,
    backend: backendName(),
    trainLoss: trained.train.loss,
    trainAccuracy: trained.train.accuracy,
    testLoss: trained.test.loss,
    testAccuracy: trained.test.accuracy,
    epochs: trained.history.length,
    stoppedBecause: trained.stoppedBecause,
    llcMean: est.llcMean,
    llcStd: est.llcStd,
    llcMcse: est.llcMcse,
    llcPerChain: est.llcPerChain,
    acceptancePerChain: est.acceptancePerChain,
    initLoss: est.initLoss,
    nbeta: est.settings.nbeta,
    flags: d.flags,
    failedChains: d.failedChains,
    healthy: d.healthy,
    rhatRank: d.rhatRank,
    essBulk: d.essBulk,
    seconds: { data: tData, train: tTrain, sample: tSample, total: seconds(t0) },
  };
}
