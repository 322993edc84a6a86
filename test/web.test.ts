/**
 * The browser page (web/) end to end, in real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core): build it (`vite build`, into a temporary folder), serve it on
 * localhost, then
 *   - it starts on wasm and shows the sweeps' MNIST-1D settings (PROFILES.quick.mnist1d);
 *   - bad settings get the library's own messages (the same functions, called here);
 *   - a tiny run (MNIST-1D MLP, k = 3, 2 chains × 50 draws) shows λ̂ and the diagnostics'
 *     flags, and its λ̂ is *bit-identical* to runCell's (lib/experiments/experiment.ts, the CLI's path)
 *     for the same cell on wasm in this process: same task draw, training, chains, float32
 *     kernels (one tfjs wasm binary, one thread) and float64 host arithmetic.
 * Skipped without Chromium, unless LLC_REQUIRE_BROWSER=1 (set by .ci/run, which installs it).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { initBackend } from '../lib/engine/backend';
import { runCell } from '../lib/experiments/experiment';
import { CellConfig } from '../lib/experiments/cell';
import { resolveLlcSettings } from '../lib/estimator/llc';
import { PROFILES } from '../lib/experiments/sweeps';
import { DEFAULT_ORDER, firstK } from '../lib/data/tasks';
import { buildPage, CHROMIUM, launchChromium, serveStatic } from '../web/harness';

const required = process.env.LLC_REQUIRE_BROWSER === '1';
const skip =
  !required &&
  !fs.existsSync(CHROMIUM) &&
  `no Chromium at ${CHROMIUM} (apt-get install -y chromium; LLC_REQUIRE_BROWSER=1 makes this a failure)`;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-web-'));
let browser: Browser | undefined;
let page: Page;
let server: { url: string; close: () => Promise<void> } | undefined;

before(async () => {
  if (skip) return;
  assert.ok(
    fs.existsSync(CHROMIUM),
    `LLC_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}: apt-get install -y chromium`,
  );
  server = await serveStatic(buildPage(path.join(scratch, 'dist')));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction("document.body.dataset.state !== 'loading'", null, { timeout: 30_000 });
  assert.deepEqual(errors, [], 'the page threw while loading');
});

after(async () => {
  await browser?.close();
  await server?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const state = (): Promise<string | null> => page.getAttribute('body', 'data-state');

/** Open the collapsed "training and data" fields, then set the given fields (by element id). */
async function fill(values: Record<string, string>): Promise<void> {
  if (!(await page.isVisible('#epochs'))) await page.click('summary');
  for (const [id, value] of Object.entries(values)) await page.fill(`#${id}`, value);
}

/** Press Run and wait until the page is done or shows an error. */
async function run(timeout = 60_000): Promise<string | null> {
  await page.click('#run');
  await page.waitForFunction("['done', 'error'].includes(document.body.dataset.state)", null, { timeout });
  return state();
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the library to reject this value');
}

