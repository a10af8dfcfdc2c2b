/**
 * Validation of the Records bytes of one partition of a Produce request, the
 * checks Kafka applies before appending (UnifiedLog.analyzeAndValidateRecords,
 * LogValidator.validateBatch, ProduceRequest.validateRecords). Pure, no I/O.
 * Batches stay opaque: only the 61-byte header is read, and the CRC is the
 * only pass over the body.
 *
 * Error codes, per batch and in Kafka's order:
 * - fewer than 17 bytes left, declared length past the end, or below the
 *   61-byte header:                                   CORRUPT_MESSAGE
 * - magic outside 0..2:                               CORRUPT_MESSAGE  (Kafka: "Invalid magic found in record")
 * - magic 0 or 1 (legacy message sets):               INVALID_RECORD   (Kafka: "Produce requests with version N
 *                                                                        are only allowed to contain record batches with magic version 2")
 * - size > maxMessageBytes:                           MESSAGE_TOO_LARGE
 * - CRC-32C over [21, end) wrong:                     CORRUPT_MESSAGE
 * - compression codec 5..7:                           UNSUPPORTED_COMPRESSION_TYPE
 * - recordCount < 1 or lastOffsetDelta + 1 ≠ count:   INVALID_RECORD
 * - control batch from a client:                      INVALID_RECORD   (client batches only)
 * - producerId ≥ 0 with baseSequence < 0:             INVALID_RECORD   (client batches only: the
 *                                                      coordinator's markers carry no sequence)
 * - no batch at all, or more than one when `singleBatch`: INVALID_RECORD
 *
 * Kafka also requires baseOffset == 0 in client batches; Millrace overwrites
 * it instead, as older brokers did.
 */
import { ErrorCode } from '../../common/error-codes.js';
import { batchCrc32c } from './crc.js';
import {
  ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, CONTROL_MASK, COMPRESSION_MASK, CRC_OFFSET, LOG_OVERHEAD,
  MAGIC_OFFSET, MAGIC_V2, MAX_TIMESTAMP_OFFSET, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK,
  baseSequence, baseTimestamp, lastOffsetDelta, maxTimestamp, producerEpoch, producerId, recordCount,
  writeInt64,
} from './record-batch-header.js';

