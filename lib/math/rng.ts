/**
 * Seeded pseudo-random numbers. Every random choice in the project takes a seed
 * and draws from its own generator: there is no global RNG state.
 *
 * mulberry32 (Tommy Ettinger, public domain) gives 32-bit uniform integers;
 * normals come from the Box–Muller transform. Seeds for sub-streams (per chain,
 * per epoch, ...) are derived with `deriveSeed`, a splitmix32-style hash, so that
 * nearby seeds give unrelated streams.
 */
import { NORMALS_WASM_BASE64 } from '../engine/simd/normals-wasm';

export interface Rng {
  /** Uniform float in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A 32-bit unsigned integer, e.g. to seed a tfjs random op. */
  uint32(): number;
  /** Fill `out` with standard normals (the ziggurat of fillNormal; makeRng's generators run it in WebAssembly). */
  fillNormal?(out: Float32Array): void;
}

/** Hash a seed together with labels into a new 32-bit seed (splitmix32 finaliser). */
export function deriveSeed(seed: number, ...labels: (number | string)[]): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const label of labels) {
    const s = String(label);
    for (let i = 0; i < s.length; i++) h = mix32(h ^ s.charCodeAt(i));
    h = mix32(h ^ 0x85ebca6b);
  }
  return mix32(h) >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function makeRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new Error(`makeRng: seed must be a finite number, got ${seed}`);
  let state = mix32(Math.floor(seed) >>> 0) || 0x6d2b79f5;
  let spare: number | null = null;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const uniform = (): number => uint32() / 4294967296;
  return {
    uniform,
    uint32,
    fillNormal(out: Float32Array) {
      const wasm = normalsWasm();
      if (wasm == null) return void fillNormalJs(out, this);
      state = wasm.fill(out, state);
    },
    int: (n: number) => Math.floor(uniform() * n),
    normal: () => {
      if (spare != null) {
        const s = spare;
        spare = null;
        return s;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** `k` distinct indices from [0, n), uniformly without replacement, in random order. */
export function sampleWithoutReplacement(n: number, k: number, rng: Rng): Int32Array {
  if (k > n) throw new Error(`sampleWithoutReplacement: k=${k} exceeds n=${n}`);
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, k);
}

// Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating
// Random Variables", 128 layers): the SGLD noise needs ~10^5 normals per step,
// and Box–Muller's log/sqrt/sin/cos per pair dominated a small model's step.
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const zk = new Float64Array(128);
const zw = new Float64Array(128);
const zf = new Float64Array(128);
(() => {
  const m1 = 2147483648;
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  zk[0] = (dn / q) * m1;
  zk[1] = 0;
  zw[0] = q / m1;
  zw[127] = dn / m1;
  zf[0] = 1;
  zf[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    zk[i + 1] = (dn / tn) * m1;
    tn = dn;
    zf[i] = Math.exp(-0.5 * dn * dn);
    zw[i] = dn / m1;
  }
})();

/**
 * Fill `out` with standard normals by the ziggurat method. The layer index and the
 * value use independent random bits (the original reuses the low bits for both).
 * Generators of makeRng run the same algorithm compiled to WebAssembly (same numbers).
 */
export function fillNormal(out: Float32Array, rng: Rng): Float32Array {
  if (rng.fillNormal) rng.fillNormal(out);
  else fillNormalJs(out, rng);
  return out;
}

/** The reference implementation (and the fallback where WebAssembly is unavailable). */
export function fillNormalJs(out: Float32Array, rng: Rng): Float32Array {
  let layers = 0;
  let bitsLeft = 0;
  for (let i = 0; i < out.length; i++) {
    for (;;) {
      const hz = rng.uint32() | 0;
      if (bitsLeft === 0) {
        layers = rng.uint32();
        bitsLeft = 4;
      }
      const iz = layers & 127;
      layers >>>= 8;
      bitsLeft--;
      const x = hz * zw[iz];
      if (Math.abs(hz) < zk[iz]) {
        out[i] = x;
        break;
      }
      if (iz === 0) {
        // Tail beyond R (Marsaglia 1964).
        let xt: number;
        let y: number;
        do {
          xt = -Math.log(1 - rng.uniform()) / ZIG_R;
          y = -Math.log(1 - rng.uniform());
        } while (y + y < xt * xt);
        out[i] = hz > 0 ? ZIG_R + xt : -ZIG_R - xt;
        break;
      }
      if (zf[iz] + rng.uniform() * (zf[iz - 1] - zf[iz]) < Math.exp(-0.5 * x * x)) {
        out[i] = x;
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The ziggurat in WebAssembly (source lib/engine/simd/normals.as.ts): ~3× faster than the loop
// above, with identical output; the generator's state is passed in and out.

interface NormalsWasm {
  fill(out: Float32Array, state: number): number;
}

let normalsModule: NormalsWasm | null | undefined;

/** The WebAssembly generator, instantiated on first use (null where WebAssembly is missing or LLC_WASM_RNG=0). */
export function normalsWasm(): NormalsWasm | null {
  if (normalsModule !== undefined) return normalsModule;
  normalsModule = null;
  // The two constructors used here (the project's Node types do not declare WebAssembly).
  const WA = (
    globalThis as {
      WebAssembly?: {
        Module: new (bytes: Uint8Array) => object;
        Instance: new (m: object, imports: object) => { exports: unknown };
      };
    }
  ).WebAssembly;
  const env = typeof process !== 'undefined' ? process.env?.LLC_WASM_RNG : undefined;
  if (env != null && env !== '0' && env !== '1') throw new Error(`LLC_WASM_RNG must be 0 or 1, got '${env}'`);
  if (WA == null || env === '0') return null;
  const bytes = Uint8Array.from(atob(NORMALS_WASM_BASE64), (c) => c.charCodeAt(0));
  const instance = new WA.Instance(new WA.Module(bytes), { env: { log: Math.log, exp: Math.exp } });
  const { memory, fillNormal, OUT } = instance.exports as {
    memory: { buffer: ArrayBuffer; grow(pages: number): number };
    fillNormal(n: number, s: number): number;
    OUT: { value: number };
  };
  const offset = OUT.value;
  const ensure = (bytes: number) => {
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
  };
  ensure(offset);
  const tables = new Float64Array(memory.buffer, 0, 3 * 128);
  tables.set(zk, 0);
  tables.set(zw, 128);
  tables.set(zf, 256);
  normalsModule = {
    fill(out, state) {
      ensure(offset + 4 * out.length);
      const next = fillNormal(out.length, state) >>> 0;
      out.set(new Float32Array(memory.buffer, offset, out.length));
      return next;
    },
  };
  return normalsModule;
}
