/**
 * The real Jupyter route, as the README gives it: the project's Jupyter (./.venv from
 * `npm run jupyter:setup`, else another Python with jupyter_client; scripts/jupyter-env.sh),
 * the tslab kernel registered by `npm run kernel` under ./.jupyter, then
 *   - a real kernel driven over jupyter_client through one notebook (scripts/jupyter-drive.py),
 *     every cell ok, every figure a display with image/png (a valid PNG with its size) and
 *     image/svg+xml and no text/html (which untrusted JupyterLab would sanitize);
 *   - JupyterLab's server started on the notebooks, serving /lab and the tslab kernelspec.
 * Skipped where no Python has Jupyter (resp. JupyterLab), unless LLC_REQUIRE_JUPYTER=1
 * (set by .ci/run, which runs `npm run jupyter:setup`): then they must run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../lib/experiments/paths';

const repo = REPO_ROOT;
const required = process.env.LLC_REQUIRE_JUPYTER === '1';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-jupyter-'));

/** The environment scripts/jupyter-env.sh sets up, and the Python it finds. */
function jupyterEnv(): { python: string; env: NodeJS.ProcessEnv } {
  const r = spawnSync('bash', ['-c', 'source scripts/jupyter-env.sh >/dev/null 2>&1; env -0'], {
    cwd: repo,
    encoding: 'utf8',
  });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of r.stdout.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const py = spawnSync('bash', ['-c', 'source scripts/jupyter-env.sh >/dev/null 2>&1; printf %s "$JUPYTER_PY"'], {
    cwd: repo,
    encoding: 'utf8',
  }).stdout;
  return { python: py, env };
}

const { python, env: jenv } = jupyterEnv();
const hasLab = python !== '' && fs.existsSync(path.join(path.dirname(python), 'jupyter-lab'));
const why =
  python === ''
    ? 'no Python with Jupyter (npm run jupyter:setup)'
    : !hasLab
      ? `no JupyterLab for ${python} (npm run jupyter:setup)`
      : false;

test(
  'npm run kernel registers tslab under ./.jupyter with the Python that has Jupyter',
  { skip: !required && python === '' && 'no Python with Jupyter (npm run jupyter:setup)' },
  () => {
    assert.notEqual(
      python,
      '',
      'LLC_REQUIRE_JUPYTER=1 but no Python with Jupyter was found; run npm run jupyter:setup',
    );
    const r = spawnSync('npm', ['run', '-s', 'kernel'], { cwd: repo, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `tslab kernel registered in .*kernels/tslab/kernel\\.json \\(Jupyter from ${python.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`,
      ),
    );
    const spec = JSON.parse(
      fs.readFileSync(path.join(repo, '.jupyter/share/jupyter/kernels/tslab/kernel.json'), 'utf8'),
    );
    assert.equal(spec.argv[0], path.join(repo, 'node_modules/.bin/tslab'));
    const list = spawnSync(python, ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], {
      cwd: repo,
      encoding: 'utf8',
      env: jenv,
    });
    assert.equal(list.status, 0, list.stderr);
    assert.equal(
      JSON.parse(list.stdout).kernelspecs.tslab.resource_dir,
      path.join(repo, '.jupyter/share/jupyter/kernels/tslab'),
    );
  },
);

test('npm run kernel without any Jupyter says how to get it', () => {
  const r = spawnSync('bash', ['scripts/jupyter-kernel.sh'], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_PYTHON_CANDIDATES: '/bin/false /nonexistent/python3' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /No Python with Jupyter found/);
  assert.match(r.stderr, /npm run jupyter:setup/);
});

