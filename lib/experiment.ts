/**
 * One cell of an experiment: (dataset, architecture, label order, k, seed,
 * training settings, SGLD settings). Running it trains the model (or reuses the
 * trained model cached under the hash of its training config) and estimates λ̂.
 *
 * Two caches, both keyed by config hashes and written atomically:
 *   data/models/<trainKey>.{json,bin}       trained weights w* + training record
 *   data/results/<profile>/<cellKey>.json   the cell's result row
 * so changing only SGLD settings re-samples without re-training.
 */
import * as path from 'path';
import { repoPath } from './paths';
import { backendName, tf } from './backend';
import { disposeSplit, uploadSplit } from './batches';
import { diagnose } from './diagnostics';
import { estimateLlc, LlcOptions } from './llc';
import { Architecture, labelSelector, modelDef, numParams, parseArchitecture, taskLoss, weightsToTensors } from './models';
import { deriveSeed } from './rng';
import { configKey, readJson, readWeights, writeJsonAtomic, writeWeights } from './store';
import { firstK, makeTask, makeTaskFrom, mnist1dData, Task, validateLabels } from './tasks';
import { EpochRecord, Metrics, StopReason, trainModel, TrainOptions } from './train';

export const DATASETS = ['mnist', 'mnist1d'] as const;
export type Dataset = (typeof DATASETS)[number];

/** Bump when results computed by older code must not be reused. */
export const RESULT_SCHEMA = 1;

export interface TrainSettings extends Omit<TrainOptions, 'onEpoch' | 'onStep' | 'seed'> {}
export interface SgldSettings extends Omit<LlcOptions, 'onStep' | 'seed' | 'thresholds'> {}

export interface CellConfig {
  dataset: Dataset;
  architecture: Architecture;
  /** The label order the first k labels are taken from. */
  order: number[];
  k: number;
  /** Seed of the data draw, the initial weights, minibatches and SGLD. */
  seed: number;
  numTrain: number;
  numTest: number;
  train: TrainSettings;
  llc: SgldSettings;
}

export interface TrainedModel {
  trainKey: string;
  weights: Float32Array[];
  history: EpochRecord[];
  stoppedBecause: StopReason;
  train: Metrics;
  test: Metrics;
  seconds: number;
  backend: string;
}

export interface ResultRow {
  key: string;
  trainKey: string;
  schema: number;
  config: CellConfig;
  dataset: Dataset;
  architecture: Architecture;
  order: string;
  k: number;
  labels: number[];
  seed: number;
  numTrain: number;
  numParams: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  epochs: number;
  stoppedBecause: StopReason;
  llcMean: number;
  llcStd: number;
  llcPerChain: number[];
  initLoss: number;
  nbeta: number;
  /** Diagnostic flag codes (see diagnostics.ts) and their messages. */
  flags: string[];
  flagMessages: string[];
  /** No finite λ̂ (every chain diverged). */
  failed: boolean;
  healthy: boolean;
  rhat: number;
  lossTraces: number[][];
  backend: string;
  trainSeconds: number;
  llcSeconds: number;
  finishedAt: string;
}

/**
 * A stored row with its diagnostics recomputed by the current checks: they are pure
 * functions of the stored traces, so an improved check reaches old results without
 * resampling (λ̂ itself, and which chains diverged, do not change).
 */
export function withCurrentDiagnostics(row: ResultRow): ResultRow {
  const d = diagnose({ llcPerChain: row.llcPerChain, lossTraces: row.lossTraces, numParams: row.numParams, nbeta: row.nbeta, initLoss: row.initLoss });
  return { ...row, flags: d.flags.map((f) => f.code), flagMessages: d.flags.map((f) => f.message), healthy: d.healthy, rhat: d.rhat };
}

/** Read a result file (null if there is none), with current diagnostics. */
export function readResult(file: string): ResultRow | null {
  const row = readJson<ResultRow>(file);
  return row && withCurrentDiagnostics(row);
}

