import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../../../src/protocol/record-batch/record-batch-header.js';
import { buildBatch } from '../../../../src/protocol/record-batch/record-batch-builder.js';
import { batchCrc32c } from '../../../../src/protocol/record-batch/crc.js';

test('int64 helpers round-trip JS integers, negative ones included', () => {
  const buf = Buffer.alloc(8);
  for (const v of [0, 1, -1, 255, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 32 + 7, -(2 ** 32) - 7, 1_700_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    H.writeInt64(buf, 0, v);
    assert.is(buf.readBigInt64BE(0), BigInt(v), `write ${v}`);
    assert.is(H.readInt64(buf, 0), v, `read ${v}`);
  }
});

test('accessors read the documented byte offsets', () => {
  const b = buildBatch(
    [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 3000 }, { value: 'c', timestamp: 2000 }],
    { baseOffset: 42, producerId: 77, producerEpoch: 3, baseSequence: 9, transactional: true, partitionLeaderEpoch: 5 },
  );
  // Cross-check a few accessors against raw reads at the table's offsets.
  assert.is(H.baseOffset(b, 0), Number(b.readBigInt64BE(0)));
  assert.is(H.batchLength(b, 0), b.readInt32BE(8));
  assert.is(H.batchSize(b, 0), b.length);
  assert.is(H.partitionLeaderEpoch(b, 0), 5);
  assert.is(H.magic(b, 0), 2);
  assert.is(H.crc(b, 0), b.readUInt32BE(17));
  assert.is(H.crc(b, 0), batchCrc32c(b, 0, b.length));
  assert.is(H.attributes(b, 0), H.TRANSACTIONAL_MASK);
  assert.is(H.compression(b, 0), 0);
  assert.is(H.timestampType(b, 0), 0);
  assert.ok(H.isTransactional(b, 0));
  assert.not.ok(H.isControl(b, 0));
  assert.is(H.baseOffset(b, 0), 42);
  assert.is(H.lastOffsetDelta(b, 0), 2);
  assert.is(H.lastOffset(b, 0), 44);
  assert.is(H.baseTimestamp(b, 0), 1000);
  assert.is(H.maxTimestamp(b, 0), 3000);
  assert.is(H.producerId(b, 0), 77);
  assert.is(H.producerEpoch(b, 0), 3);
  assert.is(H.baseSequence(b, 0), 9);
  assert.is(H.recordCount(b, 0), 3);
});

test('accessors work at a non-zero position', () => {
  const a = buildBatch([{ value: 'x' }], { timestampMs: 5 });
  const b = buildBatch([{ value: 'y' }, { value: 'z' }], { baseOffset: 1, timestampMs: 6, producerId: -1 });
  const both = Buffer.concat([a, b]);
  assert.is(H.baseOffset(both, a.length), 1);
  assert.is(H.recordCount(both, a.length), 2);
  assert.is(H.producerId(both, a.length), -1);
  assert.is(H.maxTimestamp(both, a.length), 6);
});

test('setBaseOffset and setPartitionLeaderEpoch leave the CRC valid', () => {
  const b = buildBatch([{ value: 'hello' }], { timestampMs: 1 });
  const crc = H.crc(b, 0);
  H.setBaseOffset(b, 0, 2 ** 40 + 3);
  H.setPartitionLeaderEpoch(b, 0, 12);
  assert.is(H.baseOffset(b, 0), 2 ** 40 + 3);
  assert.is(H.partitionLeaderEpoch(b, 0), 12);
  assert.is(batchCrc32c(b, 0, b.length), crc);
});

test.run();
