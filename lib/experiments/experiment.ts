/**
 * Running a cell (cell.ts): train its model (or reuse the model cached under the hash of
 * its training config), estimate λ̂ and keep the result row.
 *
 * Two caches, both keyed by config hashes and written atomically:
 *   data/models/<trainKey>.{json,bin}       trained weights w* + training record
 *   data/results/<profile>/<cellKey>.json   the cell's result row
 * so changing only SGLD settings re-samples without re-training.
 */
import * as path from 'path';
import { repoPath } from './paths';
import { backendName } from '../engine/backend';
import { diagnose, Diagnostics } from '../estimator/diagnostics';
import { chainStatistics } from '../estimator/llc';
import { Architecture, modelDef } from '../models/models';
import { configKey, readJson, readWeights, writeJsonAtomic, writeWeights } from './store';
import { CellConfig, cellTrainOptions, Dataset, estimateCell, ResolvedCell, resolveCell, taskForCell } from './cell';
import { firstK, Task } from '../data/tasks';
import { EpochRecord, Metrics, StopReason, trainModel } from '../train/train';

/**
 * Bump when results computed by older code must not be reused.
 * 2: keys hash the resolved config (every default filled in); loss and example selection
 * are settings; rows carry MALA acceptance and Vehtari et al.'s diagnostics.
 */
export const RESULT_SCHEMA = 2;

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
  config: ResolvedCell;
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
  /** Mean λ̂ over the chains that did not fail (diagnostics.ts failedChains); NaN if all failed. */
  llcMean: number;
  /** sd of λ̂ over those chains (NaN with fewer than 2). */
  llcStd: number;
  /** Monte-Carlo standard error of llcMean: report λ̂ ± llcMcse. */
  llcMcse: number;
  llcPerChain: number[];
  failedChains: number[];
  /** Why no chain counted ('diverged', 'exceedsHalfDim', 'spike', 'collapsed', joined by +), or null. */
  failReason: string | null;
  /** Mean MALA acceptance of each chain's moves (sgld.ts). */
  acceptancePerChain: number[];
  /** Per chain, the acceptance of the move into every kept draw, rounded to 3 decimals. */
  acceptanceTraces: (number | null)[][];
  /** Mean virial over d per chain (llc.ts equipartitionPerChain; 1 at equilibrium). Absent in rows computed before it was recorded. */
  equipartitionPerChain?: number[];
  initLoss: number;
  /** ‖∇L_n(w*)‖ at the trained model (absent in rows computed before it was recorded). */
  gradNorm?: number;
  nbeta: number;
  /** Diagnostic flag codes (see diagnostics.ts) and their messages. */
  flags: string[];
  flagMessages: string[];
  /** No λ̂: every chain failed (diverged or blew up). */
  failed: boolean;
  healthy: boolean;
  rhat: number;
  /** Rank-normalised split-R̂ and bulk ESS (Vehtari et al. 2021). */
  rhatRank: number;
  essBulk: number;
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
  const d = diagnose({
    llcPerChain: row.llcPerChain,
    lossTraces: row.lossTraces,
    numParams: row.numParams,
    nbeta: row.nbeta,
    initLoss: row.initLoss,
    acceptance: row.acceptancePerChain,
    gradNorm: row.gradNorm,
    chanceLoss: Math.log(row.k),
    equipartition: row.equipartitionPerChain,
  });
  return { ...row, ...diagnosticFields(d, row.llcPerChain) };
}

/** The row fields that follow from the diagnostics: flags, which chains count, λ̂ ± MCSE over them. */
function diagnosticFields(d: Diagnostics, llcPerChain: number[]) {
  const { llcMean, llcStd } = chainStatistics(llcPerChain, d.failedChains);
  const failedFlags = d.flags.filter(
    (f) =>
      f.chain != null &&
      d.failedChains.includes(f.chain) &&
      ['diverged', 'exceedsHalfDim', 'spike', 'collapsed'].includes(f.code),
  );
  return {
    flags: d.flags.map((f) => f.code),
    flagMessages: d.flags.map((f) => f.message),
    healthy: d.healthy,
    failed: !Number.isFinite(llcMean),
    failReason: Number.isFinite(llcMean) ? null : [...new Set(failedFlags.map((f) => f.code))].join('+') || 'diverged',
    failedChains: d.failedChains,
    llcMean,
    llcStd,
    llcMcse: d.mcse,
    rhat: d.rhat,
    rhatRank: d.rhatRank,
    essBulk: d.essBulk,
  };
}

/** Read a result file (null if there is none), with current diagnostics. */
export function readResult(file: string): ResultRow | null {
  const row = readJson<ResultRow>(file);
  return row && withCurrentDiagnostics(row);
}

