/**
 * Sweeps declared as data, at two scales (profiles):
 *   writeup      {MLP, CNN} × k = 2..10 (order 0..9) × seeds
 *   shuffled     10 seeded random label orders × {MLP, CNN} × k = 2..10
 *   sensitivity  ε × γ grid of SGLD settings on chosen trained models
 *   fullmnist    k = 10 with all 60,000 training examples (comparison with Lau et al.)
 *   recheck      the writeup sweep again at other γ and nβ: do its conclusions survive the settings?
 *   lau2023      Lau et al.'s own MNIST experiment: their MLP (1.9M parameters), training and SGLD settings
 * `full` is the write-up's settings; `quick` is a scaled-down version of the same
 * sweeps that finishes in about a quarter of an hour on a 2-core machine.
 */
import { CellConfig, Dataset, SgldSettings, TrainSettings } from './cell';
import { Architecture, ARCHITECTURES, LossKind, parseArchitecture } from '../models/models';
import { DEFAULT_ORDER, distinctOrderSeeds, randomOrder, Selection } from '../data/tasks';
import { MNIST_LABEL_COUNTS } from '../data/mnist';
import { MNIST1D_LABEL_COUNTS } from '../data/mnist1d';
import { calibrationPath, readCalibration } from './calibration';
import { configKey } from './store';
import { nbetaFromFactor, WRITEUP_LLC } from '../estimator/llc';
import { WRITEUP_TRAIN } from '../train/train';

export const SWEEPS = ['writeup', 'shuffled', 'sensitivity', 'fullmnist', 'recheck', 'lau2023'] as const;
export type SweepName = (typeof SWEEPS)[number];

export interface Profile {
  name: string;
  numTrain: number;
  numTest: number;
  seeds: number[];
  ks: number[];
  train: TrainSettings;
  llc: SgldSettings;
  /** Per-architecture overrides of `llc` (the calibrated profile's ε). */
  llcByArchitecture?: Partial<Record<Architecture, SgldSettings>>;
  /** The loss (default 'ce') and the example selection (default 'random') of every cell. */
  loss?: LossKind;
  selection?: Selection;
  /** Seeds of the random label orders of the shuffled sweep. */
  orderSeeds: number[];
  /** Seeds of the shuffled sweep's cells, per order (default: the profile's first seed). */
  shuffledSeeds?: number[];
  /** Datasets this profile cannot run, with the reason (the calibrated profile without a calibration). */
  unavailable?: Partial<Record<Dataset, string>>;
  /** Sensitivity grid and the trained models it is run on. */
  sensitivity: { epsilons: number[]; gammas: number[]; ks: number[] };
  /** The writeup sweep's cells again at every γ × nβ (as a factor of n/log n); (profile γ, 1) is the writeup sweep itself. */
  recheck: { gammas: number[]; nbetaFactors: number[] };
  /** Lau et al.'s MNIST experiment (LAU_MNIST below): its seeds, and for `tiny` a scaled-down copy. */
  lau2023: { seeds: number[]; numTrain: number; numTest: number; train: TrainSettings; llc: SgldSettings };
  fullMnist: { numTrain: number; numTest: number; seeds: number[] };
  /** Overrides for MNIST-1D (`--dataset mnist1d`): n = |{0,1}| of its training split, the reference's training. */
  mnist1d: {
    numTrain: number;
    numTest: number;
    train: TrainSettings;
    llc: SgldSettings;
    llcByArchitecture?: Partial<Record<Architecture, SgldSettings>>;
  };
}

/** |{0,1}| in MNIST-1D's default training / test split (checked by test/mnist1d-models.test.ts). */
export const MNIST1D_PAIR_TRAIN = 797;
export const MNIST1D_PAIR_TEST = 203;
const MNIST1D_TRAIN: TrainSettings = { epochs: 200, batchSize: 100, learningRate: 1e-2 };

