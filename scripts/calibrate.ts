/**
 * Calibrate the sampler for a dataset at a profile's n (lib/experiments/calibration.ts states the rule),
 * save the choice to data/calibration/<dataset>.json (read by `--profile calibrated`) and
 * print the grid. Every point is an ordinary cell under data/results/calibration-<dataset>/:
 * cached, resumable, computed by the runner's workers.
 *
 *   npm run calibrate                          MNIST at the full profile's n (~1 h on 2 cores, native engine)
 *   npm run calibrate -- --dataset mnist1d
 *   npm run calibrate -- --workers 2 --ks 2,10 --epsilons 1e-6,1e-5,1e-4 --gammas 10,100
 *   npm run calibrate -- --cached-only        decide from computed points only; save as incomplete if more are needed
 *   npm run calibrate -- --redecide [--variant long8k]   judge a saved search's points by today's rule
 *                                             (lib redecide: nothing computed, timings kept): after a rule change
 *   npm run calibrate -- --no-polish          the models as the profile trains them, without train.ts POLISH
 *                                             (how data/calibration/mnist1d.json was made)
 *   npm run calibrate -- --no-polish --variant plateau   the same, saved as data/calibration/mnist-plateau.json
 *                                             (kept for the record; the calibrated profile reads only <dataset>.json)
 */
import {
  CALIBRATION_DEFAULTS,
  calibrationPath,
  calibrationRule,
  CalibrationOptions,
  CalibrationResult,
  chooseNbetaFactor,
  chooseStage1,
  nextStage1Cells,
  CalibrationPoint,
  readCalibration,
  redecide as redecideSearch,
  burninFor,
  stage2Cells,
  toPoint,
  writeCalibration,
} from '../lib/experiments/calibration';
import { eachFlag, parseNumber, positiveInt, runMain } from '../lib/cli/flags';
import { Dataset, DATASETS } from '../lib/experiments/cell';
import { markdownTable } from '../lib/report/report';
import { loadCellResults, runCells } from '../lib/experiments/runner';
import { ResultRow } from '../lib/experiments/experiment';
import { getProfile, sweepCells } from '../lib/experiments/sweeps';
import { POLISH, PolishStage } from '../lib/train/train';
import { Architecture } from '../lib/models/models';

const USAGE = `usage: calibrate [--dataset mnist|mnist1d] [--profile full] [--workers N] [--cached-only | --redecide] [--no-polish] [--variant NAME] [--ks 2,10] [--epsilons a,b,...] [--gammas a,b,...] [--nbeta-factors a,b,...]
                 [--chains N] [--draws N] [--burnin N] [--burnin-relaxations R] [--max-burnin N] [--flat-tolerance F]
  defaults: dataset mnist, profile full (its n and training, then the polish: ${POLISH.map((p) => `${p.epochs} epochs at lr ${p.learningRate}`).join(', ')}), workers = cores, ks ${CALIBRATION_DEFAULTS.ks.join(',')},
  epsilons ${CALIBRATION_DEFAULTS.epsilons.join(',')}, gammas ${CALIBRATION_DEFAULTS.gammas.join(',')}, nbeta factors ${CALIBRATION_DEFAULTS.nbetaFactors.join(',')},
  ${CALIBRATION_DEFAULTS.numChains} chains of ${CALIBRATION_DEFAULTS.numDraws} draws after max(${CALIBRATION_DEFAULTS.numBurnin}, ${CALIBRATION_DEFAULTS.burninRelaxations}/(εγ)) burn-in steps (0 relaxations: always --burnin), at most ${CALIBRATION_DEFAULTS.maxBurnin}`;

function numbers(flag: string, text: string): number[] {
  const out = text.split(',').map(Number);
  const bad = text.split(',').find((t, i) => !(out[i] > 0) || !Number.isFinite(out[i]));
  if (bad != null) throw new Error(`${flag}: '${bad}' is not a positive number\n${USAGE}`);
  return out;
}

