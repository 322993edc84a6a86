/**
 * Ground-truth validation of the λ̂ estimator (the fast versions are in test/llc.test.ts,
 * test/groundtruth.test.ts and test/battery.test.ts).
 *
 *   npm run validate                 the fixed 7-problem table quoted in the README (~3 min)
 *   npm run validate -- --battery    the validation battery (lib/validation/battery.ts): 12 random DLN
 *                                    shapes (depth 2–5, widths 2–10, rank 1 / full / between) and
 *                                    linear regressions d = 5, 20, 50, each on problem seeds 0, 1, 2
 *                                    = 45 problems; prints a markdown row per problem and the
 *                                    summary (error distribution, coverage of λ̂ ± 1.96·MCSE,
 *                                    silent failures), writes data/validation/battery.json.
 *   npm run validate -- --battery --exact
 *                                    the exact reference of each problem (lib/validation/reference.ts):
 *                                    λ̂ under the exact localized posterior at the same n, β, γ and w*,
 *                                    by MALA on the full-data loss; writes data/validation/battery-exact.json.
 *   npm run validate -- --battery --report --out F --reference R1,R2
 *                                    the SGLD results in F, and their error against the exact references
 *                                    pooled from R1, R2 (at the same n, γ and nβ, or an error)
 *   --gamma G                        another localization for SGLD and --exact alike (another estimand)
 *   npm run validate -- --help       every flag
 *
 * Sampler (both modes): ε = 3e-5, γ = 1, 4 chains × 6,000 draws after 1,000 burn-in, m = 256,
 * n = 2,000, nβ = n/log n. Time: 28,000 SGLD steps per problem; 37 s each measured on tensorflow
 * (one intra-op thread) for a 170- and a 370-parameter depth-5 shape while a sweep kept both cores
 * busy — the step cost is per-op overhead, nearly independent of the shape — so the default 45
 * problems take ~30 min on a busy 2-core machine, less on an idle one. One core: TensorFlow gets
 * one intra-op thread unless TF_NUM_INTRAOP_THREADS says otherwise (these matrices gain nothing from more).
 * An interrupted battery resumes: results already in the output file under the same settings
 * and the same committed lib/ code are reused, results of problems outside the run are kept, and
 * a file written at other settings or by other code is refused, never overwritten (--fresh
 * replaces it; lib/experiments/resume.ts).
 */
import { execFileSync } from 'child_process';
import { initBackend } from '../lib/engine/backend';
import { dlnProblem } from '../lib/validation/groundtruth';
import { estimateLlc, LlcOptions } from '../lib/estimator/llc';
import { repoPath } from '../lib/experiments/paths';
import { bar, eta, formatDuration, StatusLine } from '../lib/experiments/progress';
import { readJson, writeJsonAtomic } from '../lib/experiments/store';
import { resumePlan, ResumePlan, StoredRun } from '../lib/experiments/resume';
import {
  BATTERY_SAMPLER,
  BatteryResult,
  batteryProblems,
  batterySettings,
  batterySummary,
  problemName,
  resolveBatteryOptions,
  selectProblems,
  withCurrentFlags,
  RESULT_TABLE_HEADER,
  resultRow,
  runBattery,
  summaryLines,
} from '../lib/validation/battery';
import { parseValidateArgs, ValidateArgs, VALIDATE_HELP } from '../lib/cli/validate';
import {
  REFERENCE_TABLE_HEADER,
  ReferenceResult,
  referenceFor,
  referenceRow,
  SAMPLER_ERROR_HEADER,
  samplerErrorRow,
  samplerErrors,
  samplerSummary,
  samplerSummaryLines,
  estimandMismatch,
} from '../lib/validation/reference';
import { EXACT_DEFAULTS, resolveExactOptions } from '../lib/validation/exact';
import { deriveSeed } from '../lib/math/rng';
import { BatteryProblem } from '../lib/validation/battery';

const CASES: { widths: number[]; rank?: number }[] = [
  { widths: [10, 1] }, // linear regression, d = 10: λ = 5
  { widths: [50, 1] }, // d = 50: λ = 25
  { widths: [5, 3, 5], rank: 1 },
  { widths: [5, 3, 5], rank: 3 },
  { widths: [4, 3, 3, 4], rank: 1 },
  { widths: [5, 4, 3, 5], rank: 2 },
  { widths: [8, 6, 4, 6, 8], rank: 2 },
];

