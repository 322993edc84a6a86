/**
 * Helpers for the tslab notebooks: show figures (inline SVG inside HTML, which survives
 * nbconvert 6.5; the same files saved under figures/), tables (danfo DataFrames as HTML),
 * markdown; and fetch a sweep's results, computing only the cells not cached yet.
 * Outside a Jupyter kernel everything falls back to plain text on stdout.
 */
import * as path from 'path';
import { CellConfig, ResultRow } from './experiment';
import { REPO_ROOT } from './paths';
import { saveFigure, Spec } from './plots';
import { formatCell } from './report';
import { runCells } from './runner';
import { getProfile, SweepName, sweepCells, SweepOptions } from './sweeps';
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

/** The profile a notebook runs at: its own setting, unless LLC_NOTEBOOK_PROFILE overrides (CI's fast mode). */
export function notebookProfile(setting: string): string {
  return process.env.LLC_NOTEBOOK_PROFILE ?? setting;
}

/** The rows of a sweep at a profile: cached cells are read, missing ones computed (in parallel workers). */
export async function sweepResults(sweep: SweepName, profile: string, options: SweepOptions & { workers?: number; transform?: (c: CellConfig) => CellConfig } = {}): Promise<ResultRow[]> {
  let cells = sweepCells(sweep, getProfile(profile), options);
  if (options.transform) cells = cells.map(options.transform);
  return runCells(cells, { profile, workers: options.workers, stream: process.stdout });
}

/** Render a figure inline and save it as figures/<name>.svg and .png (returns nothing, so a cell ending in it prints nothing more). */
export async function showFigure(spec: Spec, name: string, figuresDir?: string): Promise<void> {
  const { svg, pngPath } = await saveFigure(spec, name, figuresDir);
  const where = path.relative(REPO_ROOT, pngPath).replace(/\.png$/, '');
  display('html', `<div style="max-width:100%">${svg}</div><div style="font-size:smaller;color:#666">saved as ${where}.svg / .png</div>`, `[figure ${name} → ${pngPath}]`);
}

/** Show records as a table (through a danfo DataFrame; get one with toDataFrame). Returns nothing, so a cell ending in it prints nothing more. */
export function showTable(records: object[], options: { columns?: string[]; digits?: number; caption?: string } = {}): void {
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
