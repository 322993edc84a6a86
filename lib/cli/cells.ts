/**
 * The cell-selection flags the per-cell scripts share (sharpness, stability): a profile, a
 * sweep, a dataset and filters on architecture, k and seed, resolved to the sweep's cells.
 */
import { CellConfig, Dataset, DATASETS } from '../experiments/cell';
import { getProfile, parseSweep, SweepName, sweepCells } from '../experiments/sweeps';
import { Architecture, parseArchitecture } from '../models/models';
import { intList } from './flags';

export interface CellSelection {
  profile: string;
  sweep: SweepName;
  dataset: Dataset;
  arch?: Architecture[];
  ks?: number[];
  seeds: number[];
}

export const CELL_SELECTION_USAGE =
  '[--profile P] [--sweep S] [--dataset mnist|mnist1d] [--arch mlp,cnn] [--k 2,...] [--seeds 0,...]';

/** Defaults: the sweep 'writeup' of `profile` on MNIST, every architecture and k, seed 0. */
export const cellSelection = (profile: string): CellSelection => ({
  profile,
  sweep: 'writeup',
  dataset: 'mnist',
  seeds: [0],
});

/** Apply one flag to `sel` if it is a cell-selection flag (true), else leave it to the caller (false). */
export function cellSelectionFlag(sel: CellSelection, flag: string, value: () => string): boolean {
  if (flag === '--profile') sel.profile = value();
  else if (flag === '--sweep') sel.sweep = parseSweep(value());
  else if (flag === '--dataset') {
    const d = value();
    if (!(DATASETS as readonly string[]).includes(d))
      throw new Error(`--dataset: unknown dataset '${d}'; valid: ${DATASETS.join(', ')}`);
    sel.dataset = d as Dataset;
  } else if (flag === '--arch') sel.arch = value().split(',').map(parseArchitecture);
  else if (flag === '--k') sel.ks = intList('--k', value());
  else if (flag === '--seeds') sel.seeds = intList('--seeds', value());
  else return false;
  return true;
}

/** The selected cells, in the sweep's order. */
export function selectedCells(sel: CellSelection): CellConfig[] {
  return sweepCells(sel.sweep, getProfile(sel.profile), {
    architectures: sel.arch,
    ks: sel.ks,
    seeds: sel.seeds,
    dataset: sel.dataset,
  });
}

/** A file name for the selection's outputs: '<profile>-<sweep>', '-mnist1d' appended for MNIST-1D. */
export const selectionName = (sel: CellSelection): string =>
  `${sel.profile}-${sel.sweep}${sel.dataset === 'mnist' ? '' : `-${sel.dataset}`}`;
