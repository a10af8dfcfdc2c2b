import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../../src/common/error-codes.js';
import { stampLogAppendTime, validateBatches, type ValidationResult } from '../../../../src/protocol/record-batch/batch-validator.js';
import { buildBatch } from '../../../../src/protocol/record-batch/record-batch-builder.js';
import { batchCrc32c } from '../../../../src/protocol/record-batch/crc.js';
import * as H from '../../../../src/protocol/record-batch/record-batch-header.js';

const opts = { maxMessageBytes: 1 << 20 };
const batch = (n = 3, o = {}): Buffer => buildBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, timestamp: 1000 + i })), { timestampMs: 1, ...o });
/** Fix the CRC after editing CRC-covered bytes, so a test hits the check it means to. */
const recrc = (b: Buffer, pos = 0): Buffer => { b.writeUInt32BE(batchCrc32c(b, pos, H.batchSize(b, pos)), pos + H.CRC_OFFSET); return b; };
const errorOf = (r: ValidationResult): number => (r.ok ? ErrorCode.NONE : r.error);

test('valid batches: infos from the headers', () => {
  const a = batch(3, { producerId: 5, producerEpoch: 1, baseSequence: 0 });
  const b = batch(2);
  const r = validateBatches(Buffer.concat([a, b]), opts);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.batches.length, 2);
  assert.is(r.recordCount, 5);
  assert.is(r.bytes, a.length + b.length);
  assert.equal(r.batches[0], {
    position: 0, size: a.length, recordCount: 3, lastOffsetDelta: 2, baseTimestamp: 1000, maxTimestamp: 1002,
    compression: 0, transactional: false, control: false, producerId: 5, producerEpoch: 1, baseSequence: 0,
  });
  assert.is(r.batches[1]!.position, a.length);
});

test('empty records: INVALID_RECORD', () => {
  assert.is(errorOf(validateBatches(Buffer.alloc(0), opts)), ErrorCode.INVALID_RECORD);
});

test('bad CRC: CORRUPT_MESSAGE', () => {
  const b = batch();
  b[b.length - 1] ^= 0x01;
  const r = validateBatches(b, opts);
  assert.is(errorOf(r), ErrorCode.CORRUPT_MESSAGE);
  assert.ok(!r.ok && /CRC/.test(r.reason));
});

test('bytes outside the CRC (baseOffset, leader epoch) may change', () => {
  const b = batch();
  H.setBaseOffset(b, 0, 999);
  H.setPartitionLeaderEpoch(b, 0, 7);
  assert.ok(validateBatches(b, opts).ok);
});

test('magic: 0/1 are INVALID_RECORD (as Kafka for produce v3+), anything else CORRUPT_MESSAGE', () => {
  for (const [m, code] of [[0, ErrorCode.INVALID_RECORD], [1, ErrorCode.INVALID_RECORD], [3, ErrorCode.CORRUPT_MESSAGE], [-1, ErrorCode.CORRUPT_MESSAGE]] as const) {
    const b = batch();
    b.writeInt8(m, H.MAGIC_OFFSET);
    assert.is(errorOf(validateBatches(b, opts)), code, `magic ${m}`);
  }
});

test('truncated batch, trailing partial batch, length below the header: CORRUPT_MESSAGE', () => {
  const b = batch();
  assert.is(errorOf(validateBatches(b.subarray(0, b.length - 1), opts)), ErrorCode.CORRUPT_MESSAGE);
  assert.is(errorOf(validateBatches(Buffer.concat([b, b.subarray(0, 30)]), opts)), ErrorCode.CORRUPT_MESSAGE);
  assert.is(errorOf(validateBatches(Buffer.concat([b, b.subarray(0, 10)]), opts)), ErrorCode.CORRUPT_MESSAGE);
  const short = Buffer.from(b);
  short.writeInt32BE(40, H.LENGTH_OFFSET);
  assert.is(errorOf(validateBatches(short, opts)), ErrorCode.CORRUPT_MESSAGE);
});

test('batch larger than maxMessageBytes: MESSAGE_TOO_LARGE (checked before the CRC, as Kafka)', () => {
  const b = batch(50);
  assert.is(errorOf(validateBatches(b, { maxMessageBytes: b.length - 1 })), ErrorCode.MESSAGE_TOO_LARGE);
  assert.ok(validateBatches(b, { maxMessageBytes: b.length }).ok);
  b[b.length - 1] ^= 1;
  assert.is(errorOf(validateBatches(b, { maxMessageBytes: 10 })), ErrorCode.MESSAGE_TOO_LARGE);
});

test('lastOffsetDelta + 1 ≠ recordCount, or no records: INVALID_RECORD', () => {
  const b = batch(3);
  b.writeInt32BE(5, H.LAST_OFFSET_DELTA_OFFSET);
  assert.is(errorOf(validateBatches(recrc(b), opts)), ErrorCode.INVALID_RECORD);
  const zero = batch(0);
  assert.is(errorOf(validateBatches(zero, opts)), ErrorCode.INVALID_RECORD);
});

test('control batch: INVALID_RECORD from clients, accepted from the coordinator (producer id, no sequence)', () => {
  const marker = batch(1, { control: true, transactional: true, producerId: 1, baseSequence: -1 });
  assert.is(errorOf(validateBatches(marker, opts)), ErrorCode.INVALID_RECORD);
  assert.ok(validateBatches(marker, { ...opts, fromCoordinator: true }).ok);
  const withSeq = batch(1, { control: true, producerId: 1, baseSequence: 0 });
  const r = validateBatches(withSeq, opts);
  assert.ok(!r.ok && r.error === ErrorCode.INVALID_RECORD && /control/.test(r.reason));
});

test('producerId ≥ 0 with baseSequence < 0: INVALID_RECORD', () => {
  assert.is(errorOf(validateBatches(batch(2, { producerId: 3, baseSequence: -1 }), opts)), ErrorCode.INVALID_RECORD);
  assert.ok(validateBatches(batch(2, { producerId: -1, baseSequence: -1 }), opts).ok);
});

test('unknown compression codec: UNSUPPORTED_COMPRESSION_TYPE', () => {
  const b = batch();
  b[H.ATTRIBUTES_OFFSET + 1] = 6;
  assert.is(errorOf(validateBatches(recrc(b), opts)), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('singleBatch rejects a second batch', () => {
  const two = Buffer.concat([batch(), batch()]);
  assert.ok(validateBatches(two, opts).ok);
  assert.is(errorOf(validateBatches(two, { ...opts, singleBatch: true })), ErrorCode.INVALID_RECORD);
});

test('an error in the second batch is reported at its position', () => {
  const a = batch();
  const b = batch();
  b[b.length - 1] ^= 1;
  const r = validateBatches(Buffer.concat([a, b]), opts);
  assert.ok(!r.ok && r.position === a.length);
});

test('stampLogAppendTime sets the type bit and maxTimestamp and recomputes the CRC', () => {
  const b = Buffer.concat([batch(1), batch(2)]);
  const second = H.batchSize(b, 0);
  stampLogAppendTime(b, second, H.batchSize(b, second), 1_700_000_000_123);
  assert.is(H.timestampType(b, second), 1);
  assert.is(H.maxTimestamp(b, second), 1_700_000_000_123);
  assert.is(H.timestampType(b, 0), 0);
  assert.ok(validateBatches(b, opts).ok);
});

test.run();
