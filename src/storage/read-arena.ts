/**
 * ReadArena: scratch memory for segment reads whose result the reader
 * copies, or hands on, before it reads again (LogConfig.readerCopiesAtOnce:
 * worker shards). A worker points it at the fetch slots a read will be
 * answered from, so the file's bytes land where the dispatcher writes them
 * to the socket; what does not fit there comes from the arena's own memory.
 *
 * Why: a fresh Buffer per read (about 1 MiB for a typical fetch) is
 * larger than malloc keeps on its heap, so each came from mmap, was
 * faulted in and zeroed page by page by the kernel, and given back:
 * page faults and page clearing were 11% of all CPU samples while
 * consumers read a backlog from disk (perf, 2 shards), and the copy into
 * the fetch slot another 6%.
 *
 * Bump allocation: the reader calls `reset()` once it is done with the
 * previous read, and the log calls `alloc()` for each buffer a read needs.
 * When the arena is too small it moves to a larger one; views already
 * handed out keep the old one alive until dropped. One arena per thread
 * (module state is per worker).
 */
const MIN_BYTES = 1 << 20;

/** Where a segment read gets the memory it reads into. */
export interface ReadAllocator {
  /** `length` bytes of uninitialised memory the caller may read into. */
  alloc(length: number): Buffer;
}

export class ReadArena implements ReadAllocator {
  private memory = new ArrayBuffer(0);
  private used = 0;
  private region: Buffer | null = null;
  private regionUsed = 0;

  /** The previous read's buffers may be overwritten from now on; the next ones come from `region` first. */
  reset(region?: Buffer): void {
    this.used = 0;
    this.region = region ?? null;
    this.regionUsed = 0;
  }

  /** `length` bytes of uninitialised scratch, 8-byte aligned. */
  alloc(length: number): Buffer {
    const r = this.region;
    if (r && this.regionUsed + length <= r.length) {
      const buf = r.subarray(this.regionUsed, this.regionUsed + length);
      this.regionUsed += (length + 7) & ~7;
      return buf;
    }
    this.region = null; // in order: nothing later lands back in the region
    if (this.used + length > this.memory.byteLength) {
      this.memory = new ArrayBuffer(Math.max(MIN_BYTES, 2 * this.memory.byteLength, length));
      this.used = 0;
    }
    const buf = Buffer.from(this.memory, this.used, length);
    this.used += (length + 7) & ~7;
    return buf;
  }

  get capacity(): number {
    return this.memory.byteLength;
  }
}

/** This thread's arena. */
export const threadReadArena = new ReadArena();
