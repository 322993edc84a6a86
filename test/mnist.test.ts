import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { test } from 'node:test';
import {
  defaultMnistDir,
  loadMnist,
  MNIST_FILES,
  MNIST_LABEL_COUNTS,
  normalizePixels,
  readIdxFile,
} from '../lib/data/mnist';

const labelsFile = path.join(defaultMnistDir(), MNIST_FILES.testLabels.name);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llc-mnist-'));

test('loads the four original files with their counts, shapes and labels', () => {
  const m = loadMnist();
  assert.equal(m.train.count, 60000);
  assert.equal(m.test.count, 10000);
  assert.equal(m.train.images.length, 60000 * 784);
  assert.equal(m.test.labels.length, 10000);
  // The per-digit counts the sweeps size tasks by (5,923 zeros and 6,742 ones: n = 12,665).
  const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, d) => labels.filter((l) => l === d).length);
  assert.deepEqual(counts(m.train.labels), MNIST_LABEL_COUNTS.train);
  assert.deepEqual(counts(m.test.labels), MNIST_LABEL_COUNTS.test);
  assert.equal(MNIST_LABEL_COUNTS.train[0] + MNIST_LABEL_COUNTS.train[1], 12665);
});

test('normalisation maps 0 → −1 and 255 → 1, as the write-up (x/255 − 0.5)/0.5', () => {
  assert.deepEqual(Array.from(normalizePixels(Uint8Array.from([0, 255]))), [-1, 1]);
  assert.ok(Math.abs(normalizePixels(Uint8Array.from([51]))[0] - -0.6) < 1e-6);
});

test('reads gzip-compressed files', () => {
  const gz = path.join(tmp, 'labels.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(labelsFile)));
  const payload = readIdxFile(gz, MNIST_FILES.testLabels);
  assert.equal(payload.length, 10000);
});

test('a truncated file is rejected with an error naming the file', () => {
  const bad = path.join(tmp, 'truncated');
  fs.writeFileSync(bad, fs.readFileSync(labelsFile).subarray(0, 5000));
  assert.throws(
    () => readIdxFile(bad, MNIST_FILES.testLabels),
    (e: Error) => e.message.includes(bad) && /truncated/.test(e.message),
  );
});

test('a corrupted byte fails the md5 check', () => {
  const bad = path.join(tmp, 'corrupted');
  const bytes = Buffer.from(fs.readFileSync(labelsFile));
  bytes[100] = (bytes[100] + 1) % 10;
  fs.writeFileSync(bad, bytes);
  assert.throws(
    () => readIdxFile(bad, MNIST_FILES.testLabels),
    (e: Error) => e.message.includes(bad) && /md5/.test(e.message),
  );
});

test('the wrong kind of file fails on its magic number', () => {
  const images = path.join(defaultMnistDir(), MNIST_FILES.testImages.name);
  assert.throws(() => readIdxFile(images, MNIST_FILES.testLabels), /magic number 2051, expected 2049/);
});

test('a missing folder names the missing file', () => {
  assert.throws(() => loadMnist({ dir: path.join(tmp, 'nowhere') }), /MNIST file not found: .*train-images-idx3-ubyte/);
});
