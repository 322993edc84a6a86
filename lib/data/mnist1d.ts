/**
 * MNIST-1D (Greydanus 2020, "Scaling down Deep Learning"), generated from a seed.
 *
 * A faithful port of the Python reference (`mnist1d/data.py`, `mnist1d/transform.py`
 * in github.com/greydanus/mnist1d): ten hand-drawn 12-point templates, each example
 * padded, dilated, scaled, translated, noised (correlated noise only where the signal is
 * exactly zero, then iid noise everywhere), sheared and subsampled to 40 points. The
 * whole set is shuffled, standardised with one global mean and std, and split.
 *
 * Pure: every random draw comes from `makeRng(deriveSeed(seed, 'mnist1d'))`, in the
 * reference's order (pad, scale, translate, correlated noise, iid noise, shear per
 * example; then the shuffle). Numbers match the reference statistically, not bitwise
 * (numpy's Mersenne Twister is not reproduced). Arithmetic is float64; x is returned
 * as Float32Array.
 */
import { deriveSeed, makeRng, shuffled, type Rng } from '../math/rng';

export const MNIST1D_NUM_CLASSES = 10;
/** Examples of each class 0..9 in the default data set's (seed 42) training and test splits (checked by test/mnist1d.test.ts). */
export const MNIST1D_LABEL_COUNTS = {
  train: [389, 408, 394, 406, 408, 400, 393, 407, 399, 396],
  test: [111, 92, 106, 94, 92, 100, 107, 93, 101, 104],
} as const;

/** Added to the template before padding (reference `transform(..., eps=1e-8)`), so that only padding is exactly 0. */
export const MNIST1D_EPS = 1e-8;

export interface Mnist1dOptions {
  /** Total examples, train + test; must be a multiple of 10 (`num_samples`, default 5000). */
  numSamples?: number;
  /** Fraction of the shuffled set used for training; train = floor(numSamples·trainSplit) (`train_split`, default 0.8). */
  trainSplit?: number;
  /**
   * `template_len`, default 12. As in the reference it only sets the dilation length
   * templateLen + padding[1] (72 by default); the templates themselves always have 12 points.
   */
  templateLen?: number;
  /** Inclusive integer range [low, high] of right zero-padding, drawn uniformly per example (`padding`, default [36, 60]). */
  padding?: readonly [number, number];
  /** Amplitude scaled by 1 + scaleCoeff·(u − 0.5), u ~ U[0, 1) (`scale_coeff`, default 0.4). */
  scaleCoeff?: number;
  /** Circular shift drawn uniformly from {0, …, maxTranslation − 1} (`max_translation`, default 48). */
  maxTranslation?: number;
  /** Scale of the Gaussian-smoothed (σ = 2) noise put where the signal is exactly 0 (`corr_noise_scale`, default 0.25). */
  corrNoiseScale?: number;
  /** Scale of the iid N(0, 1) noise added everywhere (`iid_noise_scale`, default 2e-2). */
  iidNoiseScale?: number;
  /** Subtract shearScale·(u − 0.5)·linspace(−0.5, 0.5) (`shear_scale`, default 0.75). */
  shearScale?: number;
  /** Apply one random permutation to the 40 positions of every example (`shuffle_seq`, default false). */
  shuffleSeq?: boolean;
  /** Points per output sequence (`final_seq_length`, default 40). */
  finalSeqLength?: number;
  /** Seed of the whole data set (`seed`, default 42). */
  seed?: number;
}

export type ResolvedMnist1dOptions = { readonly [K in keyof Mnist1dOptions]-?: NonNullable<Mnist1dOptions[K]> };

/** The reference defaults (`get_dataset_args()`). */
export const MNIST1D_DEFAULTS: ResolvedMnist1dOptions = Object.freeze({
  numSamples: 5000,
  trainSplit: 0.8,
  templateLen: 12,
  padding: Object.freeze([36, 60]) as readonly [number, number],
  scaleCoeff: 0.4,
  maxTranslation: 48,
  corrNoiseScale: 0.25,
  iidNoiseScale: 2e-2,
  shearScale: 0.75,
  shuffleSeq: false,
  finalSeqLength: 40,
  seed: 42,
});

