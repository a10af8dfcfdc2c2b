/**
 * PartitionLog: the on-disk log of one partition, a directory of segments.
 *
 * Shard only: a PartitionLog is created, appended to and read on one thread
 * (its shard worker, or the dispatcher in inline mode). It takes no locks;
 * all file calls on the append and read paths are synchronous page-cache
 * operations, and every fsync is asynchronous.
 *
 * ```
 * <dir>/                      one per partition, `<topic>-<partition>`
 *   00000000000000000000.log        segments: see segment.ts, offset-index.ts, time-index.ts
 *   00000000000000000000.index
 *   00000000000000000000.timeindex
 *   00000000000000052312.log …      named by their base offset, 20 digits
 *   00000000000000052312.snapshot   producer state as of that offset (producer-state.ts)
 *   log-start-offset          decimal text + "\n": first offset visible to clients
 *   recovery-point            decimal text + "\n": every byte below this offset,
 *                             and the index entries for it, were fsynced
 * ```
 * Both text files are replaced atomically (write `.tmp`, rename).
 *
 * Offsets: logStartOffset ≤ highWatermark = logEndOffset (one replica).
 *
 * Durability (LogConfig.flush):
 * - group: `durable` resolves after an fdatasync of the active segment that
 *   started after the write (group commit, segment.ts), and after the
 *   previous segment's roll-time sync when a roll is still being synced.
 * - interval: a timer fdatasyncs dirty segments every intervalMs; `durable`
 *   resolves at once (up to intervalMs of acknowledged data can be lost).
 * - os: the page cache decides; `durable` resolves at once.
 * Whatever the policy, rolling a segment fsyncs the old one (log and
 * indexes) and the directory asynchronously, then advances the recovery
 * point; close() flushes everything and sets the recovery point to the end.
 *
 * Recovery (open): segments below the recovery point are trusted (their
 * indexes are only sanity-checked, and rebuilt from the .log if missing or
 * damaged). From the recovery point on, batches are re-validated (header,
 * magic, CRC, increasing offsets) — starting at the index entry at or below
 * the recovery point, so after a clean close only the active segment's tail
 * after its last index entry is scanned — and the log is truncated at the
 * first bad batch, dropping any later segment. An I/O error takes the log
 * offline: appends and reads then return KAFKA_STORAGE_ERROR.
 *
 * Producer state (idempotence, rules in producer-state.ts): every client
 * append is checked against it before anything is written, and recorded
 * after the write; a duplicate is answered with the original offsets. It is
 * snapshotted to `<offset>.snapshot` when a segment rolls (offset = the new
 * segment's base; the file is fsynced with the roll) and on close (offset =
 * the log end, fsynced). On open, snapshots above the recovered log end are
 * deleted, the newest readable one is loaded, and the batches from its offset
 * to the log end are replayed from their 61-byte headers (no decompression);
 * without a snapshot, from the first segment. So after a clean close nothing
 * is replayed, and after a crash only the active segment is. Snapshots go
 * with their segment, and once the recovery point passes a newer one.
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { assert } from '../common/assert.js';
import { ErrorCode } from '../common/error-codes.js';
import { logger, type Logger } from '../common/logger.js';
import { findMaxTimestampRecord, findRecordByTimestamp, type OffsetAndTimestamp } from '../protocol/record-batch/records.js';
import {
  baseSequence as batchBaseSequence, isControl as batchIsControl, lastOffset as batchLastOffset,
  lastOffsetDelta as batchLastOffsetDelta, maxTimestamp as batchMaxTimestamp, producerEpoch as batchProducerEpoch,
  producerId as batchProducerId, readInt64,
} from '../protocol/record-batch/record-batch-header.js';
import {
  DELETED_SUFFIX, LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, RECOVERY_POINT_FILE,
  fsyncDir, fsyncFile, parseSegmentName, segmentPath, writeBytesAtomicSync, writeFileAtomicSync,
} from './files.js';
import {
  type AppendListener, type AppendOrigin, type AppendResult, type Log, type ReadResult, type RetentionResult,
  checkProducers, duplicateResult, emptyRead, LazyAppendResult, isRejection, prepareAppend, producerBatches,
} from './log.js';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerStateManager, SNAPSHOT_SUFFIX } from './producer-state.js';
import { DEFAULT_TAIL_CACHE_BYTES, checkLogConfig, type LogConfig } from './log-config.js';
import { MAX_RELATIVE_OFFSET, Segment, type SegmentStats } from './segment.js';
import { TailCache } from './tail-cache.js';
import { threadReadArena, type ReadAllocator } from './read-arena.js';
import { isOutOfDescriptors, OUT_OF_DESCRIPTORS_HINT } from '../common/open-files-limit.js';
import type { TailCacheBudget, TailCacheMember } from './tail-cache-budget.js';

export type { LogConfig, FlushPolicy } from './log-config.js';
export { DEFAULT_LOG_CONFIG } from './log-config.js';
export type { AppendResult, ReadResult, RetentionResult, AppendOrigin, AppendListener } from './log.js';

const LOG_START_OFFSET_FILE = 'log-start-offset';
const RESOLVED: Promise<void> = Promise.resolve();
const noop = (): void => {};

/** Counters for metrics and tests. */
/**
 * What a background pre-scan already established (segment-verifier.ts):
 * per segment base offset, the bytes known to be whole CRC-valid batches.
 * Recovery then checks only headers below that position.
 */
