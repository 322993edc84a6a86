/**
 * The page's compute: a module Web Worker holding tfjs and lib/. The page (main.ts) stays
 * responsive whatever the worker does: lib's trainModel is one synchronous call, and its
 * onEpoch / onStep callbacks post progress while it runs; SGLD runs in pieces of 50 steps
 * (sampler.ts), posting the new losses and the running λ̂ after each and yielding to the
 * worker's event loop in between. Stop = the page terminates the worker and starts a new one.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// tfjs-backend-wasm fetches its .wasm at run time: Vite copies these files from
// node_modules/@tensorflow/tfjs-backend-wasm/dist into the build and gives their URLs.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { initBackend, tf } from '../../lib/engine/backend';
import { simdActive } from '../../lib/engine/simd';
import { runCellInPage, validate } from './run';
import type { FromWorker, ToWorker, BackendChoice } from './protocol';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

const post = (message: FromWorker): void => (self as unknown as Worker).postMessage(message);

/** A turn of the event loop without setTimeout's 4 ms clamp. */
const channel = new MessageChannel();
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

/** The WebGL renderer's name (e.g. SwiftShader, Chromium's software WebGL), or null. */
function webglRenderer(): string | null {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return null;
  }
}

/** Why WebGL cannot run here (null when it can): tfjs's webgl backend needs a WebGL2 OffscreenCanvas in a worker. */
function webglUnavailable(): string | null {
  try {
    if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas in workers';
    return new OffscreenCanvas(1, 1).getContext('webgl2') ? null : 'no WebGL2 context (no GPU, or WebGL disabled)';
  } catch (e) {
    return (e as Error).message;
  }
}

let wasmReady = false;

/**
 * Switch the compute backend. lib's initBackend selects wasm and registers its gradient
 * overrides and SIMD kernels (global registries) the first time; webgl is not one of lib's
 * backends, so it is selected with tfjs directly (then the overrides, which are plain tfjs
 * ops, apply on it too).
 */
async function useBackend(name: BackendChoice): Promise<void> {
  if (!wasmReady) {
    await initBackend({ backend: 'wasm', log: false });
    wasmReady = true;
  }
  if (name === 'cpu') await initBackend({ backend: 'cpu', log: false });
  // tfjs's packed WebGL kernels turn training NaN by the second epoch on Chromium's
  // software WebGL (SwiftShader, what headless Chromium has; the same with tfjs's stock
  // gradients, so not lib's overrides); the unpacked kernels train as wasm does.
  if (name === 'webgl') tf.env().set('WEBGL_PACK', false);
  if (tf.getBackend() !== name) {
    if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
    await tf.ready();
  }
  const wasm = tf.getBackend() === 'wasm';
  const webgl =
    tf.getBackend() === 'webgl'
      ? {
          version: tf.env().getNumber('WEBGL_VERSION'),
          float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
          renderer: webglRenderer(),
        }
      : null;
  post({
    type: 'backend',
    name: tf.getBackend() as BackendChoice,
    wasmSimd: wasm ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : null,
    simdKernels: wasm ? simdActive() : null,
    webglInfo: webgl,
    webgl: webglUnavailable(),
  });
}

let running = false;

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  try {
    if (msg.type === 'backend') {
      await useBackend(msg.name);
    } else if (msg.type === 'validate') {
      validate(msg.config);
      post({ type: 'valid', id: msg.id });
    } else if (msg.type === 'run') {
      if (running) throw new Error('a run is in progress');
      running = true;
      try {
        const result = await runCellInPage(
          msg.config,
          (e) => post({ type: 'event', id: msg.id, event: e }),
          yieldToEventLoop,
        );
        post({ type: 'result', id: msg.id, result });
      } finally {
        running = false;
      }
    }
  } catch (e) {
    post({ type: 'error', id: 'id' in msg ? msg.id : undefined, message: (e as Error).message ?? String(e) });
  }
};

post({ type: 'loaded' });
