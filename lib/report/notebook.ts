/**
 * Helpers for the tslab notebooks: show figures, tables (danfo DataFrames as HTML),
 * markdown; and fetch a sweep's results, computing only the cells not cached yet.
 * Outside a Jupyter kernel everything falls back to plain text on stdout.
 *
 * A figure is one display output carrying
 *   image/png      (2× resolution, with its CSS size in the metadata): what an untrusted
 *                  notebook shows in JupyterLab (every fresh clone is untrusted, and Lab
 *                  strips SVG from untrusted HTML), and what GitHub shows;
 *   image/svg+xml  what a trusted notebook and nbconvert's HTML show (vector);
 *   application/vnd.vegalite.v5+json   the spec itself: JupyterLab renders it interactively
 *                  (tooltips) with its built-in vega renderer, trusted or not;
 *   text/plain     where the files are.
 * No text/html: Lab prefers HTML over images and sanitizes it when untrusted, which is how
 * figures used to show as a line of text.
 */
import * as path from 'path';
import { ResultRow } from '../experiments/experiment';
import { CellConfig } from '../experiments/cell';
import { REPO_ROOT } from '../experiments/paths';
import { saveFigure, Spec } from './plots';
import { formatCell } from './report';
import { runCells } from '../experiments/runner';
import { canonicalJson } from '../experiments/store';
import { cellsTag, getProfile, PROFILE_NAMES, SweepName, sweepCells, SweepOptions } from '../experiments/sweeps';
import { toDataFrame } from './summary';

type Kind = 'html' | 'markdown';

function display(kind: Kind, content: string, fallback: string): void {
  try {
    const tslab = require('tslab');
    tslab.display[kind](content);
  } catch {
    console.log(fallback);
  }
}

/**
 * One display output with several representations (tslab's public `display` sends one
 * MIME type per output; this goes through the same function it uses). Returns false
 * outside a kernel.
 */
export function displayBundle(data: Record<string, unknown>, metadata: Record<string, unknown> = {}): boolean {
  let jupyter: { lastWriteDisplayData?: ((d: unknown, update: boolean) => void) | null };
  try {
    jupyter = require('tslab/dist/jupyter');
  } catch {
    return false;
  }
  if (typeof jupyter.lastWriteDisplayData !== 'function') return false;
  jupyter.lastWriteDisplayData({ data, metadata, transient: {} }, false);
  return true;
}

/** The profile a notebook runs at: its own setting, unless LLC_NOTEBOOK_PROFILE overrides (CI's fast mode). */
export function notebookProfile(setting: string): string {
  return process.env.LLC_NOTEBOOK_PROFILE ?? setting;
}

/**
 * How the cells of the latest sweepResults call differ from the profile's own sweep
 * (sweeps.cellsTag; '' when they are the profile's cells). Figures drawn after it carry it
 * in their names. Every figure of the committed notebooks is drawn from default sweeps.
 */
let lastSweepTag = '';

/** The rows of a sweep at a profile: cached cells are read, missing ones computed (in parallel workers). */
export async function sweepResults(
  sweep: SweepName,
  profile: string,
  options: SweepOptions & { workers?: number; transform?: (c: CellConfig) => CellConfig } = {},
): Promise<ResultRow[]> {
  let cells = sweepCells(sweep, getProfile(profile), options);
  if (options.transform) cells = cells.map(options.transform);
  lastSweepTag = cellsTag(cells, sweepCells(sweep, getProfile(profile), { dataset: options.dataset }));
  return runCells(cells, { profile, workers: options.workers, stream: process.stdout });
}

/**
 * The notebook settings each committed figure was drawn with, besides the profile (which
 * names it) — for figures that depend on a notebook's `settings` cell rather than on a
 * sweep. test/notebooks.test.ts checks these against the notebooks' settings cells.
 */
