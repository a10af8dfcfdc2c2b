/**
 * Shared machinery of the sparse index files (.index, .timeindex): fixed-size
 * big-endian entries, kept in memory as a byte image identical to the file,
 * appended in memory and written to the file in batches.
 *
 * Shard only: owned by one Segment on its shard thread.
 *
 * Why an image of the file rather than one typed array per field: loading is
 * one read, flushing is one write of the dirty tail, and there is no
 * conversion; a binary search over ~2^18 entries costs ~18 readUInt32BE calls.
 *
 * Durability: index files are never on the append path's critical path. New
 * entries are written every FLUSH_EVERY entries and when the segment rolls or
 * closes; they are fsynced only on roll and close. That is safe because
 * recovery trusts index entries only up to the recovery point (see
 * partition-log.ts) and rebuilds the rest from the .log.
 *
 * File descriptors: held only while writing or fsyncing (a write comes every
 * FLUSH_EVERY entries, i.e. about every 1 MiB of log at the default
 * index.interval.bytes), so a partition costs the broker one descriptor,
 * its active .log, like Kafka's memory-mapped indexes. With both index
 * files held open, every partition took three, and 200 partitions
 * exhausted a 512-descriptor limit.
 */
import * as fs from 'node:fs';
import { deleteInBackground } from './files.js';

/** Pending entries that trigger a write to the file from the append path. */
const FLUSH_EVERY = 256;
const { O_RDWR, O_CREAT, O_TRUNC } = fs.constants;

export type IndexLoadStatus = 'ok' | 'missing' | 'bad-size';

export abstract class IndexFile {
  /** In-memory image of the entries [0, count), byte-identical to the file once flushed. */
  protected image: Buffer = Buffer.alloc(0);
  protected count = 0;
  /** Entries already written to the file. */
  private written = 0;
  /** Size of the file as far as we know; -1 when it does not exist. */
  private fileBytes = -1;
  private fd = -1;
  /** fsyncs in flight, and descriptors whose close waits for them. */
  private syncing = 0;
  private closeLater: number[] = [];

  constructor(readonly path: string, readonly baseOffset: number, readonly entrySize: number) {}

  get entries(): number {
    return this.count;
  }

  get sizeBytes(): number {
    return this.count * this.entrySize;
  }

  /** Start an empty index, creating or truncating the file. */
  create(): void {
    this.closeFile();
    fs.closeSync(fs.openSync(this.path, O_RDWR | O_CREAT | O_TRUNC, 0o644));
    this.count = 0;
    this.written = 0;
    this.fileBytes = 0;
  }

  /**
   * Read the file into memory. 'missing' and 'bad-size' (not a multiple of the
   * entry size) leave the index empty; the caller rebuilds it from the log.
   */
  load(): IndexLoadStatus {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') { this.count = 0; this.written = 0; this.fileBytes = -1; return 'missing'; }
      throw e;
    }
    this.fileBytes = data.length;
    if (data.length % this.entrySize !== 0) { this.count = 0; this.written = 0; return 'bad-size'; }
    this.image = data;
    this.count = data.length / this.entrySize;
    this.written = this.count;
    return 'ok';
  }

  /** Byte position in the image of a new entry, growing the image as needed. */
  protected reserveEntry(): number {
    // Flush before reserving: the new entry's bytes are written by the caller after this returns.
    if (this.count - this.written >= FLUSH_EVERY) this.flush();
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.image.length) {
      const grown = Buffer.allocUnsafe(Math.max(64 * this.entrySize, this.image.length * 2));
      this.image.copy(grown, 0, 0, at);
      this.image = grown;
    }
    this.count++;
    return at;
  }

  /** Keep the first `n` entries. */
  truncateEntries(n: number): void {
    if (n < this.count) this.count = Math.max(0, n);
    if (this.written > this.count) this.written = this.count;
    this.trimFile();
  }

  /** Cut the file to the entries written (it may hold more after a truncation, or junk after a bad load). */
  private trimFile(): void {
    const want = this.written * this.entrySize;
    if (this.fileBytes > want) {
      this.withFd((fd) => fs.ftruncateSync(fd, want));
      this.fileBytes = want;
    }
  }

  /** Drop every entry (before a rebuild). */
  clear(): void {
    this.truncateEntries(0);
  }

  /** Write entries not yet in the file (creating it if missing). */
  flush(): void {
    if (this.written === this.count && this.fileBytes === this.count * this.entrySize) return;
    const from = this.written * this.entrySize;
    const to = this.count * this.entrySize;
    this.withFd((fd) => {
      let p = from;
      while (p < to) p += fs.writeSync(fd, this.image, p, to - p, p);
    });
    this.written = this.count;
    this.fileBytes = Math.max(this.fileBytes, to);
    this.trimFile();
  }

  /** Flush, then fsync the file (asynchronously). */
  fsync(): Promise<void> {
    this.flush();
    if (this.fileBytes < 0) return Promise.resolve();
    if (this.fd < 0) {
      // fsync is per file, so a new descriptor covers what earlier ones wrote.
      try {
        this.fd = fs.openSync(this.path, O_RDWR);
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const fd = this.fd;
    this.syncing++;
    return new Promise((resolve, reject) => fs.fsync(fd, (err) => {
      if (--this.syncing === 0) {
        for (const f of this.closeLater) fs.closeSync(f);
        this.closeLater = [];
        if (this.fd === fd) { fs.closeSync(fd); this.fd = -1; }
      }
      if (err) reject(err);
      else resolve();
    }));
  }

  /**
   * Close the file descriptor, if one is open (once no fsync is using it);
   * the in-memory entries stay usable for lookups, and a later write
   * reopens the file.
   */
  closeFile(): void {
    if (this.fd < 0) return;
    if (this.syncing > 0) this.closeLater.push(this.fd);
    else fs.closeSync(this.fd);
    this.fd = -1;
  }

  deleteFile(): void {
    this.closeFile();
    deleteInBackground(this.path);
    this.fileBytes = -1;
  }

  /** Runs `fn` with a descriptor of the file: the one an fsync in flight holds, or one opened for the call. */
  private withFd(fn: (fd: number) => void): void {
    const own = this.fd < 0;
    const fd = own ? fs.openSync(this.path, O_RDWR | O_CREAT, 0o644) : this.fd;
    if (this.fileBytes < 0) this.fileBytes = 0;
    try {
      fn(fd);
    } finally {
      if (own) fs.closeSync(fd);
    }
  }

  /** u32 at `field` of entry i. */
  protected u32(i: number, field: number): number {
    return this.image.readUInt32BE(i * this.entrySize + field);
  }
}
