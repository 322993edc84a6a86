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
import { backendName, tf } from '../engine/backend';
import { DeviceSplit, disposeSplit, uploadSplit } from '../data/batches';
import { diagnose, Diagnostics } from '../estimator/diagnostics';
import { chainStatistics, estimateLlc, LlcOptions, LlcResult, resolveLlcSettings } from '../estimator/llc';
import {
  Architecture,
  labelSelector,
  LossFn,
  LossKind,
  ModelDef,
  modelDef,
  parseArchitecture,
  parseLoss,
  taskLoss,
  weightsToTensors,
} from '../models/models';
import { deriveSeed } from '../math/rng';
import { configKey, readJson, readWeights, writeJsonAtomic, writeWeights } from './store';
import {
  firstK,
  makeTask,
  makeTaskFrom,
  mnist1dData,
  Selection,
  SELECTIONS,
  Task,
  validateLabels,
} from '../data/tasks';
import { EpochRecord, Metrics, resolveTrainSettings, StopReason, trainModel, TrainOptions } from '../train/train';
import { checkPositive } from '../math/checks';

export const DATASETS = ['mnist', 'mnist1d'] as const;
export type Dataset = (typeof DATASETS)[number];

/**
 * Bump when results computed by older code must not be reused.
 * 2: keys hash the resolved config (every default filled in); loss and example selection
 * are settings; rows carry MALA acceptance and Vehtari et al.'s diagnostics.
 */
export const RESULT_SCHEMA = 2;

export type TrainSettings = Omit<TrainOptions, 'onEpoch' | 'onStep' | 'seed' | 'loss'>;
export type SgldSettings = Omit<LlcOptions, 'onStep' | 'seed' | 'thresholds' | 'chanceLoss'>;

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
  /** The loss trained and sampled (models.ts LOSSES; default 'ce'). */
  loss?: LossKind;
  /** How the task's examples are chosen (tasks.ts SELECTIONS; default 'random'). */
  selection?: Selection;
  train: TrainSettings;
  llc: SgldSettings;
}

/**
 * A cell with every default filled in: what is hashed into its keys and saved with its
 * result, so a changed default is a new cell and the saved config says exactly what ran.
 */
export interface ResolvedCell extends CellConfig {
  loss: LossKind;
  selection: Selection;
  train: Required<TrainSettings>;
  llc: Required<Omit<SgldSettings, 'onStep'>>;
}

