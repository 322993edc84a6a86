/**
 * Prettier for the notebooks' code cells (the same .prettierrc.json as the sources): prettier
 * cannot read .ipynb, so each code cell is formatted as a TypeScript module on its own.
 *
 *   npm run format:notebooks            rewrite the notebooks
 *   npm run format:notebooks -- --check list the cells that are not formatted; exit 1 if any
 */
import * as fs from 'fs';
import * as path from 'path';
import * as prettier from 'prettier';
import { eachFlag, runMain } from '../lib/cli/flags';
import { repoPath } from '../lib/experiments/paths';

const USAGE = 'usage: format-notebooks [--check]';

interface Notebook {
  cells: { cell_type: string; source: string | string[] }[];
}

/** A cell's source formatted; a trailing newline is dropped, as Jupyter stores cells without one. */
export async function formatCell(source: string, options: prettier.Options): Promise<string> {
  const out = await prettier.format(source, { ...options, parser: 'typescript' });
  return out.replace(/\n$/, '');
}

async function main(): Promise<number> {
  let check = false;
  eachFlag(process.argv.slice(2), USAGE, (flag) => {
    if (flag === '--check') check = true;
    else throw new Error(`unknown option '${flag}'; valid: --check\n${USAGE}`);
  });
  const options = (await prettier.resolveConfig(repoPath('lib', 'report', 'summary.ts'))) ?? {};
  const dir = repoPath('notebooks');
  const unformatted: string[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ipynb'))
    .sort()) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    const nb = JSON.parse(text) as Notebook;
    for (const [i, cell] of nb.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      const formatted = await formatCell(source, options);
      if (formatted === source) continue;
      unformatted.push(`${name} cell ${i}`);
      cell.source = formatted.split(/(?<=\n)/);
    }
    if (!check) {
      const out = JSON.stringify(nb, null, 1) + '\n';
      if (out !== text) fs.writeFileSync(file, out);
    }
  }
  if (check && unformatted.length) {
    console.error(`not formatted (npm run format:notebooks): ${unformatted.join(', ')}`);
    return 1;
  }
  console.log(check ? 'notebook code cells are formatted' : `formatted ${unformatted.length} code cell(s)`);
  return 0;
}

if (require.main === module) runMain(main);
