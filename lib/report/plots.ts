/**
 * Figures as vega-lite specs, rendered to SVG in Node (vega's headless renderer)
 * and to PNG with resvg. The CLI and the notebooks use the same functions; every
 * figure has labelled axes with units and shows its uncertainty.
 */
import * as path from 'path';
import { ResultRow } from '../experiments/experiment';
import { repoPath } from '../experiments/paths';
import { writeFileAtomic } from '../experiments/store';
import { CalibrationPoint } from '../experiments/calibration';
import { CrossoverRow, FitRow, GapRow, SummaryRow } from './summary';

export type Spec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const ARCH_COLORS = { domain: ['mlp', 'cnn'], range: ['#d95f02', '#1b9e77'] };
const LLC_AXIS = 'λ̂ (dimensionless; effective parameter count / 2)';

/** λ̂ vs number of labels, mean ± 95 % CI per architecture, with the linear fits. */
export function scalingCurveSpec(summary: SummaryRow[], fits: FitRow[], title = 'λ̂ vs number of labels'): Spec {
  const ks = summary.map((s) => s.k);
  const kMin = Math.min(...ks);
  const kMax = Math.max(...ks);
  const fitLines = fits.flatMap((f) =>
    [kMin, kMax].map((k) => ({
      architecture: f.architecture,
      k,
      fit: f.intercept + f.slope * k,
      label: `${f.architecture}: slope ${f.slope.toFixed(1)} [${f.slopeLo.toFixed(1)}, ${f.slopeHi.toFixed(1)}], R² ${f.r2.toFixed(2)}`,
    })),
  );
  const color = { field: 'architecture', type: 'nominal', scale: ARCH_COLORS, title: 'architecture' };
  const x = {
    field: 'k',
    type: 'quantitative',
    title: 'number of labels k',
    scale: { domain: [kMin - 0.3, kMax + 0.3] },
    axis: { values: [...new Set(ks)], format: 'd' },
  };
  return {
    $schema: SCHEMA,
    // The fits are described in the subtitle, not on the plot, where their labels covered the k = 9–10 points.
    title: {
      text: title,
      subtitle: [
        'points: mean over seeds; bars: 95 % t-interval; dashed: least-squares fit',
        ...fits.map(
          (f) =>
            `${f.architecture}: slope ${f.slope.toFixed(1)} per label [${f.slopeLo.toFixed(1)}, ${f.slopeHi.toFixed(1)}], R² ${f.r2.toFixed(2)}`,
        ),
      ],
    },
    width: 460,
    height: 300,
    layer: [
      {
        data: { values: summary },
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'ciLo', type: 'quantitative', title: LLC_AXIS }, y2: { field: 'ciHi' }, color },
      },
      {
        data: { values: summary },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative' },
          color,
          tooltip: [{ field: 'mean' }, { field: 'count' }],
        },
      },
      {
        data: { values: fitLines },
        mark: { type: 'line', strokeDash: [4, 3] },
        encoding: { x, y: { field: 'fit', type: 'quantitative' }, color, detail: { field: 'label' } },
      },
    ],
  };
}

/** MLP − CNN per k, paired by seed, with 95 % CI and a zero line. */
export function gapSpec(gaps: GapRow[], title = 'λ̂(MLP) − λ̂(CNN) per number of labels'): Spec {
  const x = {
    field: 'k',
    type: 'quantitative',
    title: 'number of labels k',
    axis: { values: gaps.map((g) => g.k), format: 'd' },
  };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'mean of paired differences over seeds; bars: 95 % t-interval' },
    width: 460,
    height: 260,
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#888' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values: gaps },
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { field: 'ciLo', type: 'quantitative', title: 'Δλ̂ = MLP − CNN' }, y2: { field: 'ciHi' } },
      },
      {
        data: { values: gaps },
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'gap', type: 'quantitative' } },
      },
    ],
  };
}