test(
  "the page starts on wasm with the sweeps' MNIST-1D settings (PROFILES.quick.mnist1d)",
  { skip, timeout: 60_000 },
  async () => {
    assert.equal(await state(), 'ready');
    assert.match(
      (await page.textContent('#backend-info')) ?? '',
      /tfjs backend: wasm \(tfjs SIMD on, lib's SIMD kernels on, 1 thread\)/,
    );
    const p = PROFILES.quick.mnist1d;
    const shown = async (id: string) => Number(await page.inputValue(`#${id}`));
    assert.equal(await page.inputValue('#arch'), 'mlp');
    assert.equal(await shown('n-train'), p.numTrain);
    assert.equal(await shown('n-test'), p.numTest);
    assert.equal(await shown('epochs'), p.train.epochs);
    assert.equal(await shown('train-batch'), p.train.batchSize);
    assert.equal(await shown('lr'), p.train.learningRate);
    assert.equal(await shown('epsilon'), p.llc.epsilon);
    assert.equal(await shown('gamma'), p.llc.gamma);
    assert.equal(await page.inputValue('#nbeta'), String(p.llc.nbeta));
    assert.equal(await shown('chains'), p.llc.numChains);
    assert.equal(await shown('draws'), p.llc.numDraws);
    assert.equal(await shown('burnin'), p.llc.numBurnin);
    assert.equal(await shown('sgld-batch'), p.llc.batchSize);
  },
);

test(
  "bad settings get the library's messages (resolveLlcSettings, firstK), before anything runs",
  { skip, timeout: 60_000 },
  async () => {
    const n = PROFILES.quick.mnist1d.numTrain;
    const cases: Array<[Record<string, string>, string]> = [
      [{ epsilon: '0' }, messageOf(() => resolveLlcSettings({ epsilon: 0 }, n))],
      [{ epsilon: '-1e-4' }, messageOf(() => resolveLlcSettings({ epsilon: -1e-4 }, n))],
      [{ k: '11' }, messageOf(() => firstK(11))],
      [{ k: '1' }, messageOf(() => firstK(1))],
      [{ chains: '0' }, messageOf(() => resolveLlcSettings({ numChains: 0 }, n))],
      [{ draws: '2.5' }, messageOf(() => resolveLlcSettings({ numDraws: 2.5 }, n))],
    ];
    for (const [values, expected] of cases) {
      await page.click('#reset');
      await fill(values);
      assert.equal(await run(), 'error', `${JSON.stringify(values)} should be rejected`);
      assert.equal(await page.textContent('#error'), expected);
    }
    assert.match(cases[0][1], /epsilon must be a positive number, got 0/);
    assert.match(cases[2][1], /k=11 is out of range; valid k are integers 2\.\.10/);
    assert.match(cases[4][1], /numChains must be a positive integer, got 0/);
    assert.equal(await page.locator('#results tbody tr').count(), 0, 'a rejected run must not reach the table');
  },
);

test(
  "a tiny run shows λ̂ and the flags, and λ̂ equals runCell's (Node, wasm, same seed) exactly",
  { skip, timeout: 120_000 },
  async () => {
    const cell: CellConfig = {
      dataset: 'mnist1d',
      architecture: 'mlp',
      order: [...DEFAULT_ORDER],
      k: 3,
      seed: 1,
      numTrain: PROFILES.quick.mnist1d.numTrain,
      numTest: PROFILES.quick.mnist1d.numTest,
      train: { ...PROFILES.quick.mnist1d.train, epochs: 3 },
      llc: { ...PROFILES.quick.mnist1d.llc, numChains: 2, numDraws: 50, numBurnin: 20 },
    };
    await page.click('#reset');
    await fill({ k: '3', seed: '1', epochs: '3', chains: '2', draws: '50', burnin: '20' });
    assert.equal(await run(), 'done', (await page.textContent('#error')) ?? '');
    const llc = Number(await page.getAttribute('#llc', 'data-llc'));
    const initLoss = Number(await page.getAttribute('#llc', 'data-init-loss'));
    const perChain = JSON.parse((await page.getAttribute('#llc', 'data-per-chain')) ?? '[]');
    const flags = await page
      .locator('#flags li')
      .evaluateAll((lis) => lis.map((li) => (li as unknown as { dataset: { code: string } }).dataset.code));
    assert.ok(Number.isFinite(llc), `λ̂ shown: ${await page.textContent('#llc')}`);
    assert.match((await page.textContent('#llc')) ?? '', /^-?\d+\.\d\d ± \d+\.\d\d$/);
    assert.ok(flags.length > 0, 'the diagnostics list shows flags (or "healthy")');
    assert.equal(await page.locator('#results tbody tr').count(), 1);

    await initBackend({ backend: 'wasm', log: false });
    const row = runCell(cell, { profile: 'web-test', dataDir: scratch });
    assert.equal(row.backend, 'wasm');
    assert.equal(initLoss, row.initLoss, 'L_n(w*): the same trained weights');
    assert.deepEqual(perChain, row.llcPerChain, 'λ̂ per chain');
    assert.equal(llc, row.llcMean, 'λ̂ in the page = λ̂ of runCell, to the last bit');
    assert.deepEqual(flags, row.flags.length ? row.flags : ['healthy']);
  },
);
