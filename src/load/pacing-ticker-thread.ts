/**
 * The helper thread of a PacingTicker (see pacing-ticker.ts): while running,
 * sleep one tick, bump SEQ, and wake the owning thread if it waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TickerCell as C } from './pacing-ticker.js';

const cells = (workerData as { cells: Int32Array }).cells;
const tickMs = Atomics.load(cells, C.TICK_US) / 1000;
parentPort!.postMessage('ready');

while (Atomics.load(cells, C.STOP) === 0) {
  Atomics.wait(cells, C.RUNNING, 0); // parked while nobody holds the ticker
  if (Atomics.load(cells, C.STOP) !== 0) break;
  Atomics.wait(cells, C.SLEEP, 0, tickMs);
  Atomics.add(cells, C.SEQ, 1);
  if (Atomics.load(cells, C.WAITING) === 1) Atomics.notify(cells, C.SEQ);
}
