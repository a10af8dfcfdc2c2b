/**
 * Long-poll fetches waiting for data (dispatcher thread only), named after
 * Kafka's purgatory. A parked Fetch is woken by the owning shard's "new data"
 * signal for any of its partitions, or by its max_wait_ms timer, so
 * end-to-end latency is never a polling interval.
 */
import type { PartitionKey } from '../shard/shard.js';

interface Waiter {
  keys: PartitionKey[];
  timer: NodeJS.Timeout;
  resolve: () => void;
}

export class FetchPurgatory {
  private readonly waiters = new Map<PartitionKey, Set<Waiter>>();
  /** Bumped on every data signal; `lastSignal` records it per partition. */
  private signals = 0;
  private readonly lastSignal = new Map<PartitionKey, number>();

  /**
   * A mark to take before reading the partitions a fetch will wait on. With
   * worker shards the read completes asynchronously, and a data signal can
   * arrive between the read and the park; `wait` given the mark returns at
   * once in that case instead of sleeping through the new data.
   */
  mark(): number {
    return this.signals;
  }

  /** Resolves when any of `keys` gets new data after `since` or after `maxWaitMs`, whichever is first. */
  wait(keys: PartitionKey[], maxWaitMs: number, since = this.signals): Promise<void> {
    if (keys.some((k) => (this.lastSignal.get(k) ?? -1) >= since)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        keys,
        resolve,
        timer: setTimeout(() => this.release(waiter), Math.max(0, maxWaitMs)),
      };
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(waiter);
      }
    });
  }

  /** Called by the shards' data signal. */
  wake(key: PartitionKey): void {
    this.lastSignal.set(key, this.signals++);
    const set = this.waiters.get(key);
    if (!set) return;
    for (const w of [...set]) this.release(w);
  }

  get parkedCount(): number {
    const all = new Set<Waiter>();
    for (const set of this.waiters.values()) for (const w of set) all.add(w);
    return all.size;
  }

  /** Wakes everything (shutdown). */
  releaseAll(): void {
    for (const set of [...this.waiters.values()]) for (const w of [...set]) this.release(w);
  }

  private release(w: Waiter): void {
    clearTimeout(w.timer);
    for (const k of w.keys) {
      const set = this.waiters.get(k);
      if (!set) continue;
      set.delete(w);
      if (set.size === 0) this.waiters.delete(k);
    }
    w.resolve();
  }
}