/** The part of a (resolved) cell that determines the trained model. */
export function trainConfig(cell: CellConfig) {
  const r = resolveCell(cell);
  return {
    schema: RESULT_SCHEMA,
    dataset: r.dataset,
    architecture: r.architecture,
    labels: firstK(r.k, r.order),
    seed: r.seed,
    numTrain: r.numTrain,
    numTest: r.numTest,
    loss: r.loss,
    selection: r.selection,
    ...(r.hidden != null ? { hidden: r.hidden } : {}),
    train: r.train,
  };
}

/**
 * Keys hash the resolved cell, not the backend: a cell's numbers are reproducible on one
 * backend and agree across backends within the Monte-Carlo error (float32 rounding differs,
 * and a chain amplifies it), so results computed on tensorflow are read, not recomputed, on a
 * machine that has only wasm. The backend that computed a row is stored in it.
 */
export const cellKey = (cell: CellConfig): string => configKey({ schema: RESULT_SCHEMA, ...resolveCell(cell) });
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

export const resultPath = (dataDir: string, profile: string, key: string) =>
  path.join(dataDir, 'results', profile, `${key}.json`);
const modelPaths = (dataDir: string, key: string) => ({
  json: path.join(dataDir, 'models', `${key}.json`),
  bin: path.join(dataDir, 'models', `${key}.bin`),
});

/** The cell's model from the model cache, or null if it has not been trained. */
export function cachedModel(cell: CellConfig, dataDir = defaultDataDir()): TrainedModel | null {
  const files = modelPaths(dataDir, trainKey(cell));
  const meta = readJson<Omit<TrainedModel, 'weights'>>(files.json);
  if (!meta) return null;
  const def = modelDef(cell.architecture, cell.dataset, cell.hidden);
  return {
    ...meta,
    weights: readWeights(
      files.bin,
      def.params.map((p) => p.shape.reduce((a, b) => a * b, 1)),
    ),
  };
}

/** Train the cell's model, or load it from the model cache. */
export function trainedModel(cell: CellConfig, task: Task, options: RunCellOptions): TrainedModel {
  const dataDir = options.dataDir ?? defaultDataDir();
  const cached = cachedModel(cell, dataDir);
  if (cached) return cached;
  const key = trainKey(cell);
  const files = modelPaths(dataDir, key);
  const def = modelDef(cell.architecture, cell.dataset, cell.hidden);
  const r = trainModel(def, task, {
    ...cellTrainOptions(cell),
    onStep: (s, total) => options.onProgress?.('train', s, total),
  });
  const model: TrainedModel = {
    trainKey: key,
    weights: r.weights,
    history: r.history,
    stoppedBecause: r.stoppedBecause,
    train: r.train,
    test: r.test,
    seconds: r.seconds,
    backend: backendName(),
  };
  const { weights, ...record } = model;
  writeWeights(files.bin, weights); // the JSON, written second, marks the model complete
  writeJsonAtomic(files.json, { ...record, config: trainConfig(cell) });
  return model;
}

/** Run (or load) one cell and write its result row atomically. */
export function runCell(cell: CellConfig, options: RunCellOptions): ResultRow {
  const resolved = resolveCell(cell);
  const dataDir = options.dataDir ?? defaultDataDir();
  const key = cellKey(cell);
  const file = resultPath(dataDir, options.profile, key);
  const cached = readResult(file);
  if (cached) return cached;

  const task = taskForCell(cell);
  const model = trainedModel(cell, task, options);
  const est = estimateCell(cell, task, model, (s, total) => options.onProgress?.('llc', s, total));
  const row: ResultRow = {
    key,
    trainKey: model.trainKey,
    schema: RESULT_SCHEMA,
    config: resolved,
    dataset: cell.dataset,
    architecture: cell.architecture,
    order: cell.order.join(''),
    k: cell.k,
    labels: task.labels,
    seed: cell.seed,
    numTrain: cell.numTrain,
    numParams: est.numParams,
    trainLoss: model.train.loss,
    trainAccuracy: model.train.accuracy,
    testLoss: model.test.loss,
    testAccuracy: model.test.accuracy,
    epochs: model.history.length,
    stoppedBecause: model.stoppedBecause,
    llcPerChain: est.llcPerChain,
    acceptancePerChain: est.acceptancePerChain,
    acceptanceTraces: est.acceptanceTraces.map((t) =>
      t.map((a) => (Number.isFinite(a) ? Math.round(a * 1000) / 1000 : null)),
    ),
    equipartitionPerChain: est.equipartitionPerChain,
    initLoss: est.initLoss,
    gradNorm: est.gradNorm,
    nbeta: est.settings.nbeta,
    ...diagnosticFields(est.diagnostics, est.llcPerChain),
    lossTraces: est.lossTraces,
    backend: est.backend,
    trainSeconds: model.seconds,
    llcSeconds: est.seconds,
    finishedAt: new Date().toISOString(),
  };
  writeJsonAtomic(file, row);
  return row;
}
