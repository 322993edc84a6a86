/**
 * λ̂ over a grid of SGLD settings for one trained model: the write-up's warning is
 * that ε and γ must fit the model's convergence, so before trusting a number, look
 * at where on the grid it is stable and which settings the diagnostics flag.
 * (The sweep runner's `sensitivity` sweep does the same over cached cells.)
 */
import { DeviceSplit } from './batches';
import { estimateLlc, LlcOptions } from './llc';
import { LossFn } from './models';
import { tf } from './backend';

export interface GridOptions {
  /** Step sizes ε to try. */
  epsilons: number[];
  /** Localization strengths γ to try. */
  gammas: number[];
  /** Values of nβ to try (default: only the base setting's, i.e. n / log n unless given). */
  nbetas?: (number | 'auto')[];
  /** Every other setting (chains, draws, burn-in, batch, seed), shared by all grid points. */
  base?: Omit<LlcOptions, 'epsilon' | 'gamma' | 'nbeta' | 'onStep'> & { nbeta?: number | 'auto' };
  /** Called after each grid point, e.g. for a progress bar. */
  onPoint?: (done: number, total: number) => void;
}

export interface GridRow {
  epsilon: number;
  gamma: number;
  nbeta: number;
  llcMean: number;
  llcStd: number;
  /** Distinct diagnostic flag codes; empty when healthy. */
  flags: string[];
  healthy: boolean;
  rhat: number;
  seconds: number;
}

/** Estimate λ̂ at w* for every (nβ, γ, ε) of the grid; w* is left unchanged. */
export function llcGrid(lossFn: LossFn, wStar: tf.Tensor[], data: DeviceSplit, options: GridOptions): GridRow[] {
  const nbetas = options.nbetas ?? [options.base?.nbeta ?? 'auto'];
  for (const [name, values] of [['epsilons', options.epsilons], ['gammas', options.gammas], ['nbetas', nbetas]] as const) {
    if (!Array.isArray(values) || values.length === 0) throw new Error(`llcGrid: ${name} must be a non-empty list, got ${JSON.stringify(values)}`);
  }
  const total = nbetas.length * options.gammas.length * options.epsilons.length;
  const rows: GridRow[] = [];
  for (const nbeta of nbetas)
    for (const gamma of options.gammas)
      for (const epsilon of options.epsilons) {
        const r = estimateLlc(lossFn, wStar, data, { ...options.base, epsilon, gamma, nbeta });
        rows.push({
          epsilon,
          gamma,
          nbeta: r.settings.nbeta,
          llcMean: r.llcMean,
          llcStd: r.llcStd,
          flags: [...new Set(r.diagnostics.flags.map((f) => f.code))],
          healthy: r.diagnostics.healthy,
          rhat: r.diagnostics.rhat,
          seconds: r.seconds,
        });
        options.onPoint?.(rows.length, total);
      }
  return rows;
}
