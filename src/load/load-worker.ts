/**
 * Entry point of a load worker thread: runs a share of the producers and
 * talks to the main thread with a handful of messages per second.
 *
 * ```
 *   main                                   worker
 *    │ new Worker(workerData: {producers})  │ connect every producer
 *    │◀──────────── ready | error ──────────│
 *    │──── go {t0Us} ──────────────────────▶│ start at t0
 *    │◀──────────── sample (each second) ───│ latency buckets
 *    │──── stop (Ctrl-C, or run ended) ────▶│ stop generating, drain
 *    │◀──────────── done {summaries} ───────│ then the thread exits
 * ```
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Producer, type ProducerConfig } from './producer.js';

export interface WorkerInit { producers: ProducerConfig[] }

export type ToWorker = { type: 'go'; t0Us: number } | { type: 'stop' };

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  let producers: Producer[];
  try {
    producers = await Promise.all(init.producers.map((c) => Producer.connect(c, (s) => port.postMessage({ type: 'sample', sample: s }))));
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message });
    return;
  }
  port.postMessage({ type: 'ready', recordsPerBatch: producers[0]?.recordsPerBatch ?? 0 });
  port.on('message', (m: ToWorker) => {
    if (m.type === 'go') for (const p of producers) p.start(m.t0Us);
    else if (m.type === 'stop') for (const p of producers) p.stop();
  });
  const summaries = await Promise.all(producers.map((p) => p.done));
  port.postMessage({ type: 'done', summaries });
  port.close();
}

if (parentPort) void main();
