/**
 * One log segment: `<baseOffset>.log` plus its `.index` and `.timeindex`
 * (layouts in offset-index.ts and time-index.ts).
 *
 * ```
 * .log = batch*     record batches v2 exactly as produced, back to back, with
 *                   baseOffset assigned (and LogAppendTime stamped if configured);
 *                   no header, no padding. Batch layout: record-batch-header.ts.
 * ```
 *
 * Shard only: a Segment is used by its PartitionLog on one thread (a shard
 * worker, or the dispatcher in inline mode). Appends are synchronous pwrites
 * into the page cache; reads are synchronous preads; fdatasync runs on libuv's
 * thread pool and is never called synchronously.
 *
 * Group commit (sync()): at most one fdatasync is in flight per segment. An
 * fdatasync covers every append written before it started. Callers that ask
 * while one is in flight share a single "next" promise; when the in-flight one
 * completes, the next starts at once if anyone is waiting. The first sync after
 * an idle period starts on setImmediate, so appends from the same event-loop
 * turn share it.
 */
import * as fs from 'node:fs';
import {
  BATCH_HEADER_SIZE, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET,
  MAGIC_V2, MAX_TIMESTAMP_OFFSET, readInt64,
} from '../protocol/record-batch/record-batch-header.js';
import { batchCrc32c } from '../protocol/record-batch/crc.js';
import { assert } from '../common/assert.js';
import {
  INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, deleteInBackground, readFully, segmentPath, writeFully,
} from './files.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import type { ReadAllocator } from './read-arena.js';
import { recordFsync } from './fsync-stats.js';

const { O_RDWR, O_CREAT, O_TRUNC } = fs.constants;

/** Window for sequential scans (recovery, timestamp search). */
const SCAN_WINDOW_BYTES = 1024 * 1024;
/** Header bytes needed to know a batch's size and last offset. */
const SIZE_AND_OFFSETS_BYTES = LAST_OFFSET_DELTA_OFFSET + 4;
/** Relative offsets are u32 in the index files. */
export const MAX_RELATIVE_OFFSET = 0xffffffff;

const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** Counters shared by the segments of one log. */
export interface SegmentStats {
  fdatasyncs: number;
  diskReads: number;
  diskReadBytes: number;
}

/** One batch of an append: where it is in the appended buffer, how big, and its lastOffsetDelta. */
export interface AppendedBatch { position: number; size: number; lastOffsetDelta: number }

export interface SegmentRead {
  /** Whole batches, or null when none fit the budget (or none at/after the offset). */
  buf: Buffer | null;
  /** Last offset of the last batch in buf, or -1. */
  lastOffset: number;
  /** True when the read stopped at the end of the segment rather than at the byte budget. */
  atEnd: boolean;
}

export interface RecoveryResult {
  /** Bytes cut off the end of the .log. */
  truncatedBytes: number;
  /** Why the first dropped batch was rejected. */
  reason: string | null;
}

interface Deferred { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void }

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // Owners may ignore `durable` (acks=1); an unobserved rejection must not end the process.
  promise.catch(noop);
  return { promise, resolve, reject };
}