/** One MLP − CNN curve per label order. */
export function shuffledSpec(orders: CrossoverRow[], title = 'MLP − CNN gap for shuffled label orders'): Spec {
  const values = orders.flatMap((o) => o.gaps.map((g) => ({ order: o.order, k: g.k, gap: g.gap })));
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'one line per seeded random order of the digits' },
    width: 460,
    height: 280,
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#888' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', point: true, opacity: 0.7 },
        encoding: {
          x: {
            field: 'k',
            type: 'quantitative',
            title: 'number of labels k',
            axis: { values: [...new Set(values.map((v) => v.k))], format: 'd' },
          },
          y: { field: 'gap', type: 'quantitative', title: 'Δλ̂ = MLP − CNN' },
          color: { field: 'order', type: 'nominal', title: 'label order' },
        },
      },
    ],
  };
}

/** λ̂ over the ε × γ grid, one panel per architecture; failing settings are marked with their flag. */
/** Outline colours that stand out from viridis: healthy pale, each failure its own hue. */
const STATUS_COLORS: Record<string, string> = {
  healthy: '#d9d9d9',
  diverged: '#e41a1c',
  unsettled: '#ff7f00',
  spike: '#f781bf',
  negative: '#000000',
  exceedsHalfDim: '#a65628',
  chainsDisagree: '#984ea3',
};

function statusScale(statuses: string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(statuses)].sort((a, b) => (a === 'healthy' ? -1 : b === 'healthy' ? 1 : a < b ? -1 : 1));
  return { domain, range: domain.map((d) => STATUS_COLORS[d] ?? STATUS_COLORS[d.split('+')[0]] ?? '#666666') };
}

export function sensitivitySpec(rows: ResultRow[], title = 'λ̂ over the SGLD step size ε and localization γ'): Spec {
  // λ̂ spans orders of magnitude over a grid (and can be negative): a symmetric-log colour
  // scale, with dark text on the light end of viridis.
  const symlog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v));
  const finite = rows.map((r) => r.llcMean).filter(Number.isFinite);
  const [lo, hi] = [Math.min(...finite), Math.max(...finite)].map(symlog);
  const values = rows.map((r) => ({
    architecture: r.architecture,
    k: r.k,
    epsilon: r.config.llc.epsilon,
    gamma: r.config.llc.gamma,
    llc: Number.isFinite(r.llcMean) ? Number(r.llcMean.toFixed(1)) : null,
    status: r.failed ? 'diverged' : r.flags.length ? [...new Set(r.flags)].join('+') : 'healthy',
    label: r.failed ? '×' : r.llcMean.toFixed(0),
    dark: r.failed || (hi > lo && (symlog(r.llcMean) - lo) / (hi - lo) > 0.6),
  }));
  return {
    $schema: SCHEMA,
    title: {
      text: title,
      subtitle:
        'cell text: λ̂ (× = every chain diverged); colour: λ̂ on a symmetric log scale; outline: diagnostic status',
    },
    data: { values },
    facet: {
      column: { field: 'architecture', type: 'nominal', title: 'architecture' },
      row: { field: 'k', type: 'ordinal', title: 'labels k' },
    },
    spec: {
      width: 220,
      height: 160,
      layer: [
        {
          mark: 'rect',
          encoding: {
            x: { field: 'epsilon', type: 'ordinal', title: 'step size ε' },
            y: { field: 'gamma', type: 'ordinal', title: 'localization γ', sort: 'descending' },
            color: { field: 'llc', type: 'quantitative', title: 'λ̂', scale: { type: 'symlog', scheme: 'viridis' } },
          },
        },
        {
          mark: { type: 'rect', fillOpacity: 0, strokeWidth: 3 },
          encoding: {
            x: { field: 'epsilon', type: 'ordinal' },
            y: { field: 'gamma', type: 'ordinal', sort: 'descending' },
            stroke: {
              field: 'status',
              type: 'nominal',
              title: 'diagnostics',
              scale: statusScale(values.map((v) => v.status)),
            },
          },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            x: { field: 'epsilon', type: 'ordinal' },
            y: { field: 'gamma', type: 'ordinal', sort: 'descending' },
            text: { field: 'label' },
            color: { condition: { test: 'datum.dark', value: 'black' }, value: 'white' },
          },
        },
      ],
    },
  };
}

/**
 * The calibration's search points: λ̂ ± 2 MCSE against the step size, one panel per
 * architecture and k, colour = γ, filled = healthy by the rule (lib/experiments/calibration.ts).
 */
