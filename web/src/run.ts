/**
 * One run of the page: an MNIST-1D cell as lib/experiments/experiment.ts runCell computes it,
 * through the same route (lib/experiments/cell.ts: the cell resolved and validated, its task,
 * its training and sampler options with the seeds derived from the cell's seed, its model on
 * the device), without the file caches, which need Node. The chains run in pieces
 * (sampler.ts) so the page can draw between them. Runs in the page's worker (worker.ts).
 */
import { backendName } from '../../lib/engine/backend';
import { Flag } from '../../lib/estimator/diagnostics';
import { LlcResult } from '../../lib/estimator/llc';
import {
  CellConfig,
  cellLlcOptions,
  cellTrainOptions,
  modelOnDevice,
  resolveCell,
  taskForCell,
  validateCell,
} from '../../lib/experiments/cell';
import { modelDef, numParams } from '../../lib/models/models';
import { DEFAULT_ORDER } from '../../lib/data/tasks';
import { EpochRecord, trainModel } from '../../lib/train/train';
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

/** The page's settings as the cell they are: MNIST-1D, the default label order, the cross-entropy. */
export function cellOf(config: RunConfig): CellConfig {
  return {
    dataset: 'mnist1d',
    architecture: config.architecture,
    order: [...DEFAULT_ORDER],
    k: config.k,
    seed: config.seed,
    numTrain: config.numTrain,
    numTest: config.numTest,
    train: config.train,
    llc: config.llc,
  };
}

/** Validate every setting with the library's own checks, before anything is computed (errors name the value and the valid ones). */
export function validate(config: RunConfig): void {
  resolveCell(validateCell(cellOf(config)));
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/** Generate the data, train, sample: one cell, reporting as it goes. */
export async function runCellInPage(
  config: RunConfig,
  report: (e: RunEvent) => void,
  between: () => Promise<void>,
): Promise<RunResult> {
  const cell = cellOf(config);
  validate(config);
  const t0 = performance.now();
  report({ type: 'phase', phase: 'data', message: 'generating MNIST-1D and drawing the task' });
  await between();
  const task = taskForCell(cell);
  const labels = task.labels;
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
    ...cellTrainOptions(cell),
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
  const device = modelOnDevice(cell, task, trained.weights);
  let est: LlcResult;
  try {
    est = await estimateLlcInPieces(device.lossFn, device.wStar, device.split, {
      ...cellLlcOptions(cell),
      onProgress: (p) => report({ type: 'chain', ...p }),
      between,
    });
  } finally {
    device.dispose();
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