/** The ten hand-drawn digit templates, before normalisation (reference `get_templates`). */
export const MNIST1D_RAW_TEMPLATES: readonly (readonly number[])[] = Object.freeze([
  [5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5],
  [5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5],
  [5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5],
  [5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5],
  [5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5],
  [5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5],
  [5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5],
  [5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5],
  [5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5],
  [5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5],
].map((t) => Object.freeze(t)));

export interface Mnist1dTemplates {
  /** One normalised template per class: standardised (population std), shifted to start at 0, divided by 6. */
  x: Float64Array[];
  /** The template grid linspace(−5, 5, 12) / 6. */
  t: Float64Array;
  /** Class labels 0..9. */
  y: Uint8Array;
}

/** The normalised templates: subtract the mean, divide by the std (ddof 0), subtract the first value, divide by 6. */
export function getTemplates(): Mnist1dTemplates {
  const x = MNIST1D_RAW_TEMPLATES.map((raw) => {
    const n = raw.length;
    const mean = raw.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    const z = raw.map((v) => (v - mean) / std);
    const first = z[0];
    return Float64Array.from(z, (v) => (v - first) / 6);
  });
  const t = linspace(-5, 5, MNIST1D_RAW_TEMPLATES[0].length).map((v) => v / 6);
  return { x, t, y: Uint8Array.from({ length: MNIST1D_NUM_CLASSES }, (_, i) => i) };
}

/** numpy.linspace(start, stop, n) (endpoint included): start + i·step, last point exactly `stop`. */
export function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step + start;
  out[n - 1] = stop;
  return out;
}

/**
 * Piecewise-linear interpolation of (xp, fp) at `xNew`, with numpy.interp's arithmetic —
 * what scipy's interp1d(kind='linear') delegates to for 1-D float64 data:
 * f = fp[j] + slope·(x − xp[j]) on [xp[j], xp[j+1]), exact grid hits return fp[j].
 * `xp` must be increasing and every `xNew` inside [xp[0], xp[last]] (interp1d's bounds check).
 */
export function interpLinear(xp: ArrayLike<number>, fp: ArrayLike<number>, xNew: ArrayLike<number>): Float64Array {
  const n = xp.length;
  if (n !== fp.length) throw new Error(`interpLinear: xp has ${n} points but fp has ${fp.length}`);
  if (n < 1) throw new Error('interpLinear: need at least one point');
  const out = new Float64Array(xNew.length);
  for (let i = 0; i < xNew.length; i++) {
    const x = xNew[i];
    if (!(x >= xp[0] && x <= xp[n - 1])) {
      throw new Error(`interpLinear: ${x} is outside the interpolation range [${xp[0]}, ${xp[n - 1]}]`);
    }
    if (x === xp[n - 1]) {
      out[i] = fp[n - 1];
      continue;
    }
    // Largest j with xp[j] <= x (binary search).
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xp[mid] <= x) lo = mid;
      else hi = mid;
    }
    const j = lo;
    if (x === xp[j]) out[i] = fp[j];
    else out[i] = ((fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])) * (x - xp[j]) + fp[j];
  }
  return out;
}

/** Reference `interpolate(x, N)`: values on linspace(0, 1, len(x)) resampled at linspace(0, 1, N). */
export function resample(x: ArrayLike<number>, n: number): Float64Array {
  return interpLinear(linspace(0, 1, x.length), x, linspace(0, 1, n));
}

/** Index into a signal of length n extended by scipy.ndimage's 'reflect' mode (d c b a | a b c d | d c b a). */
function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/** Normalised Gaussian weights on [−radius, radius], radius = floor(truncate·σ + 0.5) (scipy's _gaussian_kernel1d, order 0). */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`gaussianKernel1d: sigma must be a positive number, got ${sigma}`);
  const radius = Math.floor(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    w[k + radius] = Math.exp((-0.5 / (sigma * sigma)) * k * k);
    sum += w[k + radius];
  }
  for (let k = 0; k < w.length; k++) w[k] /= sum;
  return w;
}

/** scipy.ndimage.gaussian_filter1d(x, sigma) with its defaults: mode 'reflect', truncate 4.0. */
export function gaussianFilter1d(x: ArrayLike<number>, sigma: number, truncate = 4.0): Float64Array {
  const w = gaussianKernel1d(sigma, truncate);
  const radius = (w.length - 1) / 2;
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = -radius; k <= radius; k++) s += w[k + radius] * x[reflectIndex(i + k, n)];
    out[i] = s;
  }
  return out;
}

