/**
 * Results that are never lost: every file is written to a temp name in the same
 * folder and renamed into place (rename is atomic on POSIX), so a crash mid-write
 * leaves no file that looks finished. Keys are hashes of full configs.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Canonical JSON (sorted keys) so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value != null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 16 hex digits of the SHA-256 of a config's canonical JSON. */
export function configKey(config: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/** Write a file atomically: temp file + fsync + rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(
    path.dirname(file),
    `.tmp-${path.basename(file)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`,
  );
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * JSON has no NaN or ±Infinity (JSON.stringify writes null, which arithmetic then
 * reads as 0): a diverged chain's λ̂ or loss would silently become 0. They are
 * written as the strings "NaN", "Infinity", "-Infinity" and read back as numbers.
 */
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const encodeNonFinite = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
const decodeNonFinite = (_key: string, v: unknown) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v);

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, encodeNonFinite, 1) + '\n');
}

/**
 * Read a JSON file written by writeJsonAtomic, or null if it does not exist.
 *
 * Cache files are never trusted blindly: a file that is not valid JSON, or (for the two
 * caches, recognised by their place: `results/<profile>/<key>.json` and
 * `models/<key>.json`) not a record of the key its name says, is moved aside to a
 * `.quarantine/` folder beside it with a one-line warning naming it, and read as missing —
 * so its cell is recomputed and a sweep or `--list` goes on. `validate` adds a check of
 * its own (it returns what is wrong, or null).
 */
export function readJson<T>(file: string, validate?: (value: unknown) => string | null): T | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text, decodeNonFinite);
  } catch (e) {
    quarantine(file, text.trim() === '' ? 'empty file' : `not valid JSON (${(e as Error).message})`);
    return null;
  }
  const problem = cacheRecordProblem(file, value) ?? validate?.(value) ?? null;
  if (problem) {
    quarantine(file, problem);
    return null;
  }
  return value as T;
}

const HASH_NAME = /^([0-9a-f]{16})\.json$/;
const isObject = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v: unknown) => typeof v === 'number';
const isNumberArray = (v: unknown) => Array.isArray(v) && v.every(isNumber);

/** Fields a result row must have for the code that reads it (diagnostics, summaries, plots). */
const RESULT_FIELDS: [string, (v: unknown) => boolean, string][] = [
  ['config', isObject, 'an object'],
  ['architecture', (v) => typeof v === 'string', 'a string'],
  ['dataset', (v) => typeof v === 'string', 'a string'],
  ['k', isNumber, 'a number'],
  ['seed', isNumber, 'a number'],
  ['numParams', isNumber, 'a number'],
  ['llcMean', isNumber, 'a number'],
  ['llcStd', isNumber, 'a number'],
  ['llcPerChain', isNumberArray, 'a list of numbers'],
  ['lossTraces', (v) => Array.isArray(v) && v.every(isNumberArray), 'a list of lists of numbers'],
  ['initLoss', isNumber, 'a number'],
  ['nbeta', isNumber, 'a number'],
  ['testAccuracy', isNumber, 'a number'],
  ['trainAccuracy', isNumber, 'a number'],
  ['flags', Array.isArray, 'a list'],
];

/** What is wrong with a cache record (by its place: results/<profile>/<key>.json, models/<key>.json), or null. */
export function cacheRecordProblem(file: string, value: unknown): string | null {
  const name = HASH_NAME.exec(path.basename(file));
  if (!name) return null;
  const parent = path.basename(path.dirname(file));
  const grandparent = path.basename(path.dirname(path.dirname(file)));
  const kind = grandparent === 'results' ? 'result' : parent === 'models' ? 'model' : null;
  if (!kind) return null;
  if (!isObject(value))
    return `not a ${kind} record (a JSON ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value})`;
  const keyField = kind === 'result' ? 'key' : 'trainKey';
  if (value[keyField] !== name[1]) {
    return typeof value[keyField] === 'string'
      ? `holds the ${kind} of ${value[keyField]}, not of ${name[1]} (a renamed or copied file)`
      : `not a ${kind} record (no '${keyField}')`;
  }
  const fields: [string, (v: unknown) => boolean, string][] =
    kind === 'result'
      ? RESULT_FIELDS
      : [
          ['history', Array.isArray, 'a list'],
          ['train', isObject, 'an object'],
          ['test', isObject, 'an object'],
          ['stoppedBecause', (v) => typeof v === 'string', 'a string'],
        ];
  for (const [field, ok, what] of fields) {
    if (!(field in value)) return `incomplete ${kind} record: no '${field}'`;
    if (!ok(value[field])) return `malformed ${kind} record: '${field}' is not ${what}`;
  }
  if (kind === 'model' && !fs.existsSync(file.replace(/\.json$/, '.bin')))
    return `its weights file ${name[1]}.bin is missing`;
  return null;
}

/** Where quarantined files go: `.quarantine/` beside them. */
export const quarantineDir = (file: string): string => path.join(path.dirname(file), '.quarantine');

/** Warnings go here (tests replace it). */
export let warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`);
export function setWarn(f: (message: string) => void): void {
  warn = f;
}

/**
 * Move a bad cache file aside (to `.quarantine/<name>.<time>.<ext>` beside it) with one line
 * saying which file, what is wrong and what happens now. Returns the new path (null if
 * another process moved it first).
 */
export function quarantine(file: string, problem: string): string | null {
  const dir = quarantineDir(file);
  const ext = path.extname(file);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = path.join(dir, `${path.basename(file, ext)}.${stamp}-${process.pid}${ext}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.renameSync(file, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const shown = (p: string) => {
    const rel = path.relative(process.cwd(), p);
    return rel && !rel.startsWith('..') ? rel : p;
  };
  const what =
    HASH_NAME.test(path.basename(file)) && path.basename(path.dirname(path.dirname(file))) === 'results'
      ? 'its cell is treated as missing and will be recomputed'
      : 'it is treated as missing';
  warn(`[llc] warning: ${shown(file)}: ${problem}; moved to ${shown(dest)}; ${what}`);
  return dest;
}

/** Weights as one binary blob (float32, concatenated) — the JSON beside it is the "done" marker. */
export function writeWeights(file: string, weights: Float32Array[]): void {
  const total = weights.reduce((a, w) => a + w.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const w of weights) {
    flat.set(w, o);
    o += w.length;
  }
  writeFileAtomic(file, new Uint8Array(flat.buffer));
}

export function readWeights(file: string, sizes: number[]): Float32Array[] {
  const buf = fs.readFileSync(file);
  const flat = new Float32Array(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength - (buf.byteLength % 4)),
  );
  const total = sizes.reduce((a, b) => a + b, 0);
  if (buf.byteLength % 4 !== 0 || flat.length !== total) {
    // A weights file is written before its JSON record: the pair is one cache entry. Move both aside so a rerun retrains.
    const json = file.replace(/\.bin$/, '.json');
    const problem = `holds ${buf.byteLength / 4} floats, expected ${total}`;
    quarantine(file, problem);
    if (json !== file && fs.existsSync(json)) quarantine(json, `its weights file ${path.basename(file)} ${problem}`);
    throw new Error(
      `weights file ${file} ${problem}; both moved to ${quarantineDir(file)}; rerun to retrain this model`,
    );
  }
  let o = 0;
  return sizes.map((s) => flat.slice(o, (o += s)));
}
