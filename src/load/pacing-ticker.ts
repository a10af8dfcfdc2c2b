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
 * producers on it: it ticks while at least one holds it (`acquire` /
 * `release`), and notifies only when someone waits for the tick, so a tick
 * nobody asked for costs the helper one timer wake-up and no cross-thread
 * wake. The helper thread keeps the process alive only while someone waits
 * for a tick, and ends when the last holder releases.
 *
 * Shared cells (Int32): SEQ, bumped each tick (waiters wait on it);
 * WAITING, 1 while this thread waits; RUNNING, 0 parks the helper; STOP;
 * TICK_US; SLEEP, never written (the helper's timed wait).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

export const TickerCell = { SEQ: 0, WAITING: 1, RUNNING: 2, STOP: 3, TICK_US: 4, SLEEP: 5 } as const;
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
    if (t.holders++ === 0) {
      Atomics.store(t.cells, TickerCell.RUNNING, 1);
      Atomics.notify(t.cells, TickerCell.RUNNING);
    }
    return t;
  }

  release(): void {
    if (--this.holders > 0) return;
    PacingTicker.current = null;
    Atomics.store(this.cells, TickerCell.STOP, 1);
    Atomics.store(this.cells, TickerCell.RUNNING, 1);
    Atomics.notify(this.cells, TickerCell.RUNNING);
    for (const fn of this.takeCallbacks()) fn();
  }

  /** Calls `fn` once, at the next tick. */
  onNextTick(fn: () => void): void {
    this.callbacks.push(fn);
    if (this.callbacks.length > 1) return; // this thread already waits for the tick
    this.updateRef();
    const seq = Atomics.load(this.cells, TickerCell.SEQ);
    Atomics.store(this.cells, TickerCell.WAITING, 1);
    const r = Atomics.waitAsync(this.cells, TickerCell.SEQ, seq);
    if (r.async) void r.value.then(this.fire);
    else queueMicrotask(this.fire);
  }

  private readonly fire = (): void => {
    Atomics.store(this.cells, TickerCell.WAITING, 0);
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
