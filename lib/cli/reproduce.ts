/**
 * Command-line parsing for the main job (scripts/reproduce.ts), kept pure so it can be tested:
 * every bad value gets an error naming it and the valid choices, before anything is written.
 * One table (FLAGS) drives both the parser and `--help`, so every flag is documented with
 * its default.
 */
import { CellConfig, Dataset, DATASETS, SgldSettings, TrainSettings } from '../experiments/cell';
import { Architecture, ARCHITECTURES, LOSSES, LossKind, parseArchitecture, parseLoss } from '../models/models';
import {
  cellsTag,
  getProfile,
  parseShard,
  parseSweep,
  Profile,
  PROFILE_NAMES,
  PROFILES,
  shardCells,
  SweepName,
  SWEEPS,
  sweepCells,
} from '../experiments/sweeps';
import { eachFlag, intList, noDuplicates, nonNegativeInt, parseNumber, positiveInt } from './flags';

/** SGLD settings the command line can override (cell.llc). */
export type SgldOverrides = Pick<
  SgldSettings,
  'epsilon' | 'gamma' | 'nbeta' | 'numChains' | 'numDraws' | 'numBurnin' | 'batchSize'
>;

/** Training settings the command line can override (cell.train). */
export interface TrainOverrides {
  epochs?: number;
  learningRate?: number;
  batchSize?: number;
}

export interface CliOptions {
  profile: Profile;
  sweep: SweepName;
  workers?: number;
  shard?: { index: number; count: number };
  list: boolean;
  summaryOnly: boolean;
  /** Write the finished cells as CSV to this file (one row per cell; summary.ts resultsFrame's columns). */
  csv?: string;
  /** The loss of every cell (models.ts LOSSES), overriding the profile's. */
  loss?: LossKind;
  /** `--help` was given: print helpText() and exit 0 (nothing else is parsed). */
  help: boolean;
  dataset?: Dataset;
  dataDir?: string;
  figuresDir?: string;
  architectures?: Architecture[];
  ks?: number[];
  seeds?: number[];
  /** Overrides of the profile's SGLD draws / training epochs (also in `llc` / `train`). */
  draws?: number;
  epochs?: number;
  /** Overrides of the profile's SGLD settings (cell.llc). */
  llc: SgldOverrides;
  /** Overrides of the profile's training settings (cell.train). */
  train: TrainOverrides;
}

export const USAGE = `usage: reproduce [--profile ${PROFILE_NAMES.join('|')}] [--sweep ${SWEEPS.join('|')}] [--dataset mnist|mnist1d]
                 [--workers N] [--shard i/N] [--list] [--summary-only] [--data-dir DIR] [--figures-dir DIR]
                 [--arch mlp,cnn] [--k 2,3,...] [--seeds 0,1,...] [--epochs N] [--lr X] [--train-batch-size N]
                 [--epsilon X] [--gamma X] [--nbeta X|auto] [--chains N] [--draws N] [--burnin N] [--batch-size N]
                 [--help]`;

// ---------------------------------------------------------------- the flags

/** What a profile-dependent default is, for --help: "quick 500, full 2000, tiny 20". */
function perProfile(get: (p: Profile) => unknown): string {
  return Object.values(PROFILES)
    .map((p) => `${p.name} ${fmt(get(p))}`)
    .join(', ');
}
const fmt = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v));

interface FlagSpec {
  name: string;
  /** The argument's placeholder; absent for switches. */
  arg?: string;
  help: string;
  /** The default, as text (computed when --help is printed). */
  def: () => string;
  apply: (o: CliOptions, value: () => string) => void;
}

const profileDefault = (what: string, get: (p: Profile) => unknown) => () =>
  `the profile's ${what} (${perProfile(get)})`;

