/**
 * Every notebook runs end to end in CI's fast mode (the `tiny` profile), through
 * tslab's own compiler/executor (scripts/check-notebooks.ts), and one notebook runs
 * through the real Jupyter path: nbconvert (from ./.venv after `npm run jupyter:setup`, or
 * Debian's jupyter-nbconvert) with the project's tslab kernel. Results and figures go to a
 * temporary folder, not the repo's data/. test/jupyter.test.ts drives a kernel directly
 * and starts JupyterLab.
 *
 * Also: figure outputs are PNG + SVG (+ vega-lite), never HTML (untrusted JupyterLab strips
 * SVG from HTML); figures drawn at other settings than the committed ones get a tag in their
 * names; the settings recorded for the committed figures match the notebooks' settings cells.
 *
 * The nbconvert test is skipped where nbconvert is not installed, unless
 * LLC_REQUIRE_JUPYTER=1 (set by .ci/run, which installs it), where it must run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { COMMITTED_FIGURE_SETTINGS, figureTag } from '../lib/report/notebook';
import { REPO_ROOT } from '../lib/experiments/paths';

const repo = REPO_ROOT;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-notebooks-'));
const env = {
  ...process.env,
  LLC_NOTEBOOK_PROFILE: 'tiny',
  LLC_DATA_DIR: path.join(scratch, 'data'),
  LLC_FIGURES_DIR: path.join(scratch, 'figures'),
};
const notebooks = fs
  .readdirSync(path.join(repo, 'notebooks'))
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

test('there is a notebook for each part of the write-up', () => {
  for (const prefix of ['01-', '02-', '03-', '04-'])
    assert.ok(
      notebooks.some((n) => n.startsWith(prefix)),
      `missing notebook ${prefix}*; have ${notebooks.join(', ')}`,
    );
});

for (const nb of notebooks) {
  test(`notebook ${nb}: every code cell runs (tslab executor, tiny profile)`, () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'scripts/check-notebooks.ts'), path.join(repo, 'notebooks', nb)],
      { cwd: repo, env, encoding: 'utf8', timeout: 10 * 60_000 },
    );
    assert.equal(r.status, 0, `${nb} failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /1 passed, 0 failed/);
  });
}

const jupyterPython = spawnSync(
  'bash',
  ['-c', 'source scripts/jupyter-env.sh >/dev/null 2>&1; printf %s "$JUPYTER_PY"'],
  { cwd: repo, encoding: 'utf8' },
).stdout;
const hasNbconvert =
  (jupyterPython !== '' && spawnSync(jupyterPython, ['-c', 'import nbconvert']).status === 0) ||
  spawnSync('sh', ['-c', 'command -v jupyter-nbconvert && /usr/bin/python3 -c "import nbconvert"'], {
    encoding: 'utf8',
  }).status === 0;
const required = process.env.LLC_REQUIRE_JUPYTER === '1';

test(
  'one notebook executes in Jupyter with the tslab kernel (nbconvert → HTML)',
  { skip: !hasNbconvert && !required && 'nbconvert not installed (npm run jupyter:setup)' },
  () => {
    const nb = notebooks.find((n) => n.startsWith('00-')) ?? notebooks[0];
    const out = path.join(scratch, 'html');
    const run = () =>
      spawnSync(path.join(repo, 'scripts/html.sh'), ['--output-dir', out, path.join('notebooks', nb)], {
        cwd: repo,
        env,
        encoding: 'utf8',
        timeout: 10 * 60_000,
      });
    let r = run();
    // tslab's kernel can lose a race on its zeromq sockets at start-up ("Socket is blocked by a
    // bind or unbind operation", EBUSY) and never answer; seen once in CI, on a commit whose
    // previous CI run passed. That is the kernel's launch, not the notebook: one more try, and
    // any other failure (or the same one twice) still fails.
    if (
      r.status !== 0 &&
      /Socket is blocked by a bind or unbind operation/.test(r.stderr) &&
      /Kernel didn't respond/.test(r.stderr)
    )
      r = run();
    assert.equal(r.status, 0, `nbconvert failed:\n${r.stdout}\n${r.stderr}`);
    const html = fs.readFileSync(path.join(out, nb.replace(/\.ipynb$/, '.html')), 'utf8');
    // nbconvert exits non-zero on a cell error; also no error text may reach stderr outputs.
    assert.doesNotMatch(
      html,
      /data-mime-type="application\/vnd\.jupyter\.stderr">\s*<pre>[^<]*(Error|Traceback)/,
      'an error in the HTML',
    );
    assert.match(html, /<svg|<img/, 'no figure rendered');
  },
);

type Output = { output_type: string; data?: Record<string, unknown> };
const figureOutputs = (nb: string): Output[] =>
  JSON.parse(fs.readFileSync(path.join(repo, 'notebooks', nb), 'utf8'))
    .cells.flatMap((c: { outputs?: Output[] }) => c.outputs ?? [])
    .filter(
      (o: Output) =>
        o.data &&
        (Object.keys(o.data).some((m) => m.startsWith('image/')) || /<svg/.test(String(o.data['text/html'] ?? ''))),
    );

// Notebooks executed before figures carried PNG hold SVG inside HTML, which untrusted JupyterLab shows as text.
const stale = notebooks.filter((nb) => figureOutputs(nb).some((o) => !o.data!['image/png']));
test(
  'committed figure outputs carry image/png and image/svg+xml, and no text/html',
  {
    todo:
      stale.length > 0 && `re-execute ${stale.join(', ')} (npm run notebooks:execute) once their results are computed`,
  },
  () => {
    for (const nb of notebooks) {
      for (const o of figureOutputs(nb)) {
        const mimes = Object.keys(o.data!);
        assert.ok(
          mimes.includes('image/png') && mimes.includes('image/svg+xml'),
          `${nb}: a figure output with ${mimes.join(', ')}`,
        );
        assert.ok(!mimes.includes('text/html'), `${nb}: a figure output with text/html`);
      }
    }
  },
);

test("the settings recorded for the committed figures are the notebooks' settings cells", () => {
  for (const [figure, recorded] of Object.entries(COMMITTED_FIGURE_SETTINGS)) {
    const nb = notebooks.find((n) => fs.readFileSync(path.join(repo, 'notebooks', n), 'utf8').includes(`-${figure}\``));
    assert.ok(nb, `no notebook draws the figure '${figure}'`);
    const cells: { cell_type: string; source: string[] | string }[] = JSON.parse(
      fs.readFileSync(path.join(repo, 'notebooks', nb), 'utf8'),
    ).cells;
    const src = cells.map((c) => ([] as string[]).concat(c.source).join('')).find((t) => /^const settings = /m.test(t));
    assert.ok(src, `${nb} has no settings cell`);
    // The settings cell is an object literal (with comments): evaluate it as JavaScript.
    const settings = new Function(`${src.replace(/^const settings = /m, 'return ')}`)() as Record<string, unknown>;
    for (const [k, v] of Object.entries(recorded)) assert.deepEqual(settings[k], v, `${nb}: settings.${k}`);
  }
});

test('a figure drawn at other settings than the committed one gets a tag in its name', () => {
  const committed = COMMITTED_FIGURE_SETTINGS['quickstart-traces'];
  assert.equal(figureTag('quick-quickstart-traces', { profile: 'quick', workers: 1, ...committed }, ''), '');
  assert.equal(
    figureTag('quick-quickstart-traces', { ...committed, architecture: 'cnn', seed: 1 }, ''),
    'architecture-cnn_seed-1',
  );
  assert.equal(figureTag('full-quickstart-traces', { ...committed, labels: [3, 5, 8] }, ''), 'labels-3,5,8');
  assert.equal(figureTag('quick-scaling-curve', { profile: 'quick', workers: 2 }, ''), '');
  assert.equal(
    figureTag('quick-traces', { profile: 'quick', nbetaFactors: [1] }, 'nbeta100'),
    'nbeta100',
    'the tag of the sweep the figure was drawn from',
  );
  assert.equal(figureTag('quick-quickstart-traces', undefined, ''), '', 'outside a notebook');
});