/** What the append path needs to know about one valid batch, read once from its header. */
export interface BatchInfo {
  /** Byte position of the batch in the validated buffer. */
  position: number;
  /** Whole batch size in bytes (batchLength + 12). */
  size: number;
  recordCount: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  /** Codec id, attributes bits 0-2. */
  compression: number;
  transactional: boolean;
  control: boolean;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export interface ValidateOptions {
  /** Topic max.message.bytes: largest allowed batch, header included. */
  maxMessageBytes: number;
  /**
   * Batches written by the broker itself (transaction markers) skip the
   * client-only checks, as in Kafka's LogValidator (AppendOrigin.COORDINATOR).
   * Default false.
   */
  fromCoordinator?: boolean;
  /** Produce v3+ carries exactly one batch per partition; set to enforce it. Default false. */
  singleBatch?: boolean;
}

export type ValidationResult =
  | { ok: true; batches: BatchInfo[]; /** records in all batches */ recordCount: number; /** bytes in all batches */ bytes: number }
  | { ok: false; error: ErrorCode; /** for logs, never sent to clients */ reason: string; /** byte position of the bad batch */ position: number };

/** Smallest prefix that holds a batch's length and magic (Kafka's HEADER_SIZE_UP_TO_MAGIC). */
const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1;
/** Highest codec id Kafka defines (zstd). */
const MAX_CODEC = 4;

function fail(error: ErrorCode, reason: string, position: number): ValidationResult {
  return { ok: false, error, reason, position };
}

/**
 * Walk and check every batch in `buf`. On success the batches can be appended
 * as they are (after their baseOffset is assigned); on failure nothing of the
 * buffer may be appended.
 */
export function validateBatches(buf: Buffer, opts: ValidateOptions): ValidationResult {
  const end = buf.length;
  if (end === 0) return fail(ErrorCode.INVALID_RECORD, 'no record batch', 0);
  const batches: BatchInfo[] = [];
  let records = 0;
  let pos = 0;
  while (pos < end) {
    const remaining = end - pos;
    if (remaining < HEADER_SIZE_UP_TO_MAGIC) return fail(ErrorCode.CORRUPT_MESSAGE, `trailing ${remaining} bytes are not a batch`, pos);
    const size = buf.readInt32BE(pos + 8) + LOG_OVERHEAD;
    const m = buf.readInt8(pos + MAGIC_OFFSET);
    if (m < 0 || m > MAGIC_V2) return fail(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${m}`, pos);
    if (m !== MAGIC_V2) return fail(ErrorCode.INVALID_RECORD, `magic ${m}: only record batch v2 is accepted`, pos);
    if (size < BATCH_HEADER_SIZE) return fail(ErrorCode.CORRUPT_MESSAGE, `batch size ${size} below the ${BATCH_HEADER_SIZE}-byte header`, pos);
    if (size > remaining) return fail(ErrorCode.CORRUPT_MESSAGE, `batch of ${size} bytes truncated to ${remaining}`, pos);
    if (size > opts.maxMessageBytes) return fail(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`, pos);
    const stored = buf.readUInt32BE(pos + CRC_OFFSET);
    const computed = batchCrc32c(buf, pos, size);
    if (stored !== computed) return fail(ErrorCode.CORRUPT_MESSAGE, `CRC mismatch: stored ${stored}, computed ${computed}`, pos);
    const attrs = buf[pos + ATTRIBUTES_OFFSET + 1]!;
    const codec = attrs & COMPRESSION_MASK;
    if (codec > MAX_CODEC) return fail(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression codec ${codec}`, pos);
    const count = recordCount(buf, pos);
    const delta = lastOffsetDelta(buf, pos);
    if (count < 1 || delta + 1 !== count) return fail(ErrorCode.INVALID_RECORD, `recordCount ${count} with lastOffsetDelta ${delta}`, pos);
    const control = (attrs & CONTROL_MASK) !== 0;
    const pid = producerId(buf, pos);
    const seq = baseSequence(buf, pos);
    if (!opts.fromCoordinator) {
      if (control) return fail(ErrorCode.INVALID_RECORD, 'clients may not write control batches', pos);
      if (pid >= 0 && seq < 0) return fail(ErrorCode.INVALID_RECORD, `producerId ${pid} with baseSequence ${seq}`, pos);
    }
    if (opts.singleBatch && batches.length === 1) return fail(ErrorCode.INVALID_RECORD, 'more than one batch in a partition', pos);
    batches.push({
      position: pos, size, recordCount: count, lastOffsetDelta: delta,
      baseTimestamp: baseTimestamp(buf, pos), maxTimestamp: maxTimestamp(buf, pos),
      compression: codec, transactional: (attrs & TRANSACTIONAL_MASK) !== 0, control,
      producerId: pid, producerEpoch: producerEpoch(buf, pos), baseSequence: seq,
    });
    records += count;
    pos += size;
  }
  return { ok: true, batches, recordCount: records, bytes: end };
}

/**
 * Stamp a batch with LogAppendTime: set the timestampType bit and maxTimestamp
 * to `nowMs`, then recompute the CRC. The only rewrite of CRC-covered bytes the
 * broker does (Kafka: DefaultRecordBatch.setMaxTimestamp); consumers then read
 * every record's timestamp as maxTimestamp.
 */
export function stampLogAppendTime(buf: Buffer, pos: number, size: number, nowMs: number): void {
  buf[pos + ATTRIBUTES_OFFSET + 1] = buf[pos + ATTRIBUTES_OFFSET + 1]! | TIMESTAMP_TYPE_MASK;
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, nowMs);
  buf.writeUInt32BE(batchCrc32c(buf, pos, size), pos + CRC_OFFSET);
}