export const COMMITTED_FIGURE_SETTINGS: Record<string, Record<string, unknown>> = {
  'quickstart-traces': { architecture: 'mlp', labels: [0, 1], seed: 0, numChains: 2 },
};

/** The notebook's `settings` object: tslab keeps the top-level declarations of executed cells in `__tslab__.exports`. */
function notebookSettings(): Record<string, unknown> | undefined {
  const s = (globalThis as { __tslab__?: { exports?: { settings?: unknown } } }).__tslab__?.exports?.settings;
  return s != null && typeof s === 'object' ? (s as Record<string, unknown>) : undefined;
}

const tagValue = (v: unknown): string => (Array.isArray(v) ? v.map(tagValue).join(',') : String(v));

/**
 * The settings tag of a figure shown from a notebook: the settings (of those the committed
 * figure of this name was drawn with) whose value differs, e.g. 'architecture-cnn_seed-1',
 * then the tag of the latest sweep's cells. '' at the committed settings.
 */
export function figureTag(name: string, settings = notebookSettings(), sweepTag = lastSweepTag): string {
  const base = name.replace(new RegExp(`^(${PROFILE_NAMES.join('|')})-`), '');
  const committed = COMMITTED_FIGURE_SETTINGS[base] ?? {};
  const changed = settings
    ? Object.entries(committed)
        .filter(([k, v]) => k in settings && canonicalJson(settings[k]) !== canonicalJson(v))
        .map(([k]) => `${k}-${tagValue(settings[k])}`)
    : [];
  const tag = [changed.join('_'), sweepTag]
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9.,+_-]/g, '_');
  return tag;
}

/**
 * Render a figure inline (PNG + SVG + vega-lite, see the header) and save it as
 * figures/<name>.svg and .png — or <name>-<settings tag>.svg/.png when the notebook's
 * settings or sweep differ from those of the committed figure (figureTag), so a rerun with
 * other settings never overwrites it. Returns nothing, so a cell ending in it prints nothing more.
 */
export async function showFigure(
  spec: Spec,
  name: string,
  options: string | { figuresDir?: string; settings?: Record<string, unknown> } = {},
): Promise<void> {
  const o = typeof options === 'string' ? { figuresDir: options } : options;
  const tag = figureTag(name, o.settings ?? notebookSettings());
  const fig = await saveFigure(spec, name, o.figuresDir, { tag });
  const where = path.relative(REPO_ROOT, fig.svgPath).replace(/\.svg$/, '');
  const note = `saved as ${where}.svg / .png${tag ? ` (settings differ from the committed figure's: tag '${tag}')` : ''}`;
  const shown = displayBundle(
    {
      'image/png': Buffer.from(fig.png).toString('base64'),
      'image/svg+xml': fig.svg,
      'application/vnd.vegalite.v5+json': spec,
      'text/plain': `[figure ${fig.name}: ${note}]`,
    },
    Number.isFinite(fig.width) ? { 'image/png': { width: fig.width, height: fig.height } } : {},
  );
  if (shown) display('markdown', `<sub>${note}</sub>`, note);
  else console.log(`[figure ${fig.name} → ${fig.pngPath}]`);
}

/** Show records as a table (through a danfo DataFrame; get one with toDataFrame). Returns nothing, so a cell ending in it prints nothing more. */
export function showTable(
  records: object[],
  options: { columns?: string[]; digits?: number; caption?: string } = {},
): void {
  const df = toDataFrame(records, options.columns);
  const digits = options.digits ?? 4;
  const cols: string[] = df.columns;
  const rows: unknown[][] = df.values;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const html = [
    '<table>',
    options.caption ? `<caption>${esc(options.caption)}</caption>` : '',
    `<thead><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((v) => `<td>${esc(formatCell(v, digits))}</td>`).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
  display('html', html, (options.caption ? `${options.caption}\n` : '') + df.toString());
}

export function showMarkdown(text: string): void {
  display('markdown', text, text);
}
