/**
 * Time to a λ̂ in the page (headless Chromium, wasm) against Node (wasm) on this machine, for
 * the sweeps' MNIST-1D cell: MLP, k = 10, seed 0, PROFILES.quick.mnist1d (797 examples,
 * Adam ≤ 200 epochs with early stopping, 2 chains × (200 burn-in + 1,000 draws) at m = 100).
 * Also checks that both give the same λ̂, and saves a screenshot of the page after its runs
 * to figures/web-page.png.
 *
 *   npx tsx web/bench.ts [--reps N (3; 0: no timing)] [--no-build] [--screenshot FILE] [--curve]
 *
 * --curve replaces the table by a few more runs (both architectures at k = 2, 5, 10, the MLP at
 * k = 10 last) before the screenshot, so the table and the λ̂-vs-k plot show something; they
 * are not timed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/engine/backend';
import { runCell } from '../lib/experiments/experiment';
import { PROFILES, sweepCells } from '../lib/experiments/sweeps';
import { mnist1dData } from '../lib/data/tasks';
import { buildPage, launchChromium, REPO, serveStatic } from './harness';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const option = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const reps = Number(option('--reps', '3'));
const screenshot = path.resolve(REPO, option('--screenshot', 'figures/web-page.png'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One cold Node run of the cell (a child process, like a fresh `npm run reproduce`): JSON on stdout. */
async function nodeChild(): Promise<void> {
  const cell = benchCell();
  await initBackend({ backend: 'wasm', log: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-web-bench-'));
  try {
    const t0 = performance.now();
    mnist1dData();
    const data = (performance.now() - t0) / 1000;
    const row = runCell(cell, { profile: 'web-bench', dataDir: dir });
    const total = (performance.now() - t0) / 1000;
    process.stdout.write(
      JSON.stringify({
        data,
        train: row.trainSeconds,
        sample: row.llcSeconds,
        total,
        llc: row.llcMean,
        backend: row.backend,
        epochs: row.epochs,
        flags: row.flags,
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function benchCell() {
  return sweepCells('writeup', PROFILES.quick, { dataset: 'mnist1d', architectures: ['mlp'], ks: [10], seeds: [0] })[0];
}

async function main(): Promise<void> {
  const cell = benchCell();
  console.log(`cell: ${JSON.stringify(cell)}`);
  const dist = flag('--no-build') ? path.join(REPO, 'web', 'dist') : buildPage();
  const server = await serveStatic(dist);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));

  type Times = { data: number; train: number; sample: number; total: number; wall?: number };
  const browserTimes: Times[] = [];
  const browserLlc: number[] = [];
  const nodeTimes: Times[] = [];
  const nodeLlc: number[] = [];
  const loads: number[] = [];
  // Alternate browser and Node runs, each cold, so that the machine's load falls on both alike.
  for (let r = 0; r < reps; r++) {
    loads.push(os.loadavg()[0]);
    // A fresh page each time: a visitor's first λ̂ (a new worker generates MNIST-1D).
    await page.goto(server.url);
    await page.waitForFunction("document.body.dataset.state === 'ready'", null, { timeout: 60_000 });
    await page.click('#clear');
    await page.fill('#k', String(cell.k));
    await page.fill('#seed', String(cell.seed));
    await page.click('#run');
    await page.waitForFunction("['done', 'error'].includes(document.body.dataset.state)", null, { timeout: 600_000 });
    if ((await page.getAttribute('body', 'data-state')) === 'error')
      throw new Error(`the page failed: ${await page.textContent('#error')}`);
    browserTimes.push(JSON.parse((await page.getAttribute('#timing', 'data-seconds')) ?? '{}'));
    browserLlc.push(Number(await page.getAttribute('#llc', 'data-llc')));
    console.log(`browser rep ${r + 1}: ${JSON.stringify(browserTimes[r])} λ̂ = ${browserLlc[r]}`);

    const out = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', __filename, '--node-child'], { cwd: REPO, encoding: 'utf8' }),
    );
    nodeTimes.push(out);
    nodeLlc.push(out.llc);
    console.log(`node rep ${r + 1}: ${JSON.stringify(out)}`);
  }

  if (reps > 0) {
    const m = (xs: Times[], k: keyof Times) => median(xs.map((x) => x[k] ?? NaN));
    console.log('\nmedian seconds      data   train  sample   total');
    console.log(
      `browser (Chromium) ${m(browserTimes, 'data').toFixed(2).padStart(6)} ${m(browserTimes, 'train').toFixed(2).padStart(7)} ${m(browserTimes, 'sample').toFixed(2).padStart(7)} ${m(browserTimes, 'total').toFixed(2).padStart(7)}   (click to λ̂ on screen: ${m(browserTimes, 'wall').toFixed(2)} s)`,
    );
    console.log(
      `node               ${m(nodeTimes, 'data').toFixed(2).padStart(6)} ${m(nodeTimes, 'train').toFixed(2).padStart(7)} ${m(nodeTimes, 'sample').toFixed(2).padStart(7)} ${m(nodeTimes, 'total').toFixed(2).padStart(7)}`,
    );
    const same = browserLlc.every((v) => v === nodeLlc[0]) && nodeLlc.every((v) => v === nodeLlc[0]);
    console.log(
      `1-min load average during the runs: ${loads.map((l) => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores`,
    );
    console.log(
      `λ̂: browser ${browserLlc[0]}, node ${nodeLlc[0]}: ${same ? 'identical (every rep, to the last bit)' : `differ by ${Math.abs(browserLlc[0] - nodeLlc[0]).toExponential(2)}`}`,
    );
  }

  if (flag('--curve')) {
    if (reps === 0) {
      await page.goto(server.url);
      await page.waitForFunction("document.body.dataset.state === 'ready'", null, { timeout: 60_000 });
    }
    await page.click('#clear');
    for (const [arch, k] of [
      ['mlp', 2],
      ['cnn', 2],
      ['mlp', 5],
      ['cnn', 5],
      ['cnn', 10],
      ['mlp', cell.k],
    ] as const) {
      await page.selectOption('#arch', arch);
      await page.fill('#k', String(k));
      await page.click('#run');
      await page.waitForFunction("['done', 'error'].includes(document.body.dataset.state)", null, { timeout: 600_000 });
      // (the bench's own cell last, so the live plots show it)
      console.log(`curve run ${arch} k=${k}: λ̂ = ${await page.getAttribute('#llc', 'data-llc')}`);
    }
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${path.relative(REPO, screenshot)}`);
  await browser.close();
  await server.close();
}

(flag('--node-child') ? nodeChild() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
