/**
 * Builds uncompressed v2 record batches: for tests, fixtures and the load
 * generator (which pre-encodes its load with it, so it is written to be fast:
 * one size pass, then one pass writing into a single preallocated buffer).
 *
 * Record layout inside the batch (implementation.html §5.3.2):
 * ```
 *  length          varint   bytes of the record after this field
 *  attributes      int8     unused, 0
 *  timestampDelta  varlong  timestamp - baseTimestamp
 *  offsetDelta     varint   index of the record in the batch
 *  keyLength       varint   -1 = null key
 *  key             bytes
 *  valueLength     varint   -1 = null value
 *  value           bytes
 *  headersCount    varint
 *  headers         [headerKeyLength varint, headerKey utf-8, headerValueLength varint (-1 = null), value]
 * ```
 */
import { batchCrc32c } from './crc.js';
import {
  ATTRIBUTES_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, CONTROL_MASK,
  CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2,
  MAX_TIMESTAMP_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK, writeInt64,
} from './record-batch-header.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

export type Bytes = Buffer | Uint8Array | string;

export interface RecordHeaderInput { key: string; value: Bytes | null }

export interface RecordInput {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: readonly RecordHeaderInput[];
  /** Milliseconds since the epoch; default: the batch's `timestampMs` option, else Date.now(). */
  timestamp?: number;
}

export interface BatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Default -1 (not idempotent). */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Sets the LogAppendTime bit. */
  logAppendTime?: boolean;
  /** Timestamp for records that have none. */
  timestampMs?: number;
}

function byteLen(b: Bytes): number {
  return typeof b === 'string' ? Buffer.byteLength(b) : b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Bytes): number {
  if (typeof b === 'string') return pos + buf.write(b, pos, 'utf8');
  buf.set(b, pos);
  return pos + b.length;
}

/** Sum over a nullable field of its length varint and bytes. */
function fieldSize(b: Bytes | null | undefined): number {
  if (b == null) return 1; // varint(-1)
  const n = byteLen(b);
  return sizeOfVarint(n) + n;
}

function writeField(buf: Buffer, pos: number, b: Bytes | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, byteLen(b));
  return writeBytes(buf, pos, b);
}

function recordTimestamps(records: readonly RecordInput[], opts: BatchOptions): { base: number; max: number; ts: Float64Array } {
  const fallback = opts.timestampMs ?? Date.now();
  const ts = new Float64Array(records.length);
  let max = -1;
  for (let i = 0; i < records.length; i++) {
    const t = records[i]!.timestamp ?? fallback;
    ts[i] = t;
    if (t > max) max = t;
  }
  return { base: records.length > 0 ? ts[0]! : fallback, max, ts };
}

/** Size of record i's body (everything after its length varint). */
function recordBodySize(r: RecordInput, i: number, tsDelta: number): number {
  let n = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(i) + fieldSize(r.key) + fieldSize(r.value);
  const headers = r.headers ?? [];
  n += sizeOfVarint(headers.length);
  for (const h of headers) n += fieldSize(h.key) + fieldSize(h.value);
  return n;
}

interface Plan { base: number; max: number; ts: Float64Array; bodies: Int32Array; size: number }

/** The size pass: timestamps and per-record body sizes, computed once for the write pass. */
function plan(records: readonly RecordInput[], opts: BatchOptions): Plan {
  const { base, max, ts } = recordTimestamps(records, opts);
  const bodies = new Int32Array(records.length);
  let size = BATCH_HEADER_SIZE;
  for (let i = 0; i < records.length; i++) {
    const body = recordBodySize(records[i]!, i, ts[i]! - base);
    bodies[i] = body;
    size += sizeOfVarint(body) + body;
  }
  return { base, max, ts, bodies, size };
}

function writePlanned(target: Buffer, pos: number, records: readonly RecordInput[], opts: BatchOptions, pl: Plan): number {
  const { base, max, ts, bodies, size } = pl;
  if (target.length - pos < size) throw new RangeError(`writeBatch needs ${size} bytes, ${target.length - pos} available`);
  let p = pos + BATCH_HEADER_SIZE;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    p = writeVarint(target, p, bodies[i]!);
    target[p++] = 0; // record attributes
    p = writeVarlong(target, p, ts[i]! - base);
    p = writeVarint(target, p, i);
    p = writeField(target, p, r.key);
    p = writeField(target, p, r.value);
    const headers = r.headers ?? [];
    p = writeVarint(target, p, headers.length);
    for (const h of headers) {
      p = writeField(target, p, h.key);
      p = writeField(target, p, h.value);
    }
  }

  let attrs = 0;
  if (opts.logAppendTime) attrs |= TIMESTAMP_TYPE_MASK;
  if (opts.transactional) attrs |= TRANSACTIONAL_MASK;
  if (opts.control) attrs |= CONTROL_MASK;
  writeInt64(target, pos, opts.baseOffset ?? 0);
  target.writeInt32BE(size - LOG_OVERHEAD, pos + LENGTH_OFFSET);
  target.writeInt32BE(opts.partitionLeaderEpoch ?? -1, pos + PARTITION_LEADER_EPOCH_OFFSET);
  target[pos + MAGIC_OFFSET] = MAGIC_V2;
  target.writeInt16BE(attrs, pos + ATTRIBUTES_OFFSET);
  target.writeInt32BE(records.length - 1, pos + LAST_OFFSET_DELTA_OFFSET);
  writeInt64(target, pos + BASE_TIMESTAMP_OFFSET, base);
  writeInt64(target, pos + MAX_TIMESTAMP_OFFSET, max);
  writeInt64(target, pos + PRODUCER_ID_OFFSET, opts.producerId ?? -1);
  target.writeInt16BE(opts.producerEpoch ?? -1, pos + PRODUCER_EPOCH_OFFSET);
  target.writeInt32BE(opts.baseSequence ?? -1, pos + BASE_SEQUENCE_OFFSET);
  target.writeInt32BE(records.length, pos + RECORDS_COUNT_OFFSET);
  target.writeUInt32BE(batchCrc32c(target, pos, size), pos + CRC_OFFSET);
  return size;
}

/** Timestamps are resolved once so the size pass and the write pass agree. */
function withClock(opts: BatchOptions): BatchOptions {
  return opts.timestampMs === undefined ? { ...opts, timestampMs: Date.now() } : opts;
}

/** Exact encoded size of a batch holding `records` (pass the same `timestampMs` as to writeBatch). */
export function batchSizeOf(records: readonly RecordInput[], opts: BatchOptions = {}): number {
  return plan(records, withClock(opts)).size;
}

/**
 * Encode `records` as one uncompressed v2 batch at `target[pos…]`, which must
 * have room (see batchSizeOf; a RangeError otherwise). Returns the bytes written.
 */
export function writeBatch(target: Buffer, pos: number, records: readonly RecordInput[], opts: BatchOptions = {}): number {
  const o = withClock(opts);
  return writePlanned(target, pos, records, o, plan(records, o));
}

/** Encode `records` as one uncompressed v2 batch in a new Buffer of exactly the right size. */
export function buildBatch(records: readonly RecordInput[], opts: BatchOptions = {}): Buffer {
  const o = withClock(opts);
  const pl = plan(records, o);
  const buf = Buffer.allocUnsafe(pl.size);
  writePlanned(buf, 0, records, o, pl);
  return buf;
}

/** The decoder lives in records.ts; re-exported here next to the builder it mirrors. */
export { decodeRecords, decodeAllRecords } from './records.js';
