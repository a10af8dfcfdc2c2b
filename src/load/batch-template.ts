/**
 * Pre-encoded record batches for the produce path.
 *
 * A template is one v2 batch of `capacity` records built once with the
 * project's batch builder: every record has the same size (fixed-width key
 * or null key, `recordSize`-byte value, timestampDelta 0, no headers), so the
 * position of each record's key and value is known in advance. Producing a
 * batch is then: copy of the template (once per slot buffer, reused), patch
 * each record's key and 24-byte value header in place, patch the batch header
 * (length, count, timestamps) for the first n records, recompute CRC-32C
 * (WASM). No record is re-encoded and nothing is allocated per record.
 *
 * ```
 *  slot buffer: [61-byte batch header][record 0][record 1] … [record capacity-1]
 *  record i:    len | attrs | tsDelta=0 | offsetDelta=i | keyLen | key | valueLen | value | headers=0
 *                                                               ^keyOffset[i]      ^valueOffset[i]
 *  a batch of n ≤ capacity records is the prefix [0, recordEnd[n-1]).
 * ```
 *
 * With compression the patched records section is compressed per batch (as a
 * real producer does) into a new buffer with its own header.
 */
import { compress, CompressionType, compressionTypeFromName } from '../compression/codec.js';
import { buildBatch, decodeRecords, type RecordInput } from '../protocol/record-batch/index.js';
import {
  ATTRIBUTES_OFFSET, BASE_TIMESTAMP_OFFSET, CRC_OFFSET, CRC_START, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET,
  LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET, RECORDS_COUNT_OFFSET, RECORDS_OFFSET, BATCH_HEADER_SIZE, writeInt64,
} from '../protocol/record-batch/record-batch-header.js';
import { sizeOfVarint } from '../protocol/record-batch/varint.js';
import { crc32c } from '../wasm/crc32c.js';
import type { CompressionName } from './load-options.js';
import { keyString, writeKey } from './key-distribution.js';
import { VALUE_HEADER_BYTES, writeFiller, writeValueHeader } from './record-value.js';

/** Encoded bytes of record `i` with the given key width (0 = null key) and value size. */
export function recordEncodedSize(i: number, keyWidth: number, valueSize: number): number {
  const keyField = keyWidth > 0 ? sizeOfVarint(keyWidth) + keyWidth : 1;
  const body = 1 + 1 + sizeOfVarint(i) + keyField + sizeOfVarint(valueSize) + valueSize + 1;
  return sizeOfVarint(body) + body;
}

/** How many records fit a batch of at most `batchBytes` (at least 1). */
export function recordsPerBatch(batchBytes: number, keyWidth: number, valueSize: number): number {
  let size = BATCH_HEADER_SIZE;
  let n = 0;
  for (;;) {
    const next = size + recordEncodedSize(n, keyWidth, valueSize);
    if (next > batchBytes && n > 0) return n;
    size = next;
    n++;
  }
}

/** One reusable batch buffer: a private copy of the template, and a DataView over the same bytes for the per-record stores. */
export class BatchSlot {
  readonly view: DataView;
  constructor(readonly bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
}

export class BatchTemplate {
  readonly template: Buffer;
  /** Absolute position in a slot of record i's key (-1: null keys). */
  readonly keyOffset: Int32Array;
  readonly valueOffset: Int32Array;
  /** End of record i: a batch of n records is [0, recordEnd[n - 1]). */
  readonly recordEnd: Int32Array;
  /** CRC-32C of record i's filler (its value after the 24-byte header). */
  readonly fillerCrc: Uint32Array;
  readonly codec: CompressionType;

  private constructor(
    readonly capacity: number,
    readonly recordSize: number,
    readonly keyWidth: number,
    compression: CompressionName,
    random: () => number,
  ) {
    this.codec = compressionTypeFromName(compression) ?? CompressionType.None;
    const records: RecordInput[] = [];
    for (let i = 0; i < capacity; i++) {
      const value = Buffer.alloc(recordSize);
      writeFiller(value, VALUE_HEADER_BYTES, recordSize, random);
      records.push({ key: keyWidth > 0 ? keyString(keyWidth, 0) : null, value });
    }
    this.template = buildBatch(records, { timestampMs: 0 });
    const decoded = decodeRecords(this.template);
    this.keyOffset = new Int32Array(capacity);
    this.valueOffset = new Int32Array(capacity);
    this.recordEnd = new Int32Array(capacity);
    this.fillerCrc = new Uint32Array(capacity);
    const base = this.template.byteOffset;
    for (let i = 0; i < capacity; i++) {
      const r = decoded[i]!;
      this.keyOffset[i] = r.key ? r.key.byteOffset - base : -1;
      const v = r.value!;
      this.valueOffset[i] = v.byteOffset - base;
      // headers count (one byte, 0) follows the value.
      this.recordEnd[i] = v.byteOffset - base + v.length + 1;
      this.fillerCrc[i] = crc32c(this.template, this.valueOffset[i]! + VALUE_HEADER_BYTES, this.valueOffset[i]! + recordSize);
    }
    if (this.recordEnd[capacity - 1] !== this.template.length) throw new Error('batch template layout is not as expected');
  }

