/** Resuming a battery run (lib/experiments/resume.ts): reuse only the same settings and code, keep the rest, never overwrite silently. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resumePlan, settingsDiff } from '../lib/experiments/resume';

const result = (id: string) => ({ problem: { id }, estimate: 1 });
const settings = { sampler: { epsilon: 3e-5, gamma: 1 }, n: 2000 };
const stored = { settings, code: 'abc', results: [result('a'), result('b'), result('c')] };

test('resumePlan: the same settings and code reuse the asked-for problems and keep the others', () => {
  const plan = resumePlan(stored, { n: 2000, sampler: { gamma: 1, epsilon: 3e-5 } }, 'abc', ['b', 'd'], 'f.json');
  assert.deepEqual([...plan.reused.keys()], ['b']);
  assert.deepEqual(
    plan.kept.map((r) => r.problem.id),
    ['a', 'c'],
  );
  assert.equal(resumePlan(null, settings, 'abc', ['a'], 'f.json').reused.size, 0);
  assert.equal(resumePlan({ ...stored, results: [] }, { other: 1 }, null, ['a'], 'f.json').kept.length, 0);
});

test('resumePlan: a file at other settings or from other code is refused, naming the difference and the way out', () => {
  assert.throws(
    () => resumePlan(stored, { ...settings, sampler: { epsilon: 3e-5, gamma: 100 } }, 'abc', ['a'], 'f.json'),
    /f\.json holds 3 results at other settings \(sampler\.gamma 1 → 100\); give another --out, or --fresh/,
  );
  assert.throws(
    () => resumePlan(stored, settings, 'def', ['a'], 'f.json'),
    /from commit abc, and this run is commit def/,
  );
  assert.throws(() => resumePlan(stored, settings, null, ['a'], 'f.json'), /uncommitted code \(lib\/ has changes\)/);
  assert.throws(() => resumePlan({ ...stored, code: null }, settings, null, ['a'], 'f.json'), /from uncommitted code/);
});

test('settingsDiff: dotted paths of what changed, added and removed keys included', () => {
  assert.deepEqual(settingsDiff(settings, settings), []);
  assert.deepEqual(settingsDiff({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 3] }, d: true }), [
    'a.c [1,2] → [1,3]',
    'd (none) → true',
  ]);
});
