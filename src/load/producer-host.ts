/**
 * Where producers run: on the calling thread (`--workers 0`), or spread over
 * worker threads (load-worker.ts). Both look the same to the runner: connect,
 * start at t0, stop, and a promise of the producers' summaries; interval
 * samples arrive through `onSample` on the main thread either way.
 */
import { Worker } from 'node:worker_threads';
import type { IntervalSample } from './load-stats.js';
import type { ToWorker, WorkerInit } from './load-worker.js';
import { Producer, type ProducerConfig, type ProducerSummary } from './producer.js';

export interface ProducerHost {
  /** Records per batch of the producers' templates. */
  recordsPerBatch: number;
  start(t0Us: number): void;
  stop(): void;
  done: Promise<ProducerSummary[]>;
}

export async function startInlineProducers(configs: ProducerConfig[], onSample: (s: IntervalSample) => void): Promise<ProducerHost> {
  const producers: Producer[] = [];
  try {
    for (const c of configs) producers.push(await Producer.connect(c, onSample));
  } catch (err) {
    for (const p of producers) p.stop();
    throw err;
  }
  return {
    recordsPerBatch: producers[0]?.recordsPerBatch ?? 0,
    start: (t0Us) => { for (const p of producers) p.start(t0Us); },
    stop: () => { for (const p of producers) p.stop(); },
    done: Promise.all(producers.map((p) => p.done)),
  };
}

type FromWorker =
  | { type: 'ready'; recordsPerBatch: number }
  | { type: 'error'; message: string }
  | { type: 'sample'; sample: IntervalSample }
  | { type: 'done'; summaries: ProducerSummary[] };

/** Spread `configs` round-robin over `workers` threads. */
export async function startWorkerProducers(configs: ProducerConfig[], workers: number, onSample: (s: IntervalSample) => void): Promise<ProducerHost> {
  const shares: ProducerConfig[][] = Array.from({ length: Math.min(workers, configs.length) }, () => []);
  configs.forEach((c, i) => shares[i % shares.length]!.push(c));
  const threads: { worker: Worker; done: Promise<ProducerSummary[]> }[] = [];
  const ready: Promise<number>[] = [];
  for (const share of shares) {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { producers: share } satisfies WorkerInit });
    let resolveReady!: (n: number) => void;
    let rejectReady!: (e: Error) => void;
    ready.push(new Promise<number>((res, rej) => { resolveReady = res; rejectReady = rej; }));
    const done = new Promise<ProducerSummary[]>((resolve, reject) => {
      let finished = false;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') resolveReady(m.recordsPerBatch);
        else if (m.type === 'error') rejectReady(new Error(m.message));
        else if (m.type === 'sample') onSample(m.sample);
        else if (m.type === 'done') { finished = true; resolve(m.summaries); }
      });
      worker.on('error', (err) => { rejectReady(err); reject(err); });
      worker.on('exit', (code) => {
        if (!finished) {
          const err = new Error(`load worker exited with code ${code} before finishing`);
          rejectReady(err);
          reject(err);
        }
      });
    });
    done.catch(() => undefined);
    threads.push({ worker, done });
  }
  const post = (m: ToWorker): void => { for (const t of threads) t.worker.postMessage(m); };
  let recordsPerBatch: number;
  try {
    recordsPerBatch = (await Promise.all(ready))[0] ?? 0;
  } catch (err) {
    for (const t of threads) void t.worker.terminate();
    throw err;
  }
  return {
    recordsPerBatch,
    start: (t0Us) => post({ type: 'go', t0Us }),
    stop: () => post({ type: 'stop' }),
    done: Promise.all(threads.map((t) => t.done)).then((lists) => lists.flat()),
  };
}