  /**
   * A template for records of `recordSize` bytes and keys of `keyWidth` bytes
   * (0 = null keys), holding as many records as fit `batchBytes`. With
   * compression, Kafka's batch.size applies to the compressed size, so the
   * capacity is scaled by the compression ratio measured on the template.
   */
  static create(opts: { recordSize: number; keyWidth: number; batchBytes: number; compression: CompressionName; maxBatchBytes: number; random: () => number }): BatchTemplate {
    let capacity = recordsPerBatch(opts.batchBytes, opts.keyWidth, opts.recordSize);
    if (opts.compression !== 'none') {
      const probe = new BatchTemplate(capacity, opts.recordSize, opts.keyWidth, opts.compression, opts.random);
      const compressed = compress(probe.codec, probe.template.subarray(RECORDS_OFFSET)).length;
      const ratio = Math.min(8, Math.max(1, (probe.template.length - RECORDS_OFFSET) / Math.max(1, compressed)));
      const scaledBytes = Math.min(opts.maxBatchBytes, Math.floor(opts.batchBytes * ratio));
      capacity = recordsPerBatch(scaledBytes, opts.keyWidth, opts.recordSize);
    }
    return new BatchTemplate(capacity, opts.recordSize, opts.keyWidth, opts.compression, opts.random);
  }

  /** A new slot (a private copy of the template), to be reused for many batches. */
  newSlot(): BatchSlot {
    const bytes = Buffer.allocUnsafeSlow(this.template.length);
    this.template.copy(bytes);
    return new BatchSlot(bytes);
  }

  /** Stamp record `i` of `slot`: its key (ignored for null keys) and its value header. */
  writeRecord(slot: BatchSlot, i: number, sendTimeUs: number, producerId: number, sequence: number, keyId: number): void {
    if (this.keyWidth > 0) writeKey(slot.bytes, this.keyOffset[i]!, this.keyWidth, keyId);
    writeValueHeader(slot.view, this.valueOffset[i]!, sendTimeUs, producerId, sequence, this.fillerCrc[i]!);
  }

  /**
   * Finish the batch made of the first `n` records of `slot` with create time
   * `timestampMs`: the returned bytes are ready to send. Uncompressed: a view
   * of the slot (do not touch the slot until the request is acknowledged).
   * Compressed: a new buffer.
   */
  seal(slot: BatchSlot, n: number, timestampMs: number): Buffer {
    const end = this.recordEnd[n - 1]!;
    let batch: Buffer;
    if (this.codec === CompressionType.None) {
      batch = slot.bytes.subarray(0, end);
    } else {
      const body = compress(this.codec, slot.bytes.subarray(RECORDS_OFFSET, end));
      batch = Buffer.allocUnsafe(RECORDS_OFFSET + body.length);
      slot.bytes.copy(batch, 0, 0, RECORDS_OFFSET);
      body.copy(batch, RECORDS_OFFSET);
      batch.writeInt16BE(this.codec, ATTRIBUTES_OFFSET);
    }
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, LENGTH_OFFSET);
    batch.writeInt32BE(n - 1, LAST_OFFSET_DELTA_OFFSET);
    writeInt64(batch, BASE_TIMESTAMP_OFFSET, timestampMs);
    writeInt64(batch, MAX_TIMESTAMP_OFFSET, timestampMs);
    batch.writeInt32BE(n, RECORDS_COUNT_OFFSET);
    batch.writeUInt32BE(crc32c(batch, CRC_START, batch.length), CRC_OFFSET);
    return batch;
  }

  /** Value bytes of a batch of n records (what throughput figures count, as producer-perf-test does). */
  valueBytes(n: number): number {
    return n * this.recordSize;
  }
}
