/**
 * Command-line parsing for the main job (scripts/reproduce.ts), kept pure so it can be tested:
 * every bad value gets an error naming it and the valid choices, before anything is written.
 */
import { CellConfig, Dataset, DATASETS } from './experiment';
import { ARCHITECTURES, parseArchitecture } from './models';
import { getProfile, parseShard, parseSweep, Profile, shardCells, SweepName, sweepCells } from './sweeps';

export interface CliOptions {
  profile: Profile;
  sweep: SweepName;
  workers?: number;
  shard?: { index: number; count: number };
  list: boolean;
  summaryOnly: boolean;
  dataset?: Dataset;
  dataDir?: string;
  figuresDir?: string;
  architectures?: ('mlp' | 'cnn')[];
  ks?: number[];
  seeds?: number[];
  /** Overrides of the profile's SGLD draws / training epochs. */
  draws?: number;
  epochs?: number;
}

export const USAGE = `usage: reproduce [--profile quick|full] [--sweep writeup|shuffled|sensitivity|fullmnist]
                 [--dataset mnist|mnist1d] [--workers N] [--shard i/N] [--list] [--summary-only] [--data-dir DIR] [--figures-dir DIR]
                 [--arch mlp,cnn] [--k 2,3,...] [--seeds 0,1,...] [--draws N] [--epochs N]`;

/** A flag's value as a positive integer, or an error naming the flag and the value. */
export function positiveInt(flag: string, text: string | undefined): number {
  const v = Number(text);
  if (text == null || !Number.isInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return v;
}

function intList(flag: string, text: string | undefined): number[] {
  if (text == null || text === '') throw new Error(`${flag} needs a comma-separated list of integers`);
  return text.split(',').map((t) => {
    const v = Number(t);
    if (!Number.isInteger(v)) throw new Error(`${flag}: '${t}' is not an integer`);
    return v;
  });
}

/**
 * Walk a command line flag by flag; `value()` takes the flag's argument, or throws
 * naming the flag that needs one (with the usage text).
 */
export function eachFlag(argv: string[], usage: string, handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    handle(flag, () => {
      const v = argv[++i];
      if (v == null) throw new Error(`${flag} needs a value\n${usage}`);
      return v;
    });
  }
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { profile: getProfile('quick'), sweep: 'writeup', list: false, summaryOnly: false };
  eachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--profile': o.profile = getProfile(value()); break;
      case '--sweep': o.sweep = parseSweep(value()); break;
      case '--dataset': {
        const d = value();
        if (!(DATASETS as readonly string[]).includes(d)) throw new Error(`unknown dataset '${d}'; valid: ${DATASETS.join(', ')}`);
        o.dataset = d as Dataset;
        break;
      }
      case '--workers': o.workers = positiveInt('--workers', value()); break;
      case '--shard': o.shard = parseShard(value()); break;
      case '--list': o.list = true; break;
      case '--summary-only': o.summaryOnly = true; break;
      case '--data-dir': o.dataDir = value(); break;
      case '--figures-dir': o.figuresDir = value(); break;
      case '--arch': o.architectures = value().split(',').map((a) => parseArchitecture(a)); break;
      case '--k':
        o.ks = intList('--k', value());
        for (const k of o.ks) if (k < 2 || k > 10) throw new Error(`--k: k=${k} is out of range; valid k are integers 2..10`);
        break;
      case '--seeds':
        o.seeds = intList('--seeds', value());
        for (const s of o.seeds) if (s < 0) throw new Error(`--seeds: seed ${s} must be ≥ 0`);
        break;
      case '--draws': o.draws = positiveInt('--draws', value()); break;
      case '--epochs': o.epochs = positiveInt('--epochs', value()); break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option '${flag}'\n${USAGE}`);
    }
  });
  return o;
}

/** The cells selected by the options (profile, sweep, overrides, shard). */
export function selectedCells(o: CliOptions): CellConfig[] {
  let cells = sweepCells(o.sweep, o.profile, { architectures: o.architectures, ks: o.ks, seeds: o.seeds, dataset: o.dataset });
  if (o.draws != null || o.epochs != null) {
    cells = cells.map((c) => ({
      ...c,
      llc: o.draws != null ? { ...c.llc, numDraws: o.draws } : c.llc,
      train: o.epochs != null ? { ...c.train, epochs: o.epochs } : c.train,
    }));
  }
  return o.shard ? shardCells(cells, o.shard) : cells;
}

export { ARCHITECTURES };