export const FLAGS: FlagSpec[] = [
  {
    name: '--profile',
    arg: 'NAME',
    help: `scale of the sweep: ${PROFILE_NAMES.join(', ')} (full = the write-up's settings)`,
    def: () => 'quick',
    apply: (o, v) => (o.profile = getProfile(v())),
  },
  {
    name: '--sweep',
    arg: 'NAME',
    help: `which sweep: ${SWEEPS.join(', ')}`,
    def: () => 'writeup',
    apply: (o, v) => (o.sweep = parseSweep(v())),
  },
  {
    name: '--dataset',
    arg: 'NAME',
    help: `data set: ${DATASETS.join(', ')}`,
    def: () => 'mnist',
    apply: (o, v) => {
      const d = v();
      if (!(DATASETS as readonly string[]).includes(d))
        throw new Error(`unknown dataset '${d}'; valid: ${DATASETS.join(', ')}`);
      o.dataset = d as Dataset;
    },
  },
  {
    name: '--workers',
    arg: 'N',
    help: 'worker processes running cells in parallel (1 = in this process)',
    def: () => 'one per core',
    apply: (o, v) => (o.workers = positiveInt('--workers', v())),
  },
  {
    name: '--shard',
    arg: 'i/N',
    help: 'run only the i-th of N deterministic slices of the sweep (job arrays)',
    def: () => 'the whole sweep',
    apply: (o, v) => (o.shard = parseShard(v())),
  },
  {
    name: '--list',
    help: 'list the cells and which are done, then exit',
    def: () => 'off',
    apply: (o) => (o.list = true),
  },
  {
    name: '--csv',
    arg: 'FILE',
    help: 'also write the finished cells as a CSV table (a danfo DataFrame: one row per cell)',
    def: () => 'off',
    apply: (o, v) => (o.csv = v()),
  },
  {
    name: '--loss',
    arg: 'NAME',
    help: `loss trained and sampled: ${LOSSES.join(', ')} (writeup = −log(softmax + 1e-6), the write-up's code)`,
    def: () => "the profile's (ce; writeup for original)",
    apply: (o, v) => (o.loss = parseLoss(v())),
  },
  {
    name: '--summary-only',
    help: 'compute nothing: summarise and draw the finished cells',
    def: () => 'off',
    apply: (o) => (o.summaryOnly = true),
  },
  {
    name: '--data-dir',
    arg: 'DIR',
    help: 'root of the caches (results/<profile>/, models/)',
    def: () => '$LLC_DATA_DIR or data/',
    apply: (o, v) => (o.dataDir = v()),
  },
  {
    name: '--figures-dir',
    arg: 'DIR',
    help: 'where figures are written',
    def: () => '$LLC_FIGURES_DIR or figures/',
    apply: (o, v) => (o.figuresDir = v()),
  },
  {
    name: '--arch',
    arg: 'LIST',
    help: `architectures, comma-separated: ${ARCHITECTURES.join(', ')}`,
    def: () => ARCHITECTURES.join(','),
    apply: (o, v) =>
      (o.architectures = noDuplicates(
        '--arch',
        v()
          .split(',')
          .map((a) => parseArchitecture(a)),
      )),
  },
  {
    name: '--k',
    arg: 'LIST',
    help: 'numbers of labels, comma-separated integers 2..10',
    def: profileDefault('k', (p) => p.ks),
    apply: (o, v) => {
      o.ks = intList('--k', v());
      for (const k of o.ks)
        if (k < 2 || k > 10) throw new Error(`--k: k=${k} is out of range; valid k are integers 2..10`);
    },
  },
  {
    name: '--seeds',
    arg: 'LIST',
    help: 'seeds, comma-separated integers ≥ 0',
    def: profileDefault('seeds', (p) => p.seeds),
    apply: (o, v) => {
      o.seeds = intList('--seeds', v());
      for (const s of o.seeds) if (s < 0) throw new Error(`--seeds: seed ${s} must be ≥ 0`);
    },
  },
  {
    name: '--epochs',
    arg: 'N',
    help: 'training: maximum epochs (Adam stops earlier on a plateau)',
    def: profileDefault('epochs', (p) => p.train.epochs),
    apply: (o, v) => (o.epochs = o.train.epochs = positiveInt('--epochs', v())),
  },
  {
    name: '--lr',
    arg: 'X',
    help: 'training: Adam learning rate, a number in (0, 1]',
    def: profileDefault('lr', (p) => p.train.learningRate),
    apply: (o, v) =>
      (o.train.learningRate = parseNumber('--lr', v(), (x) => x > 0 && x <= 1, 'a number in (0, 1], e.g. 1e-2')),
  },
  {
    name: '--train-batch-size',
    arg: 'N',
    help: 'training: minibatch size',
    def: profileDefault('batch', (p) => p.train.batchSize),
    apply: (o, v) => (o.train.batchSize = positiveInt('--train-batch-size', v())),
  },
  {
    name: '--epsilon',
    arg: 'X',
    help: 'SGLD: step size ε, a number in (0, 1)',
    def: profileDefault('ε', (p) => p.llc.epsilon),
    apply: (o, v) =>
      (o.llc.epsilon = parseNumber('--epsilon', v(), (x) => x > 0 && x < 1, 'a number in (0, 1), e.g. 2e-4')),
  },
  {
    name: '--gamma',
    arg: 'X',
    help: 'SGLD: localization strength γ, a number ≥ 0',
    def: profileDefault('γ', (p) => p.llc.gamma),
    apply: (o, v) => (o.llc.gamma = parseNumber('--gamma', v(), (x) => x >= 0, 'a number ≥ 0, e.g. 10')),
  },
  {
    name: '--nbeta',
    arg: 'X|auto',
    help: "SGLD: inverse temperature times n, a number > 0, or 'auto' for n/log n",
    def: profileDefault('nβ', (p) => p.llc.nbeta ?? 'auto'),
    apply: (o, v) => {
      const t = v();
      o.llc.nbeta = t === 'auto' ? 'auto' : parseNumber('--nbeta', t, (x) => x > 0, "a number > 0 or 'auto' (n/log n)");
    },
  },
  {
    name: '--chains',
    arg: 'N',
    help: 'SGLD: independent chains per cell',
    def: profileDefault('chains', (p) => p.llc.numChains),
    apply: (o, v) => (o.llc.numChains = positiveInt('--chains', v())),
  },
  {
    name: '--draws',
    arg: 'N',
    help: 'SGLD: kept draws per chain',
    def: profileDefault('draws', (p) => p.llc.numDraws),
    apply: (o, v) => (o.draws = o.llc.numDraws = positiveInt('--draws', v())),
  },
  {
    name: '--burnin',
    arg: 'N',
    help: 'SGLD: discarded steps at the start of each chain, an integer ≥ 0',
    def: profileDefault('burn-in', (p) => p.llc.numBurnin),
    apply: (o, v) => (o.llc.numBurnin = nonNegativeInt('--burnin', v())),
  },
  {
    name: '--batch-size',
    arg: 'N',
    help: 'SGLD: minibatch size m (drawn with replacement)',
    def: profileDefault('m', (p) => p.llc.batchSize),
    apply: (o, v) => (o.llc.batchSize = positiveInt('--batch-size', v())),
  },
  { name: '--help', help: 'show this help and exit', def: () => '', apply: (o) => (o.help = true) },
];
const FLAG_BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));
FLAG_BY_NAME.set('-h', FLAG_BY_NAME.get('--help')!);

