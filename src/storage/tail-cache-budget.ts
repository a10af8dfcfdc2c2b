/**
 * The memory one shard gives to its partitions' tail caches (shard only).
 *
 * A partition's cache is on only while consumers read the partition: it
 * joins at a read and leaves once nobody has read it for `idleMs`. The
 * budget is split evenly between the partitions whose caches are on; each
 * also keeps its own tailCacheBytes cap. Without it every partition that was
 * ever appended to held up to tailCacheBytes (8 MiB) for good, read or not:
 * 128 partitions nobody consumed kept a broker at 1.3 GiB RSS.
 */
export interface TailCacheMember {
  /** The member's share of the budget changed (its cache must now fit in `bytes`). */
  setTailCacheShare(bytes: number): void;
}

/** A cache nobody has read for this long is switched off and emptied. */
export const TAIL_CACHE_IDLE_MS = 30_000;

export class TailCacheBudget {
  private readonly members = new Set<TailCacheMember>();

  constructor(readonly totalBytes: number, readonly idleMs = TAIL_CACHE_IDLE_MS) {}

  /** Partitions whose caches are on. */
  get memberCount(): number {
    return this.members.size;
  }

  join(member: TailCacheMember): void {
    if (this.members.has(member)) return;
    this.members.add(member);
    this.reshare();
  }

  leave(member: TailCacheMember): void {
    if (this.members.delete(member)) this.reshare();
  }

  private reshare(): void {
    const share = Math.floor(this.totalBytes / Math.max(1, this.members.size));
    for (const m of this.members) m.setTailCacheShare(share);
  }
}
