/**
 * Resuming a battery run (SGLD or exact) from its results file without losing or mixing anything:
 * a file's results are reused only at the same settings and the same committed code, results for
 * problems outside this run are kept, and a file written at other settings or by other code is
 * never silently replaced (that was the old behaviour: a run with another γ or ε, or after a
 * change in lib/, overwrote the file it was pointed at).
 */
import { canonicalJson } from './store';

export interface StoredRun<R> {
  settings: unknown;
  /** Commit of lib/ that computed the results; null: uncommitted changes. */
  code: string | null;
  results: R[];
}

export interface ResumePlan<R> {
  /** Stored results of problems this run asks for, by id: not recomputed. */
  reused: Map<string, R>;
  /** Stored results of problems this run does not ask for: written back unchanged. */
  kept: R[];
}

/** Pure: the dotted paths at which two settings objects differ, 'a.b 1 → 2', in sorted order. */
export function settingsDiff(before: unknown, after: unknown, prefix = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => settingsDiff(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  return canonicalJson(before) === canonicalJson(after)
    ? []
    : [`${prefix || 'settings'} ${canonicalJson(before) ?? '(none)'} → ${canonicalJson(after) ?? '(none)'}`];
}

/**
 * Pure: what a run of `ids` at `settings` by `code` takes from the stored file `previous` (null:
 * none, or --fresh). Throws, naming the difference and the way out, when the file holds results
 * at other settings or from other code (or uncommitted code), which this run would overwrite.
 */
export function resumePlan<R extends { problem: { id: string } }>(
  previous: StoredRun<R> | null,
  settings: unknown,
  code: string | null,
  ids: string[],
  out: string,
): ResumePlan<R> {
  if (!previous || previous.results.length === 0) return { reused: new Map(), kept: [] };
  const diff = settingsDiff(previous.settings, settings);
  const fix = 'give another --out, or --fresh to replace them';
  if (diff.length)
    throw new Error(`${out} holds ${previous.results.length} results at other settings (${diff.join('; ')}); ${fix}`);
  if (!code || previous.code !== code)
    throw new Error(
      `${out} holds ${previous.results.length} results from ${previous.code ? `commit ${previous.code}` : 'uncommitted code'}, ` +
        `and this run is ${code ? `commit ${code}` : 'uncommitted code (lib/ has changes)'}, so they cannot be resumed; ${fix}`,
    );
  const wanted = new Set(ids);
  const reused = new Map<string, R>();
  const kept: R[] = [];
  for (const r of previous.results) {
    if (wanted.has(r.problem.id)) reused.set(r.problem.id, r);
    else kept.push(r);
  }
  return { reused, kept };
}