const KS = [2, 3, 4, 5, 6, 7, 8, 9, 10];

/**
 * Lau et al. (2023)'s MNIST experiment as their code runs it (github.com/edmundlth/
 * scalable_learning_coefficient_with_sgld: mnist_expt.py, experiment.py; the paper: "ε is set to
 * 1e-05 and each of four independent SGLD chains is run for 400 iterations", γ = 100): the MLP
 * 784 → 1024 → 1024 → 10 (1,863,690 parameters) on all 60,000 training examples, SGD with Nesterov
 * momentum 0.9, lr 0.01, batch 512, 200 epochs; SGLD with nβ = n/log n, minibatches of 512, no
 * burn-in. Their plotting notebook prints λ̂ ≈ 950–1,084 over epochs 195–199 of one SGD seed (train
 * error 0, test error ≈ 1.7 %). One difference: inputs are scaled to [−1, 1] here, standardised
 * (mean 0.1307, sd 0.3081) there — an affine map of the input that the first layer absorbs.
 */
export const LAU_MNIST = {
  hidden: 1024,
  numTrain: 60000,
  numTest: 10000,
  train: { epochs: 200, batchSize: 512, learningRate: 0.01, optimizer: 'nesterov', earlyStop: false } as TrainSettings,
  llc: {
    epsilon: 1e-5,
    gamma: 100,
    nbeta: 'auto',
    numChains: 4,
    numDraws: 400,
    numBurnin: 0,
    batchSize: 512,
    stepsBetweenDraws: 1,
  } as SgldSettings,
};

export const PROFILES: Record<string, Profile> = {
  /** Seconds, for tests and CI's notebook runs: shows nothing scientific. */
  tiny: {
    name: 'tiny',
    numTrain: 256,
    numTest: 128,
    seeds: [0, 1],
    ks: [2, 3, 4],
    train: { epochs: 1, batchSize: 64, learningRate: 1e-2 },
    llc: { ...WRITEUP_LLC, numChains: 2, numDraws: 20, numBurnin: 0, batchSize: 32 },
    orderSeeds: [1, 2],
    sensitivity: { epsilons: [1e-4, 1e-2], gammas: [10, 100], ks: [2] },
    recheck: { gammas: [10, 100], nbetaFactors: [0.5, 1] },
    lau2023: {
      seeds: [0],
      numTrain: 512,
      numTest: 128,
      train: { ...LAU_MNIST.train, epochs: 1 },
      llc: { ...LAU_MNIST.llc, numChains: 2, numDraws: 10, batchSize: 64 },
    },
    fullMnist: { numTrain: 512, numTest: 128, seeds: [0] },
    mnist1d: {
      numTrain: 256,
      numTest: 128,
      train: { epochs: 2, batchSize: 64, learningRate: 1e-2 },
      llc: { ...WRITEUP_LLC, numChains: 2, numDraws: 20, numBurnin: 0, batchSize: 32 },
    },
  },
  /** The write-up: Adam 1e-2, batch 256, ≤ 20 epochs, n = 12,665; SGLD γ = 10, ε = 2e-4, 2000 steps, m = 256, nβ = n/log n. */
  full: {
    name: 'full',
    numTrain: 12665,
    numTest: 2115,
    seeds: [0, 1, 2, 3, 4],
    ks: KS,
    train: { ...WRITEUP_TRAIN },
    llc: { ...WRITEUP_LLC },
    // 10 orders that share no task at any k < 10, each at 2 seeds, so order is not confounded with seed noise.
    orderSeeds: distinctOrderSeeds(10),
    shuffledSeeds: [0, 1],
    sensitivity: { epsilons: [5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3], gammas: [1, 10, 100, 1000], ks: [2, 10] },
    recheck: { gammas: [10, 100], nbetaFactors: [0.5, 1, 2] },
    lau2023: { ...LAU_MNIST, seeds: [0, 1, 2, 3, 4] },
    fullMnist: { numTrain: 60000, numTest: 10000, seeds: [0, 1, 2, 3, 4] },
    mnist1d: {
      numTrain: MNIST1D_PAIR_TRAIN,
      numTest: MNIST1D_PAIR_TEST,
      train: MNIST1D_TRAIN,
      llc: { ...WRITEUP_LLC, numChains: 4, numDraws: 2000, numBurnin: 500, batchSize: 100 },
    },
  },
  /** Same sweeps, smaller: n = 2,000, ≤ 6 epochs, 600 SGLD steps with m = 64, 3 seeds, 6 shuffled orders (≈ 15 + 25 min on 2 cores). */
  quick: {
    name: 'quick',
    numTrain: 2000,
    numTest: 1000,
    seeds: [0, 1, 2],
    ks: KS,
    train: { epochs: 6, batchSize: 128, learningRate: 1e-2 },
    llc: { ...WRITEUP_LLC, numDraws: 500, numBurnin: 100, batchSize: 64 },
    orderSeeds: [1, 2, 3, 4, 5, 6],
    sensitivity: { epsilons: [1e-4, 2e-4, 3e-4, 1e-3, 3e-3], gammas: [1, 10, 100], ks: [5] },
    recheck: { gammas: [10, 100], nbetaFactors: [0.5, 1, 2] },
    lau2023: { ...LAU_MNIST, seeds: [0] },
    fullMnist: { numTrain: 60000, numTest: 10000, seeds: [0] },
    mnist1d: {
      numTrain: MNIST1D_PAIR_TRAIN,
      numTest: MNIST1D_PAIR_TEST,
      train: MNIST1D_TRAIN,
      llc: { ...WRITEUP_LLC, numChains: 2, numDraws: 1000, numBurnin: 200, batchSize: 100 },
    },
  },
};