export function calibrationSpec(points: CalibrationPoint[], title = 'Calibration: λ̂ against the SGLD step size'): Spec {
  const values = points
    .filter((p) => p.nbetaFactor === 1 && Number.isFinite(p.llc))
    .map((p) => ({
      ...p,
      status: p.healthy ? 'healthy' : 'not healthy',
      lo: p.llc - 2 * p.mcse,
      hi: p.llc + 2 * p.mcse,
      why: p.reasons.join('; ') || 'healthy',
    }));
  const eps = values.map((v) => v.epsilon);
  const x = {
    field: 'epsilon',
    type: 'quantitative',
    title: 'step size ε (log scale)',
    scale: { type: 'log', domain: [Math.min(...eps) / 2, Math.max(...eps) * 2] },
    axis: { format: '.0e', values: [...new Set(eps)].sort((a, b) => a - b) },
  };
  const y = {
    type: 'quantitative',
    title: 'λ̂ (symlog scale)',
    scale: { type: 'symlog' },
    axis: { values: [-100, -10, 0, 10, 100, 1000, 10000] },
  };
  const color = { field: 'gamma', type: 'ordinal', title: 'localization γ', scale: { scheme: 'dark2' } };
  return {
    $schema: SCHEMA,
    title: {
      text: title,
      subtitle: [
        'nβ = n/log n; bars: ± 2 MCSE; filled: healthy (no failed chain, λ̂ ≥ 0, rank-R̂ < 1.05, no drift);',
        'a cell whose every chain failed has no point',
      ],
    },
    data: { values },
    facet: {
      column: { field: 'architecture', type: 'nominal', title: 'architecture' },
      row: { field: 'k', type: 'ordinal', title: 'labels k' },
    },
    spec: {
      width: 240,
      height: 170,
      layer: [
        {
          mark: { type: 'errorbar', ticks: true },
          encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
        },
        { mark: { type: 'line', opacity: 0.5 }, encoding: { x, y: { ...y, field: 'llc' }, color } },
        {
          mark: { type: 'point', size: 60 },
          encoding: {
            x,
            y: { ...y, field: 'llc' },
            color,
            fill: {
              condition: {
                test: "datum.status === 'healthy'",
                field: 'gamma',
                type: 'ordinal',
                scale: { scheme: 'dark2' },
                legend: null,
              },
              value: 'white',
            },
            tooltip: [{ field: 'llc' }, { field: 'mcse' }, { field: 'why' }],
          },
        },
      ],
    },
    config: { legend: { orient: 'bottom' } },
  };
}

/** Loss traces nβ·(L_m(w_t) − L_n(w*)) of chains, to see settling and divergence. */
export function traceSpec(
  traces: { name: string; losses: number[]; initLoss: number; nbeta: number }[],
  title = 'SGLD loss traces',
): Spec {
  const values = traces.flatMap((t) => {
    const step = Math.max(1, Math.floor(t.losses.length / 400));
    const out: { chain: string; draw: number; value: number }[] = [];
    for (let i = 0; i < t.losses.length; i += step)
      out.push({ chain: t.name, draw: i, value: t.nbeta * (t.losses[i] - t.initLoss) });
    return out;
  });
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'nβ·(L_m(w_t) − L_n(w*)); its mean over draws is λ̂' },
    width: 460,
    height: 260,
    data: { values },
    mark: { type: 'line', strokeWidth: 1 },
    encoding: {
      x: { field: 'draw', type: 'quantitative', title: 'SGLD draw t' },
      y: { field: 'value', type: 'quantitative', title: 'nβ·(L_m − L_n(w*))' },
      color: { field: 'chain', type: 'nominal', title: 'chain' },
    },
    // Chain names are long (settings in them): below the plot they are never cut off.
    config: { legend: { orient: 'bottom', direction: 'vertical', labelLimit: 600 } },
  };
}

/** Render a vega-lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const vega = require('vega');
  const vl = require('vega-lite');
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg: string = await view.toSVG();
  view.finalize();
  return svg;
}

export function svgToPng(svg: string, scale = 2): Uint8Array {
  const { Resvg } = require('@resvg/resvg-js');
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white' }).render().asPng();
}

/** <repo>/figures, or LLC_FIGURES_DIR. */
export function defaultFiguresDir(): string {
  return process.env.LLC_FIGURES_DIR ?? repoPath('figures');
}

