/**
 * The page: settings, live plots, diagnostics and the table of runs. All compute happens in
 * the worker (worker.ts), which holds tfjs and lib/; this module imports no lib code.
 */
import { drawChart, Series } from './chart';
import type { BackendChoice, FromWorker, ToWorker } from './protocol';
import type { RunEvent, RunResult } from './run';
import { cloneConfig, DEFAULTS, FIELDS, parseNbeta, parseNumberField, RunConfig } from './settings';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el == null) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const CHAIN_COLORS = ['#1565c0', '#e65100', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#ad1457'];
const ARCH_COLORS: Record<string, string> = { mlp: '#1565c0', cnn: '#e65100' };
const STORAGE_KEY = 'llc-web-results-v1';

// ------------------------------------------------------------------ form

function buildForm(): void {
  for (const f of FIELDS) {
    const group = document.querySelector(`.fields[data-group="${f.group}"]`)!;
    const label = document.createElement('label');
    label.textContent = f.label;
    label.title = f.title;
    const input = document.createElement('input');
    input.type = 'text';
    input.id = f.id;
    input.inputMode = 'decimal';
    label.append(input);
    group.append(label);
  }
}

function showConfig(c: RunConfig): void {
  $<HTMLSelectElement>('arch').value = c.architecture;
  for (const f of FIELDS) $<HTMLInputElement>(f.id).value = String(f.get(c));
  $<HTMLInputElement>('nbeta').value = String(c.llc.nbeta);
}

/** The form as a run's settings; no checks here: the worker validates with lib's own functions. */
function readConfig(): RunConfig {
  const c = cloneConfig(DEFAULTS);
  c.architecture = $<HTMLSelectElement>('arch').value as RunConfig['architecture'];
  for (const f of FIELDS) f.set(c, parseNumberField($<HTMLInputElement>(f.id).value));
  c.llc.nbeta = parseNbeta($<HTMLInputElement>('nbeta').value);
  return c;
}

// ------------------------------------------------------------------ worker

let worker: Worker;
let runId = 0;
let activeRun: number | null = null;
let backend: BackendChoice = 'wasm';
let clickedAt = 0;

function setState(state: 'loading' | 'ready' | 'running' | 'done' | 'error'): void {
  document.body.dataset.state = state;
  $<HTMLButtonElement>('run').disabled = state === 'loading' || state === 'running';
  $<HTMLButtonElement>('stop').disabled = state !== 'running';
  $<HTMLSelectElement>('backend-select').disabled = state === 'loading' || state === 'running';
}

function send(message: ToWorker): void {
  worker.postMessage(message);
}

function startWorker(): void {
  setState('loading');
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
  worker.onerror = (e) => showError(`the worker failed: ${e.message}`);
}

function onWorkerMessage(msg: FromWorker): void {
  switch (msg.type) {
    case 'loaded':
      send({ type: 'backend', name: backend });
      break;
    case 'backend': {
      backend = msg.name;
      $<HTMLSelectElement>('backend-select').value = msg.name;
      const webgl = $<HTMLSelectElement>('backend-select').querySelector<HTMLOptionElement>('option[value="webgl"]')!;
      webgl.disabled = msg.webgl != null;
      webgl.textContent = msg.webgl != null ? 'webgl (unavailable here)' : 'webgl';
      webgl.title = msg.webgl ?? '';
      const detail =
        msg.name === 'wasm'
          ? ` (tfjs SIMD ${msg.wasmSimd ? 'on' : 'off'}, lib's SIMD kernels ${msg.simdKernels ? 'on' : 'off'}, 1 thread)`
          : msg.webglInfo
            ? ` (WebGL ${msg.webglInfo.version}, ${msg.webglInfo.float32 ? 'float32' : 'float16: losses may overflow'} textures, unpacked kernels${msg.webglInfo.renderer ? `; ${msg.webglInfo.renderer}` : ''})`
            : '';
      $('backend-info').textContent =
        `tfjs backend: ${msg.name}${detail}${msg.webgl != null ? ` · webgl: ${msg.webgl}` : ''}`;
      $('backend-info').dataset.backend = msg.name;
      if (document.body.dataset.state === 'loading') {
        setState('ready');
        $('status').textContent = 'ready: choose settings and press Run';
      }
      break;
    }
    case 'error':
      if (msg.id == null || msg.id === activeRun) {
        activeRun = null;
        showError(msg.message);
        if (document.body.dataset.state !== 'loading') setState('error');
        else {
          // a backend that failed to start: fall back to wasm
          if (backend !== 'wasm') {
            backend = 'wasm';
            send({ type: 'backend', name: 'wasm' });
          }
        }
      }
      break;
    case 'event':
      if (msg.id === activeRun) onRunEvent(msg.event);
      break;
    case 'result':
      if (msg.id === activeRun) onResult(msg.result);
      break;
    case 'valid':
      break;
  }
}

function showError(message: string): void {
  const box = $('error');
  box.hidden = false;
  box.textContent = message;
  $('status').textContent = 'error: see the message above';
}

function clearError(): void {
  $('error').hidden = true;
  $('error').textContent = '';
}

// ------------------------------------------------------------------ a run's live state

interface Live {
  config: RunConfig;
  epochs: Array<{ epoch: number; trainLoss: number; testLoss: number; trainAccuracy: number; testAccuracy: number }>;
  maxEpochs: number;
  chains: Array<{ losses: number[]; running: Array<[number, number]> }>;
  initLoss: number;
  nbeta: number;
  phase: string;
}

let live: Live | null = null;
let redrawQueued = false;

function queueRedraw(): void {
  if (redrawQueued) return;
  redrawQueued = true;
  requestAnimationFrame(() => {
    redrawQueued = false;
    drawLive();
  });
}

function run(): void {
  clearError();
  const config = readConfig();
  activeRun = ++runId;
  clickedAt = performance.now();
  live = { config, epochs: [], maxEpochs: config.train.epochs, chains: [], initLoss: NaN, nbeta: NaN, phase: 'data' };
  $('llc').textContent = '…';
  delete $('llc').dataset.llc;
  $('llc-detail').textContent = '';
  $('train-summary').textContent = '';
  $('timing').textContent = '';
  $('flags').replaceChildren();
  $('diag-summary').textContent = 'running…';
  $<HTMLProgressElement>('progress').value = 0;
  setState('running');
  $('status').textContent = 'checking the settings';
  send({ type: 'run', id: activeRun, config });
  drawLive();
}

function stop(): void {
  worker.terminate();
  activeRun = null;
  live = null;
  $('status').textContent = 'stopped; restarting the worker';
  $('llc').textContent = '—';
  startWorker();
}

function onRunEvent(e: RunEvent): void {
  if (!live) return;
  const bar = $<HTMLProgressElement>('progress');
  switch (e.type) {
    case 'phase':
      live.phase = e.phase;
      $('status').textContent = e.message;
      break;
    case 'trainStep':
      bar.value = 0.02 + 0.38 * (e.step / e.total);
      break;
    case 'epoch':
      live.maxEpochs = e.maxEpochs;
      live.epochs.push(e.record);
      $('status').textContent =
        `training: epoch ${e.record.epoch} (of at most ${e.maxEpochs}), training loss ${e.record.trainLoss.toFixed(4)}, test accuracy ${(100 * e.record.testAccuracy).toFixed(1)} %`;
      queueRedraw();
      break;
    case 'trained':
      bar.value = 0.4;
      $('train-summary').textContent =
        `trained ${e.epochs} epochs (stopped: ${e.stoppedBecause}) in ${e.seconds.toFixed(1)} s: train accuracy ${(100 * e.trainAccuracy).toFixed(1)} %, test accuracy ${(100 * e.testAccuracy).toFixed(1)} %, L_n(w*) = ${e.trainLoss.toFixed(4)}`;
      break;
    case 'chain': {
      live.initLoss = e.initLoss;
      live.nbeta = e.nbeta;
      while (live.chains.length <= e.chain) live.chains.push({ losses: [], running: [] });
      const c = live.chains[e.chain];
      c.losses.push(...e.newLosses);
      const cfg = live.config.llc;
      c.running.push(...e.newRunning);
      const done = (e.chain * e.stepsPerChain + e.step) / (cfg.numChains * e.stepsPerChain);
      bar.value = 0.4 + 0.6 * done;
      $('status').textContent =
        `sampling: chain ${e.chain + 1} of ${cfg.numChains}, step ${e.step} of ${e.stepsPerChain}${e.step <= cfg.numBurnin ? ' (burn-in)' : ''}`;
      $('llc').textContent = Number.isFinite(e.runningLlc)
        ? `${e.runningLlc.toFixed(2)} (running, chain ${e.chain + 1})`
        : '…';
      queueRedraw();
      break;
    }
  }
}

function drawLive(): void {
  const l = live;
  drawChart($<HTMLCanvasElement>('chart-train'), {
    title: 'training (Adam): loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    integerX: true,
    empty: 'the training loss appears here',
    series: l
      ? [
          { name: 'train (epoch mean)', color: '#1565c0', points: l.epochs.map((r) => [r.epoch, r.trainLoss]) },
          { name: 'test', color: '#e65100', points: l.epochs.map((r) => [r.epoch, r.testLoss]), dash: [4, 3] },
        ]
      : [],
  });
  const burnin = l?.config.llc.numBurnin ?? 0;
  drawChart($<HTMLCanvasElement>('chart-sgld'), {
    title: 'SGLD: minibatch loss L_m(w) per step',
    xLabel: 'step',
    yLabel: 'loss',
    empty: 'the SGLD loss trace appears here',
    bands: l && burnin > 0 ? [{ x0: 0, x1: burnin, label: 'burn-in' }] : [],
    hlines: l && Number.isFinite(l.initLoss) ? [{ y: l.initLoss, label: 'L_n(w*)', color: '#444' }] : [],
    series: l
      ? l.chains.map((c, i) => ({
          name: `chain ${i + 1}`,
          color: CHAIN_COLORS[i % CHAIN_COLORS.length],
          points: c.losses.map((v, t) => [t + 1, v] as [number, number]),
          width: 1,
        }))
      : [],
  });
  drawChart($<HTMLCanvasElement>('chart-llc'), {
    title: 'running λ̂ = nβ·(mean of kept L_m − L_n(w*))',
    xLabel: 'kept draws',
    yLabel: 'λ̂',
    empty: 'the running λ̂ appears here',
    series: l
      ? l.chains.map((c, i) => ({
          name: `chain ${i + 1}`,
          color: CHAIN_COLORS[i % CHAIN_COLORS.length],
          points: c.running,
        }))
      : [],
  });
}

// ------------------------------------------------------------------ results

let results: RunResult[] = [];

function loadResults(): void {
  try {
    results = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
  } catch {
    results = [];
  }
}

function saveResults(): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(results));
  } catch {
    // storage full or disabled: the table still lives for this page
  }
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));
const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

