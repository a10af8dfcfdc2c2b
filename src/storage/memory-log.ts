/**
 * An in-memory partition log with PartitionLog's public behaviour and none of
 * its files: the model the on-disk log is tested against (one conformance
 * suite runs over both), and a stand-in where persistence does not matter.
 *
 * Shard only, like PartitionLog. Written for obviousness, not speed: a
 * sorted array of batch copies and linear scans.
 *
 * Differences from PartitionLog, by design: there are no segments, so
 * applyRetention works per batch (a batch is "a segment"), and every flush
 * policy resolves `durable` at once. Producer state (idempotence) follows the
 * same rules, in memory only.
 */
import { ErrorCode } from '../common/error-codes.js';
import { maxTimestamp as batchMaxTimestamp } from '../protocol/record-batch/record-batch-header.js';
import { findMaxTimestampRecord, findRecordByTimestamp, type OffsetAndTimestamp } from '../protocol/record-batch/records.js';
import {
  type AppendListener, type AppendOrigin, type AppendResult, type Log, type ReadResult, type RetentionResult,
  checkProducers, duplicateResult, emptyRead, isRejection, prepareAppend, producerBatches,
} from './log.js';
import { checkLogConfig, type LogConfig } from './log-config.js';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerStateManager } from './producer-state.js';

interface StoredBatch { base: number; last: number; maxTs: number; bytes: Buffer; appendMs: number }

export class MemoryLog implements Log {
  private batches: StoredBatch[] = [];
  private _logStartOffset: number;
  private nextOffset: number;
  private readonly listeners: AppendListener[] = [];
  private closed = false;
  /** Idempotent producers' sequences and recent batches (producer-state.ts). */
  readonly producerState = new ProducerStateManager();
  leaderEpoch = -1;

  constructor(private config: LogConfig, startOffset = 0) {
    const bad = checkLogConfig(config);
    if (bad) throw new Error(`invalid log config: ${bad}`);
    this._logStartOffset = startOffset;
    this.nextOffset = startOffset;
  }

  get logStartOffset(): number { return this._logStartOffset; }
  get logEndOffset(): number { return this.nextOffset; }
  get highWatermark(): number { return this.nextOffset; }
  get sizeBytes(): number { return this.batches.reduce((n, b) => n + b.bytes.length, 0); }

  append(records: Buffer, nowMs: number, origin: AppendOrigin = 'client'): AppendResult | ErrorCode {
    if (this.closed) return ErrorCode.KAFKA_STORAGE_ERROR;
    if (records.length > this.config.segmentBytes) return ErrorCode.RECORD_LIST_TOO_LARGE;
    const p = prepareAppend(records, nowMs, this.config, this.nextOffset, origin, this.leaderEpoch);
    if (isRejection(p)) return p.error;
    const pbs = producerBatches(p, nowMs);
    const check = checkProducers(this.producerState, pbs, origin);
    if (check?.kind === 'reject') return check.error;
    if (check?.kind === 'duplicate') return duplicateResult(check.batch, this.config, this._logStartOffset, () => Promise.resolve());
    let offset = p.baseOffset;
    for (const b of p.batches) {
      const bytes = Buffer.from(records.subarray(b.position, b.position + b.size));
      const last = offset + b.lastOffsetDelta;
      this.batches.push({ base: offset, last, maxTs: batchMaxTimestamp(bytes, 0), bytes, appendMs: nowMs });
      offset = last + 1;
    }
    this.nextOffset = offset;
    this.producerState.apply(pbs);
    for (const l of this.listeners) l(this.nextOffset);
    return {
      baseOffset: p.baseOffset, lastOffset: p.lastOffset, logAppendTimeMs: p.logAppendTimeMs,
      logStartOffset: this._logStartOffset, durable: Promise.resolve(),
    };
  }

  read(fetchOffset: number, maxBytes: number, minOneBatch: boolean): ReadResult {
    const hw = this.nextOffset;
    if (this.closed) return emptyRead(ErrorCode.KAFKA_STORAGE_ERROR, hw, this._logStartOffset);
    if (fetchOffset < this._logStartOffset || fetchOffset > hw) return emptyRead(ErrorCode.OFFSET_OUT_OF_RANGE, hw, this._logStartOffset);
    const records: Buffer[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      if (b.last < fetchOffset) continue;
      if (bytes + b.bytes.length > maxBytes && !(bytes === 0 && minOneBatch)) break;
      records.push(b.bytes);
      bytes += b.bytes.length;
    }
    return { error: ErrorCode.NONE, records, bytes, highWatermark: hw, logStartOffset: this._logStartOffset };
  }

  private live(): StoredBatch[] {
    return this.batches.filter((b) => b.last >= this._logStartOffset);
  }

  offsetForTimestamp(timestamp: number): OffsetAndTimestamp | null {
    for (const b of this.live()) {
      const r = findRecordByTimestamp(b.bytes, 0, timestamp, this._logStartOffset);
      if (r) return r;
    }
    return null;
  }

  maxTimestampOffset(): OffsetAndTimestamp | null {
    let best: StoredBatch | null = null;
    let bestTs = -1;
    for (const b of this.live()) {
      if (b.maxTs > bestTs) { bestTs = b.maxTs; best = b; }
    }
    return best ? findMaxTimestampRecord(best.bytes, 0, this._logStartOffset) : null;
  }

  deleteRecordsBefore(offset: number): ErrorCode {
    if (this.closed) return ErrorCode.KAFKA_STORAGE_ERROR;
    if (offset < 0 || offset > this.highWatermark) return ErrorCode.OFFSET_OUT_OF_RANGE;
    if (offset <= this._logStartOffset) return ErrorCode.NONE;
    this._logStartOffset = offset;
    this.batches = this.live();
    return ErrorCode.NONE;
  }

  /** Per batch: drop the oldest batches (never the last) past retention.ms by maxTimestamp, then past retention.bytes. */
  applyRetention(nowMs: number): RetentionResult {
    const result = { deletedSegments: 0, deletedBytes: 0 };
    const drop = (): void => {
      const b = this.batches.shift()!;
      result.deletedSegments++;
      result.deletedBytes += b.bytes.length;
    };
    const { retentionMs, retentionBytes } = this.config;
    const ts = (b: StoredBatch): number => (b.maxTs >= 0 ? b.maxTs : b.appendMs);
    if (retentionMs >= 0) while (this.batches.length > 1 && nowMs - ts(this.batches[0]!) > retentionMs) drop();
    if (retentionBytes >= 0) {
      let excess = this.sizeBytes - retentionBytes;
      while (this.batches.length > 1 && excess >= this.batches[0]!.bytes.length) { excess -= this.batches[0]!.bytes.length; drop(); }
    }
    if (this.batches.length > 0 && this.batches[0]!.base > this._logStartOffset) this._logStartOffset = this.batches[0]!.base;
    this.producerState.expire(nowMs, this.config.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    return result;
  }

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
    this.config = config;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async delete(): Promise<void> {
    this.closed = true;
    this.batches = [];
  }
}
