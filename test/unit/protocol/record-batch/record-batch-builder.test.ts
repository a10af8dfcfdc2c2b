import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildBatch, batchSizeOf, writeBatch } from '../../../../src/protocol/record-batch/record-batch-builder.js';
import { decodeAllRecords, decodeRecords, findMaxTimestampRecord, findRecordByTimestamp } from '../../../../src/protocol/record-batch/records.js';
import { validateBatches } from '../../../../src/protocol/record-batch/batch-validator.js';
import * as H from '../../../../src/protocol/record-batch/record-batch-header.js';
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../../../src/protocol/record-batch/varint.js';

test('varint and varlong round-trip, sizes match what is written', () => {
  const buf = Buffer.alloc(16);
  for (const v of [0, 1, -1, 63, -64, 64, -65, 8191, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)]) {
    const end = writeVarint(buf, 0, v);
    assert.is(end, sizeOfVarint(v), `size of ${v}`);
    const cur = { pos: 0 };
    assert.is(readVarint(buf, cur, 16), v);
    assert.is(cur.pos, end);
  }
  for (const v of [0, -1, 2 ** 30, -(2 ** 30) - 1, 2 ** 40, -(2 ** 40), 1_700_000_000_000, -1_700_000_000_000, 2 ** 51]) {
    const end = writeVarlong(buf, 0, v);
    assert.is(end, sizeOfVarlong(v), `size of ${v}`);
    const cur = { pos: 0 };
    assert.is(readVarlong(buf, cur, 16), v);
    assert.is(cur.pos, end);
  }
  // Known encodings (protobuf zig-zag): 0 → 00, -1 → 01, 1 → 02, 300 → d8 04.
  assert.equal([...buf.subarray(0, writeVarint(buf, 0, 300))], [0xd8, 0x04]);
  assert.equal([...buf.subarray(0, writeVarint(buf, 0, -1))], [0x01]);
});

test('a varint that runs past the end throws', () => {
  const buf = Buffer.from([0x80, 0x80]);
  assert.throws(() => readVarint(buf, { pos: 0 }, 2));
});

test('build → decode round trip: keys, values, nulls, headers, unicode, timestamps', () => {
  const records = [
    { key: 'k1', value: 'v1', timestamp: 1_700_000_000_000 },
    { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: 1_700_000_000_500 },
    { key: Buffer.alloc(0), value: null, timestamp: 1_699_999_999_000 }, // negative delta
    { key: 'ключ', value: '値'.repeat(100), headers: [{ key: 'h1', value: 'x' }, { key: 'h2', value: null }], timestamp: 1_700_000_001_000 },
  ];
  const b = buildBatch(records, { baseOffset: 10 });
  assert.ok(validateBatches(b, { maxMessageBytes: 1 << 20 }).ok);
  assert.is(H.recordCount(b, 0), 4);
  assert.is(H.baseTimestamp(b, 0), 1_700_000_000_000);
  assert.is(H.maxTimestamp(b, 0), 1_700_000_001_000);
  const out = decodeRecords(b);
  assert.is(out.length, 4);
  out.forEach((r, i) => assert.is(r.offset, 10 + i));
  assert.equal(out.map((r) => r.timestamp), records.map((r) => r.timestamp));
  assert.is(out[0]!.key!.toString(), 'k1');
  assert.is(out[0]!.value!.toString(), 'v1');
  assert.is(out[1]!.key, null);
  assert.equal([...out[1]!.value!], [0, 1, 2, 255]);
  assert.is(out[2]!.key!.length, 0);
  assert.is(out[2]!.value, null);
  assert.is(out[3]!.key!.toString(), 'ключ');
  assert.is(out[3]!.value!.toString(), '値'.repeat(100));
  assert.equal(out[3]!.headers.map((h) => [h.key, h.value?.toString() ?? null]), [['h1', 'x'], ['h2', null]]);
});

test('writeBatch writes into a preallocated buffer, batchSizeOf is exact, too small throws', () => {
  const recs = [{ key: 'a', value: 'b' }, { value: 'c'.repeat(300) }];
  const size = batchSizeOf(recs, { timestampMs: 7 });
  const buf = Buffer.alloc(size + 10);
  assert.is(writeBatch(buf, 10, recs, { timestampMs: 7 }), size);
  assert.equal(buf.subarray(10), buildBatch(recs, { timestampMs: 7 }));
  assert.throws(() => writeBatch(Buffer.alloc(size - 1), 0, recs, { timestampMs: 7 }), RangeError);
});

test('LogAppendTime batches decode every record at maxTimestamp', () => {
  const b = buildBatch([{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 9 }], { logAppendTime: true });
  assert.is(H.timestampType(b, 0), 1);
  assert.equal(decodeRecords(b).map((r) => r.timestamp), [9, 9]);
});

test('decodeAllRecords walks consecutive batches', () => {
  const a = buildBatch([{ value: '1' }, { value: '2' }], { baseOffset: 0, timestampMs: 1 });
  const b = buildBatch([{ value: '3' }], { baseOffset: 2, timestampMs: 1 });
  assert.equal(decodeAllRecords(Buffer.concat([a, b])).map((r) => [r.offset, r.value!.toString()]), [[0, '1'], [1, '2'], [2, '3']]);
});

test('decodeRecords rejects a compressed batch and a malformed one', () => {
  const b = buildBatch([{ value: 'x' }], { timestampMs: 1 });
  const compressed = Buffer.from(b);
  compressed[22] = 1;
  assert.throws(() => decodeRecords(compressed), /uncompressed/);
  const broken = Buffer.from(b);
  broken[61] = 0x7e; // record length varint 63: past the end
  assert.throws(() => decodeRecords(broken), /malformed/);
});

test('findRecordByTimestamp: exact record in uncompressed batches, batch granularity otherwise', () => {
  const b = buildBatch([{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 30 }, { value: 'c', timestamp: 20 }], { baseOffset: 100 });
  assert.equal(findRecordByTimestamp(b, 0, 5, 0), { offset: 100, timestamp: 10 });
  assert.equal(findRecordByTimestamp(b, 0, 15, 0), { offset: 101, timestamp: 30 });
  assert.equal(findRecordByTimestamp(b, 0, 30, 0), { offset: 101, timestamp: 30 });
  assert.is(findRecordByTimestamp(b, 0, 31, 0), null);
  assert.equal(findRecordByTimestamp(b, 0, 15, 102), { offset: 102, timestamp: 20 }, 'minOffset skips earlier records');
  assert.is(findRecordByTimestamp(b, 0, 25, 102), null);
  assert.equal(findMaxTimestampRecord(b, 0, 0), { offset: 101, timestamp: 30 });
  const compressed = Buffer.from(b);
  compressed[22] = 3; // claims lz4: records are not parsed
  assert.equal(findRecordByTimestamp(compressed, 0, 15, 0), { offset: 100, timestamp: 30 });
  assert.equal(findMaxTimestampRecord(compressed, 0, 101), { offset: 101, timestamp: 30 });
});

test.run();
