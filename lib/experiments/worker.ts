/**
 * Worker process of the sweep runner: receives cells over IPC, runs them one at a
 * time and reports progress. One thread per worker so that workers don't fight
 * over cores (wasm is single-threaded; tfjs-node reads the TF_NUM_* env vars set by the runner).
 */
import { initBackend } from '../engine/backend';
import { runCell } from './experiment';
import { CellConfig } from './cell';

interface Job {
  cell: CellConfig;
  profile: string;
  dataDir?: string;
}

/** What a worker tells the runner (lib/experiments/runner.ts). */
export type WorkerMessage =
  | { type: 'ready'; backend: string }
  | { type: 'progress'; phase: 'train' | 'llc'; done: number; total: number }
  | { type: 'done'; key: string }
  | { type: 'error'; message: string };
const send = (msg: WorkerMessage) => process.send?.(msg);

// A worker lives only as long as its runner: if the runner dies (killed, crashed), the IPC
// channel closes and the worker stops instead of computing a cell nobody will collect.
process.on('disconnect', () => process.exit(0));

async function main(): Promise<void> {
  const backend = await initBackend({ log: false });
  send({ type: 'ready', backend });
  process.on('message', (job: Job | { type: 'exit' }) => {
    if ('type' in job) process.exit(0);
    const { cell, profile, dataDir } = job as Job;
    let lastSent = 0;
    try {
      const row = runCell(cell, {
        profile,
        dataDir,
        onProgress: (phase, done, total) => {
          const now = Date.now();
          if (now - lastSent > 500 || done === total) {
            lastSent = now;
            send({ type: 'progress', phase, done, total });
          }
        },
      });
      send({ type: 'done', key: row.key });
    } catch (e) {
      console.error((e as Error).stack ?? e);
      send({ type: 'error', message: (e as Error).message ?? String(e) });
    }
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
