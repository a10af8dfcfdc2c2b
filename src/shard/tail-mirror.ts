/**
 * TailMirror (dispatcher thread): the newest batches of the partitions that
 * consumers are tailing, pushed by the owning shard worker as they are
 * appended, so a Fetch at the end of the log is answered on the dispatcher
 * without a round trip to the shard.
 *
 * Why: a round trip is two thread hops of ~60-150 µs each on this VM, and a
 * tailing consumer would pay one per empty poll and one per wake-up. With the
 * mirror, "no new data" is answered at once (the fetch parks), and the data
 * signal that wakes it carries the new batches, so end-to-end latency pays
 * only the produce path's hops.
 *
 * Protocol with the shard (see envelope.ts):
 *   - a FETCH that reaches the log end makes the shard watch the partition;
 *     its reply says so, and the mirror starts at that log end offset;
 *   - from then on every append of the partition comes back as a TAIL message
 *     with the appended bytes (offsets assigned), in log order, so the mirror
 *     stays a contiguous suffix of the log;
 *   - the dispatcher sends UNWATCH when nobody has read the mirror for
 *     IDLE_MS or the mirrors' memory is over budget; a plain DATA signal for
 *     a partition the mirror believes watched also ends the watch (the shard
 *     stopped first), so a stale mirror never answers "no data" for long: the
 *     signal that announces new data also wakes the parked fetch, which then
 *     reads from the shard.
 *
 * Only reads the mirror can answer exactly are served here: offsets from the
 * mirror's first batch to its log end offset. Everything else goes to the shard.
 * Memory: at most PER_PARTITION_BYTES per watched partition (plus one chunk)
 * and TOTAL_BYTES per shard.
 */
import { ErrorCode } from '../common/error-codes.js';
import { LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD } from '../protocol/record-batch/record-batch-header.js';
import type { AppendedBatch } from '../storage/segment.js';
import { TailCache } from '../storage/tail-cache.js';
import type { FetchOp, FetchOutcome } from './shard.js';

export const TAIL_MIRROR_LIMITS = {
  perPartitionBytes: 1024 * 1024,
  totalBytes: 64 * 1024 * 1024,
  /** A mirror nobody read for this long stops being fed. */
  idleMs: 1000,
};

interface Entry {
  cache: TailCache;
  logEndOffset: number;
  logStartOffset: number;
  lastReadMs: number;
}

export class TailMirror {
  private readonly entries = new Map<number, Entry>();
  private totalBytes = 0;

  constructor(private readonly limits = TAIL_MIRROR_LIMITS) {}

  isWatched(handle: number): boolean {
    return this.entries.has(handle);
  }

  /** The shard watches `handle` from its log end offset on (a fetch reached the end). */
  watch(handle: number, logEndOffset: number, logStartOffset: number, nowMs: number): void {
    const e = this.entries.get(handle);
    if (e) { e.logStartOffset = logStartOffset; return; }
    this.entries.set(handle, { cache: new TailCache(this.limits.perPartitionBytes), logEndOffset, logStartOffset, lastReadMs: nowMs });
  }

  /** Stops mirroring `handle` (unwatched, deleted, or the shard restarted). */
  forget(handle: number): void {
    const e = this.entries.get(handle);
    if (!e) return;
    this.totalBytes -= e.cache.sizeBytes;
    this.entries.delete(handle);
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  /** DeleteRecords moved the log start. */
  logStartMoved(handle: number, logStartOffset: number): void {
    const e = this.entries.get(handle);
    if (!e) return;
    e.logStartOffset = logStartOffset;
    const before = e.cache.sizeBytes;
    e.cache.dropBelow(logStartOffset);
    this.totalBytes += e.cache.sizeBytes - before;
  }

  /**
   * An append the shard pushed: `records` (null when it was too large to push)
   * starting at `baseOffset`, after which the log ends at `logEndOffset`.
   * Returns false when the dispatcher should tell the shard to stop pushing.
   */
  push(handle: number, baseOffset: number, logEndOffset: number, logStartOffset: number, records: Buffer | null, nowMs: number): boolean {
    const e = this.entries.get(handle);
    if (!e) return false;
    if (nowMs - e.lastReadMs > this.limits.idleMs) { this.forget(handle); return false; }
    const before = e.cache.sizeBytes;
    // A gap (an append not pushed, or one missed) restarts the mirror at the new end.
    if (!records || baseOffset !== e.logEndOffset) e.cache.clear();
    if (records) e.cache.append(records, batchesOf(records), baseOffset);
    e.logEndOffset = logEndOffset;
    e.logStartOffset = logStartOffset;
    this.totalBytes += e.cache.sizeBytes - before;
    if (this.totalBytes > this.limits.totalBytes) { this.forget(handle); return false; }
    return true;
  }

  /** The answer to `op` from the mirror, or null when only the shard can answer it. */
  read(handle: number, op: FetchOp, nowMs: number): FetchOutcome | null {
    const e = this.entries.get(handle);
    if (!e) return null;
    const offset = op.fetchOffset;
    if (offset < e.logStartOffset || offset > e.logEndOffset) return null;
    const answer: FetchOutcome = { errorCode: ErrorCode.NONE, records: [], bytes: 0, highWatermark: e.logEndOffset, logStartOffset: e.logStartOffset };
    if (offset < e.logEndOffset) {
      if (offset < e.cache.firstOffset) return null;
      answer.bytes = e.cache.read(offset, op.maxBytes, op.minOneBatch, answer.records).bytes;
    }
    e.lastReadMs = nowMs;
    return answer;
  }
}

/** Batch positions of a pushed append (whole v2 batches, validated by the shard). */
function batchesOf(records: Buffer): AppendedBatch[] {
  const batches: AppendedBatch[] = [];
  for (let pos = 0; pos + LOG_OVERHEAD <= records.length;) {
    const size = LOG_OVERHEAD + records.readInt32BE(pos + LENGTH_OFFSET);
    batches.push({ position: pos, size, lastOffsetDelta: records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) });
    pos += size;
  }
  return batches;
}