const describe = (s: LlcOptions, n: number) =>
  `n = ${n}, SGLD ε = ${s.epsilon}, γ = ${s.gamma}, ${s.numChains} chains × ${s.numDraws} draws (+${s.numBurnin} burn-in), m = ${s.batchSize}, nβ = n/log n${s.controlVariate ? ', control variate (L_m(w) − L_m(w*))' : ''}`;

/** The README's table: seven hand-picked problems. */
function table(sampler: LlcOptions, backend: string): void {
  const status = new StatusLine();
  console.log(`backend ${backend}; ${describe(sampler, 2000)}`);
  console.log('| model | d | d/2 | true λ | λ̂ (mean ± sd over chains) | error | flags | seconds |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of CASES) {
    const p = dlnProblem({ widths: c.widths, rank: c.rank, n: 2000, seed: 0 });
    try {
      const r = estimateLlc(p.lossFn, p.wStar, p.data, {
        ...sampler,
        onStep: (s, t) => status.update(`${p.name} ${bar(s / t)}`),
      });
      status.done();
      const name = c.widths.length === 2 ? `linear regression ${c.widths[0]}→${c.widths[1]}` : p.name;
      const err = (100 * (r.llcMean - p.truth)) / p.truth;
      console.log(
        `| ${name} | ${p.numParams} | ${p.numParams / 2} | ${p.truth} | ${r.llcMean.toFixed(2)} ± ${r.llcStd.toFixed(2)} | ${err >= 0 ? '+' : ''}${err.toFixed(1)} % | ${[...new Set(r.diagnostics.flags.map((f) => f.code))].join(', ') || '–'} | ${r.seconds.toFixed(0)} |`,
      );
    } finally {
      p.dispose();
    }
  }
}

/**
 * The commit that last changed lib/ — the code the results come from — or null when lib/ has
 * uncommitted changes (then nothing can be resumed). Commits elsewhere (results, README) leave it
 * alone, so a battery interrupted across sessions resumes.
 */
function codeVersion(): string | null {
  try {
    const lastLibCommit = execFileSync('git', ['log', '-1', '--format=%H', '--', 'lib'], {
      cwd: repoPath(),
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], {
      cwd: repoPath(),
      encoding: 'utf8',
    }).trim();
    return dirty ? null : lastLibCommit;
  } catch {
    return null;
  }
}

/** resumePlan (experiments/resume.ts) for this run, its choice said on stderr; a refusal exits with the reason. */
function resume<R extends { problem: { id: string } }>(
  previous: StoredRun<R> | null,
  settings: unknown,
  code: string | null,
  problems: BatteryProblem[],
  out: string,
): ResumePlan<R> {
  let plan: ResumePlan<R>;
  try {
    plan = resumePlan(
      previous,
      settings,
      code,
      problems.map((p) => p.id),
      out,
    );
  } catch (e) {
    console.error(`validate: ${(e as Error).message}`);
    process.exit(2);
  }
  if (plan.reused.size)
    console.error(
      `reusing ${plan.reused.size} of ${problems.length} results from ${out} (same settings and code; --fresh recomputes them)`,
    );
  if (plan.kept.length)
    console.error(`keeping the ${plan.kept.length} results in ${out} for problems this run does not include`);
  return plan;
}

interface BatteryFile {
  settings: ReturnType<typeof batterySettings>;
  /** Git commit of the code (null: uncommitted changes in lib/). */
  code: string | null;
  backend: string;
  options: ReturnType<typeof resolveBatteryOptions>;
  complete: boolean;
  results: BatteryResult[];
  summary: ReturnType<typeof batterySummary>;
}

const fileProblem = (v: unknown): string | null =>
  v != null &&
  typeof v === 'object' &&
  Array.isArray((v as BatteryFile).results) &&
  typeof (v as BatteryFile).settings === 'object'
    ? null
    : 'not a battery results file (no settings and results)';