export interface RecoveryHints {
  verifiedBytes?: ReadonlyMap<number, number>;
}

export interface LogStats extends SegmentStats {
  appends: number;
  appendedBytes: number;
  rolls: number;
  cacheReads: number;
  /** Idempotent retries answered with the original offsets, nothing written. */
  duplicateAppends: number;
  /** Appends refused by the producer-state rules (sequence or epoch). */
  producerRejections: number;
  /** Batch headers replayed into the producer state on open. */
  producerBatchesReplayed: number;
}

function readOffsetFile(path: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export class PartitionLog implements Log, TailCacheMember {
  private config: LogConfig;
  private readonly segments: Segment[] = [];
  private readonly cache: TailCache;
  /**
   * With a budget (shards), appends are cached only while consumers read the
   * partition (tail-cache-budget.ts); without one (tests, tools), always.
   */
  private readonly cacheBudget: TailCacheBudget | null;
  private caching: boolean;
  private lastReadMs = 0;
  private cacheShare = Infinity;
  private readonly listeners: AppendListener[] = [];
  private readonly log: Logger;
  private _logStartOffset = 0;
  private nextOffset = 0;
  private recoveryPoint = 0;
  /** Outstanding background work durable appends wait for (roll: old segment finalize + directory fsync); null when none. */
  private rollBarrier: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private closed = false;
  readonly stats: LogStats = {
    appends: 0, appendedBytes: 0, rolls: 0, cacheReads: 0, fdatasyncs: 0, diskReads: 0, diskReadBytes: 0,
    duplicateAppends: 0, producerRejections: 0, producerBatchesReplayed: 0,
  };
  /** Idempotent producers' sequences and recent batches (producer-state.ts). */
  readonly producerState = new ProducerStateManager();
  /** Offsets of the `<offset>.snapshot` files on disk, ascending. */
  private snapshots: number[] = [];
  leaderEpoch = -1;

  private constructor(readonly dir: string, config: LogConfig, budget: TailCacheBudget | null) {
    this.config = config;
    this.cache = new TailCache(config.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES, config.readerCopiesAtOnce === true);
    this.cacheBudget = budget;
    this.caching = budget === null;
    this.log = logger.child({ component: 'storage', dir });
  }

  /** Open (creating if needed) the log in `dir`, recovering it as described at the top. */
  static async open(dir: string, config: LogConfig, nowMs: number = Date.now(), hints: RecoveryHints = {}, cacheBudget: TailCacheBudget | null = null): Promise<PartitionLog> {
    const bad = checkLogConfig(config);
    if (bad) throw new Error(`invalid log config: ${bad}`);
    fs.mkdirSync(dir, { recursive: true });
    const plog = new PartitionLog(dir, config, cacheBudget);
    plog.load(nowMs, hints);
    plog.setupFlushTimer();
    return plog;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }

  get logEndOffset(): number {
    return this.nextOffset;
  }

  get highWatermark(): number {
    return this.nextOffset;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (tests, tools). */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Bytes held by the tail cache. */
  get tailCacheBytes(): number {
    return this.cache.sizeBytes;
  }

  /** True once an I/O error has taken the log offline. */
  get offline(): boolean {
    return this.failure !== null;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---------------------------------------------------------------- open / recovery

  private load(nowMs: number, hints: RecoveryHints): void {
    const names = fs.readdirSync(this.dir);
    const bases: number[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp') || name.endsWith(DELETED_SUFFIX)) { fs.rmSync(join(this.dir, name), { force: true }); continue; }
      const base = parseSegmentName(name, LOG_SUFFIX);
      if (base !== null) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    const baseSet = new Set(bases);
    for (const name of names) {
      const idx = parseSegmentName(name, INDEX_SUFFIX) ?? parseSegmentName(name, TIME_INDEX_SUFFIX);
      if (idx !== null && !baseSet.has(idx)) fs.rmSync(join(this.dir, name), { force: true });
    }

    const persistedStart = readOffsetFile(join(this.dir, LOG_START_OFFSET_FILE));
    this.recoveryPoint = readOffsetFile(join(this.dir, RECOVERY_POINT_FILE)) ?? 0;

    const problems: (string | null)[] = [];
    for (let i = 0; i < bases.length; i++) {
      const { segment, indexProblem } = Segment.open(this.dir, bases[i]!, this.stats);
      this.watch(segment);
      const limit = i + 1 < bases.length ? bases[i + 1]! : Infinity;
      problems.push(indexProblem ?? segment.offsetIndex.sanityCheck(segment.size, limit) ?? segment.timeIndex.sanityCheck(limit));
      this.segments.push(segment);
    }

    const interval = this.config.indexIntervalBytes;
    let firstRecovered = 0;
    while (firstRecovered + 1 < this.segments.length && this.segments[firstRecovered + 1]!.baseOffset <= this.recoveryPoint) firstRecovered++;
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const isLast = i === this.segments.length - 1;
      let truncated = 0;
      if (i < firstRecovered && problems[i] === null) {
        seg.adoptIndexes(this.segments[i + 1]!.baseOffset);
        continue;
      }
      if (problems[i] !== null) this.log.warn({ segment: seg.baseOffset, problem: problems[i] }, 'rebuilding segment indexes');
      const resume = i === firstRecovered && problems[i] === null ? this.recoveryPoint : null;
      const r = seg.recover(resume, interval, hints.verifiedBytes?.get(seg.baseOffset) ?? 0);
      truncated = r.truncatedBytes;
      if (truncated > 0) this.log.warn({ segment: seg.baseOffset, truncatedBytes: truncated, reason: r.reason }, 'truncated invalid log tail');
      if (!isLast) {
        // A non-active segment is final: record its max timestamp entry and drop its index fds.
        seg.timeIndex.maybeAppend(seg.maxTimestamp, seg.offsetOfMaxTimestamp);
        seg.flushIndexes();
        seg.offsetIndex.closeFile();
        seg.timeIndex.closeFile();
        const next = this.segments[i + 1]!;
        if (truncated > 0 || seg.nextOffset > next.baseOffset) {
          // Later segments no longer follow on: drop them, as Kafka does.
          const dropped = this.segments.splice(i + 1);
          for (const d of dropped) {
            this.log.warn({ segment: d.baseOffset, bytes: d.size }, 'deleted segment after a truncated one');
            d.delete();
          }
        }
      }
    }

    if (this.segments.length === 0) {
      const s = Segment.create(this.dir, persistedStart ?? 0, nowMs, this.stats);
      this.watch(s);
      this.segments.push(s);
      // A new log: its files and its directory must be on disk before a durable append is acknowledged.
      this.addBarrier(Promise.all([fsyncDir(this.dir), fsyncDir(dirname(this.dir))]).then(noop));
    }
    this.nextOffset = this.active.nextOffset;
    this._logStartOffset = Math.max(persistedStart ?? 0, this.segments[0]!.baseOffset);
    if (this._logStartOffset > this.nextOffset) {
      // The start offset was persisted past data that did not survive: start an empty log there.
      this.log.warn({ logStartOffset: this._logStartOffset, logEndOffset: this.nextOffset }, 'log start offset beyond the recovered log; starting empty');
      for (const s of this.segments.splice(0)) s.delete();
      const s = Segment.create(this.dir, this._logStartOffset, nowMs, this.stats);
      this.watch(s);
      this.segments.push(s);
      this.nextOffset = this._logStartOffset;
    }
    if (persistedStart !== this._logStartOffset) this.persistLogStartOffset();
    this.active.initRollBase(nowMs);
    this.checkInvariants();
    this.loadProducerState(names);
  }

  /**
   * Producer state on open: the newest valid snapshot at or below the log
   * end, then the batch headers from its offset on (see the top).
   */
  private loadProducerState(names: string[]): void {
    const end = this.nextOffset;
    const found: number[] = [];
    for (const name of names) {
      const off = parseSegmentName(name, SNAPSHOT_SUFFIX);
      if (off === null) continue;
      // Written for data that did not survive recovery.
      if (off > end) fs.rmSync(join(this.dir, name), { force: true });
      else found.push(off);
    }
    found.sort((a, b) => a - b);
    let from = this.segments[0]!.baseOffset;
    while (found.length > 0) {
      const off = found[found.length - 1]!;
      const path = segmentPath(this.dir, off, SNAPSHOT_SUFFIX);
      const problem = this.producerState.load(fs.readFileSync(path), off);
      if (problem === null) { from = off; break; }
      this.log.warn({ snapshot: off, problem }, 'ignoring damaged producer snapshot');
      fs.rmSync(path, { force: true });
      found.pop();
    }
    this.snapshots = found;
    if (from < end) this.replayProducers(from);
  }

  /** Record the producer batches of [from, log end) from their headers, unchecked. */
  private replayProducers(from: number): void {
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      if (seg.nextOffset <= from) continue;
      seg.scan(from > seg.baseOffset ? seg.offsetIndex.lookupPosition(from) : 0, (buf, at) => {
        const base = readInt64(buf, at);
        const delta = batchLastOffsetDelta(buf, at);
        if (base + delta < from) return true;
        const producerId = batchProducerId(buf, at);
        if (producerId >= 0 && !batchIsControl(buf, at)) {
          this.producerState.update({
            producerId, producerEpoch: batchProducerEpoch(buf, at), baseSequence: batchBaseSequence(buf, at),
            lastOffsetDelta: delta, firstOffset: base, timestamp: batchMaxTimestamp(buf, at),
          });
          this.stats.producerBatchesReplayed++;
        }
        return true;
      });
    }
  }

  /**
   * Write the producer state as of `offset` (the log end) to
   * `<offset>.snapshot`; fsynced now when `sync`, else by the caller.
   */
  private writeSnapshot(offset: number, sync: boolean): string {
    assert(offset === this.nextOffset, `snapshot at ${offset}, log end ${this.nextOffset}`);
    const path = segmentPath(this.dir, offset, SNAPSHOT_SUFFIX);
    writeBytesAtomicSync(path, this.producerState.encode(offset), sync);
    if (this.snapshots[this.snapshots.length - 1] !== offset) this.snapshots.push(offset);
    return path;
  }

  /** Delete the snapshots older than the newest one at or below the recovery point: recovery never needs them. */
  private pruneSnapshots(): void {
    let keep = -1;
    for (let i = 0; i < this.snapshots.length && this.snapshots[i]! <= this.recoveryPoint; i++) keep = i;
    if (keep <= 0) return;
    for (const off of this.snapshots.splice(0, keep)) fs.rmSync(segmentPath(this.dir, off, SNAPSHOT_SUFFIX), { force: true });
  }

  /** Delete the snapshot named like a deleted segment. */
  private deleteSnapshot(offset: number): void {
    const i = this.snapshots.indexOf(offset);
    if (i < 0) return;
    this.snapshots.splice(i, 1);
    fs.rmSync(segmentPath(this.dir, offset, SNAPSHOT_SUFFIX), { force: true });
  }

  private watch(seg: Segment): void {
    seg.onSyncError = (err) => this.goOffline(err);
  }

  private checkInvariants(): void {
    assert(this._logStartOffset <= this.nextOffset, `logStartOffset ${this._logStartOffset} > logEndOffset ${this.nextOffset}`);
    assert(this.segments.length > 0, 'a log has at least one segment');
    assert(this.active.nextOffset === this.nextOffset, `active segment ends at ${this.active.nextOffset}, log at ${this.nextOffset}`);
  }

  // ---------------------------------------------------------------- append

  append(records: Buffer, nowMs: number, origin: AppendOrigin = 'client'): AppendResult | ErrorCode {
    if (this.failure || this.closed) return ErrorCode.KAFKA_STORAGE_ERROR;
    if (records.length > this.config.segmentBytes) return ErrorCode.RECORD_LIST_TOO_LARGE;
    const p = prepareAppend(records, nowMs, this.config, this.nextOffset, origin, this.leaderEpoch);
    if (isRejection(p)) {
      this.log.debug({ error: p.error, reason: p.reason }, 'append rejected');
      return p.error;
    }
    const pbs = producerBatches(p, nowMs);
    const check = checkProducers(this.producerState, pbs, origin);
    if (check?.kind === 'reject') {
      this.stats.producerRejections++;
      this.log.debug({ error: check.error, reason: check.reason }, 'append rejected');
      return check.error;
    }
    if (check?.kind === 'duplicate') {
      this.stats.duplicateAppends++;
      // The original may still be waiting for its fdatasync: a new round covers it.
      return duplicateResult(check.batch, this.config, this._logStartOffset, this.flushAfterWrite(this.active));
    }
    let seg = this.active;
    try {
      if (this.shouldRoll(seg, records.length, p.lastOffset, nowMs)) seg = this.roll(nowMs);
      seg.append(records, p.batches, p.baseOffset, this.config.indexIntervalBytes, nowMs);
    } catch (e) {
      this.goOffline(e as Error);
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
    if (this.cacheBudget) this.stopCachingIfUnread();
    if (this.caching) this.cache.append(records, p.batches, p.baseOffset);
    this.nextOffset = p.lastOffset + 1;
    this.producerState.apply(pbs);
    this.stats.appends++;
    this.stats.appendedBytes += records.length;
    for (const l of this.listeners) {
      try { l(this.nextOffset); } catch (e) { this.log.error({ err: (e as Error).message }, 'append listener threw'); }
    }
    return new LazyAppendResult(p.baseOffset, p.lastOffset, p.logAppendTimeMs, this._logStartOffset, this.flushAfterWrite(seg));
  }

  /**
   * The `durable` promise of an append, started on first use: only an
   * acks=-1 answer waits for it, and an fdatasync nobody waits for is not
   * free (it keeps the log's tail page under writeback, and the next write
   * to that page waits for it). Read `durable` in the turn of the append.
   */
  private flushAfterWrite(seg: Segment): () => Promise<void> {
    if (this.config.flush.kind !== 'group') return () => RESOLVED;
    let started: Promise<void> | null = null;
    return () => (started ??= this.durableAfterWrite(seg));
  }

  private durableAfterWrite(seg: Segment): Promise<void> {
    const synced = seg.sync();
    if (!this.rollBarrier) return synced;
    const both = Promise.all([this.rollBarrier, synced]).then(noop);
    both.catch(noop);
    return both;
  }

  private shouldRoll(seg: Segment, bytes: number, lastOffset: number, nowMs: number): boolean {
    if (seg.size === 0) return false;
    return seg.size + bytes > this.config.segmentBytes
      || (seg.rollBaseMs >= 0 && nowMs - seg.rollBaseMs > this.config.segmentMs)
      || lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET;
  }

  /** Start a new active segment at the log end; sync the old one in the background. */
  private roll(nowMs: number): Segment {
    const old = this.active;
    const snapshot = this.writeSnapshot(this.nextOffset, false);
    const seg = Segment.create(this.dir, this.nextOffset, nowMs, this.stats);
    this.watch(seg);
    this.segments.push(seg);
    this.stats.rolls++;
    this.log.info({ segment: seg.baseOffset, previous: old.baseOffset, previousBytes: old.size }, 'rolled segment');
    this.addBarrier(Promise.all([old.finalize(), fsyncFile(snapshot).then(() => fsyncDir(this.dir))]).then(() => {
      if (this.closed || this.failure) return;
      this.setRecoveryPoint(seg.baseOffset);
    }));
    return seg;
  }

  /** Background work that durable appends must also wait for (segment roll, new files). */
  private addBarrier(work: Promise<void>): void {
    const barrier: Promise<void> = this.rollBarrier ? Promise.all([this.rollBarrier, work]).then(noop) : work;
    this.rollBarrier = barrier;
    barrier.then(() => { if (this.rollBarrier === barrier) this.rollBarrier = null; }, (err: Error) => this.goOffline(err));
  }

  private setRecoveryPoint(offset: number, force = false): void {
    if (offset <= this.recoveryPoint && !force) return;
    this.recoveryPoint = Math.max(this.recoveryPoint, offset);
    writeFileAtomicSync(join(this.dir, RECOVERY_POINT_FILE), `${offset}\n`);
    this.pruneSnapshots();
  }

  private goOffline(err: Error): void {
    if (this.failure || this.closed) return;
    this.failure = err;
    this.log.error({ err: err.message, ...(isOutOfDescriptors(err) ? { hint: OUT_OF_DESCRIPTORS_HINT } : {}) }, 'I/O error: log offline');
  }

  // ---------------------------------------------------------------- read

  /** `alloc`: where disk reads go (default: fresh buffers, or the thread's ReadArena when readerCopiesAtOnce). */
  read(fetchOffset: number, maxBytes: number, minOneBatch: boolean, alloc?: ReadAllocator): ReadResult {
    if (!(maxBytes >= 0)) maxBytes = 0;
    const hw = this.nextOffset;
    const start = this._logStartOffset;
    if (this.failure || this.closed) return emptyRead(ErrorCode.KAFKA_STORAGE_ERROR, hw, start);
    if (fetchOffset < start || fetchOffset > hw) return emptyRead(ErrorCode.OFFSET_OUT_OF_RANGE, hw, start);
    if (this.cacheBudget) this.noteRead();
    const out: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset === hw) return { error: ErrorCode.NONE, records: out, bytes, highWatermark: hw, logStartOffset: start };

    let offset = fetchOffset;
    const slack = 2 * this.config.indexIntervalBytes + 4096;
    const arena = alloc ?? (this.config.readerCopiesAtOnce === true ? threadReadArena : null);
    try {
      for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
        if (offset >= this.cache.firstOffset) {
          this.stats.cacheReads++;
          bytes += this.cache.read(offset, maxBytes - bytes, minOneBatch && bytes === 0, out).bytes;
          break;
        }
        const seg = this.segments[i]!;
        if (offset < seg.baseOffset) offset = seg.baseOffset;
        const r = seg.read(offset, maxBytes - bytes, minOneBatch && bytes === 0, slack, arena);
        if (r.buf) {
          out.push(r.buf);
          bytes += r.buf.length;
          offset = r.lastOffset + 1;
        }
        if (!r.atEnd) break;
      }
    } catch (e) {
      this.goOffline(e as Error);
      return emptyRead(ErrorCode.KAFKA_STORAGE_ERROR, hw, start);
    }
    return { error: ErrorCode.NONE, records: out, bytes, highWatermark: hw, logStartOffset: start };
  }

  /** A consumer read the partition: its appends are cached from now on (until it goes unread for the budget's idleMs). */
  private noteRead(): void {
    this.lastReadMs = performance.now();
    if (this.caching) return;
    this.caching = true;
    this.cacheBudget!.join(this);
  }

  /** Switches the cache off (and empties it) once nobody has read the partition for the budget's idleMs. */
  private stopCachingIfUnread(): void {
    if (!this.caching || performance.now() - this.lastReadMs <= this.cacheBudget!.idleMs) return;
    this.caching = false;
    this.cache.clear();
    this.cacheBudget!.leave(this);
  }

  setTailCacheShare(bytes: number): void {
    this.cacheShare = bytes;
    this.cache.setLimit(this.cacheLimit());
  }

  private cacheLimit(): number {
    return Math.min(this.config.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES, this.cacheShare);
  }

  /** Index of the segment that holds `offset` (the last with baseOffset ≤ offset; 0 if none). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return Math.max(0, hi);
  }

  // ---------------------------------------------------------------- timestamps

  /**
   * First record (offset ≥ logStartOffset) with timestamp ≥ `timestamp`, or
   * null. Segments whose largest timestamp is smaller are skipped; within a
   * segment the search starts at the time index's floor entry. Compressed
   * batches answer with their first offset and maxTimestamp (records.ts).
   */
  offsetForTimestamp(timestamp: number): OffsetAndTimestamp | null {
    if (this.failure) return null;
    const start = this._logStartOffset;
    for (const seg of this.segments) {
      if (seg.nextOffset <= start || seg.size === 0 || seg.maxTimestamp < timestamp) continue;
      const from = Math.max(seg.timeIndex.lookupOffset(timestamp), start);
      let found: OffsetAndTimestamp | null = null;
      seg.scan(seg.offsetIndex.lookupPosition(from), (buf, at) => {
        found = findRecordByTimestamp(buf, at, timestamp, start);
        return found === null;
      });
      if (found) return found;
    }
    return null;
  }

  /**
   * The record with the largest timestamp (ListOffsets -3): in the first batch
   * (offset order, not wholly below logStartOffset) whose maxTimestamp is the
   * largest; null when no batch has a timestamp.
   */
  maxTimestampOffset(): OffsetAndTimestamp | null {
    if (this.failure) return null;
    const start = this._logStartOffset;
    let best = -1;
    let bestSeg: Segment | null = null;
    let bestOffset = -1;
    for (const seg of this.segments) {
      if (seg.nextOffset <= start || seg.size === 0) continue;
      let ts = seg.maxTimestamp;
      let off = seg.offsetOfMaxTimestamp;
      if (off >= 0 && off < start) {
        // The segment's maximum was deleted by DeleteRecords: look at what is left.
        ts = -1;
        off = -1;
        seg.scan(seg.offsetIndex.lookupPosition(start), (buf, at) => {
          const last = batchLastOffset(buf, at);
          const t = batchMaxTimestamp(buf, at);
          if (last >= start && t > ts) { ts = t; off = last; }
          return true;
        });
      }
      if (ts > best) { best = ts; bestSeg = seg; bestOffset = off; }
    }
    if (!bestSeg) return null;
    let result: OffsetAndTimestamp | null = null;
    bestSeg.scan(bestSeg.offsetIndex.lookupPosition(bestOffset), (buf, at) => {
      if (batchLastOffset(buf, at) < bestOffset) return true;
      result = findMaxTimestampRecord(buf, at, start);
      return false;
    });
    return result;
  }

  // ---------------------------------------------------------------- deletion

  /**
   * DeleteRecords: make `offset` the log start offset (persisted), and delete
   * the segments wholly below it. OFFSET_OUT_OF_RANGE beyond the high
   * watermark; a no-op at or below the current start.
   */
  deleteRecordsBefore(offset: number): ErrorCode {
    if (this.failure || this.closed) return ErrorCode.KAFKA_STORAGE_ERROR;
    if (offset < 0 || offset > this.highWatermark) return ErrorCode.OFFSET_OUT_OF_RANGE;
    if (offset <= this._logStartOffset) return ErrorCode.NONE;
    try {
      this._logStartOffset = offset;
      this.persistLogStartOffset();
      while (this.segments.length > 1 && this.segments[1]!.baseOffset <= offset) this.deleteOldest('log start offset');
    } catch (e) {
      this.goOffline(e as Error);
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
    this.cache.dropBelow(offset);
    this.checkInvariants();
    return ErrorCode.NONE;
  }

  /**
   * Delete whole non-active segments, oldest first: while the oldest one's
   * largest timestamp is more than retentionMs before `nowMs`, then while the
   * log minus the oldest segment is still ≥ retentionBytes. Advances the log
   * start offset to the new first segment.
   */
  applyRetention(nowMs: number): RetentionResult {
    const result = { deletedSegments: 0, deletedBytes: 0 };
    if (this.failure || this.closed) return result;
    const { retentionMs, retentionBytes } = this.config;
    try {
      // Segments left wholly below the start offset (e.g. deleted before a crash) go first.
      while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this._logStartOffset) {
        result.deletedBytes += this.deleteOldest('log start offset');
        result.deletedSegments++;
      }
      if (retentionMs >= 0) {
        while (this.segments.length > 1 && nowMs - this.segments[0]!.largestTimestamp > retentionMs) {
          result.deletedBytes += this.deleteOldest('retention.ms');
          result.deletedSegments++;
        }
      }
      if (retentionBytes >= 0) {
        let excess = this.sizeBytes - retentionBytes;
        while (this.segments.length > 1 && excess >= this.segments[0]!.size) {
          const size = this.deleteOldest('retention.bytes');
          excess -= size;
          result.deletedBytes += size;
          result.deletedSegments++;
        }
      }
      if (this.segments[0]!.baseOffset > this._logStartOffset) {
        this._logStartOffset = this.segments[0]!.baseOffset;
        this.persistLogStartOffset();
        this.cache.dropBelow(this._logStartOffset);
      }
      this.producerState.expire(nowMs, this.config.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
      if (this.cacheBudget) this.stopCachingIfUnread(); // partitions no longer appended to free their caches here
    } catch (e) {
      this.goOffline(e as Error);
    }
    this.checkInvariants();
    return result;
  }

  /** Delete the oldest segment (never the active one); returns its size. */
  private deleteOldest(reason: string): number {
    assert(this.segments.length > 1, 'the active segment is never deleted');
    const seg = this.segments.shift()!;
    const size = seg.size;
    seg.delete();
    this.deleteSnapshot(seg.baseOffset);
    this.log.info({ segment: seg.baseOffset, bytes: size, reason, largestTimestamp: seg.largestTimestamp }, 'deleted segment');
    return size;
  }

  private persistLogStartOffset(): void {
    writeFileAtomicSync(join(this.dir, LOG_START_OFFSET_FILE), `${this._logStartOffset}\n`);
  }

  // ---------------------------------------------------------------- owner API

  /** `listener(logEndOffset)` after every append (e.g. to wake long-poll fetches). Returns an unsubscribe function. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  updateConfig(config: LogConfig): void {
    const bad = checkLogConfig(config);
    if (bad) throw new Error(`invalid log config: ${bad}`);
    const old = this.config;
    this.config = config;
    if (old.flush.kind !== config.flush.kind || (old.flush.kind === 'interval' && config.flush.kind === 'interval' && old.flush.intervalMs !== config.flush.intervalMs)) {
      this.setupFlushTimer();
    }
    this.cache.setLimit(this.cacheLimit());
  }

  private setupFlushTimer(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    const f = this.config.flush;
    if (f.kind !== 'interval' || this.closed) return;
    this.flushTimer = setInterval(() => {
      if (this.failure) return;
      for (const s of this.segments) if (s.dirty) void s.sync();
    }, f.intervalMs);
    this.flushTimer.unref();
  }

  /** fdatasync everything written so far (any policy) and advance the recovery point to it. */
  async flush(): Promise<void> {
    await this.flushTo(false);
  }

  private async flushTo(rewriteRecoveryPoint: boolean): Promise<void> {
    if (this.closed) return;
    const end = this.nextOffset;
    if (this.rollBarrier) await this.rollBarrier;
    await Promise.all(this.segments.map((s) => s.flushAll()));
    if (this.failure) throw this.failure;
    if (!this.closed) this.setRecoveryPoint(end, rewriteRecoveryPoint);
  }

  /** Flush, record a clean recovery point, close the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    try {
      if (!this.failure) {
        await this.flushTo(true);
        this.writeSnapshot(this.nextOffset, true);
        this.pruneSnapshots();
        await fsyncDir(this.dir);
      }
    } catch (e) {
      this.goOffline(e as Error);
    } finally {
      this.closed = true;
      for (const s of this.segments) s.close();
      this.releaseCache();
    }
  }

  private releaseCache(): void {
    this.cache.clear();
    this.cacheBudget?.leave(this);
  }

  /** Close without flushing and remove the directory. */
  async delete(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    for (const s of this.segments) s.delete();
    this.segments.length = 0;
    this.releaseCache();
    await fs.promises.rm(this.dir, { recursive: true, force: true });
  }
}