function onResult(r: RunResult): void {
  activeRun = null;
  const wall = (performance.now() - clickedAt) / 1000;
  $<HTMLProgressElement>('progress').value = 1;
  const llc = $('llc');
  llc.textContent = `${fmt(r.llcMean)} ± ${fmt(r.llcMcse)}`;
  llc.dataset.llc = String(r.llcMean);
  llc.dataset.mcse = String(r.llcMcse);
  llc.dataset.initLoss = String(r.initLoss);
  llc.dataset.perChain = JSON.stringify(r.llcPerChain);
  $('llc-detail').textContent =
    `(± MCSE; per chain ${r.llcPerChain.map((v) => fmt(v)).join(', ')}; d = ${r.numParams.toLocaleString('en')}, d/2 = ${(r.numParams / 2).toLocaleString('en')}; nβ = ${fmt(r.nbeta, 1)}; ${r.backend})`;
  $('timing').textContent =
    `time to λ̂: ${r.seconds.total.toFixed(1)} s in the worker (data ${r.seconds.data.toFixed(2)} s, training ${r.seconds.train.toFixed(1)} s, sampling ${r.seconds.sample.toFixed(1)} s); ${wall.toFixed(1)} s from the click`;
  $('timing').dataset.seconds = JSON.stringify({ ...r.seconds, wall });
  showFlags(r);
  results.push(r);
  saveResults();
  renderResults();
  setState('done');
  $('status').textContent =
    `done: λ̂ = ${fmt(r.llcMean)} ± ${fmt(r.llcMcse)} for the ${r.config.architecture.toUpperCase()} at k = ${r.config.k}`;
}

