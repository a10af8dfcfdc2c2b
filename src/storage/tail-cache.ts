/**
 * In-memory copy of the most recent batches of one partition, so consumers
 * that keep up with the producers are served without a disk read.
 *
 * Shard only (owned by a PartitionLog).
 *
 * Invariant: the cached batches are a contiguous suffix of the log, from
 * `firstOffset` to the log end offset, so any fetch at or after firstOffset
 * can be answered from here alone. An append too large to cache clears the
 * cache rather than leave a gap.
 *
 * Memory: appends are copied (one memcpy per append, all its batches at once)
 * into 64 KiB–1 MiB chunks. By default a chunk is never reused, so a view
 * handed to a reader stays valid however long the socket write takes, and
 * evicted chunks are left to the GC. With `reuseChunks` (worker shards, which
 * copy every read into their outbound ring before the next append) a chunk
 * whose batches are all evicted is written again: fresh chunks cost page
 * faults on first touch and, at hundreds of MB/s, steady mark-compacts
 * driven by external memory. Held memory ≈ limit + three chunks.
 */
import { ALIGN_SLACK, skewFor } from '../common/co-aligned.js';
import type { AppendedBatch } from './segment.js';

const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;

export interface CacheRead { bytes: number; lastOffset: number }

export class TailCache {
  // One entry per cached batch, in flat arrays: the chunk holding it (a
  // reference, not a new view) and numbers. A view object per batch would be
  // a young object that survives into old space for as long as the batch is
  // cached: at thousands of small batches per second that made every
  // scavenge copy and promote ~1 MB, pausing the thread for 2-5 ms.
  private bases: number[] = [];
  private lasts: number[] = [];
  private chunks: Buffer[] = [];
  private starts: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;
  private chunk: Buffer | null = null;
  private chunkUsed = 0;
  private chunkSize: number;
  /** reuseChunks only: cached batches per chunk, and chunks with none left, ready to be written again. */
  private readonly live = new Map<ArrayBufferLike, { chunk: Buffer; batches: number }>();
  private readonly spare: Buffer[] = [];

  constructor(private limitBytes: number, private readonly reuseChunks = false) {
    this.chunkSize = TailCache.chunkSizeFor(limitBytes);
  }

  private static chunkSizeFor(limit: number): number {
    return Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, Math.floor(limit / 8)));
  }

  /** Base offset of the oldest cached batch; Infinity when empty. */
  get firstOffset(): number {
    return this.head < this.bases.length ? this.bases[this.head]! : Infinity;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get batchCount(): number {
    return this.bases.length - this.head;
  }

  setLimit(limitBytes: number): void {
    this.limitBytes = limitBytes;
    this.chunkSize = TailCache.chunkSizeFor(limitBytes);
    this.evict();
  }

  /** Cache the batches of one append (offsets assigned, the first at `firstOffset`). */
  append(src: Buffer, batches: readonly AppendedBatch[], firstOffset: number): void {
    const n = src.length;
    if (n > this.limitBytes) { this.clear(); return; }
    // The copy lands co-aligned with `src`, which may be a shard's ring (shared memory).
    let dst: Buffer;
    let at: number;
    if (n + ALIGN_SLACK > this.chunkSize) {
      dst = Buffer.allocUnsafeSlow(n + ALIGN_SLACK);
      at = skewFor(src, dst.byteOffset);
    } else {
      if (!this.chunk || this.chunkUsed + ALIGN_SLACK + n > this.chunk.length) this.newChunk();
      dst = this.chunk!;
      at = this.chunkUsed + skewFor(src, dst.byteOffset + this.chunkUsed);
      this.chunkUsed = at + n;
      if (this.reuseChunks) this.live.get(dst.buffer)!.batches += batches.length;
    }
    src.copy(dst, at, 0, n);
    let offset = firstOffset;
    for (const b of batches) {
      const last = offset + b.lastOffsetDelta;
      this.bases.push(offset);
      this.lasts.push(last);
      this.chunks.push(dst);
      this.starts.push(at + b.position);
      this.sizes.push(b.size);
      offset = last + 1;
    }
    this.bytes += n;
    this.evict();
  }

  private newChunk(): void {
    const old = this.chunk;
    if (old && this.live.get(old.buffer)?.batches === 0) this.release(old);
    let next = this.spare.pop();
    while (next && next.length !== this.chunkSize) next = this.spare.pop(); // the limit changed
    this.chunk = next ?? Buffer.allocUnsafeSlow(this.chunkSize);
    this.chunkUsed = 0;
    if (this.reuseChunks) this.live.set(this.chunk.buffer, { chunk: this.chunk, batches: 0 });
  }

  /** A chunk none of whose batches is cached any more. */
  private release(chunk: Buffer): void {
    this.live.delete(chunk.buffer);
    if (this.spare.length < 2) this.spare.push(chunk);
  }

  /** Drops the oldest cached batch. */
  private dropHead(): void {
    const chunk = this.chunks[this.head]!;
    this.bytes -= this.sizes[this.head]!;
    this.chunks[this.head] = EMPTY;
    this.head++;
    if (!this.reuseChunks) return;
    const e = this.live.get(chunk.buffer);
    if (e && --e.batches === 0 && e.chunk !== this.chunk) this.release(e.chunk);
  }

  private evict(): void {
    while (this.bytes > this.limitBytes && this.head < this.bases.length) this.dropHead();
    if (this.head === this.bases.length) this.reset();
    else if (this.head > 1024 && this.head * 2 > this.bases.length) this.compact();
  }

  private compact(): void {
    this.bases = this.bases.slice(this.head);
    this.lasts = this.lasts.slice(this.head);
    this.chunks = this.chunks.slice(this.head);
    this.starts = this.starts.slice(this.head);
    this.sizes = this.sizes.slice(this.head);
    this.head = 0;
  }

  private reset(): void {
    this.bases = [];
    this.lasts = [];
    this.chunks = [];
    this.starts = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }

  clear(): void {
    this.reset();
    this.chunk = null;
    this.chunkUsed = 0;
    this.live.clear();
    this.spare.length = 0;
  }

  /** Forget batches that end before `offset` (after DeleteRecords or retention). */
  dropBelow(offset: number): void {
    while (this.head < this.bases.length && this.lasts[this.head]! < offset) this.dropHead();
    this.evict();
  }

  /**
   * Push views of whole batches onto `out`, from the one containing `offset`
   * (which must be ≥ firstOffset), while the total stays ≤ maxBytes (the
   * first regardless when minOneBatch). Adjacent batches in one chunk become
   * one view.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, out: Buffer[]): CacheRead {
    const end = this.bases.length;
    let lo = this.head;
    let hi = end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lasts[mid]! < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    let total = 0;
    let lastOffset = -1;
    let run: Buffer | null = null;
    let runStart = 0;
    let runLen = 0;
    for (let i = lo; i < end; i++) {
      const size = this.sizes[i]!;
      if (total + size > maxBytes && !(total === 0 && minOneBatch)) break;
      const chunk = this.chunks[i]!;
      const start = this.starts[i]!;
      if (chunk === run && start === runStart + runLen) {
        runLen += size;
      } else {
        if (run) out.push(run.subarray(runStart, runStart + runLen));
        run = chunk;
        runStart = start;
        runLen = size;
      }
      total += size;
      lastOffset = this.lasts[i]!;
    }
    if (run) out.push(run.subarray(runStart, runStart + runLen));
    return { bytes: total, lastOffset };
  }
}

const EMPTY = Buffer.alloc(0);
