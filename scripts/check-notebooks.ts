/**
 * Executes every notebook's code cells with tslab's own compiler/executor (no Jupyter),
 * in CI's fast mode (LLC_NOTEBOOK_PROFILE, default 'tiny'), and fails on any cell error.
 *   tsx scripts/check-notebooks.ts [notebooks/01-scaling-curve.ipynb ...]
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', 'notebooks');

async function runNotebook(file: string): Promise<boolean> {
  const { createConverter } = require('tslab/dist/converter');
  const { createExecutor } = require('tslab/dist/executor');
  const jupyter = require('tslab/dist/jupyter');
  const displayed: string[] = [];
  jupyter.lastWriteDisplayData = (d: { data: Record<string, string> }) => displayed.push(Object.keys(d.data).join(','));
  const node = createConverter({ isJS: false, isBrowser: false });
  const convs = { node, browser: node, close: () => node.close() };
  const errors: string[] = [];
  const executor = createExecutor(root, convs, {
    log: () => {},
    error: (...a: unknown[]) => errors.push(a.map(String).join(' ')),
  });
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  const cells = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
  let ok = true;
  const t0 = Date.now();
  for (let i = 0; i < cells.length && ok; i++) {
    const src = ([] as string[]).concat(cells[i].source).join('');
    ok = await executor.execute(src);
    if (!ok)
      console.error(
        `  ✗ ${path.basename(file)} code cell ${i + 1} failed:\n${errors.join('\n')}\n--- cell source ---\n${src}`,
      );
  }
  executor.close();
  convs.close();
  console.log(
    `${ok ? 'ok    ' : 'FAILED'} ${path.basename(file)}: ${cells.length} code cells, ${displayed.length} displays, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return ok;
}

async function main(): Promise<number> {
  process.env.LLC_NOTEBOOK_PROFILE ??= 'tiny';
  const files =
    process.argv.length > 2
      ? process.argv.slice(2).map((f) => path.resolve(f))
      : fs
          .readdirSync(root)
          .filter((f) => f.endsWith('.ipynb'))
          .sort()
          .map((f) => path.join(root, f));
  process.chdir(root); // as in Jupyter: cells resolve ./lib from the notebook's folder
  let failed = 0;
  for (const f of files) if (!(await runNotebook(f))) failed++;
  console.log(`${files.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
