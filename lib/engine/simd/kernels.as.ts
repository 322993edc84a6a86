// AssemblyScript source of lib/engine/simd/kernels.wasm (build: `npm run build:simd`).
//
// Hand-written WebAssembly SIMD kernels for the ops that dominate a CNN step on
// tfjs's wasm backend (see lib/engine/simd.ts for the list). The module imports tfjs's own
// wasm memory and works in place on tensors there: every pointer is a byte
// offset into that heap, every layout is channels-last (NHWC, filters HWIO).
// Nothing here allocates or keeps static data (the build checks the binary has
// no data section): the memory belongs to tfjs.

// ---------------------------------------------------------------------------
// dL/dfilter of a conv2d (NHWC input, HWIO filter, dilation 1):
//   dw[i, j, ci, co] = Σ_{b, oy, ox} x[b, oy·sh + i − top, ox·sw + j − left, ci] · dy[b, oy, ox, co]
// For every output row and filter tap, 16 output channels are summed in four
// SIMD accumulators over the row, then added to dw: the reduction over the
// ~10^5 output positions that XNNPACK can only do after transposing or packing dy.
export function conv2dFilterGrad(
  x: usize, dy: usize, dw: usize,
  n: i32, h: i32, w: i32, cin: i32,
  oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, top: i32, left: i32,
): void {
  memory.fill(dw, 0, <usize>(kh * kw * cin * cout) << 2);
  const c16 = cout & ~15;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const dyRow = dy + (<usize>((b * oh + oy) * ow * cout) << 2);
      for (let i = 0; i < kh; i++) {
        const r = oy * sh + i - top;
        if (r < 0 || r >= h) continue;
        const xRow = x + (<usize>((b * h + r) * w * cin) << 2);
        for (let j = 0; j < kw; j++) {
          // Output columns whose input column ox·sw + j − left lies inside the image.
          let ox0 = 0;
          while (ox0 < ow && ox0 * sw + j - left < 0) ox0++;
          let ox1 = ow;
          while (ox1 > ox0 && (ox1 - 1) * sw + j - left >= w) ox1--;
          // Two input channels at a time share each load of dy (8 accumulators).
          let ci = 0;
          for (; ci + 1 < cin; ci += 2) {
            const tap = dw + (<usize>(((i * kw + j) * cin + ci) * cout) << 2);
            const tap2 = tap + (<usize>cout << 2);
            for (let co = 0; co < c16; co += 16) {
              let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
              let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
              for (let ox = ox0; ox < ox1; ox++) {
                const xp = xRow + (<usize>((ox * sw + j - left) * cin + ci) << 2);
                const xv = f32x4.splat(load<f32>(xp));
                const xw = f32x4.splat(load<f32>(xp, 4));
                const d = dyRow + (<usize>(ox * cout + co) << 2);
                const d0 = v128.load(d), d1 = v128.load(d, 16), d2 = v128.load(d, 32), d3 = v128.load(d, 48);
                a0 = f32x4.add(a0, f32x4.mul(xv, d0));
                a1 = f32x4.add(a1, f32x4.mul(xv, d1));
                a2 = f32x4.add(a2, f32x4.mul(xv, d2));
                a3 = f32x4.add(a3, f32x4.mul(xv, d3));
                b0 = f32x4.add(b0, f32x4.mul(xw, d0));
                b1 = f32x4.add(b1, f32x4.mul(xw, d1));
                b2 = f32x4.add(b2, f32x4.mul(xw, d2));
                b3 = f32x4.add(b3, f32x4.mul(xw, d3));
              }
              const t = tap + (<usize>co << 2);
              v128.store(t, f32x4.add(v128.load(t), a0));
              v128.store(t, f32x4.add(v128.load(t, 16), a1), 16);
              v128.store(t, f32x4.add(v128.load(t, 32), a2), 32);
              v128.store(t, f32x4.add(v128.load(t, 48), a3), 48);
              const u = tap2 + (<usize>co << 2);
              v128.store(u, f32x4.add(v128.load(u), b0));
              v128.store(u, f32x4.add(v128.load(u, 16), b1), 16);
              v128.store(u, f32x4.add(v128.load(u, 32), b2), 32);
              v128.store(u, f32x4.add(v128.load(u, 48), b3), 48);
            }
          }
          for (; ci < cin; ci++) {
            const tap = dw + (<usize>(((i * kw + j) * cin + ci) * cout) << 2);
            for (let co = 0; co < c16; co += 16) {
              let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
              for (let ox = ox0; ox < ox1; ox++) {
                const xv = f32x4.splat(load<f32>(xRow + (<usize>((ox * sw + j - left) * cin + ci) << 2)));
                const d = dyRow + (<usize>(ox * cout + co) << 2);
                a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(d)));
                a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(d, 16)));
                a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(d, 32)));
                a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(d, 48)));
              }
              const t = tap + (<usize>co << 2);
              v128.store(t, f32x4.add(v128.load(t), a0));
              v128.store(t, f32x4.add(v128.load(t, 16), a1), 16);
              v128.store(t, f32x4.add(v128.load(t, 32), a2), 32);
              v128.store(t, f32x4.add(v128.load(t, 48), a3), 48);
            }
          }
          // Output channels past the last block of 16: scalar.
          for (let c = 0; c < cin; c++) {
            const tap = dw + (<usize>(((i * kw + j) * cin + c) * cout) << 2);
            for (let co = c16; co < cout; co++) {
              let a: f32 = 0;
              for (let ox = ox0; ox < ox1; ox++) {
                a += load<f32>(xRow + (<usize>((ox * sw + j - left) * cin + c) << 2)) * load<f32>(dyRow + (<usize>(ox * cout + co) << 2));
              }
              const t = tap + (<usize>co << 2);
              store<f32>(t, load<f32>(t) + a);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// dL/dx of a max pool with non-overlapping valid windows (filter = stride = fh×fw):
// dy of each window goes to its first maximum in row-major order (the tie rule of
// tfjs's cpu kernel: after a ReLU many windows are all-zero ties); every other
// entry of dx, including rows/columns no window covers, is 0.
export function maxPoolGrad(
  x: usize, y: usize, dy: usize, dx: usize,
  n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32,
): void {
  if (oh * fh < h || ow * fw < w) memory.fill(dx, 0, <usize>(n * h * w * c) << 2);
  const c4 = c & ~3;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = <usize>(((b * oh + oy) * ow + ox) * c) << 2;
        const corner = <usize>(((b * h + oy * fh) * w + ox * fw) * c) << 2;
        for (let ch = 0; ch < c4; ch += 4) {
          const yv = v128.load(y + o + (<usize>ch << 2));
          const g = v128.load(dy + o + (<usize>ch << 2));
          let claimed = i32x4.splat(0);
          for (let a = 0; a < fh; a++) {
            for (let bb = 0; bb < fw; bb++) {
              const p = corner + (<usize>((a * w + bb) * c + ch) << 2);
              const eq = f32x4.eq(v128.load(x + p), yv);
              v128.store(dx + p, v128.and(g, v128.andnot(eq, claimed)));
              claimed = v128.or(claimed, eq);
            }
          }
        }
        for (let ch = c4; ch < c; ch++) {
          const yv = load<f32>(y + o + (<usize>ch << 2));
          const g = load<f32>(dy + o + (<usize>ch << 2));
          let claimed = false;
          for (let a = 0; a < fh; a++) {
            for (let bb = 0; bb < fw; bb++) {
              const p = corner + (<usize>((a * w + bb) * c + ch) << 2);
              const hit = !claimed && load<f32>(x + p) == yv;
              store<f32>(dx + p, hit ? g : 0);
              claimed = claimed || hit;
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Max pool with non-overlapping valid windows (filter = stride = fh×fw).
export function maxPool(
  x: usize, y: usize,
  n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, fh: i32, fw: i32,
): void {
  const c4 = c & ~3;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = y + (<usize>(((b * oh + oy) * ow + ox) * c) << 2);
        const corner = x + (<usize>(((b * h + oy * fh) * w + ox * fw) * c) << 2);
        for (let ch = 0; ch < c4; ch += 4) {
          let m = v128.load(corner + (<usize>ch << 2));
          for (let a = 0; a < fh; a++) {
            for (let bb = 0; bb < fw; bb++) {
              m = f32x4.max(m, v128.load(corner + (<usize>((a * w + bb) * c + ch) << 2)));
            }
          }
          v128.store(o + (<usize>ch << 2), m);
        }
        for (let ch = c4; ch < c; ch++) {
          let m = load<f32>(corner + (<usize>ch << 2));
          for (let a = 0; a < fh; a++) {
            for (let bb = 0; bb < fw; bb++) {
              m = Mathf.max(m, load<f32>(corner + (<usize>((a * w + bb) * c + ch) << 2)));
            }
          }
          store<f32>(o + (<usize>ch << 2), m);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// out[r, ch] = x[r, ch] + bias[ch] for `rows` rows of c channels: a bias add,
// which the stock wasm Add runs as a general broadcast (per-element index math).
export function biasAdd(x: usize, bias: usize, out: usize, rows: i32, c: i32): void {
  const c4 = c & ~3;
  const stride = <usize>c << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride;
    const or = out + <usize>r * stride;
    for (let ch = 0; ch < c4; ch += 4) {
      const k = <usize>ch << 2;
      v128.store(or + k, f32x4.add(v128.load(xr + k), v128.load(bias + k)));
    }
    for (let ch = c4; ch < c; ch++) {
      const k = <usize>ch << 2;
      store<f32>(or + k, load<f32>(xr + k) + load<f32>(bias + k));
    }
  }
}

// ---------------------------------------------------------------------------
// dL/dx of relu: dx = dy where x > 0, else 0 (one pass instead of the stock
// gradient's step, cast and multiply).
export function reluGrad(dy: usize, x: usize, dx: usize, size: i32): void {
  const s4 = size & ~3;
  const zero = f32x4.splat(0);
  for (let i = 0; i < s4; i += 4) {
    const k = <usize>i << 2;
    v128.store(dx + k, v128.and(v128.load(dy + k), f32x4.gt(v128.load(x + k), zero)));
  }
  for (let i = s4; i < size; i++) {
    const k = <usize>i << 2;
    store<f32>(dx + k, load<f32>(x + k) > 0 ? load<f32>(dy + k) : 0);
  }
}

// ---------------------------------------------------------------------------
// One localized SGLD update of a parameter tensor (lib/estimator/sgld.ts), in one pass:
//   out = w + ((g·a + (w − w*)·b) + η·c),  a = −(ε/2)·nβ, b = −(ε/2)·γ, c = √ε
// with the same float32 operations in the same order as the tf-op version, so
// both give bit-identical weights.
export function sgldUpdate(w: usize, g: usize, wStar: usize, noise: usize, out: usize, size: i32, a: f32, b: f32, c: f32): void {
  const s4 = size & ~3;
  const va = f32x4.splat(a), vb = f32x4.splat(b), vc = f32x4.splat(c);
  for (let i = 0; i < s4; i += 4) {
    const k = <usize>i << 2;
    const wv = v128.load(w + k);
    const drift = f32x4.add(f32x4.mul(v128.load(g + k), va), f32x4.mul(f32x4.sub(wv, v128.load(wStar + k)), vb));
    v128.store(out + k, f32x4.add(wv, f32x4.add(drift, f32x4.mul(v128.load(noise + k), vc))));
  }
  for (let i = s4; i < size; i++) {
    const k = <usize>i << 2;
    const wv = load<f32>(w + k);
    const drift = load<f32>(g + k) * a + (wv - load<f32>(wStar + k)) * b;
    store<f32>(out + k, wv + (drift + load<f32>(noise + k) * c));
  }
}

// ---------------------------------------------------------------------------
// out[b] = x[b]ᵀ for `batch` row-major [rows, cols] matrices of 4-byte values,
// in 4×4 blocks transposed in registers (the stock wasm Transpose moves one
// element at a time through generic index arithmetic).
export function transpose2d(x: usize, out: usize, batch: i32, rows: i32, cols: i32): void {
  const r4 = rows & ~3;
  const c4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  const colBytes = <usize>rows << 2;
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>b * rowBytes * <usize>rows;
    const ob = out + <usize>b * rowBytes * <usize>rows;
    for (let r = 0; r < r4; r += 4) {
      const p = xb + <usize>r * rowBytes;
      for (let c = 0; c < c4; c += 4) {
        const q = p + (<usize>c << 2);
        const a0 = v128.load(q), a1 = v128.load(q + rowBytes), a2 = v128.load(q + 2 * rowBytes), a3 = v128.load(q + 3 * rowBytes);
        const t0 = v128.shuffle<i32>(a0, a1, 0, 4, 1, 5);
        const t1 = v128.shuffle<i32>(a0, a1, 2, 6, 3, 7);
        const t2 = v128.shuffle<i32>(a2, a3, 0, 4, 1, 5);
        const t3 = v128.shuffle<i32>(a2, a3, 2, 6, 3, 7);
        const o = ob + <usize>c * colBytes + (<usize>r << 2);
        v128.store(o, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
        v128.store(o + colBytes, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
        v128.store(o + 2 * colBytes, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
        v128.store(o + 3 * colBytes, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
      }
      for (let k = 0; k < 4; k++) {
        for (let c = c4; c < cols; c++) {
          store<i32>(ob + <usize>c * colBytes + (<usize>(r + k) << 2), load<i32>(p + <usize>k * rowBytes + (<usize>c << 2)));
        }
      }
    }
    for (let r = r4; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        store<i32>(ob + <usize>c * colBytes + (<usize>r << 2), load<i32>(xb + <usize>r * rowBytes + (<usize>c << 2)));
      }
    }
  }
}