/**
 * One example from one normalised template (reference `transform(x, t, args)`), before the
 * data-set-wide standardisation. Draws from `rng`, in order: padding, scale, shift, correlated
 * noise (one normal per point), iid noise (one per point), shear.
 */
export function transformTemplate(template: ArrayLike<number>, options: ResolvedMnist1dOptions, rng: Rng): Float64Array {
  const [low, high] = options.padding;
  // pad: template + eps, then p zeros on the right, p = low + floor(u·(high − low + 1)).
  const p = low + Math.floor(rng.uniform() * (high - low + 1));
  const padded = new Float64Array(template.length + p);
  for (let i = 0; i < template.length; i++) padded[i] = template[i] + MNIST1D_EPS;
  // dilate to templateLen + padding[1] points.
  const dilated = resample(padded, options.templateLen + high);
  const n = dilated.length;
  // scale
  const scale = 1 + options.scaleCoeff * (rng.uniform() - 0.5);
  for (let i = 0; i < n; i++) dilated[i] *= scale;
  // translate: np.concatenate([x[-k:], x[:-k]]) with k ∈ [0, maxTranslation), i.e. a roll by k.
  const k = rng.int(options.maxTranslation);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[(i + k) % n] = dilated[i];
  // correlated noise where the signal is exactly 0 (the noise is smoothed over the whole sequence first).
  const raw = new Float64Array(n);
  for (let i = 0; i < n; i++) raw[i] = options.corrNoiseScale * rng.normal();
  const corr = gaussianFilter1d(raw, 2);
  for (let i = 0; i < n; i++) if (x[i] === 0) x[i] = corr[i];
  // iid noise everywhere.
  for (let i = 0; i < n; i++) x[i] += options.iidNoiseScale * rng.normal();
  // shear
  const coeff = options.shearScale * (rng.uniform() - 0.5);
  const ramp = linspace(-0.5, 0.5, n);
  for (let i = 0; i < n; i++) x[i] -= coeff * ramp[i];
  // subsample
  return resample(x, options.finalSeqLength);
}

export interface Mnist1d {
  /** numTrain × seqLength, row-major, standardised. */
  xTrain: Float32Array;
  yTrain: Uint8Array;
  /** numTest × seqLength. */
  xTest: Float32Array;
  yTest: Uint8Array;
  seqLength: number;
  numTrain: number;
  numTest: number;
  numClasses: number;
  /** [seqLength], so the result can serve as a `LabelledData` for tasks. */
  inputShape: number[];
  /** The reference's `t`: the template grid resampled to seqLength points, divided by the raw std of x. */
  t: Float32Array;
  templates: Mnist1dTemplates;
  /** The options used, defaults filled in. */
  options: ResolvedMnist1dOptions;
}

const OPTION_KEYS = Object.keys(MNIST1D_DEFAULTS) as (keyof Mnist1dOptions)[];

