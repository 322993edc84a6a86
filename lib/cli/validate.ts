/**
 * The command line of scripts/validate.ts (the validation battery), kept pure so it can be tested.
 */
import { BATTERY_DEFAULTS, BATTERY_SAMPLER, BatteryOptions } from '../validation/battery';
import { LlcOptions } from '../estimator/llc';
import { eachFlag, nonNegativeInt, parseNumber, positiveInt } from './flags';

export interface ValidateArgs {
  battery: boolean;
  help: boolean;
  /** Battery options from --shapes, --shape-seed, --seeds, --n. */
  options: BatteryOptions;
  /** Sampler overrides from --chains, --draws, --burnin, --epsilon, --batch-size, --control-variate. */
  sampler: LlcOptions;
  out?: string;
  /** Recompute every problem even if the output file holds results of the same settings. */
  fresh: boolean;
  /** Also run every problem at ε/2 and flag a λ̂ that moves (estimator/stepcheck.ts). */
  stepCheck: boolean;
  /** Also measure ε·h_max at each chain's draws and flag a step near SGLD's stability limit (estimator/stability.ts). */
  stabilityCheck: boolean;
  /** Print the table and summary of the results already in --out, scored by today's code, and run nothing. */
  report: boolean;
  /** Run only these problem ids (e.g. dln-2-6-6-10-r2-s1); needs its own --out. */
  only?: string[];
  /** Compute the exact reference (validation/reference.ts, MALA on the exact posterior) instead of SGLD. */
  exact: boolean;
  /** With --report: the exact-reference files (comma-separated, their problems pooled) to score the SGLD results against (the sampler's error alone). */
  reference?: string[];
}

export const VALIDATE_USAGE = `usage: validate [--battery [--shapes N] [--shape-seed N] [--seeds 0,1,2] [--n N] [--step-check | --stability-check | --exact] [--only IDS] [--out FILE] [--fresh | --report [--reference FILES]]]
                [--chains N] [--draws N] [--burnin N] [--epsilon X] [--batch-size M] [--control-variate] [--gamma G] [--help]`;

export const VALIDATE_HELP = `${VALIDATE_USAGE}

  (no flag)        the fixed 7-problem table quoted in the README
  --battery        the validation battery: random DLN shapes × problem seeds and regressions
  --shapes N       random DLN shapes [default ${BATTERY_DEFAULTS.shapes}]
  --shape-seed N   seed of the shapes; another seed draws a held-back set [default ${BATTERY_DEFAULTS.shapeSeed}]
  --seeds LIST     problem seeds, comma-separated integers ≥ 0 [default ${BATTERY_DEFAULTS.problemSeeds.join(',')}]
  --n N            training examples per problem; nβ = n/log n follows [default ${BATTERY_DEFAULTS.n}]
  --step-check     also run each problem at ε/2 and flag λ̂ that moves with the step size (twice the time)
  --stability-check  also measure ε·h_max (the step against the curvature) at 4 draws of every chain and
                   flag ε·h_max > 1: near SGLD's stability limit (4) the chain runs hot (estimator/stability.ts)
  --only IDS       run only these problems, comma-separated ids (e.g. dln-2-6-6-10-r2-s1,reg-20-s0);
                   needs --out, so a subset never replaces the whole battery's file
  --exact          instead of SGLD, the exact reference: each problem's λ̂ under the exact localized
                   posterior at the same n, β, γ and w* (MALA with accept/reject on the full-data
                   loss, validation/exact.ts); its error against λ is the estimand's, not the sampler's
                   [default --out data/validation/battery-exact.json]
  --out FILE       results JSON [default data/validation/battery.json]
  --fresh          recompute problems already in --out with the same settings
  --report         print the table and summary of the results in --out (scored by today's code); run nothing
  --reference FILES  with --report: also score the SGLD results against the exact references in FILES
                   (comma-separated; their problems are pooled, a problem in two files is an error)
  --chains N       SGLD chains per problem [default ${BATTERY_SAMPLER.numChains}]
  --draws N        SGLD draws kept per chain [default ${BATTERY_SAMPLER.numDraws}]
  --burnin N       SGLD burn-in steps per chain, an integer ≥ 0 [default ${BATTERY_SAMPLER.numBurnin}]
  --epsilon X      SGLD step size, a number in (0, 1) [default ${BATTERY_SAMPLER.epsilon}]
  --batch-size M   examples per SGLD step (m, drawn with replacement); m = n (2000 unless --n) has
                   8× less minibatch gradient variance than the default [default ${BATTERY_SAMPLER.batchSize}]
  --control-variate  each draw's loss minus the loss at w* on the same minibatch (estimator/llc.ts
                   controlVariate: same λ, less minibatch noise, one more forward pass per step)
  --gamma G        localization γ of SGLD and of --exact alike, a number > 0 (it changes the estimand:
                   score SGLD only against exact references at the same γ) [default ${BATTERY_SAMPLER.gamma}]`;

const BATTERY_ONLY = [
  '--shapes',
  '--shape-seed',
  '--seeds',
  '--n',
  '--step-check',
  '--stability-check',
  '--only',
  '--out',
  '--fresh',
  '--report',
  '--exact',
  '--reference',
];