/**
 * The settings tag of the figures this process writes ('' = the profile's default
 * settings). A figure `<name>` is written as `<name>-<tag>` when the tag is set, so a run
 * with other settings (CLI overrides, a notebook's changed settings) never replaces the
 * figure of the profile's default run, which is the committed one. The CLI sets it from
 * its options (cli.settingsTag); notebooks pass theirs per figure (notebook.showFigure).
 */
let figureTag = '';
export function setFigureTag(tag: string): void {
  figureTag = tag;
}
export function getFigureTag(): string {
  return figureTag;
}

/** `<name>` or `<name>-<tag>`. */
export function taggedName(name: string, tag = figureTag): string {
  return tag ? `${name}-${tag}` : name;
}

export interface SavedFigure {
  /** The name written (with its settings tag, if any). */
  name: string;
  svg: string;
  png: Uint8Array;
  svgPath: string;
  pngPath: string;
  /** The figure's size in CSS pixels (the PNG has twice as many). */
  width: number;
  height: number;
}

/** Width and height of an SVG's root element, in pixels. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const attr = (a: string) => Number(new RegExp(`\\s${a}="([0-9.]+)`).exec(root)?.[1] ?? NaN);
  return { width: attr('width'), height: attr('height') };
}

/**
 * Render a figure and write `<name>.svg` and `<name>.png` (2× resolution), both atomically;
 * with a settings tag (options.tag, else the process's setFigureTag) the files are
 * `<name>-<tag>.svg|png`.
 */
export async function saveFigure(
  spec: Spec,
  name: string,
  dir = defaultFiguresDir(),
  options: { tag?: string } = {},
): Promise<SavedFigure> {
  const svg = await renderSvg(spec);
  const png = svgToPng(svg);
  const finalName = taggedName(name, options.tag ?? figureTag);
  const svgPath = path.join(dir, `${finalName}.svg`);
  const pngPath = path.join(dir, `${finalName}.png`);
  writeFileAtomic(svgPath, svg);
  writeFileAtomic(pngPath, png);
  return { name: finalName, svg, png, svgPath, pngPath, ...svgSize(svg) };
}

/**
 * One curve per series (e.g. per data set) of a per-k quantity with its 95 % CI — the
 * MLP − CNN gap, absolute or relative, on MNIST next to MNIST-1D. `percent` formats the y axis as %.
 */
export function seriesByKSpec(
  series: { name: string; rows: { k: number; value: number; ciLo: number; ciHi: number }[] }[],
  options: { title: string; yTitle: string; subtitle?: string; percent?: boolean; seriesTitle?: string },
): Spec {
  // Series are offset by a little along k so that their intervals do not overlap.
  const shift = (i: number) => 0.12 * (i - (series.length - 1) / 2);
  const values = series.flatMap((s, i) =>
    s.rows.map((r) => ({
      series: s.name,
      k: r.k,
      kPlot: r.k + shift(i),
      value: r.value,
      ciLo: Number.isFinite(r.ciLo) ? r.ciLo : r.value,
      ciHi: Number.isFinite(r.ciHi) ? r.ciHi : r.value,
    })),
  );
  const ks = [...new Set(values.map((v) => v.k))].sort((a, b) => a - b);
  const x = {
    field: 'kPlot',
    type: 'quantitative',
    title: 'number of labels k',
    scale: { domain: [Math.min(...ks) - 0.3, Math.max(...ks) + 0.3] },
    axis: { values: ks, format: 'd' },
  };
  const axis = options.percent ? { format: '.0%' } : {};
  const color = { field: 'series', type: 'nominal', title: options.seriesTitle ?? 'data set' };
  return {
    $schema: SCHEMA,
    title: {
      text: options.title,
      subtitle: options.subtitle ?? 'mean over seeds of paired values; bars: 95 % t-interval',
    },
    width: 460,
    height: 280,
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#888' },
        encoding: { y: { field: 'zero', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'errorbar', ticks: true },
        encoding: {
          x,
          y: { field: 'ciLo', type: 'quantitative', title: options.yTitle, axis },
          y2: { field: 'ciHi' },
          color,
        },
      },
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', axis },
          color,
          tooltip: [{ field: 'series' }, { field: 'k' }, { field: 'value' }, { field: 'ciLo' }, { field: 'ciHi' }],
        },
      },
    ],
  };
}
