/**
 * Request deadlines without a timer per request: one coarse timer checks
 * every registered deadline each `granularityMs`. A produce request waiting
 * for its fsync costs a list entry, not a setTimeout/clearTimeout pair
 * (which showed up in profiles at tens of thousands of requests per second).
 */
interface Entry {
  atMs: number;
  settled: boolean;
  onTimeout: () => void;
}

export class DeadlineWheel {
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly granularityMs = 25) {}

  /** Resolves `true` if `p` has not settled within `timeoutMs`, else `false` once it settles. */
  race(p: Promise<unknown>, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const e: Entry = { atMs: Date.now() + timeoutMs, settled: false, onTimeout: () => resolve(true) };
      this.entries.push(e);
      this.arm();
      const done = (): void => {
        if (e.settled) return;
        e.settled = true;
        resolve(false);
      };
      p.then(done, done);
    });
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.granularityMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    const keep: Entry[] = [];
    for (const e of this.entries) {
      if (e.settled) continue;
      if (e.atMs <= now) {
        e.settled = true;
        e.onTimeout();
      } else keep.push(e);
    }
    this.entries = keep;
    if (keep.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
