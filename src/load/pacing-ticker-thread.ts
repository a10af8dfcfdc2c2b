/**
 * The helper thread of a PacingTicker (see pacing-ticker.ts): sleep one
 * tick, bump SEQ, wake the owning thread if it waits. After PARK_AFTER
 * ticks nobody waited for, park until someone waits (announced in PARKED,
 * so the owner pays a wake-up only then): a ticker held through a slow
 * fixed-rate run does not tick thousands of times a second for nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TickerCell as C } from './pacing-ticker.js';

const PARK_AFTER = 8;
const cells = (workerData as { cells: Int32Array }).cells;
const tickMs = Atomics.load(cells, C.TICK_US) / 1000;
parentPort!.postMessage('ready');

let idle = PARK_AFTER;
while (Atomics.load(cells, C.STOP) === 0) {
  if (idle >= PARK_AFTER) {
    Atomics.store(cells, C.PARKED, 1);
    // WAITING is re-read after PARKED is set: the owner sets WAITING before it reads PARKED, so one of the two sees the other.
    if (Atomics.load(cells, C.WAITING) === 0) Atomics.wait(cells, C.WAITING, 0);
    Atomics.store(cells, C.PARKED, 0);
    idle = 0;
    continue;
  }
  Atomics.wait(cells, C.SLEEP, 0, tickMs);
  Atomics.add(cells, C.SEQ, 1);
  if (Atomics.load(cells, C.WAITING) === 1) {
    Atomics.notify(cells, C.SEQ);
    idle = 0;
  } else {
    idle++;
  }
}
