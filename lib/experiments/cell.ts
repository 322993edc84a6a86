/**
 * A cell of an experiment — (dataset, architecture, label order, k, seed, loss, example
 * selection, training settings, SGLD settings) — resolved and validated, and the one route from
 * it to its numbers: its task, the options its training and its sampler get (seeds derived from
 * the cell's seed), its model on the device, its estimate. Node-free, so the browser page takes
 * the same route; experiment.ts adds the caches, the keys and the result rows.
 */
import { tf } from '../engine/backend';
import { DeviceSplit, disposeSplit, uploadSplit } from '../data/batches';
import { estimateLlc, LlcOptions, LlcResult, resolveLlcSettings } from '../estimator/llc';
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
import { checkPositive } from '../math/checks';
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
import { resolveTrainSettings, TrainOptions } from '../train/train';

export const DATASETS = ['mnist', 'mnist1d'] as const;
export type Dataset = (typeof DATASETS)[number];

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
  /**
   * Hidden units per layer of the MNIST MLP: absent for the write-up's 128, 1024 for Lau et al.'s
   * MLP. Never filled in, so the write-up's cells keep their keys.
   */
  hidden?: number;
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
    'hidden',
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

/** Validate a cell's config; errors name the bad value and the valid ones. */
export function validateCell(cell: CellConfig): CellConfig {
  if (!(DATASETS as readonly string[]).includes(cell.dataset)) {
    throw new Error(`unknown dataset '${cell.dataset}'; valid: ${DATASETS.join(', ')}`);
  }
  parseArchitecture(cell.architecture);
  validateLabels(cell.order);
  firstK(cell.k, cell.order);
  if (!Number.isInteger(cell.seed) || cell.seed < 0) throw new Error(`seed must be an integer ≥ 0, got ${cell.seed}`);
  if (cell.hidden != null) {
    checkPositive('hidden', cell.hidden, true);
    modelDef(cell.architecture, cell.dataset, cell.hidden);
  }
  for (const [name, v] of [
    ['numTrain', cell.numTrain],
    ['numTest', cell.numTest],
  ] as const) {
    checkPositive(name, v, true);
  }
  return cell;
}

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

/**
 * What estimateLlc gets for a cell: its resolved SGLD settings, the sampler seed derived from the
 * cell's seed, and the chance loss log k of its task (uniform predictions: the collapse check).
 */
export function cellLlcOptions(cell: CellConfig): LlcOptions {
  return { ...resolveCell(cell).llc, seed: deriveSeed(cell.seed, 'llc'), chanceLoss: Math.log(cell.k) };
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
  const def = modelDef(cell.architecture, cell.dataset, cell.hidden);
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
  model: { weights: Float32Array[] },
  onStep?: LlcOptions['onStep'],
): LlcResult {
  const device = modelOnDevice(cell, task, model.weights);
  try {
    return estimateLlc(device.lossFn, device.wStar, device.split, { ...cellLlcOptions(cell), onStep });
  } finally {
    device.dispose();
  }
}