/**
 * The write-up author's own code (run.py, data.py, complexity.py of the write-up's repository),
 * where it differs from `full`: the loss −log(softmax + 1e-6) in training and sampling, a
 * fixed 20 epochs, and the first 12,665 training (2,115 test) examples of the task's digits
 * in dataset order. Where the code is ambiguous or incidental we keep `full`'s choice:
 * L_n(w*) is the exact mean over the n examples (the code averages its loader's batch
 * means, giving the last, smaller batch a full batch's weight), and each seed still draws
 * its own initial weights and minibatches (the code seeds nothing).
 */
PROFILES.original = {
  ...PROFILES.full,
  name: 'original',
  loss: 'writeup',
  selection: 'first',
  train: { ...PROFILES.full.train, earlyStop: false },
};

/** The profile names, including 'calibrated' (built from the saved calibration). */
export const PROFILE_NAMES = [...Object.keys(PROFILES), 'calibrated'];

/**
 * `full`'s training and sweeps with the SGLD settings chosen by the calibration
 * (lib/experiments/calibration.ts, saved under data/calibration/): ε per architecture, γ and nβ shared,
 * the calibration's chains, draws and burn-in; and, where the calibration polished its models
 * (train.ts POLISH), the same polish after `full`'s training.
 */
export function calibratedProfile(dataDir?: string): Profile {
  // Each dataset's calibration, or why there is none; a sweep of a dataset without one is refused
  // when its cells are built (sweepCells), so MNIST-1D can run calibrated while MNIST cannot.
  const unavailable: Partial<Record<Dataset, string>> = {};
  const fromFile = (dataset: Dataset) => {
    const c = readCalibration(dataset, dataDir);
    const rerun = `npm run calibrate${dataset === 'mnist' ? '' : ' -- --dataset ' + dataset}`;
    if (c == null)
      unavailable[dataset] =
        `profile 'calibrated' needs the ${dataset} calibration: run \`${rerun}\` (writes ${calibrationPath(dataset, dataDir)})`;
    else if (!c.complete)
      unavailable[dataset] =
        `the ${dataset} calibration (${calibrationPath(dataset, dataDir)}) is incomplete: run \`${rerun}\` to finish it`;
    else if (c.chosen == null)
      unavailable[dataset] =
        `the ${dataset} calibration (${calibrationPath(dataset, dataDir)}) found no setting that passes its rule; see its points`;
    if (c == null || c.chosen == null) return null;
    const { gamma, nbetaFactor, epsilon, numBurnin } = c.chosen;
    const llc: SgldSettings = {
      gamma,
      nbeta: nbetaFromFactor(nbetaFactor, c.numTrain),
      numChains: c.options.numChains,
      numDraws: c.options.numDraws,
      numBurnin: c.options.numBurnin,
      stepsBetweenDraws: 1,
      batchSize: 256,
    };
    // Each architecture's ε, and the burn-in its (ε, γ) needed in the search (older files: options.numBurnin).
    const byArch = Object.fromEntries(
      Object.entries(epsilon).map(([a, e]) => {
        const b = numBurnin?.[a as Architecture];
        return [a, b != null ? { epsilon: e, numBurnin: b } : { epsilon: e }];
      }),
    ) as Partial<Record<Architecture, SgldSettings>>;
    // The models the calibration judged: the profile's training, plus its polish if it had one.
    const train = (base: TrainSettings): TrainSettings => (c.polish ? { ...base, polish: c.polish } : base);
    return { llc, byArch, train };
  };
  const mnist = fromFile('mnist');
  const m1d = fromFile('mnist1d');
  if (mnist == null && m1d == null) throw new Error(`${unavailable.mnist}; and ${unavailable.mnist1d}`);
  const full = PROFILES.full;
  return {
    ...full,
    name: 'calibrated',
    train: mnist?.train(full.train) ?? full.train,
    llc: mnist?.llc ?? full.llc,
    llcByArchitecture: mnist?.byArch,
    mnist1d: m1d
      ? {
          ...full.mnist1d,
          train: m1d.train(full.mnist1d.train),
          llc: { ...m1d.llc, batchSize: full.mnist1d.llc.batchSize },
          llcByArchitecture: m1d.byArch,
        }
      : full.mnist1d,
    unavailable,
  };
}