/** Fill every default of a cell and validate it (errors name the bad value and the valid ones; unknown keys are errors). */
export function resolveCell(cell: CellConfig): ResolvedCell {
  validateCell(cell);
  const loss = parseLoss(cell.loss ?? 'ce');
  const selection = cell.selection ?? 'random';
  if (!(SELECTIONS as readonly string[]).includes(selection))
    throw new Error(`unknown selection '${selection}'; valid: ${SELECTIONS.join(', ')}`);
  const known = new Set([
    'dataset',
    'architecture',
    'order',
    'k',
    'seed',
    'numTrain',
    'numTest',
    'loss',
    'selection',
    'train',
    'llc',
  ]);
  const unknown = Object.keys(cell).filter((k) => !known.has(k));
  if (unknown.length)
    throw new Error(
      `cell: unknown setting ${unknown.map((k) => `'${k}'`).join(', ')}; valid: ${[...known].join(', ')}`,
    );
  if ('seed' in (cell.train ?? {}) || 'loss' in (cell.train ?? {}))
    throw new Error("cell.train must not hold 'seed' or 'loss' (they are the cell's own settings)");
  if ('seed' in (cell.llc ?? {})) throw new Error("cell.llc must not hold 'seed' (it is the cell's own setting)");
  const { seed: _ts, loss: _tl, ...train } = resolveTrainSettings(cell.train ?? {});
  const { seed: _ls, nbeta: _nbeta, ...llc } = resolveLlcSettings({ ...cell.llc, seed: 0 }, cell.numTrain);
  // nβ stays as given ('auto' = n / log n, resolved per n in the result row).
  return {
    ...cell,
    order: cell.order.slice(),
    loss,
    selection,
    train,
    llc: { ...llc, nbeta: cell.llc?.nbeta ?? 'auto' },
  } as ResolvedCell;
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

/** Validate a cell's config; errors name the bad value and the valid ones. */
export function validateCell(cell: CellConfig): CellConfig {
  if (!(DATASETS as readonly string[]).includes(cell.dataset)) {
    throw new Error(`unknown dataset '${cell.dataset}'; valid: ${DATASETS.join(', ')}`);
  }
  parseArchitecture(cell.architecture);
  validateLabels(cell.order);
  firstK(cell.k, cell.order);
  if (!Number.isInteger(cell.seed) || cell.seed < 0) throw new Error(`seed must be an integer ≥ 0, got ${cell.seed}`);
  for (const [name, v] of [
    ['numTrain', cell.numTrain],
    ['numTest', cell.numTest],
  ] as const) {
    checkPositive(name, v, true);
  }
  return cell;
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

export function taskForCell(cell: CellConfig): Task {
  const options = {
    labels: firstK(cell.k, cell.order),
    numTrain: cell.numTrain,
    numTest: cell.numTest,
    seed: cell.seed,
    selection: cell.selection ?? 'random',
  };
  return cell.dataset === 'mnist1d' ? makeTaskFrom(mnist1dData(), options) : makeTask(options);
}

// ---------------------------------------------------------------- the one route from a cell to its numbers
// runCell, the notebooks and the bench take a cell's settings and seeds from these, so a
// quickstart's "{0,1}, seed 0" is the sweep's cell of that name, number for number.

/** What trainModel gets for a cell: its resolved training settings, its loss, and the training seed derived from the cell's seed. */
export function cellTrainOptions(cell: CellConfig): TrainOptions {
  const r = resolveCell(cell);
  return { ...r.train, loss: r.loss, seed: deriveSeed(cell.seed, 'train') };
}

/** What estimateLlc gets for a cell: its resolved SGLD settings and the sampler seed derived from the cell's seed. */
export function cellLlcOptions(cell: CellConfig): LlcOptions {
  return { ...resolveCell(cell).llc, seed: deriveSeed(cell.seed, 'llc') };
}

/** A trained model and its task on the device; dispose() frees every tensor it holds. */
export interface ModelOnDevice {
  def: ModelDef;
  /** The label selector S (models.ts labelSelector). */
  selector: tf.Tensor2D;
  /** The task's training split, uploaded. */
  split: DeviceSplit;
  /** The weights as tensors (w*). */
  wStar: tf.Tensor[];
  /** The loss the cell trains and samples: L(w; batch). */
  lossFn: LossFn;
  dispose(): void;
}

/** Put a cell's task and trained weights on the device (the set-up every estimate needs). */
export function modelOnDevice(cell: CellConfig, task: Task, weights: Float32Array[]): ModelOnDevice {
  const def = modelDef(cell.architecture, cell.dataset);
  const selector = labelSelector(task.labels, def.numOutputs);
  const split = uploadSplit(task.xTrain, task.yTrain, task.inputShape, task.labels);
  const wStar = weightsToTensors(def, weights);
  return {
    def,
    selector,
    split,
    wStar,
    lossFn: taskLoss(def, selector, resolveCell(cell).loss),
    dispose: () => {
      tf.dispose([selector, ...wStar]);
      disposeSplit(split);
    },
  };
}

/** λ̂ of a cell's trained model: runCell's estimate, without writing a result. */
export function estimateCell(
  cell: CellConfig,
  task: Task,
  model: Pick<TrainedModel, 'weights'>,
  onStep?: LlcOptions['onStep'],
): LlcResult {
  const device = modelOnDevice(cell, task, model.weights);
  try {
    // Chance = uniform predictions over the task's k labels (the collapse check).
    return estimateLlc(device.lossFn, device.wStar, device.split, {
      ...cellLlcOptions(cell),
      chanceLoss: Math.log(task.labels.length),
      onStep,
    });
  } finally {
    device.dispose();
  }
}

/** Train the cell's model, or load it from the model cache. */
export function trainedModel(cell: CellConfig, task: Task, options: RunCellOptions): TrainedModel {
  const dataDir = options.dataDir ?? defaultDataDir();
  const key = trainKey(cell);
  const files = modelPaths(dataDir, key);
  const def = modelDef(cell.architecture, cell.dataset);
  const meta = readJson<Omit<TrainedModel, 'weights'>>(files.json);
  if (meta)
    return {
      ...meta,
      weights: readWeights(
        files.bin,
        def.params.map((p) => p.shape.reduce((a, b) => a * b, 1)),
      ),
    };
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
