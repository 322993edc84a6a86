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
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
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

/** Read a JSON file written by writeJsonAtomic, or null if it does not exist. */
export function readJson<T>(file: string): T | null {
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8'), decodeNonFinite) as T;
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
  const flat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (flat.length !== total) throw new Error(`weights file ${file} holds ${flat.length} floats, expected ${total}`);
  let o = 0;
  return sizes.map((s) => flat.slice(o, (o += s)));
}