/** --report: the stored results' table and summary as today's code scores them (no sampling). */
function batteryReport(out: string, reference?: string[]): void {
  const stored = readJson<BatteryFile>(out, fileProblem);
  if (!stored) throw new Error(`--report: no battery results at ${out}; run \`npm run validate -- --battery\` first`);
  stored.results = stored.results.map(withCurrentFlags);
  console.log(
    `Validation battery results in ${out}: ${stored.results.length} problems${stored.complete ? '' : ' (INCOMPLETE run)'}, computed by commit ${stored.code ?? 'with uncommitted changes'} on ${stored.backend}; ${describe({ ...BATTERY_SAMPLER, ...stored.settings.sampler }, stored.settings.n)}\n`,
  );
  console.log(RESULT_TABLE_HEADER.join('\n'));
  stored.results.forEach((r, i) => console.log(resultRow(r, i)));
  console.log('');
  for (const line of summaryLines(batterySummary(stored.results))) console.log(line);
  if (!reference) return;
  const files = reference.map((file) => {
    const refs = readJson<ReferenceFile>(file, referenceFileProblem);
    if (!refs)
      throw new Error(
        `--reference: no exact references at ${file}; run \`npm run validate -- --battery --exact\` first`,
      );
    const mismatch = estimandMismatch(
      { n: stored.settings.n, gamma: stored.settings.sampler.gamma, nbeta: stored.settings.sampler.nbeta },
      { n: refs.settings.n, gamma: refs.settings.exact.gamma, nbeta: refs.settings.exact.nbeta },
    );
    if (mismatch) throw new Error(`--reference ${file}: ${mismatch}`);
    return refs;
  });
  const errors = samplerErrors(
    stored.results,
    files.flatMap((f) => f.results),
  );
  console.log(
    `\nAgainst the exact references in ${reference.join(', ')} (${errors.length} of ${stored.results.length} problems have one): the sampler's error alone, and the estimand's\n`,
  );
  console.log(SAMPLER_ERROR_HEADER.join('\n'));
  for (const e of errors) console.log(samplerErrorRow(e));
  console.log('');
  for (const line of samplerSummaryLines(samplerSummary(errors))) console.log(line);
}

interface ReferenceFile {
  settings: { exact: ReturnType<typeof resolveExactOptions>; n: number };
  code: string | null;
  complete: boolean;
  results: ReferenceResult[];
}

const referenceFileProblem = (v: unknown): string | null =>
  v != null &&
  typeof v === 'object' &&
  Array.isArray((v as ReferenceFile).results) &&
  typeof (v as ReferenceFile).settings === 'object'
    ? null
    : 'not an exact-reference file (no settings and results)';

/** --exact: each problem's exact reference (MALA on the exact localized posterior), resumable like the SGLD battery. */
function exactBattery(args: ValidateArgs, problems: BatteryProblem[], n: number): void {
  const out = args.out ?? repoPath('data', 'validation', 'battery-exact.json');
  if (args.report) return exactReport(out);
  const settings = { exact: resolveExactOptions({ gamma: args.sampler.gamma }, n), n };
  const code = codeVersion();
  const previous = args.fresh ? null : readJson<ReferenceFile>(out, referenceFileProblem);
  console.log(
    `Exact references: ${problems.length} problems; MALA with accept/reject on the full-data loss (lib/validation/exact.ts), γ = ${settings.exact.gamma}, nβ = n/log n, n = ${n}, ${EXACT_DEFAULTS.numChains} chains from w*, ε tuned to acceptance ${EXACT_DEFAULTS.targetAcceptance} during ${EXACT_DEFAULTS.burninRelaxations} relaxation times of burn-in, ${EXACT_DEFAULTS.drawRelaxations} of draws (at most ${EXACT_DEFAULTS.maxSteps.toLocaleString('en')} steps per chain)`,
  );
  const { reused, kept } = resume(previous, settings, code, problems, out);
  console.log('');
  console.log(REFERENCE_TABLE_HEADER.join('\n'));
  const status = new StatusLine();
  const results: ReferenceResult[] = [];
  const save = (complete: boolean) =>
    writeJsonAtomic(out, { settings, code, complete, results: [...kept, ...results] } satisfies ReferenceFile);
  const start = Date.now();
  problems.forEach((problem, index) => {
    const r =
      reused.get(problem.id) ??
      referenceFor(problem, deriveSeed(0, problem.id), {
        gamma: settings.exact.gamma,
        onStep: (chain, step, epsilon) =>
          status.update(
            `${index + 1}/${problems.length} ${problemName(problem)} chain ${chain + 1}/${EXACT_DEFAULTS.numChains} step ${step.toLocaleString('en')} (ε ${epsilon.toExponential(1)}) ${formatDuration((Date.now() - start) / 1000)} elapsed`,
          ),
      });
    results.push(r);
    status.done();
    console.log(referenceRow(r, index));
    save(false);
  });
  save(true);
  console.log(`\n(${formatDuration((Date.now() - start) / 1000)}; references in ${out})`);
}

