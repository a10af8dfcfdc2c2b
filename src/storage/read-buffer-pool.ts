/**
 * ReadBufferPool: memory for the segment reads of an inline shard (--shards
 * 0), whose records go to the socket as they are, reused once the response
 * has been written (FetchOp.lease) instead of allocated per read.
 *
 * Why: a fresh Buffer of a fetch's size (up to partition.max.bytes, 1 MiB by
 * the clients' default) is larger than malloc keeps on its heap, so each
 * came from mmap and was faulted in page by page: 20-216 k page faults/s in
 * an inline broker serving a raw Fetch client 0.8-1 GB/s of backlog. Worker
 * shards read into their fetch slots instead (ReadArena).
 *
 * Buffers come in power-of-two sizes from MIN_BYTES; a lease hands out views
 * of them and returns every one, once, on release. At most MAX_IDLE_BYTES
 * wait in the pool; the rest is left to the garbage collector.
 */
import type { ReadAllocator } from './read-arena.js';

const MIN_BYTES = 64 * 1024;
const MAX_IDLE_BYTES = 64 * 1024 * 1024;

export class ReadBufferPool {
  /** Idle buffers by size: size → buffers. */
  private readonly idle = new Map<number, Buffer[]>();
  private idleBytes = 0;

  /** Allocations for one read; call release() once nothing reads them any more. */
  lease(): ReadLease {
    return new ReadLease(this);
  }

  /** Bytes waiting to be reused (for tests). */
  get idleSize(): number {
    return this.idleBytes;
  }

  /** @internal A buffer of at least `length` bytes, whole (its size is a power of two). */
  take(length: number): Buffer {
    let size = MIN_BYTES;
    while (size < length) size *= 2;
    const buf = this.idle.get(size)?.pop();
    if (!buf) return Buffer.allocUnsafeSlow(size);
    this.idleBytes -= size;
    return buf;
  }

  /** @internal */
  give(buf: Buffer): void {
    if (this.idleBytes + buf.length > MAX_IDLE_BYTES) return;
    let list = this.idle.get(buf.length);
    if (!list) this.idle.set(buf.length, (list = []));
    list.push(buf);
    this.idleBytes += buf.length;
  }
}

export class ReadLease implements ReadAllocator {
  private taken: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: ReadBufferPool) {}

  alloc(length: number): Buffer {
    if (this.released) throw new Error('read lease already released');
    const buf = this.pool.take(length);
    this.taken.push(buf);
    return buf.subarray(0, length);
  }

  /** Whether any read memory came from this lease. */
  get used(): boolean {
    return this.taken.length > 0;
  }

  /** Returns the buffers to the pool; later calls do nothing (a buffer is never handed out twice). */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const buf of this.taken) this.pool.give(buf);
    this.taken = [];
  }
}