async function main(): Promise<number> {
  let dataset: Dataset = 'mnist';
  let profileName = 'full';
  let workers: number | undefined;
  let cachedOnly = false;
  let redecide = false;
  let polish: PolishStage[] | null = POLISH;
  let variant: string | undefined;
  const options: CalibrationOptions = {};
  try {
    eachFlag(process.argv.slice(2), USAGE, (flag, value) => {
      switch (flag) {
        case '--dataset': {
          const d = value();
          if (!(DATASETS as readonly string[]).includes(d))
            throw new Error(`unknown dataset '${d}'; valid: ${DATASETS.join(', ')}`);
          dataset = d as Dataset;
          break;
        }
        case '--profile':
          profileName = value();
          break;
        case '--workers':
          workers = positiveInt('--workers', value());
          break;
        case '--redecide':
          redecide = true;
          break;
        case '--cached-only':
          cachedOnly = true;
          break;
        case '--no-polish':
          polish = null;
          break;
        case '--variant': {
          const v = value();
          if (!/^[a-z0-9-]+$/.test(v)) throw new Error(`--variant: '${v}' must be lower-case letters, digits and '-'`);
          variant = v;
          break;
        }
        case '--ks':
          options.ks = numbers('--ks', value());
          break;
        case '--epsilons':
          options.epsilons = numbers('--epsilons', value());
          break;
        case '--gammas':
          options.gammas = numbers('--gammas', value());
          break;
        case '--nbeta-factors':
          options.nbetaFactors = numbers('--nbeta-factors', value());
          break;
        case '--chains':
          options.numChains = positiveInt('--chains', value());
          break;
        case '--draws':
          options.numDraws = positiveInt('--draws', value());
          break;
        case '--burnin':
          options.numBurnin = positiveInt('--burnin', value());
          break;
        case '--max-burnin':
          options.maxBurnin = positiveInt('--max-burnin', value());
          break;
        case '--flat-tolerance':
          options.flatTolerance = parseNumber(
            '--flat-tolerance',
            value(),
            (x) => x >= 0 && x < 1,
            'a fraction in [0, 1)',
          );
          break;
        case '--burnin-relaxations':
          options.burninRelaxations = parseNumber(
            '--burnin-relaxations',
            value(),
            (v) => v >= 0,
            'a number ≥ 0, e.g. 3',
          );
          break;
        case '--help':
        case '-h':
          throw new Error(USAGE);
        default:
          throw new Error(`unknown option '${flag}'\n${USAGE}`);
      }
    });
  } catch (e) {
    console.error((e as Error).message);
    return (e as Error).message === USAGE ? 0 : 2;
  }
  if (redecide) {
    const saved = readCalibration(dataset, undefined, variant);
    if (saved == null) {
      console.error(`--redecide: no saved search at ${calibrationPath(dataset, undefined, variant)}`);
      return 2;
    }
    const result = redecideSearch(saved, options);
    const file = writeCalibration(result, undefined, variant);
    console.log(`${file}: ${result.rule}`);
    console.log(`before: ${choiceText(saved)}\nnow:    ${choiceText(result)}`);
    return 0;
  }
  const o = { ...CALIBRATION_DEFAULTS, ...options };
  const profile = getProfile(profileName);
  const first = sweepCells('writeup', profile, { dataset, ks: [o.ks[0]], seeds: [0], architectures: ['mlp'] })[0];
  const base = polish ? { ...first, train: { ...first.train, polish } } : first;
  const folder = `calibration-${dataset}`;
  const t0 = Date.now();
  console.error(
    `calibration of ${dataset} at profile '${profileName}' (n = ${base.numTrain}, ${polish ? 'polished models' : 'no polish'}); rule: ${calibrationRule(o)}`,
  );

  let points: CalibrationPoint[] = [];
  let complete = true;
  let cellSeconds = 0; // compute time of the points' cells (training + SGLD), from their rows
  const addRows = (rows: ResultRow[]) => {
    points = points.concat(rows.map((r) => toPoint(r, o)));
    cellSeconds += rows.reduce((a, r) => a + r.trainSeconds + r.llcSeconds, 0);
  };
  for (let wave = 1; ; wave++) {
    const cells = nextStage1Cells(points, base, o);
    if (cells.length === 0) break;
    if (cachedOnly && loadCellResults(cells, folder).some((r) => r == null)) {
      console.error(`--cached-only: wave ${wave} needs cells not computed yet; saving the search so far as incomplete`);
      complete = false;
      break;
    }
    const what = [...new Set(cells.map((c) => `${c.architecture} γ=${c.llc.gamma} ε=${c.llc.epsilon}`))].join('; ');
    console.error(`stage 1, wave ${wave}: ${cells.length} points (${what})`);
    const rows = await runCells(cells, { profile: folder, workers });
    addRows(rows);
  }
  const s1 = chooseStage1(points, o);
  let chosen: CalibrationResult['chosen'] = null;
  const cells2 = s1.gamma != null ? stage2Cells(base, { gamma: s1.gamma, epsilon: s1.epsilon }, o) : [];
  if (complete && cachedOnly && loadCellResults(cells2, folder).some((r) => r == null)) {
    console.error('--cached-only: stage 2 needs cells not computed yet; saving the search so far as incomplete');
    complete = false;
  }
  if (complete && s1.gamma != null) {
    console.error(`stage 2: nβ factors at γ = ${s1.gamma}, ε ${JSON.stringify(s1.epsilon)}: ${cells2.length} points`);
    const rows2 = await runCells(cells2, { profile: folder, workers });
    addRows(rows2);
    const factor = chooseNbetaFactor(points, { gamma: s1.gamma, epsilon: s1.epsilon }, o);
    if (factor != null) {
      const numBurnin = Object.fromEntries(
        Object.entries(s1.epsilon).map(([a, e]) => [a, burninFor(e, s1.gamma!, o)!]),
      ) as NonNullable<CalibrationResult['chosen']>['numBurnin'];
      chosen = { gamma: s1.gamma, nbetaFactor: factor, epsilon: s1.epsilon, numBurnin };
    }
  }
  const result: CalibrationResult = {
    dataset,
    profile: profileName,
    numTrain: base.numTrain,
    polish,
    options: o,
    rule: calibrationRule(o),
    complete,
    chosen,
    perGamma: s1.perGamma,
    points,
    seconds: (Date.now() - t0) / 1000,
    cellSeconds,
    finishedAt: new Date().toISOString(),
  };
  const file = writeCalibration(result, undefined, variant);
  console.log(
    markdownTable(
      points.map((p) => ({ ...p, flags: p.flags.join(',') || '–', reasons: p.reasons.join('; ') || 'healthy' })),
    ),
  );
  console.log(`\nper γ: ${perGammaText(s1.perGamma)}`);
  if (!complete) console.log('INCOMPLETE: the search needs more points; rerun without --cached-only to compute them');
  console.log(
    chosen
      ? `chosen: γ = ${chosen.gamma}, nβ = ${chosen.nbetaFactor} × n/log n, ε ${Object.entries(chosen.epsilon)
          .map(([a, e]) => `${a} ${e} (burn-in ${chosen!.numBurnin?.[a as Architecture] ?? o.numBurnin})`)
          .join(', ')}`
      : 'no setting passed the rule (see the reasons above)',
  );
  console.log(`wrote ${file} (${(result.seconds / 60).toFixed(1)} min)`);
  return 0;
}

/** What the rule found at each γ, in one line. */
function perGammaText(perGamma: CalibrationResult['perGamma']): string {
  return perGamma
    .map(
      (g) =>
        `γ=${g.gamma}: ${Object.entries(g.epsilon)
          .map(([a, e]) => `${a} ε=${e ?? 'none'}`)
          .join(', ')}`,
    )
    .join(' | ');
}

/** The choice of a search in one line. */
function choiceText(c: CalibrationResult): string {
  const chosen = c.chosen
    ? `chosen γ = ${c.chosen.gamma}, nβ factor ${c.chosen.nbetaFactor}, ε ${JSON.stringify(c.chosen.epsilon)}`
    : c.complete
      ? 'no setting passed'
      : 'incomplete: the rule needs points this search lacks (rerun it)';
  return `${perGammaText(c.perGamma)}; ${chosen}`;
}

runMain(main);