const SAMPLER_FLAGS = ['--chains', '--draws', '--burnin', '--epsilon', '--batch-size', '--control-variate'];

/** Parse scripts/validate.ts's command line (pure; errors name the flag, the value and what is valid). */
export function parseValidateArgs(argv: string[]): ValidateArgs {
  const a: ValidateArgs = {
    battery: false,
    help: false,
    options: {},
    sampler: {},
    fresh: false,
    stepCheck: false,
    stabilityCheck: false,
    report: false,
    exact: false,
  };
  const seen: string[] = [];
  eachFlag(argv, VALIDATE_USAGE, (flag, value) => {
    if (seen.includes(flag)) throw new Error(`${flag} is given twice; give it once`);
    seen.push(flag);
    switch (flag) {
      case '--battery':
        a.battery = true;
        break;
      case '--help':
      case '-h':
        a.help = true;
        break;
      case '--fresh':
        a.fresh = true;
        break;
      case '--step-check':
        a.stepCheck = true;
        break;
      case '--stability-check':
        a.stabilityCheck = true;
        break;
      case '--report':
        a.report = true;
        break;
      case '--exact':
        a.exact = true;
        break;
      case '--reference':
        a.reference = idList(
          flag,
          value(),
          'file',
          'data/validation/battery-exact.json,data/validation/more-exact.json',
        );
        break;
      case '--shapes':
        a.options.shapes = positiveInt(flag, value());
        break;
      case '--shape-seed':
        a.options.shapeSeed = nonNegativeInt(flag, value());
        break;
      case '--n':
        a.options.n = positiveInt(flag, value());
        break;
      case '--seeds':
        a.options.problemSeeds = seedList(flag, value());
        break;
      case '--only':
        a.only = idList(flag, value());
        break;
      case '--out':
        a.out = value();
        break;
      case '--chains':
        a.sampler.numChains = positiveInt(flag, value());
        break;
      case '--draws':
        a.sampler.numDraws = positiveInt(flag, value());
        break;
      case '--burnin':
        a.sampler.numBurnin = nonNegativeInt(flag, value());
        break;
      case '--epsilon':
        a.sampler.epsilon = parseNumber(flag, value(), (v) => v > 0 && v < 1, 'a number in (0, 1), e.g. 1e-5');
        break;
      case '--batch-size':
        a.sampler.batchSize = positiveInt(flag, value());
        break;
      case '--control-variate':
        a.sampler.controlVariate = true;
        break;
      case '--gamma':
        a.sampler.gamma = parseNumber(flag, value(), (v) => v > 0 && Number.isFinite(v), 'a number > 0, e.g. 100');
        break;
      default:
        throw new Error(
          `unknown option '${flag}'; valid: --battery, ${BATTERY_ONLY.join(', ')}, ${SAMPLER_FLAGS.join(', ')}, --gamma, --help\n${VALIDATE_USAGE}`,
        );
    }
  });
  const stray = seen.filter((f) => BATTERY_ONLY.includes(f));
  if (!a.battery && !a.help && stray.length)
    throw new Error(`${stray.join(', ')} only apply to the battery: add --battery`);
  if (a.report && a.fresh) throw new Error('--report prints stored results and --fresh recomputes them: give one');
  if (a.exact && (a.stepCheck || a.stabilityCheck))
    throw new Error(
      `${a.stepCheck ? '--step-check' : '--stability-check'} is an SGLD check and --exact runs no SGLD: give one`,
    );
  if (a.stepCheck && a.stabilityCheck)
    throw new Error('--step-check and --stability-check each run the chains their own way: give one');
  if (a.reference && !a.report) throw new Error('--reference scores stored results: add --report');
  if (a.exact && seen.some((f) => SAMPLER_FLAGS.includes(f)))
    throw new Error(
      `${seen.filter((f) => SAMPLER_FLAGS.includes(f)).join(', ')} set the SGLD sampler, which --exact does not run`,
    );
  if (a.only && !a.out)
    throw new Error("--only needs --out FILE: a subset must not replace the whole battery's results");
  return a;
}

function seedList(flag: string, text: string): number[] {
  const seeds = text.split(',').map((t) => {
    if (!/^\d+$/.test(t.trim())) throw new Error(`${flag}: '${t}' is not an integer ≥ 0 (give e.g. 0,1,2)`);
    return Number(t);
  });
  if (new Set(seeds).size !== seeds.length) throw new Error(`${flag}: a seed is listed twice in '${text}'`);
  return seeds;
}

function idList(flag: string, text: string, what = 'id', example = 'dln-5-3-5-r1-s0,reg-20-s1'): string[] {
  const ids = text.split(',').map((t) => t.trim());
  if (ids.some((id) => id === '')) throw new Error(`${flag}: an empty ${what} in '${text}' (give e.g. ${example})`);
  if (new Set(ids).size !== ids.length) throw new Error(`${flag}: a ${what} is listed twice in '${text}'`);
  return ids;
}
