// AssemblyScript source of the standard-normal generator in lib/engine/simd/normals-wasm.ts
// (build: `npm run build:simd`). It is lib/math/rng.ts's fillNormal — mulberry32 uniforms and
// Marsaglia & Tsang's 128-layer ziggurat — operation for operation, so it produces the
// same float32 numbers and leaves the generator in the same state (test/rng.test.ts);
// ~3× faster than the JavaScript loop (the SGLD noise is ~10^5 normals per step).
//
// Memory layout (set up by lib/math/rng.ts): the ziggurat tables zk, zw, zf (128 f64 each) at
// byte offsets 0, 1024, 2048; the output (n f32) at OUT. The slow paths call the host's
// Math.log and Math.exp so that even their rare values match the JavaScript version.

@external("env", "log") declare function hostLog(x: f64): f64;
@external("env", "exp") declare function hostExp(x: f64): f64;

const ZK: usize = 0;
const ZW: usize = 1024;
const ZF: usize = 2048;
export const OUT: usize = 4096;
const ZIG_R: f64 = 3.442619855899;

let state: u32 = 0;

// mulberry32 (lib/math/rng.ts makeRng's uint32).
@inline function nextU32(): u32 {
  state += 0x6d2b79f5;
  let t = state;
  t = (t ^ (t >>> 15)) * (t | 1);
  t ^= t + (t ^ (t >>> 7)) * (t | 61);
  return t ^ (t >>> 14);
}

@inline function uniform(): f64 {
  return <f64>nextU32() / 4294967296.0;
}

/** Fill n float32 normals at OUT from generator state s; returns the new state. */
export function fillNormal(n: i32, s: u32): u32 {
  state = s;
  let layers: u32 = 0;
  let bitsLeft = 0;
  for (let i = 0; i < n; i++) {
    const dst = OUT + (<usize>i << 2);
    while (true) {
      const hz = <i32>nextU32();
      if (bitsLeft == 0) {
        layers = nextU32();
        bitsLeft = 4;
      }
      const iz = <usize>(layers & 127);
      layers >>>= 8;
      bitsLeft--;
      const x = <f64>hz * load<f64>(ZW + (iz << 3));
      if (abs<f64>(<f64>hz) < load<f64>(ZK + (iz << 3))) {
        store<f32>(dst, <f32>x);
        break;
      }
      if (iz == 0) {
        // Tail beyond R (Marsaglia 1964).
        let xt: f64;
        let y: f64;
        do {
          xt = -hostLog(1 - uniform()) / ZIG_R;
          y = -hostLog(1 - uniform());
        } while (y + y < xt * xt);
        store<f32>(dst, <f32>(hz > 0 ? ZIG_R + xt : -ZIG_R - xt));
        break;
      }
      const f = load<f64>(ZF + (iz << 3));
      if (f + uniform() * (load<f64>(ZF + ((iz - 1) << 3)) - f) < hostExp(-0.5 * x * x)) {
        store<f32>(dst, <f32>x);
        break;
      }
    }
  }
  return state;
}
