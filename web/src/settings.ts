/**
 * The page's settings: what one run computes, and their defaults. Imported by the page
 * (main.ts) and the worker; it imports nothing from lib/ so the page's own bundle stays small.
 *
 * The defaults are the sweeps' MNIST-1D settings at the quick profile (lib/experiments/sweeps.ts
 * PROFILES.quick.mnist1d: n = |{0,1}| of MNIST-1D's training split, the reference training,
 * 2 chains × 1,000 draws after 200 burn-in steps at m = 100). sweeps.ts cannot be imported
 * here (it reaches fs through calibration.ts), so they are restated; test/web.test.ts checks
 * that the page shows exactly PROFILES.quick.mnist1d. Lib change that removes the copy: keep
 * PROFILES in a module that does not import calibration.ts.
 */
export type Arch = 'mlp' | 'cnn';

export interface RunConfig {
  architecture: Arch;
  k: number;
  seed: number;
  numTrain: number;
  numTest: number;
  train: { epochs: number; batchSize: number; learningRate: number };
  llc: {
    epsilon: number;
    gamma: number;
    nbeta: number | 'auto';
    numChains: number;
    numDraws: number;
    numBurnin: number;
    batchSize: number;
  };
}

export const DEFAULTS: RunConfig = {
  architecture: 'mlp',
  k: 2,
  seed: 0,
  numTrain: 797,
  numTest: 203,
  train: { epochs: 200, batchSize: 100, learningRate: 1e-2 },
  llc: { epsilon: 2e-4, gamma: 10, nbeta: 'auto', numChains: 2, numDraws: 1000, numBurnin: 200, batchSize: 100 },
};

/** The form's fields: element id, where the value goes, and how it is shown. */
export const FIELDS = [
  {
    id: 'k',
    group: 'task',
    label: 'k (labels)',
    title: 'number of labels: the task uses digits 0..k−1 (2..10)',
    get: (c: RunConfig) => c.k,
    set: (c: RunConfig, v: number) => (c.k = v),
  },
  {
    id: 'seed',
    group: 'task',
    label: 'seed',
    title: 'seed of the example draw, the initial weights, the minibatches and SGLD',
    get: (c: RunConfig) => c.seed,
    set: (c: RunConfig, v: number) => (c.seed = v),
  },
  {
    id: 'epsilon',
    group: 'sgld',
    label: 'ε (step)',
    title: 'SGLD step size ε',
    get: (c: RunConfig) => c.llc.epsilon,
    set: (c: RunConfig, v: number) => (c.llc.epsilon = v),
  },
  {
    id: 'gamma',
    group: 'sgld',
    label: 'γ (localization)',
    title: 'localization strength γ',
    get: (c: RunConfig) => c.llc.gamma,
    set: (c: RunConfig, v: number) => (c.llc.gamma = v),
  },
  {
    id: 'chains',
    group: 'sgld',
    label: 'chains',
    title: 'independent SGLD chains from w*',
    get: (c: RunConfig) => c.llc.numChains,
    set: (c: RunConfig, v: number) => (c.llc.numChains = v),
  },
  {
    id: 'draws',
    group: 'sgld',
    label: 'draws',
    title: 'kept draws per chain',
    get: (c: RunConfig) => c.llc.numDraws,
    set: (c: RunConfig, v: number) => (c.llc.numDraws = v),
  },
  {
    id: 'burnin',
    group: 'sgld',
    label: 'burn-in',
    title: 'SGLD steps discarded at the start of each chain',
    get: (c: RunConfig) => c.llc.numBurnin,
    set: (c: RunConfig, v: number) => (c.llc.numBurnin = v),
  },
  {
    id: 'sgld-batch',
    group: 'sgld',
    label: 'm (SGLD batch)',
    title: 'SGLD minibatch size m, drawn with replacement',
    get: (c: RunConfig) => c.llc.batchSize,
    set: (c: RunConfig, v: number) => (c.llc.batchSize = v),
  },
  {
    id: 'n-train',
    group: 'train',
    label: 'n (train)',
    title: 'training examples of the task',
    get: (c: RunConfig) => c.numTrain,
    set: (c: RunConfig, v: number) => (c.numTrain = v),
  },
  {
    id: 'n-test',
    group: 'train',
    label: 'n (test)',
    title: 'test examples of the task',
    get: (c: RunConfig) => c.numTest,
    set: (c: RunConfig, v: number) => (c.numTest = v),
  },
  {
    id: 'epochs',
    group: 'train',
    label: 'epochs (max)',
    title: 'training: maximum epochs of Adam (stops earlier on a plateau)',
    get: (c: RunConfig) => c.train.epochs,
    set: (c: RunConfig, v: number) => (c.train.epochs = v),
  },
  {
    id: 'train-batch',
    group: 'train',
    label: 'train batch',
    title: 'training minibatch size',
    get: (c: RunConfig) => c.train.batchSize,
    set: (c: RunConfig, v: number) => (c.train.batchSize = v),
  },
  {
    id: 'lr',
    group: 'train',
    label: 'learning rate',
    title: 'Adam learning rate',
    get: (c: RunConfig) => c.train.learningRate,
    set: (c: RunConfig, v: number) => (c.train.learningRate = v),
  },
] as const;

/**
 * A field's text as a number, with no judgement of its own: '' and non-numbers become NaN,
 * which the library's validation then rejects by name (e.g. "llc: epsilon must be a
 * positive number, got NaN").
 */
export function parseNumberField(text: string): number {
  const t = text.trim();
  return t === '' ? NaN : Number(t);
}

/** nβ's field: 'auto' (n / log n) or a number. */
export function parseNbeta(text: string): number | 'auto' {
  const t = text.trim();
  return t === '' || t.toLowerCase() === 'auto' ? 'auto' : parseNumberField(t);
}

export const cloneConfig = (c: RunConfig): RunConfig => JSON.parse(JSON.stringify(c));