function exactReport(out: string): void {
  const stored = readJson<ReferenceFile>(out, referenceFileProblem);
  if (!stored)
    throw new Error(`--report: no exact references at ${out}; run \`npm run validate -- --battery --exact\` first`);
  console.log(
    `Exact references in ${out}: ${stored.results.length} problems${stored.complete ? '' : ' (INCOMPLETE run)'}, n = ${stored.settings.n}, computed by commit ${stored.code ?? 'with uncommitted changes'}\n`,
  );
  console.log(REFERENCE_TABLE_HEADER.join('\n'));
  stored.results.forEach((r, i) => console.log(referenceRow(r, i)));
}

function battery(args: ValidateArgs, backend: string): void {
  if (args.report && !args.exact)
    return batteryReport(args.out ?? repoPath('data', 'validation', 'battery.json'), args.reference);
  const options = resolveBatteryOptions(args.options);
  let problems = batteryProblems(options);
  try {
    if (args.only) problems = selectProblems(problems, args.only);
  } catch (e) {
    console.error(`validate: --only: ${(e as Error).message}`);
    process.exit(2);
  }
  if (args.exact) return exactBattery(args, problems, options.n);
  const sampler = { ...BATTERY_SAMPLER, ...args.sampler };
  const settings = batterySettings(sampler, options.n, args.stepCheck, args.stabilityCheck);
  const out = args.out ?? repoPath('data', 'validation', 'battery.json');
  const code = codeVersion();

  const previous = args.fresh ? null : readJson<BatteryFile>(out, fileProblem);
  const depths = [...new Set(problems.map((p) => p.widths.length - 1))].sort().join(', ');
  console.log(
    `Validation battery: ${problems.length} problems (${options.shapes} random DLN shapes, shape seed ${options.shapeSeed}; regressions d = ${options.regressionDims.join(', ')}; depths ${depths}; problem seeds ${options.problemSeeds.join(', ')})${args.only ? `; only ${args.only.join(', ')}` : ''}`,
  );
  console.log(
    `backend ${backend}; ${describe(sampler, options.n)}; chains seeded by deriveSeed(${sampler.seed}, problem id)${args.stepCheck ? '; step-size check: every problem again at ε/2' : ''}${args.stabilityCheck ? '; stability check: ε·h_max at 4 draws per chain' : ''}`,
  );
  const { reused, kept } = resume(previous, settings, code, problems, out);
  console.log('');
  console.log(RESULT_TABLE_HEADER.join('\n'));

  const status = new StatusLine();
  const results: BatteryResult[] = [];
  const save = (complete: boolean) =>
    writeJsonAtomic(out, {
      settings,
      code,
      backend,
      options,
      complete,
      results: [...kept, ...results],
      summary: batterySummary([...kept, ...results]),
    } satisfies BatteryFile);
  const todo = problems.filter((p) => !reused.has(p.id)).length;
  const start = Date.now();
  let ran = 0;
  problems.forEach((problem, index) => {
    let r = reused.get(problem.id);
    if (!r) {
      [r] = runBattery(
        [problem],
        sampler,
        (p) => {
          const fraction = (ran + p.step / p.stepsPerProblem) / todo;
          const elapsed = (Date.now() - start) / 1000;
          status.update(
            `${index + 1}/${problems.length} ${problemName(problem)} ${bar(fraction)} ${formatDuration(elapsed)} elapsed, ETA ${formatDuration(fraction > 0.01 ? eta(elapsed, fraction) : NaN)}`,
          );
        },
        undefined,
        args.stepCheck,
        args.stabilityCheck,
      );
      ran++;
    }
    results.push(r);
    status.done();
    console.log(resultRow(r, index));
    save(false);
  });
  save(true);
  console.log('');
  for (const line of summaryLines(batterySummary(results))) console.log(line);
  console.log(`\n(${formatDuration((Date.now() - start) / 1000)}; results in ${out})`);
}

async function main(): Promise<void> {
  let args: ValidateArgs;
  try {
    args = parseValidateArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`validate: ${(e as Error).message}`);
    process.exit(2);
  }
  if (args.help) return void console.log(VALIDATE_HELP);
  // Read by tfjs-node when initBackend loads it (as lib/experiments/runner.ts sets them for its workers).
  for (const v of ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'OMP_NUM_THREADS']) process.env[v] ??= '1';
  const backend = await initBackend();
  if (args.battery) battery(args, backend);
  else table({ ...BATTERY_SAMPLER, ...args.sampler }, backend);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
