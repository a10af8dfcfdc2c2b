/**
 * PacingTicker: wake-ups finer than Node's timers for a thread whose event
 * loop must not block. setTimeout rounds up to 1 ms and Atomics.waitAsync
 * rounds a sub-millisecond timeout down to zero, while a blocking
 * Atomics.wait keeps µs precision but stalls the loop (acks and fetches that
 * arrive meanwhile are handled late, and measured late). So a helper thread
 * (pacing-ticker-thread.ts) sleeps each tick in Atomics.wait and then
 * notifies this thread's waitAsync; this thread's loop keeps running.
 *
 * One ticker per thread (module state is per thread), shared by the
 * producers on it (`acquire` / `release`). The helper notifies only when
 * this thread waits for the tick, so under a steady rate a tick costs one
 * cross-thread wake-up, and it parks when nobody waited for a few ticks.
 * It keeps the process alive only while someone waits for a tick, and ends
 * when the last holder releases.
 *
 * Shared cells (Int32): SEQ, bumped each tick (waiters wait on it);
 * WAITING, 1 while this thread waits (2: stopping); PARKED, 1 while the
 * helper sleeps until WAITING changes; STOP; TICK_US; SLEEP, never written
 * (the helper's timed wait).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export const TickerCell = { SEQ: 0, WAITING: 1, PARKED: 2, STOP: 3, TICK_US: 4, SLEEP: 5 } as const;
const CELLS = 6;

export class PacingTicker {
  private readonly cells = new Int32Array(new SharedArrayBuffer(CELLS * 4));
  private readonly worker: Worker;
  private callbacks: (() => void)[] = [];
  private holders = 0;
  /**
   * Resolves when the helper thread runs its loop. Starting a thread can
   * take a second on a loaded machine, and until then there are no ticks:
   * wait for this before relying on them.
   */
  readonly ready: Promise<void>;
  private started = false;

  private constructor(tickUs: number) {
    Atomics.store(this.cells, TickerCell.TICK_US, tickUs);
    this.worker = new Worker(new URL('./pacing-ticker-thread.js', import.meta.url), { workerData: { cells: this.cells } });
    this.ready = once(this.worker, 'message').then(() => {
      this.started = true;
      this.updateRef();
    });
  }

  private static current: PacingTicker | null = null;

  /** This thread's ticker, started if needed; each acquire needs a release. */
  static acquire(tickUs: number): PacingTicker {
    const t = (PacingTicker.current ??= new PacingTicker(tickUs));
    t.holders++;
    return t;
  }

  release(): void {
    if (--this.holders > 0) return;
    PacingTicker.current = null;
    Atomics.store(this.cells, TickerCell.STOP, 1);
    // A value other than 0 or 1 ends a park even if the helper has not started waiting yet.
    Atomics.store(this.cells, TickerCell.WAITING, 2);
    Atomics.notify(this.cells, TickerCell.WAITING);
    for (const fn of this.takeCallbacks()) fn();
  }

  /** Calls `fn` once, at the next tick. */
  onNextTick(fn: () => void): void {
    this.callbacks.push(fn);
    if (this.callbacks.length > 1) return; // this thread already waits for the tick
    this.updateRef();
    const seq = Atomics.load(this.cells, TickerCell.SEQ);
    Atomics.store(this.cells, TickerCell.WAITING, 1);
    if (Atomics.load(this.cells, TickerCell.PARKED) === 1) Atomics.notify(this.cells, TickerCell.WAITING);
    const r = Atomics.waitAsync(this.cells, TickerCell.SEQ, seq);
    if (r.async) void r.value.then(this.fire);
    else queueMicrotask(this.fire);
  }

  private readonly fire = (): void => {
    if (this.holders > 0) Atomics.store(this.cells, TickerCell.WAITING, 0); // after release it must stay 2
    const fns = this.takeCallbacks();
    this.updateRef();
    for (const fn of fns) fn();
  };

  /** A pending waitAsync does not keep the event loop alive (Node 20): the referenced worker does, while it starts and while someone waits. */
  private updateRef(): void {
    if (!this.started || this.callbacks.length > 0) this.worker.ref();
    else this.worker.unref();
  }

  private takeCallbacks(): (() => void)[] {
    const fns = this.callbacks;
    this.callbacks = [];
    return fns;
  }
}