/** `--help`: every flag with its description and default. */
export function helpText(): string {
  const width = Math.max(...FLAGS.map((f) => `${f.name}${f.arg ? ` ${f.arg}` : ''}`.length)) + 2;
  const lines = FLAGS.map((f) => {
    const head = `${f.name}${f.arg ? ` ${f.arg}` : ''}`.padEnd(width);
    const def = f.def();
    return `  ${head}${f.help}${def ? ` [default: ${def}]` : ''}`;
  });
  return [
    'reproduce: run a sweep of cells (train a model, estimate its λ̂), cached and resumable; print its summary and draw its figures.',
    '',
    USAGE,
    '',
    'options (also as --flag=value):',
    ...lines,
    '',
    "SGLD and training overrides change every selected cell (a new result file each; the profile's cached results are kept),",
    "and the figures of such a run are named <profile>-<figure>-<settings tag>, never overwriting the profile's own.",
    'Profiles: quick (default, ~5 min on 2 cores), full (the write-up, ~1.8 h), tiny (seconds, for tests); see the README for the others.',
  ].join('\n');
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    profile: getProfile('quick'),
    sweep: 'writeup',
    list: false,
    summaryOnly: false,
    help: false,
    llc: {},
    train: {},
  };
  try {
    eachFlag(argv, USAGE, (flag, value) => {
      if (o.help) return;
      const spec = FLAG_BY_NAME.get(flag);
      if (!spec) throw new Error(`unknown option '${flag}'\n${USAGE}\n(--help lists every option)`);
      spec.apply(o, value);
    });
  } catch (e) {
    if (o.help) return o;
    throw e;
  }
  if (o.help) return o;
  if (o.sweep === 'sensitivity' && (o.llc.epsilon != null || o.llc.gamma != null)) {
    throw new Error(
      `the sensitivity sweep varies ε and γ itself (grid ${o.profile.sensitivity.epsilons.join(', ')} × ${o.profile.sensitivity.gammas.join(', ')}); --epsilon and --gamma cannot be used with it`,
    );
  }
  if (o.sweep === 'recheck' && (o.llc.gamma != null || o.llc.nbeta != null)) {
    throw new Error(
      `the recheck sweep varies γ and nβ itself (γ ${o.profile.recheck.gammas.join(', ')} × nβ ${o.profile.recheck.nbetaFactors.join(', ')} × n/log n); --gamma and --nbeta cannot be used with it`,
    );
  }
  return o;
}