test(
  'a real tslab kernel runs notebook 00 over jupyter_client; every figure carries image/png and image/svg+xml',
  { skip: !required && python === '' && 'no Python with Jupyter (npm run jupyter:setup)' },
  () => {
    assert.notEqual(
      python,
      '',
      'LLC_REQUIRE_JUPYTER=1 but no Python with Jupyter was found; run npm run jupyter:setup',
    );
    spawnSync('npm', ['run', '-s', 'kernel'], { cwd: repo });
    const nb = path.join(
      repo,
      'notebooks',
      fs.readdirSync(path.join(repo, 'notebooks')).find((n) => n.startsWith('00-'))!,
    );
    const env = {
      ...jenv,
      LLC_NOTEBOOK_PROFILE: 'tiny',
      LLC_DATA_DIR: path.join(scratch, 'data'),
      LLC_FIGURES_DIR: path.join(scratch, 'figures'),
    };
    const r = spawnSync(python, [path.join(repo, 'scripts/jupyter-drive.py'), nb, '--timeout', '300'], {
      cwd: repo,
      env,
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    let report: {
      ok: boolean;
      language_info: { name: string };
      cells: {
        index: number;
        error: string | null;
        outputs: {
          type: string;
          mimes?: string[];
          png_magic_ok?: boolean;
          png_bytes?: number;
          png_metadata?: { width: number; height: number };
          text?: string;
        }[];
      }[];
    };
    try {
      report = JSON.parse(r.stdout);
    } catch {
      assert.fail(`jupyter-drive.py printed no report (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    const failed = report.cells.find((c) => c.error);
    assert.ok(
      report.ok && !failed,
      `cell ${failed?.index} failed: ${failed?.error}\n${failed?.outputs.map((o) => o.text ?? '').join('')}`,
    );
    assert.equal(report.language_info.name, 'typescript');
    const figures = report.cells.flatMap((c) => c.outputs).filter((o) => o.mimes?.some((m) => m.startsWith('image/')));
    assert.ok(figures.length >= 1, 'no figure output');
    for (const f of figures) {
      assert.ok(f.mimes!.includes('image/png') && f.mimes!.includes('image/svg+xml'), `figure output with ${f.mimes}`);
      assert.ok(
        !f.mimes!.includes('text/html'),
        'a figure output with text/html: untrusted JupyterLab would show its sanitized text',
      );
      assert.ok(f.png_magic_ok && f.png_bytes! > 1000, 'the PNG is not a PNG');
      assert.ok(
        f.png_metadata && f.png_metadata.width > 100 && f.png_metadata.height > 100,
        `PNG size metadata ${JSON.stringify(f.png_metadata)}`,
      );
    }
    assert.ok(fs.existsSync(path.join(scratch, 'figures', 'tiny-quickstart-traces.png')), 'the figure was not saved');
  },
);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('JupyterLab serves the notebooks with the tslab kernel (npm run lab)', { skip: !required && why }, async () => {
  assert.ok(hasLab, `LLC_REQUIRE_JUPYTER=1 but ${why}`);
  const port = await freePort();
  const token = 'llc-test-token';
  const lab = spawn(
    path.join(repo, 'scripts/jupyter.sh'),
    [
      'lab',
      '--no-browser',
      `--port=${port}`,
      '--ip=127.0.0.1',
      `--IdentityProvider.token=${token}`,
      '--ServerApp.root_dir=notebooks',
    ],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  lab.stdout.on('data', (d) => (log += d));
  lab.stderr.on('data', (d) => (log += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    let specs = null as { default: string; kernelspecs: Record<string, unknown> } | null;
    for (let i = 0; i < 120 && !specs; i++) {
      await new Promise((r) => setTimeout(r, 500));
      try {
        const res = await fetch(`${base}/api/kernelspecs?token=${token}`);
        if (res.ok) specs = (await res.json()) as typeof specs;
      } catch {
        // not up yet
      }
    }
    assert.ok(specs, `JupyterLab did not answer within 60 s:\n${log}`);
    assert.ok('tslab' in specs.kernelspecs, `tslab not among the kernels: ${Object.keys(specs.kernelspecs)}`);
    const page = await fetch(`${base}/lab?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /JupyterLab/);
    const contents = (await (await fetch(`${base}/api/contents?token=${token}`)).json()) as {
      content: { name: string }[];
    };
    assert.ok(
      contents.content.some((f: { name: string }) => f.name.startsWith('00-') && f.name.endsWith('.ipynb')),
      'the notebooks are not served',
    );
  } finally {
    lab.kill('SIGTERM');
    await new Promise((r) => lab.once('exit', r));
  }
});
