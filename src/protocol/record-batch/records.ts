/**
 * Reading the records inside an uncompressed v2 batch (layout in
 * record-batch-builder.ts). The broker never does this on the produce or fetch
 * path; it is for tests, tools, and the timestamp lookups of ListOffsets,
 * which need a record's exact offset. Compressed batches are answered at batch
 * granularity instead of being decompressed.
 */
import { ErrorCode, KafkaError } from '../../common/error-codes.js';
import {
  Compression, RECORDS_OFFSET, TimestampType, baseOffset, baseTimestamp, batchSize, compression,
  lastOffset, maxTimestamp, recordCount, timestampType,
} from './record-batch-header.js';
import { type Cursor, readVarint, readVarlong } from './varint.js';

export interface DecodedHeader { key: string; value: Buffer | null }

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  /** Views into the batch, not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: DecodedHeader[];
}

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed record: ${why}`);
}

function readField(buf: Buffer, cur: Cursor, end: number): Buffer | null {
  const n = readVarint(buf, cur, end);
  if (n < 0) return null;
  if (cur.pos + n > end) throw corrupt('field runs past the record');
  const b = buf.subarray(cur.pos, cur.pos + n);
  cur.pos += n;
  return b;
}

/**
 * Walk the records of the uncompressed batch at `pos`, calling `visit` with
 * each record's offset, timestamp and [start, end) of its body; stop early
 * when `visit` returns true. Throws KafkaError(CORRUPT_MESSAGE) on a malformed
 * record. Timestamps follow the batch's timestampType (LogAppendTime: every
 * record has the batch's maxTimestamp).
 */
function walkRecords(
  buf: Buffer, pos: number,
  visit: (offset: number, timestamp: number, cur: Cursor, bodyEnd: number) => boolean | void,
): void {
  const end = pos + batchSize(buf, pos);
  if (end > buf.length) throw corrupt('batch runs past the buffer');
  const base = baseOffset(buf, pos);
  const baseTs = baseTimestamp(buf, pos);
  const appendTime = timestampType(buf, pos) === TimestampType.LOG_APPEND_TIME ? maxTimestamp(buf, pos) : -1;
  const count = recordCount(buf, pos);
  const cur: Cursor = { pos: pos + RECORDS_OFFSET };
  try {
    for (let i = 0; i < count; i++) {
      const len = readVarint(buf, cur, end);
      const bodyEnd = cur.pos + len;
      if (len < 1 || bodyEnd > end) throw corrupt(`record length ${len}`);
      cur.pos++; // attributes
      const tsDelta = readVarlong(buf, cur, bodyEnd);
      const offsetDelta = readVarint(buf, cur, bodyEnd);
      const stop = visit(base + offsetDelta, appendTime >= 0 ? appendTime : baseTs + tsDelta, cur, bodyEnd);
      if (stop === true) return;
      cur.pos = bodyEnd;
    }
  } catch (e) {
    if (e instanceof KafkaError) throw e;
    throw corrupt((e as Error).message);
  }
}

/** Decode every record of the uncompressed v2 batch at `pos`. */
export function decodeRecords(buf: Buffer, pos = 0): DecodedRecord[] {
  if (compression(buf, pos) !== Compression.NONE) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'decodeRecords reads uncompressed batches only');
  }
  const out: DecodedRecord[] = [];
  walkRecords(buf, pos, (offset, timestamp, cur, bodyEnd) => {
    const key = readField(buf, cur, bodyEnd);
    const value = readField(buf, cur, bodyEnd);
    const n = readVarint(buf, cur, bodyEnd);
    const headers: DecodedHeader[] = [];
    for (let h = 0; h < n; h++) {
      const k = readField(buf, cur, bodyEnd);
      if (k === null) throw corrupt('null header key');
      headers.push({ key: k.toString('utf8'), value: readField(buf, cur, bodyEnd) });
    }
    out.push({ offset, timestamp, key, value, headers });
  });
  return out;
}

/** Decode every batch in `buf` (whole batches back to back, e.g. a fetch response's Records). */
export function decodeAllRecords(buf: Buffer): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (let pos = 0; pos < buf.length; pos += batchSize(buf, pos)) {
    for (const r of decodeRecords(buf, pos)) out.push(r);
  }
  return out;
}

export interface OffsetAndTimestamp { offset: number; timestamp: number }

/**
 * The first record of the batch at `pos` with timestamp ≥ `targetTs` and
 * offset ≥ `minOffset`, or null. Compressed batches answer at batch
 * granularity: the first offset ≥ minOffset in the batch with the batch's
 * maxTimestamp (a consumer starting there sees every matching record).
 */
export function findRecordByTimestamp(buf: Buffer, pos: number, targetTs: number, minOffset: number): OffsetAndTimestamp | null {
  const maxTs = maxTimestamp(buf, pos);
  const last = lastOffset(buf, pos);
  if (maxTs < targetTs || last < minOffset) return null;
  if (compression(buf, pos) !== Compression.NONE || timestampType(buf, pos) === TimestampType.LOG_APPEND_TIME) {
    return { offset: Math.max(baseOffset(buf, pos), minOffset), timestamp: maxTs };
  }
  let found: OffsetAndTimestamp | null = null;
  try {
    walkRecords(buf, pos, (offset, timestamp) => {
      if (offset >= minOffset && timestamp >= targetTs) { found = { offset, timestamp }; return true; }
      return false;
    });
  } catch {
    // A batch whose CRC passed but whose records do not parse: answer for the whole batch.
    return { offset: Math.max(baseOffset(buf, pos), minOffset), timestamp: maxTs };
  }
  return found;
}

/**
 * Offset of the record carrying the batch's maxTimestamp (ListOffsets -3), not
 * below `minOffset`. Compressed and LogAppendTime batches answer with their
 * first offset ≥ minOffset.
 */
export function findMaxTimestampRecord(buf: Buffer, pos: number, minOffset: number): OffsetAndTimestamp {
  const maxTs = maxTimestamp(buf, pos);
  const batchAnswer = { offset: Math.max(baseOffset(buf, pos), minOffset), timestamp: maxTs };
  if (compression(buf, pos) !== Compression.NONE || timestampType(buf, pos) === TimestampType.LOG_APPEND_TIME) return batchAnswer;
  return findRecordByTimestamp(buf, pos, maxTs, minOffset) ?? batchAnswer;
}
