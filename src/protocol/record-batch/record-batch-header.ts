/**
 * Record batch v2: the 61-byte header, read and written in place over a Buffer.
 * Pure, no I/O. Reference: implementation.html §5.3.1; field offsets as in
 * Kafka's DefaultRecordBatch.java.
 *
 * ```
 *  offset size field                 notes
 *  ------ ---- --------------------- -------------------------------------------------
 *     0    8   baseOffset    int64   assigned by the broker (outside the CRC)
 *     8    4   batchLength   int32   bytes after this field: whole batch = batchLength + 12
 *    12    4   partitionLeaderEpoch  int32, set by the broker (outside the CRC)
 *    16    1   magic         int8    = 2
 *    17    4   crc           uint32  CRC-32C of bytes [21, end of batch)
 *    21    2   attributes    int16   bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)
 *                                    bit 3 timestampType (0 CreateTime, 1 LogAppendTime)
 *                                    bit 4 transactional, bit 5 control, bit 6 deleteHorizon
 *    23    4   lastOffsetDelta int32 = recordCount - 1 for a batch as produced
 *    27    8   baseTimestamp int64
 *    35    8   maxTimestamp  int64   LogAppendTime batches: the append time
 *    43    8   producerId    int64   -1 when not idempotent
 *    51    2   producerEpoch int16
 *    53    4   baseSequence  int32
 *    57    4   recordCount   int32
 *    61    …   records               one compressed blob when codec ≠ 0
 * ```
 *
 * int64 fields are JS numbers: offsets, timestamps and producer ids stay below
 * 2^53. They are read as two int32 halves (hi signed, lo unsigned), which
 * avoids the BigInt allocation of readBigInt64BE.
 */

export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** Size of the v2 batch header; also the smallest possible batch. */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** First byte covered by the CRC. */
export const CRC_START = ATTRIBUTES_OFFSET;
export const MAGIC_V2 = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;
export const DELETE_HORIZON_MASK = 0x40;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];
export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** Used by the "no producer id / epoch / sequence" fields and "no timestamp". */
export const NO_PRODUCER_ID = -1;
export const NO_TIMESTAMP = -1;

const TWO_32 = 4294967296;

/** int64 big-endian at `pos` as a JS number (exact below 2^53). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Write a JS integer (|v| < 2^53) as int64 big-endian at `pos`. */
export function writeInt64(buf: Buffer, pos: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(v - hi * TWO_32, pos + 4);
}

export function baseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET_OFFSET);
}
export function batchLength(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + LENGTH_OFFSET);
}
/** Whole batch size in bytes, including baseOffset and batchLength. */
export function batchSize(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD;
}
export function partitionLeaderEpoch(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
}
export function magic(buf: Buffer, pos: number): number {
  return buf.readInt8(pos + MAGIC_OFFSET);
}
export function crc(buf: Buffer, pos: number): number {
  return buf.readUInt32BE(pos + CRC_OFFSET);
}
export function attributes(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
}
export function compression(buf: Buffer, pos: number): number {
  return buf[pos + ATTRIBUTES_OFFSET + 1]! & COMPRESSION_MASK;
}
export function timestampType(buf: Buffer, pos: number): TimestampType {
  return (buf[pos + ATTRIBUTES_OFFSET + 1]! & TIMESTAMP_TYPE_MASK) !== 0 ? 1 : 0;
}
export function isTransactional(buf: Buffer, pos: number): boolean {
  return (buf[pos + ATTRIBUTES_OFFSET + 1]! & TRANSACTIONAL_MASK) !== 0;
}
export function isControl(buf: Buffer, pos: number): boolean {
  return (buf[pos + ATTRIBUTES_OFFSET + 1]! & CONTROL_MASK) !== 0;
}
export function lastOffsetDelta(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}
/** baseOffset + lastOffsetDelta. */
export function lastOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}
export function baseTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_TIMESTAMP_OFFSET);
}
export function maxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + MAX_TIMESTAMP_OFFSET);
}
export function producerId(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + PRODUCER_ID_OFFSET);
}
export function producerEpoch(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
}
export function baseSequence(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
}
export function recordCount(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
}

/** Outside the CRC: the broker assigns it without recomputing the checksum. */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, offset);
}
/** Outside the CRC, like baseOffset. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}
