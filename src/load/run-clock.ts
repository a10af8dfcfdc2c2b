/**
 * The run clock: calls `onSecond(k)` at t0 + k seconds (k = 1, 2, ...),
 * drift-free (each timer is set from t0, not from the previous tick), and
 * once more from `finish()` for the last, partial second. Every producer and
 * consumer cuts its interval sample from it, so samples from different
 * threads with the same k cover the same wall-clock second.
 */
import { nowUs } from './record-value.js';

/**
 * Call `fn` once the µs clock (nowUs) has reached `us`, never before. A bare
 * setTimeout can fire up to ~1 ms early as nowUs sees it (Node timers count
 * whole milliseconds from the event loop's cached time), and a producer started
 * early stamps its first batches with send times before t0, which the e2e
 * consumer then files under the warm-up. An early timer is re-armed for the
 * rest. Every timer set goes into `timers` (for clearTimeout).
 */
export function atUs(us: number, fn: () => void, timers: NodeJS.Timeout[]): void {
  const arm = (): void => {
    timers.push(setTimeout(() => (nowUs() < us ? arm() : fn()), Math.max(0, (us - nowUs()) / 1000)));
  };
  arm();
}

export class RunClock {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(private readonly t0Us: number, private readonly onSecond: (second: number) => void) {
    this.arm();
  }

  /** The interval index `now` falls in: (k - 1, k] seconds after t0. */
  secondAt(us: number): number {
    return Math.max(1, Math.ceil((us - this.t0Us) / 1e6));
  }

  private arm(): void {
    const next = this.last + 1;
    const delayMs = Math.max(0, (this.t0Us + next * 1e6 - nowUs()) / 1000);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.finished) return;
      this.last = next;
      this.onSecond(next);
      this.arm();
    }, delayMs);
  }

  /**
   * Stop ticking and report the last, partial second. Seconds that ended
   * while their timer waited on a busy event loop are reported first, each
   * under its own index: otherwise the whole of such a second would be filed
   * under the partial one after it.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    const current = this.secondAt(nowUs());
    for (let k = this.last + 1; k < current; k++) this.onSecond(k);
    this.onSecond(Math.max(this.last + 1, current));
  }
}
