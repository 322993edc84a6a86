/** Messages between the page (main.ts) and its worker (worker.ts). */
import type { RunEvent, RunResult } from './run';
import type { RunConfig } from './settings';

export type BackendChoice = 'wasm' | 'webgl' | 'cpu';

export type ToWorker =
  | { type: 'backend'; name: BackendChoice }
  | { type: 'validate'; id: number; config: RunConfig }
  | { type: 'run'; id: number; config: RunConfig };

export type FromWorker =
  | { type: 'loaded' }
  /** The active backend; for wasm whether tfjs's SIMD binary and lib's SIMD kernels run; why WebGL cannot run here (null if it can). */
  | {
      type: 'backend';
      name: BackendChoice;
      wasmSimd: boolean | null;
      simdKernels: boolean | null;
      webglInfo: { version: number; float32: boolean; renderer: string | null } | null;
      webgl: string | null;
    }
  | { type: 'valid'; id: number }
  | { type: 'event'; id: number; event: RunEvent }
  | { type: 'result'; id: number; result: RunResult }
  | { type: 'error'; id?: number; message: string };