export function getProfile(name: string): Profile {
  if (name === 'calibrated') return calibratedProfile();
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown profile '${name}'; valid: ${PROFILE_NAMES.join(', ')}`);
  return p;
}

export function parseSweep(name: string): SweepName {
  if (!(SWEEPS as readonly string[]).includes(name))
    throw new Error(`unknown sweep '${name}'; valid: ${SWEEPS.join(', ')}`);
  return name as SweepName;
}

export interface SweepOptions {
  architectures?: Architecture[];
  ks?: number[];
  seeds?: number[];
  dataset?: Dataset;
}

function cell(
  p: Profile,
  dataset: Dataset,
  architecture: Architecture,
  order: readonly number[],
  k: number,
  seed: number,
  extra: Partial<CellConfig> = {},
): CellConfig {
  const d = dataset === 'mnist1d' ? p.mnist1d : p;
  const variant = { ...(p.loss ? { loss: p.loss } : {}), ...(p.selection ? { selection: p.selection } : {}) };
  const byArch = dataset === 'mnist1d' ? p.mnist1d.llcByArchitecture : p.llcByArchitecture;
  return {
    dataset,
    architecture,
    order: order.slice(),
    k,
    seed,
    numTrain: d.numTrain,
    numTest: d.numTest,
    ...variant,
    train: { ...d.train },
    llc: { ...d.llc, ...byArch?.[architecture] },
    ...extra,
  };
}

/**
 * A profile's cell for one model on any set of digits: `labels` are the first k of the order
 * (the other digits follow in the default order), so labels [0, 1] at seed 0 is the writeup
 * sweep's k = 2, seed 0 cell — same key, same cached model, same numbers.
 */
export function profileCell(
  profile: Profile,
  // A string is checked by name (notebook settings are plain strings): 'mlp' | 'cnn'.
  o: { architecture: Architecture | string; labels: readonly number[]; seed: number; dataset?: Dataset },
): CellConfig {
  const order = [...o.labels, ...DEFAULT_ORDER.filter((d) => !o.labels.includes(d))];
  return cell(profile, o.dataset ?? 'mnist', parseArchitecture(o.architecture), order, o.labels.length, o.seed);
}

const LABEL_COUNTS: Record<Dataset, { train: readonly number[]; test: readonly number[] }> = {
  mnist: MNIST_LABEL_COUNTS,
  mnist1d: MNIST1D_LABEL_COUNTS,
};

/**
 * A shuffled order's k-label task can hold fewer examples than the profile's n, which is |{0,1}|
 * (MNIST's smallest pair, {4,5}, has 11,263 training examples; {5,8} 1,866 test examples): such a
 * task takes all of its examples, and its n says so (in its key, its row, and nβ = n/log n).
 * Tasks large enough keep the profile's n and their key.
 */
export function fitToTask(c: CellConfig): CellConfig {
  const counts = LABEL_COUNTS[c.dataset];
  const labels = c.order.slice(0, c.k);
  const examples = (split: 'train' | 'test') => labels.reduce((sum, d) => sum + counts[split][d], 0);
  return { ...c, numTrain: Math.min(c.numTrain, examples('train')), numTest: Math.min(c.numTest, examples('test')) };
}

/** The cells of a sweep at a profile, in a fixed order. */
export function sweepCells(sweep: SweepName, profile: Profile, options: SweepOptions = {}): CellConfig[] {
  const archs = options.architectures ?? [...ARCHITECTURES];
  const ks = options.ks ?? profile.ks;
  const seeds = options.seeds ?? profile.seeds;
  const dataset = options.dataset ?? 'mnist';
  const refused = profile.unavailable?.[dataset];
  if (refused) throw new Error(refused);
  const out: CellConfig[] = [];
  switch (sweep) {
    case 'writeup':
      for (const seed of seeds)
        for (const k of ks) for (const a of archs) out.push(cell(profile, dataset, a, DEFAULT_ORDER, k, seed));
      break;
    case 'shuffled':
      for (const os of profile.orderSeeds)
        for (const seed of options.seeds ?? profile.shuffledSeeds ?? [profile.seeds[0]])
          for (const k of ks)
            for (const a of archs) out.push(fitToTask(cell(profile, dataset, a, randomOrder(os), k, seed)));
      break;
    case 'sensitivity':
      for (const k of options.ks ?? profile.sensitivity.ks)
        for (const a of archs)
          for (const gamma of profile.sensitivity.gammas)
            for (const epsilon of profile.sensitivity.epsilons) {
              const c = cell(profile, dataset, a, DEFAULT_ORDER, k, seeds[0]);
              out.push({ ...c, llc: { ...c.llc, epsilon, gamma } });
            }
      break;
    case 'recheck':
      // Seeds outermost, so a sweep cut short holds whole seeds of every setting.
      for (const seed of seeds)
        for (const gamma of profile.recheck.gammas)
          for (const f of profile.recheck.nbetaFactors)
            for (const k of ks)
              for (const a of archs) {
                const c = cell(profile, dataset, a, DEFAULT_ORDER, k, seed);
                out.push({ ...c, llc: { ...c.llc, gamma, nbeta: nbetaFromFactor(f, c.numTrain) } });
              }
      break;
    case 'lau2023': {
      if (dataset !== 'mnist') throw new Error(`the lau2023 sweep is MNIST only, got dataset '${dataset}'`);
      const { numTrain, numTest, train, llc } = profile.lau2023;
      // Only the MLP: theirs is the only model of their experiment.
      for (const seed of options.seeds ?? profile.lau2023.seeds)
        out.push({
          dataset,
          architecture: 'mlp',
          order: DEFAULT_ORDER.slice(),
          k: 10,
          seed,
          numTrain,
          numTest,
          hidden: LAU_MNIST.hidden,
          train: { ...train },
          llc: { ...llc },
        });
      break;
    }
    case 'fullmnist':
      if (dataset !== 'mnist') throw new Error(`the fullmnist sweep is MNIST only, got dataset '${dataset}'`);
      for (const seed of options.seeds ?? profile.fullMnist.seeds)
        for (const a of archs)
          out.push(
            cell(profile, dataset, a, DEFAULT_ORDER, 10, seed, {
              numTrain: profile.fullMnist.numTrain,
              numTest: profile.fullMnist.numTest,
            }),
          );
      break;
  }
  return out;
}

/** Parse "i/N" (1-based i). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`malformed shard '${text}'; expected i/N with 1 ≤ i ≤ N, e.g. 1/4`);
  }
  return { index, count };
}

/** Deterministic 1/N slice: cell j goes to shard (j mod N) + 1, so shards are balanced across architectures. */
export function shardCells<T>(cells: T[], shard: { index: number; count: number }): T[] {
  return cells.filter((_, j) => j % shard.count === shard.index - 1);
}

// ---------------------------------------------------------------- settings tag

const TAG_NAMES: Record<string, string> = {
  epsilon: 'eps',
  gamma: 'gamma',
  nbeta: 'nbeta',
  numChains: 'chains',
  numDraws: 'draws',
  numBurnin: 'burnin',
  batchSize: 'm',
  stepsBetweenDraws: 'thin',
};
const TRAIN_TAG_NAMES: Record<string, string> = { epochs: 'epochs', learningRate: 'lr', batchSize: 'tbatch' };

/**
 * A short tag naming how the settings of `cells` differ from those of `defaults` (a
 * profile's own sweep), e.g. 'draws100-eps0.001', 'lr0.005', 'nbeta100'; '' when every
 * setting is the profile's. A setting is named by its new value when all cells share it
 * ('var' when they do not). Which cells are selected (architectures, k, seeds) is not a
 * setting: a selection of the profile's cells gets no tag (its figures replace the
 * profile's; the CLI says so). Tags longer than 48 characters become 'settings-' + 8 hex
 * digits of a hash of the cells.
 */
export function cellsTag(cells: CellConfig[], defaults: CellConfig[]): string {
  const set = (cs: CellConfig[], f: (c: CellConfig) => unknown) =>
    [...new Set(cs.map((c) => JSON.stringify(f(c))))].sort();
  const parts: string[] = [];
  const settings = (group: 'llc' | 'train', names: Record<string, string>) => {
    const fields = new Set([...cells, ...defaults].flatMap((c) => Object.keys(c[group])));
    for (const k of fields) {
      const f = (c: CellConfig) => (c[group] as Record<string, unknown>)[k];
      const now = set(cells, f);
      if (now.every((v) => set(defaults, f).includes(v))) continue;
      parts.push(`${names[k] ?? k}${now.length === 1 ? String(f(cells[0])) : 'var'}`);
    }
  };
  settings('llc', TAG_NAMES);
  settings('train', TRAIN_TAG_NAMES);
  for (const [name, f] of [
    ['n', (c: CellConfig) => c.numTrain],
    ['ntest', (c: CellConfig) => c.numTest],
    ['loss', (c: CellConfig) => c.loss ?? 'ce'],
  ] as const) {
    const now = set(cells, f);
    if (!now.every((v) => set(defaults, f).includes(v))) parts.push(`${name}${now.length === 1 ? f(cells[0]) : 'var'}`);
  }
  const tag = parts.join('-').replace(/[^A-Za-z0-9.,+_-]/g, '_');
  return tag.length > 48 ? `settings-${configKey(cells.map((c) => configKey(c)).sort()).slice(0, 8)}` : tag;
}
