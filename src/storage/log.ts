/**
 * The public contract of a partition log, shared by the on-disk PartitionLog
 * and the in-memory MemoryLog (the model it is tested against), and the
 * append preparation both use so they assign offsets identically.
 */
import { ErrorCode } from '../common/error-codes.js';
import { stampLogAppendTime, validateBatches, type BatchInfo } from '../protocol/record-batch/batch-validator.js';
import { setBaseOffset, setPartitionLeaderEpoch } from '../protocol/record-batch/record-batch-header.js';
import type { OffsetAndTimestamp } from '../protocol/record-batch/records.js';
import type { LogConfig } from './log-config.js';
import type { BatchMetadata, ProducerBatch, ProducerCheck, ProducerStateManager } from './producer-state.js';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The append time stamped into the batches, or -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: number;
  logStartOffset: number;
  /**
   * Resolves once the append is as durable as the flush policy promises:
   * `group` after an fdatasync covering it; `interval` and `os` at once.
   * The group-commit fdatasync starts when this is first read (acks=-1
   * only), so read it in the same turn as the append.
   * Rejects (with the I/O error) if that fdatasync fails; ignoring it is safe.
   * For a duplicate: resolves once the original batch is that durable.
   */
  durable: Promise<void>;
  /**
   * True when the append was an idempotent producer's retry of a batch the
   * log already holds (producer-state.ts): nothing was written, and the
   * offsets (and logAppendTimeMs) are those of the original batch.
   */
  duplicate?: boolean;
}

export interface ReadResult {
  /** NONE, OFFSET_OUT_OF_RANGE, or KAFKA_STORAGE_ERROR when the log is offline. */
  error: ErrorCode;
  /** Whole batches, in order, as views (not copies); concatenated they are the Records bytes. */
  records: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface RetentionResult { deletedSegments: number; deletedBytes: number }

/**
 * Who is appending. Clients may not write control batches; the broker's own
 * transaction coordinator writes them (commit/abort markers).
 */
export type AppendOrigin = 'client' | 'coordinator';

/** Told the new log end offset after every successful append. */
export type AppendListener = (logEndOffset: number) => void;

export interface Log {
  readonly logStartOffset: number;
  /** The next offset to assign. */
  readonly logEndOffset: number;
  /** On a single replica the high watermark is the log end offset. */
  readonly highWatermark: number;
  readonly sizeBytes: number;
  /** Written into every appended batch's partitionLeaderEpoch; -1 leaves the producer's value. */
  leaderEpoch: number;
  append(records: Buffer, nowMs: number, origin?: AppendOrigin): AppendResult | ErrorCode;
  read(fetchOffset: number, maxBytes: number, minOneBatch: boolean): ReadResult;
  offsetForTimestamp(timestamp: number): OffsetAndTimestamp | null;
  maxTimestampOffset(): OffsetAndTimestamp | null;
  deleteRecordsBefore(offset: number): ErrorCode;
  applyRetention(nowMs: number): RetentionResult;
  onAppend(listener: AppendListener): () => void;
  updateConfig(config: LogConfig): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  delete(): Promise<void>;
}

export interface PreparedAppend {
  batches: BatchInfo[];
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
}

/** Validation failure: the error code for the client, the reason for the logs. */
export interface AppendRejection { error: ErrorCode; reason: string }

/**
 * Validate `records` and rewrite them in place for appending at `nextOffset`:
 * baseOffset of each batch (and partitionLeaderEpoch when leaderEpoch ≥ 0),
 * outside the CRC; for LogAppendTime topics also the timestamp type and
 * maxTimestamp, with the CRC recomputed. Nothing is rewritten on rejection.
 */
export function prepareAppend(
  records: Buffer, nowMs: number, config: LogConfig, nextOffset: number, origin: AppendOrigin, leaderEpoch: number,
): PreparedAppend | AppendRejection {
  const v = validateBatches(records, { maxMessageBytes: config.maxMessageBytes, fromCoordinator: origin === 'coordinator' });
  if (!v.ok) return { error: v.error, reason: v.reason };
  const appendTime = config.messageTimestampType === 'LogAppendTime';
  let offset = nextOffset;
  for (const b of v.batches) {
    setBaseOffset(records, b.position, offset);
    if (leaderEpoch >= 0) setPartitionLeaderEpoch(records, b.position, leaderEpoch);
    if (appendTime) stampLogAppendTime(records, b.position, b.size, nowMs);
    offset += b.lastOffsetDelta + 1;
  }
  return { batches: v.batches, baseOffset: nextOffset, lastOffset: offset - 1, logAppendTimeMs: appendTime ? nowMs : -1 };
}

const NO_PRODUCER_BATCHES: readonly ProducerBatch[] = [];

/**
 * The batches of a prepared append as the producer-state rules see them;
 * empty (no allocation) when no batch comes from an idempotent producer.
 */
export function producerBatches(p: PreparedAppend, nowMs: number): readonly ProducerBatch[] {
  let any = false;
  for (const b of p.batches) if (b.producerId >= 0) { any = true; break; }
  if (!any) return NO_PRODUCER_BATCHES;
  const out: ProducerBatch[] = [];
  let offset = p.baseOffset;
  for (const b of p.batches) {
    out.push({
      producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence,
      lastOffsetDelta: b.lastOffsetDelta, firstOffset: offset,
      timestamp: p.logAppendTimeMs >= 0 ? p.logAppendTimeMs : b.maxTimestamp, appendMs: nowMs, control: b.control,
    });
    offset += b.lastOffsetDelta + 1;
  }
  return out;
}

/**
 * The producer-state check of an append (rules in producer-state.ts). Only
 * client appends are checked: the broker's own writes (transaction markers,
 * offset commits) carry no sequences to check.
 */
export function checkProducers(state: ProducerStateManager, batches: readonly ProducerBatch[], origin: AppendOrigin): ProducerCheck | null {
  if (batches.length === 0 || origin !== 'client') return null;
  return state.check(batches);
}

/**
 * An AppendResult whose `durable` promise is started (the group-commit
 * fdatasync) on first read. A class with its getter on the prototype: an
 * object literal with a getter is built as a slow dictionary-mode object,
 * ~1.5 µs per append on the produce path (perf, 2026-12-07).
 */
export class LazyAppendResult implements AppendResult {
  constructor(
    readonly baseOffset: number,
    readonly lastOffset: number,
    readonly logAppendTimeMs: number,
    readonly logStartOffset: number,
    private readonly startDurable: () => Promise<void>,
    readonly duplicate = false,
  ) {}

  get durable(): Promise<void> {
    return this.startDurable();
  }
}

/** The answer to a duplicate append: the original batch's offsets. */
export function duplicateResult(m: BatchMetadata, config: LogConfig, logStartOffset: number, durable: () => Promise<void>): AppendResult {
  // Kafka answers a duplicate with the batch's timestamp whatever the topic's type; a
  // CreateTime topic's append time is -1 in every other answer, so it is -1 here too.
  const appendTime = config.messageTimestampType === 'LogAppendTime' ? m.timestamp : -1;
  return new LazyAppendResult(m.firstOffset, m.lastOffset, appendTime, logStartOffset, durable, true);
}

export function isRejection(p: PreparedAppend | AppendRejection): p is AppendRejection {
  return (p as AppendRejection).error !== undefined;
}

/** Shared shape of an empty or failed read. */
export function emptyRead(error: ErrorCode, highWatermark: number, logStartOffset: number): ReadResult {
  return { error, records: [], bytes: 0, highWatermark, logStartOffset };
}