/** Validate a cell's config; errors name the bad value and the valid ones. */
export function validateCell(cell: CellConfig): CellConfig {
  if (!(DATASETS as readonly string[]).includes(cell.dataset)) {
    throw new Error(`unknown dataset '${cell.dataset}'; valid: ${DATASETS.join(', ')}`);
  }
  parseArchitecture(cell.architecture);
  validateLabels(cell.order);
  firstK(cell.k, cell.order);
  if (!Number.isInteger(cell.seed) || cell.seed < 0) throw new Error(`seed must be an integer ≥ 0, got ${cell.seed}`);
  for (const [name, v] of [['numTrain', cell.numTrain], ['numTest', cell.numTest]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  return cell;
}

/** The part of a cell that determines the trained model. */
export function trainConfig(cell: CellConfig) {
  return {
    schema: RESULT_SCHEMA,
    dataset: cell.dataset,
    architecture: cell.architecture,
    labels: firstK(cell.k, cell.order),
    seed: cell.seed,
    numTrain: cell.numTrain,
    numTest: cell.numTest,
    train: cell.train,
  };
}

export const cellKey = (cell: CellConfig): string => configKey({ schema: RESULT_SCHEMA, ...cell });
export const trainKey = (cell: CellConfig): string => configKey(trainConfig(cell));

export interface RunCellOptions {
  /** Root of the caches (default: <repo>/data). */
  dataDir?: string;
  /** Results subfolder (the profile's name). */
  profile: string;
  onProgress?: (phase: 'train' | 'llc', done: number, total: number) => void;
  onLog?: (message: string) => void;
}

/** <repo>/data, or LLC_DATA_DIR (lets tests and CI's notebook runs write elsewhere). */
export function defaultDataDir(): string {
  return process.env.LLC_DATA_DIR ?? repoPath('data');
}

export const resultPath = (dataDir: string, profile: string, key: string) => path.join(dataDir, 'results', profile, `${key}.json`);
const modelPaths = (dataDir: string, key: string) => ({ json: path.join(dataDir, 'models', `${key}.json`), bin: path.join(dataDir, 'models', `${key}.bin`) });

export function taskForCell(cell: CellConfig): Task {
  const options = { labels: firstK(cell.k, cell.order), numTrain: cell.numTrain, numTest: cell.numTest, seed: cell.seed };
  return cell.dataset === 'mnist1d' ? makeTaskFrom(mnist1dData(), options) : makeTask(options);
}

/** Train the cell's model, or load it from the model cache. */
export function trainedModel(cell: CellConfig, task: Task, options: RunCellOptions): TrainedModel {
  const dataDir = options.dataDir ?? defaultDataDir();
  const key = trainKey(cell);
  const files = modelPaths(dataDir, key);
  const def = modelDef(cell.architecture, cell.dataset);
  const meta = readJson<Omit<TrainedModel, 'weights'>>(files.json);
  if (meta) return { ...meta, weights: readWeights(files.bin, def.params.map((p) => p.shape.reduce((a, b) => a * b, 1))) };
  const r = trainModel(def, task, {
    ...cell.train,
    seed: deriveSeed(cell.seed, 'train'),
    onStep: (s, total) => options.onProgress?.('train', s, total),
  });
  const model: TrainedModel = { trainKey: key, weights: r.weights, history: r.history, stoppedBecause: r.stoppedBecause, train: r.train, test: r.test, seconds: r.seconds, backend: backendName() };
  const { weights, ...record } = model;
  writeWeights(files.bin, weights); // the JSON, written second, marks the model complete
  writeJsonAtomic(files.json, { ...record, config: trainConfig(cell) });
  return model;
}

/** Run (or load) one cell and write its result row atomically. */
export function runCell(cell: CellConfig, options: RunCellOptions): ResultRow {
  validateCell(cell);
  const dataDir = options.dataDir ?? defaultDataDir();
  const key = cellKey(cell);
  const file = resultPath(dataDir, options.profile, key);
  const cached = readResult(file);
  if (cached) return cached;

  const task = taskForCell(cell);
  const model = trainedModel(cell, task, options);
  const def = modelDef(cell.architecture, cell.dataset);
  const selector = labelSelector(task.labels, def.numOutputs);
  const split = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const wStar = weightsToTensors(def, model.weights);
  try {
    const est = estimateLlc(taskLoss(def, selector), wStar, split, {
      ...cell.llc,
      seed: deriveSeed(cell.seed, 'llc'),
      onStep: (s, total) => options.onProgress?.('llc', s, total),
    });
    const row: ResultRow = {
      key,
      trainKey: model.trainKey,
      schema: RESULT_SCHEMA,
      config: cell,
      dataset: cell.dataset,
      architecture: cell.architecture,
      order: cell.order.join(''),
      k: cell.k,
      labels: task.labels,
      seed: cell.seed,
      numTrain: cell.numTrain,
      numParams: numParams(def),
      trainLoss: model.train.loss,
      trainAccuracy: model.train.accuracy,
      testLoss: model.test.loss,
      testAccuracy: model.test.accuracy,
      epochs: model.history.length,
      stoppedBecause: model.stoppedBecause,
      llcMean: est.llcMean,
      llcStd: est.llcStd,
      llcPerChain: est.llcPerChain,
      initLoss: est.initLoss,
      nbeta: est.settings.nbeta,
      flags: est.diagnostics.flags.map((f) => f.code),
      flagMessages: est.diagnostics.flags.map((f) => f.message),
      failed: !Number.isFinite(est.llcMean),
      healthy: est.diagnostics.healthy,
      rhat: est.diagnostics.rhat,
      lossTraces: est.lossTraces,
      backend: est.backend,
      trainSeconds: model.seconds,
      llcSeconds: est.seconds,
      finishedAt: new Date().toISOString(),
    };
    writeJsonAtomic(file, row);
    return row;
  } finally {
    tf.dispose([selector, ...wStar]);
    disposeSplit(split);
  }
}
