/**
 * ReadArena: scratch memory for segment reads whose result the reader
 * copies before it reads again (LogConfig.readerCopiesAtOnce: worker
 * shards copy every read into a fetch slot or their outbound ring at once).
 *
 * Why: a fresh Buffer per read (about 1 MiB for a typical fetch) is
 * larger than malloc keeps on its heap, so each came from mmap, was
 * faulted in and zeroed page by page by the kernel, and given back:
 * page faults and page clearing were 11% of all CPU samples while
 * consumers read a backlog from disk (perf, 2 shards).
 *
 * Bump allocation: `reset()` at the start of a read, `alloc()` for each
 * buffer the read needs. When the arena is too small it moves to a larger
 * one; views already handed out keep the old one alive until dropped.
 * One arena per thread (module state is per worker).
 */
const MIN_BYTES = 1 << 20;

export class ReadArena {
  private memory = new ArrayBuffer(0);
  private used = 0;

  /** The previous read's buffers may be overwritten from now on. */
  reset(): void {
    this.used = 0;
  }

  /** `length` bytes of uninitialised scratch, 8-byte aligned. */
  alloc(length: number): Buffer {
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