function fail(name: string, requirement: string, value: unknown): never {
  const shown = Array.isArray(value) ? `[${value.join(', ')}]` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new Error(`makeMnist1d: ${name} must be ${requirement}, got ${shown}`);
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Fill in defaults and check every option; errors name the option and the bad value. */
export function resolveMnist1dOptions(options: Mnist1dOptions = {}): ResolvedMnist1dOptions {
  for (const key of Object.keys(options)) {
    if (!(OPTION_KEYS as string[]).includes(key)) {
      throw new Error(`makeMnist1d: unknown option "${key}" (known: ${OPTION_KEYS.join(', ')})`);
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...MNIST1D_DEFAULTS, ...defined } as ResolvedMnist1dOptions;

  if (!isInt(o.numSamples) || o.numSamples < MNIST1D_NUM_CLASSES) fail('numSamples', `an integer ≥ ${MNIST1D_NUM_CLASSES}`, o.numSamples);
  if (o.numSamples % MNIST1D_NUM_CLASSES !== 0) fail('numSamples', `a multiple of ${MNIST1D_NUM_CLASSES} (equal examples per class)`, o.numSamples);
  if (typeof o.trainSplit !== 'number' || !(o.trainSplit > 0 && o.trainSplit < 1)) fail('trainSplit', 'a number in (0, 1)', o.trainSplit);
  const numTrain = Math.floor(o.numSamples * o.trainSplit);
  if (numTrain < 1 || numTrain >= o.numSamples) {
    fail('trainSplit', `such that both splits are non-empty (numSamples = ${o.numSamples} gives ${numTrain} training examples)`, o.trainSplit);
  }
  if (!isInt(o.templateLen) || o.templateLen < 1) fail('templateLen', 'a positive integer', o.templateLen);
  const pad = o.padding as unknown;
  if (!Array.isArray(pad) || pad.length !== 2 || !isInt(pad[0]) || !isInt(pad[1]) || pad[0] < 0 || pad[0] > pad[1]) {
    fail('padding', 'a pair of integers [low, high] with 0 ≤ low ≤ high', pad);
  }
  const dilatedLength = o.templateLen + o.padding[1];
  if (dilatedLength < 2) fail('templateLen + padding[1]', 'at least 2', dilatedLength);
  if (!isInt(o.maxTranslation) || o.maxTranslation < 1 || o.maxTranslation > dilatedLength) {
    fail('maxTranslation', `an integer in [1, templateLen + padding[1] = ${dilatedLength}]`, o.maxTranslation);
  }
  for (const key of ['scaleCoeff', 'corrNoiseScale', 'iidNoiseScale', 'shearScale'] as const) {
    if (!isNonNegative(o[key])) fail(key, 'a finite number ≥ 0', o[key]);
  }
  if (typeof o.shuffleSeq !== 'boolean') fail('shuffleSeq', 'a boolean', o.shuffleSeq);
  if (!isInt(o.finalSeqLength) || o.finalSeqLength < 2) fail('finalSeqLength', 'an integer ≥ 2', o.finalSeqLength);
  if (typeof o.seed !== 'number' || !Number.isFinite(o.seed)) fail('seed', 'a finite number', o.seed);
  return Object.freeze({ ...o, padding: Object.freeze([o.padding[0], o.padding[1]]) as readonly [number, number] });
}

/**
 * Generate MNIST-1D (reference `make_dataset`): numSamples/10 examples per class, generated
 * class by class, shuffled, standardised, split into the first floor(numSamples·trainSplit)
 * examples for training and the rest for testing.
 */
export function makeMnist1d(options: Mnist1dOptions = {}): Mnist1d {
  const o = resolveMnist1dOptions(options);
  const templates = getTemplates();
  const rng = makeRng(deriveSeed(o.seed, 'mnist1d'));
  const L = o.finalSeqLength;
  const N = o.numSamples;
  const perClass = N / MNIST1D_NUM_CLASSES;

  const xs = new Float64Array(N * L);
  const ys = new Uint8Array(N);
  let row = 0;
  for (let label = 0; label < MNIST1D_NUM_CLASSES; label++) {
    for (let e = 0; e < perClass; e++, row++) {
      xs.set(transformTemplate(templates.x[label], o, rng), row * L);
      ys[row] = label;
    }
  }
  // The reference's t: the template grid goes through the same two resamplings (a no-op on a linear grid).
  const tRaw = resample(resample(templates.t, o.templateLen + o.padding[1]), L);

  // Shuffle the batch dimension, then (optionally) the positions, with the same stream.
  const order = shuffled(Array.from({ length: N }, (_, i) => i), rng);
  const positions = o.shuffleSeq ? shuffled(Array.from({ length: L }, (_, i) => i), rng) : null;
  const x = new Float64Array(N * L);
  const y = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const src = order[i];
    y[i] = ys[src];
    for (let j = 0; j < L; j++) x[i * L + j] = xs[src * L + (positions ? positions[j] : j)];
  }

  // Standardise with one scalar mean and (population) std over the whole set, train and test
  // together — exactly what the reference does (`xs = (xs - xs.mean()) / xs.std()` before the split).
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  const std = Math.sqrt(v / x.length);
  const xStd = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) xStd[i] = (x[i] - mean) / std;

  const numTrain = Math.floor(N * o.trainSplit);
  return {
    xTrain: xStd.slice(0, numTrain * L),
    yTrain: y.slice(0, numTrain),
    xTest: xStd.slice(numTrain * L),
    yTest: y.slice(numTrain),
    seqLength: L,
    numTrain,
    numTest: N - numTrain,
    numClasses: MNIST1D_NUM_CLASSES,
    inputShape: [L],
    t: Float32Array.from(tRaw, (tv) => tv / std),
    templates,
    options: o,
  };
}