function showFlags(r: RunResult): void {
  const list = $('flags');
  list.replaceChildren();
  const summary = `rank-normalised split-R̂ ${fmt(r.rhatRank, 3)}, bulk ESS ${fmt(r.essBulk, 0)}, MALA acceptance ${r.acceptancePerChain.map((a) => fmt(a)).join(', ')}${r.failedChains.length ? `; failed chains (excluded): ${r.failedChains.join(', ')}` : ''}`;
  $('diag-summary').textContent = summary;
  if (r.flags.length === 0) {
    const li = document.createElement('li');
    li.className = 'healthy';
    li.dataset.code = 'healthy';
    li.innerHTML = '<code>healthy</code> no diagnostic flags';
    list.append(li);
    return;
  }
  for (const f of r.flags) {
    const li = document.createElement('li');
    li.dataset.code = f.code;
    const code = document.createElement('code');
    code.textContent = f.code;
    li.append(code, ` ${f.message}`);
    list.append(li);
  }
}

function renderResults(): void {
  const body = document.querySelector('#results tbody')!;
  body.replaceChildren();
  results.forEach((r, i) => {
    const c = r.config;
    const cells = [
      String(i + 1),
      c.architecture.toUpperCase(),
      String(c.k),
      String(c.seed),
      String(c.numTrain),
      String(c.llc.epsilon),
      String(c.llc.gamma),
      fmt(r.nbeta, 1),
      `${c.llc.numChains}×${c.llc.numDraws} (+${c.llc.numBurnin})`,
      String(c.llc.batchSize),
      r.backend,
      String(r.epochs),
      pct(r.trainAccuracy),
      pct(r.testAccuracy),
      fmt(r.initLoss, 4),
      `${fmt(r.llcMean)} ± ${fmt(r.llcMcse)}`,
      r.flags.length ? [...new Set(r.flags.map((f) => f.code))].join(', ') : 'healthy',
      fmt(r.seconds.total, 1),
    ];
    const tr = document.createElement('tr');
    tr.dataset.llc = String(r.llcMean);
    cells.forEach((text, j) => {
      const td = document.createElement('td');
      td.textContent = text;
      if (j === 16) td.className = 'flags';
      tr.append(td);
    });
    body.append(tr);
  });
  drawKCurve();
}