export class Segment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly logPath: string;
  private fd: number;
  private _size: number;
  /** Last offset + 1 of the last batch, or baseOffset when empty. */
  nextOffset: number;
  /** Largest batch maxTimestamp, or -1. */
  maxTimestamp = -1;
  /** Last offset of the first batch that reached maxTimestamp, or -1. */
  offsetOfMaxTimestamp = -1;
  /** Reference time for segment.ms: first append (or, after reopen, the first batch's timestamp). */
  rollBaseMs: number;
  lastModifiedMs: number;
  private bytesSinceIndexEntry = 0;

  private writeGen = 0;
  private syncedGen = 0;
  private inFlight: Promise<void> | null = null;
  private inFlightGen = 0;
  private waiting: Deferred | null = null;
  private closeWhenIdle = false;
  private _deleted = false;
  /** Told when a background fdatasync fails (the owner takes the log offline). */
  onSyncError: (err: Error) => void = noop;

  private constructor(
    readonly dir: string, readonly baseOffset: number, fd: number, size: number, nowMs: number,
    private readonly stats: SegmentStats,
  ) {
    this.logPath = segmentPath(dir, baseOffset, LOG_SUFFIX);
    this.offsetIndex = new OffsetIndex(segmentPath(dir, baseOffset, INDEX_SUFFIX), baseOffset);
    this.timeIndex = new TimeIndex(segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX), baseOffset);
    this.fd = fd;
    this._size = size;
    this.nextOffset = baseOffset;
    this.rollBaseMs = nowMs;
    this.lastModifiedMs = nowMs;
  }

  /** A new, empty segment (files created or truncated). */
  static create(dir: string, baseOffset: number, nowMs: number, stats: SegmentStats): Segment {
    const fd = fs.openSync(segmentPath(dir, baseOffset, LOG_SUFFIX), O_RDWR | O_CREAT | O_TRUNC, 0o644);
    const s = new Segment(dir, baseOffset, fd, 0, nowMs, stats);
    s.rollBaseMs = -1;
    s.offsetIndex.create();
    s.timeIndex.create();
    return s;
  }

  /**
   * An existing segment, with its index files loaded. Returns why the indexes
   * must be rebuilt (missing or wrong size), or null; the caller checks their
   * content (sanityCheck) once it knows the segment's offset limit.
   */
  static open(dir: string, baseOffset: number, stats: SegmentStats): { segment: Segment; indexProblem: string | null } {
    const fd = fs.openSync(segmentPath(dir, baseOffset, LOG_SUFFIX), O_RDWR);
    const st = fs.fstatSync(fd);
    const s = new Segment(dir, baseOffset, fd, st.size, st.mtimeMs, stats);
    const oi = s.offsetIndex.load();
    const ti = s.timeIndex.load();
    let indexProblem: string | null = null;
    if (oi !== 'ok') indexProblem = `.index ${oi}`;
    else if (ti !== 'ok') indexProblem = `.timeindex ${ti}`;
    return { segment: s, indexProblem };
  }

  get size(): number {
    return this._size;
  }

  get deleted(): boolean {
    return this._deleted;
  }

  /** For time retention: the largest record timestamp, or the last write time when no batch has one. */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.lastModifiedMs;
  }

  /** True when appends were written since the last completed fdatasync. */
  get dirty(): boolean {
    return this.syncedGen < this.writeGen;
  }

  /**
   * Append `buf` (whole batches, offsets already assigned, the first at
   * `firstOffset`) at the end of the .log and index it. One pwrite for all.
   */
  append(buf: Buffer, batches: readonly AppendedBatch[], firstOffset: number, indexIntervalBytes: number, nowMs: number): void {
    const start = this._size;
    try {
      writeFully(this.fd, buf, 0, buf.length, start);
    } catch (e) {
      // Do not leave half a write behind: the next append would land after it.
      try { fs.ftruncateSync(this.fd, start); } catch { /* the log goes offline anyway */ }
      throw e;
    }
    let offset = firstOffset;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const last = offset + b.lastOffsetDelta;
      this.indexBatch(start + b.position, b.size, last, readInt64(buf, b.position + MAX_TIMESTAMP_OFFSET), indexIntervalBytes);
      offset = last + 1;
    }
    this._size = start + buf.length;
    this.nextOffset = offset;
    this.writeGen++;
    if (this.rollBaseMs < 0) this.rollBaseMs = nowMs;
    this.lastModifiedMs = nowMs;
  }

  /** Kafka's indexing rule (LogSegment.append), applied per batch. */
  private indexBatch(filePos: number, size: number, lastOffset: number, maxTs: number, indexIntervalBytes: number): void {
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, filePos);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
  }

  /** `length` bytes at `position` (fewer at end of file). */
  readAt(position: number, length: number, arena: ReadAllocator | null = null): Buffer {
    const buf = arena ? arena.alloc(length) : Buffer.allocUnsafe(length);
    const n = readFully(this.fd, buf, 0, length, position);
    this.stats.diskReads++;
    this.stats.diskReadBytes += n;
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Whole batches from the one containing `fetchOffset`, while their total
   * stays ≤ maxBytes (the first one regardless when minOneBatch). Usually one
   * pread: from the index entry at or before the offset, a window of maxBytes
   * plus `slackBytes` (the expected distance from index entry to batch).
   */
  read(fetchOffset: number, maxBytes: number, minOneBatch: boolean, slackBytes: number, arena: ReadAllocator | null = null): SegmentRead {
    const end = this._size;
    if (fetchOffset >= this.nextOffset || end === 0) return { buf: null, lastOffset: -1, atEnd: true };
    let pos = this.offsetIndex.lookupPosition(fetchOffset);
    const budget = Math.max(0, maxBytes);

    let win: Buffer = Buffer.alloc(0);
    let winStart = 0;
    let winEnd = 0;
    const fill = (at: number, want: number): void => {
      win = this.readAt(at, Math.min(end - at, Math.max(want, SIZE_AND_OFFSETS_BYTES)), arena);
      winStart = at;
      winEnd = at + win.length;
    };
    /** Position in `win` of the header at file position p (refilling the window if needed). */
    const header = (p: number, want: number): number => {
      if (p < winStart || p + SIZE_AND_OFFSETS_BYTES > winEnd) fill(p, want);
      if (p + SIZE_AND_OFFSETS_BYTES > winEnd) throw new Error(`${this.logPath}: torn batch header at ${p}`);
      return p - winStart;
    };
    const sizeAt = (o: number, p: number): number => {
      const size = win.readInt32BE(o + LENGTH_OFFSET) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || p + size > end) throw new Error(`${this.logPath}: bad batch size ${size} at ${p}`);
      return size;
    };

    fill(pos, budget + slackBytes);
    // Skip to the batch that contains fetchOffset.
    for (;;) {
      if (pos >= end) return { buf: null, lastOffset: -1, atEnd: true };
      const o = header(pos, budget + slackBytes);
      const last = readInt64(win, o) + win.readInt32BE(o + LAST_OFFSET_DELTA_OFFSET);
      if (last >= fetchOffset) break;
      pos += sizeAt(o, pos);
    }
    const start = pos;
    let total = 0;
    let lastOffset = -1;
    while (pos < end) {
      const o = header(pos, budget - total);
      const size = sizeAt(o, pos);
      if (total + size > budget && !(total === 0 && minOneBatch)) break;
      total += size;
      lastOffset = readInt64(win, o) + win.readInt32BE(o + LAST_OFFSET_DELTA_OFFSET);
      pos += size;
    }
    const atEnd = pos >= end;
    if (total === 0) return { buf: null, lastOffset: -1, atEnd };
    const buf = start >= winStart && pos <= winEnd ? win.subarray(start - winStart, pos - winStart) : this.readAt(start, total, arena);
    return { buf, lastOffset, atEnd };
  }

  /**
   * Visit whole batches from byte `startPos` in file order, reading 1 MiB
   * windows (a larger batch is read on its own). The visitor gets the buffer,
   * the batch's position in it, its file position and size, and returns false
   * to stop. Stops also at a torn or impossible header. Returns where it
   * stopped (the segment size when it read everything) and why.
   */
  scan(startPos: number, visit: (buf: Buffer, pos: number, filePos: number, size: number) => boolean): { position: number; reason: string | null } {
    const end = this._size;
    let win: Buffer = Buffer.alloc(0);
    let winStart = 0;
    let winEnd = 0;
    let pos = startPos;
    while (pos < end) {
      if (pos + LOG_OVERHEAD > winEnd || pos < winStart) {
        const len = Math.min(SCAN_WINDOW_BYTES, end - pos);
        win = this.readAt(pos, len);
        winStart = pos;
        winEnd = pos + win.length;
        if (pos + LOG_OVERHEAD > winEnd) return { position: pos, reason: `torn batch header (${end - pos} bytes left)` };
      }
      const size = win.readInt32BE(pos - winStart + LENGTH_OFFSET) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE) return { position: pos, reason: `batch size ${size} below the header size` };
      if (pos + size > end) return { position: pos, reason: `batch of ${size} bytes torn at ${end - pos}` };
      let buf = win;
      let at = pos - winStart;
      if (pos + size > winEnd) {
        if (size > SCAN_WINDOW_BYTES) {
          buf = this.readAt(pos, size);
          at = 0;
        } else {
          win = this.readAt(pos, Math.min(SCAN_WINDOW_BYTES, end - pos));
          winStart = pos;
          winEnd = pos + win.length;
          buf = win;
          at = 0;
        }
        if (at + size > buf.length) return { position: pos, reason: 'short read' };
      }
      if (!visit(buf, at, pos, size)) return { position: pos, reason: null };
      pos += size;
    }
    return { position: pos, reason: null };
  }

  /**
   * Validate batches from the floor index entry of `resumeFrom` (or from the
   * start when null, or when the index has no such entry), rebuilding the
   * index entries and timestamp state from there, and truncate the .log at the
   * first torn or invalid batch: short header, size below 61 or past the end
   * of file, magic ≠ 2, CRC mismatch, offsets not increasing, or a relative
   * offset beyond u32.
   */
  recover(resumeFrom: number | null, indexIntervalBytes: number, crcVerifiedBytes = 0): RecoveryResult {
    let startPos = 0;
    let resumeLast = -1;
    if (resumeFrom !== null) {
      const i = this.offsetIndex.floorIndex(resumeFrom);
      if (i >= 0) {
        startPos = this.offsetIndex.positionAt(i);
        resumeLast = this.offsetIndex.offsetAt(i);
        this.offsetIndex.truncateEntries(i + 1);
        this.timeIndex.truncateToOffset(resumeLast);
        this.maxTimestamp = this.timeIndex.lastTimestamp;
        this.offsetOfMaxTimestamp = this.timeIndex.lastOffset;
      }
    }
    if (startPos === 0) {
      this.offsetIndex.clear();
      this.timeIndex.clear();
      this.maxTimestamp = -1;
      this.offsetOfMaxTimestamp = -1;
      resumeLast = -1;
    }
    this.bytesSinceIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    let minBase = this.baseOffset;
    let rejected: string | null = null;
    let resumeMismatch = false;

    const stop = this.scan(startPos, (buf, at, filePos, size) => {
      const base = readInt64(buf, at);
      const last = base + buf.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
      if (buf.readInt8(at + MAGIC_OFFSET) !== MAGIC_V2) { rejected = `magic ${buf.readInt8(at + MAGIC_OFFSET)}`; return false; }
      // Below crcVerifiedBytes the background pre-scan already checked the CRC.
      if (filePos + size > crcVerifiedBytes && buf.readUInt32BE(at + CRC_OFFSET) !== batchCrc32c(buf, at, size)) { rejected = 'CRC mismatch'; return false; }
      if (last < base) { rejected = `lastOffsetDelta ${last - base}`; return false; }
      if (base < minBase) { rejected = `baseOffset ${base} below ${minBase}`; return false; }
      if (last - this.baseOffset > MAX_RELATIVE_OFFSET) { rejected = `offset ${last} beyond the segment's u32 range`; return false; }
      if (filePos === startPos && resumeLast >= 0) {
        if (last !== resumeLast) { resumeMismatch = true; return false; }
        // Already indexed: Kafka's rule left bytesSinceIndexEntry = its size, and the
        // time index's last entry (kept above) is the max timestamp so far including it.
        this.bytesSinceIndexEntry = size;
      } else {
        this.indexBatch(filePos, size, last, readInt64(buf, at + MAX_TIMESTAMP_OFFSET), indexIntervalBytes);
      }
      this.nextOffset = last + 1;
      minBase = last + 1;
      return true;
    });
    // The trusted index entry does not lead to a good batch: distrust the index, scan everything.
    if (resumeMismatch || (startPos > 0 && stop.position === startPos)) return this.recover(null, indexIntervalBytes, crcVerifiedBytes);

    const reason = rejected ?? stop.reason;
    const truncatedBytes = this._size - stop.position;
    if (truncatedBytes > 0) this.truncateLog(stop.position);
    return { truncatedBytes, reason: truncatedBytes > 0 ? reason : null };
  }

  /**
   * After reopening the active segment: age it for segment.ms from its first
   * batch's timestamp, as Kafka does (rollingBasedTimestamp), else from now.
   */
  initRollBase(nowMs: number): void {
    this.rollBaseMs = this._size === 0 ? -1 : nowMs;
    if (this._size < BATCH_HEADER_SIZE) return;
    const ts = readInt64(this.readAt(0, BATCH_HEADER_SIZE), MAX_TIMESTAMP_OFFSET);
    if (ts >= 0) this.rollBaseMs = ts;
  }

  /**
   * Trust the loaded indexes of a segment that is not being recovered: take
   * the timestamp state from the time index, the end from the next segment.
   */
  adoptIndexes(nextSegmentBase: number): void {
    this.nextOffset = nextSegmentBase;
    this.maxTimestamp = this.timeIndex.lastTimestamp;
    this.offsetOfMaxTimestamp = this.timeIndex.lastOffset;
  }

  private truncateLog(position: number): void {
    fs.ftruncateSync(this.fd, position);
    this._size = position;
    this.offsetIndex.truncateToPosition(position);
    this.writeGen++;
  }

  /**
   * Cut the .log at `position` (a batch boundary), dropping index entries at
   * or after it, and re-derive the segment's end and timestamps.
   */
  truncateTo(position: number, indexIntervalBytes: number): void {
    assert(position >= 0 && position <= this._size, `truncateTo ${position} outside [0, ${this._size}]`);
    this.truncateLog(position);
    const n = this.offsetIndex.entries;
    this.recover(n > 0 ? this.offsetIndex.offsetAt(n - 1) : null, indexIntervalBytes);
  }

  /** Resolves once everything appended before the call is on disk (group commit, see top). */
  sync(): Promise<void> {
    if (this.inFlight && this.inFlightGen >= this.writeGen) return this.inFlight;
    if (!this.inFlight && this.syncedGen >= this.writeGen) return RESOLVED;
    if (!this.waiting) {
      this.waiting = deferred();
      if (!this.inFlight) setImmediate(() => this.startSync());
    }
    return this.waiting.promise;
  }

  private startSync(): void {
    const d = this.waiting;
    if (!d || this.inFlight) return;
    this.waiting = null;
    if (this.fd < 0) { d.resolve(); return; }
    const gen = this.writeGen;
    this.inFlight = d.promise;
    this.inFlightGen = gen;
    this.stats.fdatasyncs++;
    const startedMs = performance.now();
    fs.fdatasync(this.fd, (err) => {
      recordFsync(performance.now() - startedMs, this.logPath);
      this.inFlight = null;
      if (err && !this._deleted) {
        d.reject(err);
        this.onSyncError(err);
      } else {
        if (gen > this.syncedGen) this.syncedGen = gen;
        d.resolve();
      }
      if (this.closeWhenIdle) this.closeNow();
      else if (this.waiting) this.startSync();
    });
  }

  /**
   * Make the segment complete on disk when it stops being the active one: a
   * final time-index entry (Kafka's onBecomeInactiveSegment), all index
   * entries written, .log fdatasynced and index files fsynced, index fds closed.
   */
  async finalize(): Promise<void> {
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await Promise.all([this.sync(), this.offsetIndex.fsync(), this.timeIndex.fsync()]);
    this.offsetIndex.closeFile();
    this.timeIndex.closeFile();
  }

  /** Write pending index entries, then fdatasync the .log and fsync the indexes. */
  async flushAll(): Promise<void> {
    await Promise.all([this.sync(), this.offsetIndex.fsync(), this.timeIndex.fsync()]);
  }

  /** Write pending index entries to their files (no fsync). */
  flushIndexes(): void {
    this.offsetIndex.flush();
    this.timeIndex.flush();
  }

  /** Close the files (after any in-flight fdatasync). */
  close(): void {
    this.offsetIndex.closeFile();
    this.timeIndex.closeFile();
    if (this.inFlight) this.closeWhenIdle = true;
    else this.closeNow();
  }

  private closeNow(): void {
    this.closeWhenIdle = false;
    if (this.waiting) { this.waiting.resolve(); this.waiting = null; }
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  /**
   * Remove the three files now (renamed, then unlinked in the background);
   * the .log descriptor closes when no fdatasync is in flight.
   */
  delete(): void {
    this._deleted = true;
    deleteInBackground(this.logPath);
    this.offsetIndex.deleteFile();
    this.timeIndex.deleteFile();
    this.close();
  }
}