// ---------------------------------------------------------------- cells

function applyOverrides(cells: CellConfig[], o: CliOptions): CellConfig[] {
  const llc = defined(o.llc);
  const train = defined(o.train);
  if (o.draws != null) llc.numDraws = o.draws;
  if (o.epochs != null) train.epochs = o.epochs;
  if (Object.keys(llc).length === 0 && Object.keys(train).length === 0 && o.loss == null) return cells;
  return cells.map((c) => ({
    ...c,
    ...(o.loss ? { loss: o.loss } : {}),
    llc: { ...c.llc, ...llc } as SgldSettings,
    train: { ...c.train, ...train } as TrainSettings,
  }));
}

function defined<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The cells selected by the options (profile, sweep, overrides, shard). */
export function selectedCells(o: CliOptions): CellConfig[] {
  const cells = applyOverrides(
    sweepCells(o.sweep, o.profile, { architectures: o.architectures, ks: o.ks, seeds: o.seeds, dataset: o.dataset }),
    o,
  );
  return o.shard ? shardCells(cells, o.shard) : cells;
}

// ---------------------------------------------------------------- settings tag

/** A description of how the options select fewer cells than the profile's sweep ('' when they select all). */
export function selectionNote(o: CliOptions): string {
  const all = sweepCells(o.sweep, o.profile, { dataset: o.dataset }).length;
  const picked = sweepCells(o.sweep, o.profile, {
    architectures: o.architectures,
    ks: o.ks,
    seeds: o.seeds,
    dataset: o.dataset,
  }).length;
  const shard = o.shard && o.shard.count > 1 ? ` (shard ${o.shard.index}/${o.shard.count})` : '';
  return picked < all || shard ? `${picked} of the ${all} cells of the ${o.profile.name} ${o.sweep} sweep${shard}` : '';
}

/**
 * The tag of a command line's figures: how the settings of its cells differ from the
 * profile's (cellsTag). Figures of a tagged run are named <profile>-<figure>-<tag>, so
 * they never replace the figures of the profile's default run (the committed ones).
 */
export function settingsTag(o: CliOptions): string {
  return cellsTag(
    applyOverrides(
      sweepCells(o.sweep, o.profile, { architectures: o.architectures, ks: o.ks, seeds: o.seeds, dataset: o.dataset }),
      o,
    ),
    sweepCells(o.sweep, o.profile, { dataset: o.dataset }),
  );
}