function drawKCurve(): void {
  const series: Series[] = [];
  for (const arch of ['mlp', 'cnn']) {
    const rows = results.filter((r) => r.config.architecture === arch && Number.isFinite(r.llcMean));
    if (rows.length === 0) continue;
    const byK = new Map<number, number[]>();
    for (const r of rows) byK.set(r.config.k, [...(byK.get(r.config.k) ?? []), r.llcMean]);
    const means = [...byK.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length] as [number, number]);
    series.push({ name: `${arch.toUpperCase()} (mean over runs)`, color: ARCH_COLORS[arch], points: means });
    series.push({
      name: `${arch.toUpperCase()} runs ± MCSE`,
      color: ARCH_COLORS[arch],
      points: rows.map((r) => [r.config.k, r.llcMean]),
      errors: rows.map((r) => r.llcMcse),
      markers: true,
      noLine: true,
    });
  }
  drawChart($<HTMLCanvasElement>('chart-k'), {
    title: 'λ̂ against k, from the table',
    xLabel: 'k (labels)',
    yLabel: 'λ̂',
    series,
    xDomain: [1.5, 10.5],
    integerX: true,
    empty: 'runs at several k draw a λ̂-vs-k curve here',
  });
}

function downloadCsv(): void {
  const head = [
    'arch',
    'k',
    'seed',
    'numTrain',
    'numTest',
    'epsilon',
    'gamma',
    'nbeta',
    'chains',
    'draws',
    'burnin',
    'm',
    'epochsMax',
    'trainBatch',
    'lr',
    'backend',
    'epochs',
    'trainAccuracy',
    'testAccuracy',
    'initLoss',
    'llcMean',
    'llcMcse',
    'llcStd',
    'llcPerChain',
    'flags',
    'seconds',
  ];
  const lines = [head.join(',')];
  for (const r of results) {
    const c = r.config;
    const v = [
      c.architecture,
      c.k,
      c.seed,
      c.numTrain,
      c.numTest,
      c.llc.epsilon,
      c.llc.gamma,
      r.nbeta,
      c.llc.numChains,
      c.llc.numDraws,
      c.llc.numBurnin,
      c.llc.batchSize,
      c.train.epochs,
      c.train.batchSize,
      c.train.learningRate,
      r.backend,
      r.epochs,
      r.trainAccuracy,
      r.testAccuracy,
      r.initLoss,
      r.llcMean,
      r.llcMcse,
      r.llcStd,
      r.llcPerChain.join(' '),
      r.flags.map((f) => f.code).join(' '),
      r.seconds.total,
    ];
    lines.push(v.map((x) => JSON.stringify(String(x))).join(','));
  }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
  a.download = 'llc-runs.csv';
  a.click();
  URL.revokeObjectURL(a.href);
}

// ------------------------------------------------------------------ start

buildForm();
showConfig(DEFAULTS);
loadResults();
renderResults();
drawLive();
$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (document.body.dataset.state !== 'running' && document.body.dataset.state !== 'loading') run();
});
$('stop').addEventListener('click', stop);
$('reset').addEventListener('click', () => showConfig(DEFAULTS));
$('csv').addEventListener('click', downloadCsv);
$('clear').addEventListener('click', () => {
  results = [];
  saveResults();
  renderResults();
});
$('backend-select').addEventListener('change', () => {
  backend = $<HTMLSelectElement>('backend-select').value as BackendChoice;
  clearError();
  setState('loading');
  $('status').textContent = `switching to ${backend}…`;
  send({ type: 'backend', name: backend });
});
window.addEventListener('resize', () => {
  drawLive();
  drawKCurve();
});
startWorker();
