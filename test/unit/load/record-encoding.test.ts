import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchTemplate, recordEncodedSize, recordsPerBatch } from '../../../src/load/batch-template.js';
import { createRandom, createZipfSampler, KeyChooser, keyString, murmur2, partitionForKey } from '../../../src/load/key-distribution.js';
import { checkValue, nowUs, readProducerId, readSendTimeUs, readSequence, ValueCheck, writeFiller, writeValueHeader } from '../../../src/load/record-value.js';
import { decodeRecords, validateBatches } from '../../../src/protocol/record-batch/index.js';
import { compressionTypeOfAttributes, decompress } from '../../../src/compression/codec.js';
import { crc32c } from '../../../src/wasm/crc32c.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

const viewOf = (b: Buffer): DataView => new DataView(b.buffer, b.byteOffset, b.length);

test('value header round trip and checksum catches any flipped bit', () => {
  const v = Buffer.alloc(100);
  writeFiller(v, 24, 100, createRandom(1));
  const fillerCrc = crc32c(v, 24, 100);
  const ts = nowUs();
  writeValueHeader(viewOf(v), 0, ts, 0xdeadbeef, 41, fillerCrc);
  assert.is(checkValue(v, 0, 100, crc32c), ValueCheck.OK);
  assert.is(readSendTimeUs(v, 0), ts);
  assert.is(readProducerId(v, 0), 0xdeadbeef);
  assert.is(readSequence(v, 0), 41);
  for (const at of [0, 5, 9, 13, 21, 30, 99]) {
    for (const bit of [0x01, 0x80]) {
      const c = Buffer.from(v);
      c[at] ^= bit;
      assert.is.not(checkValue(c, 0, 100, crc32c), ValueCheck.OK, `byte ${at} bit ${bit}`);
    }
  }
  assert.is(checkValue(v, 0, 20, crc32c), ValueCheck.TOO_SHORT);
});

test('value header bytes are the big-endian fields Buffer would write (fractional send times too)', () => {
  const v = Buffer.alloc(40);
  const want = Buffer.alloc(24);
  for (const ts of [0, 1.5, 1_765_000_000_123_456.25, 2 ** 53 - 1]) {
    writeValueHeader(viewOf(v), 8, ts, 0xfedcba98, 0xffffffff, 0x12345678);
    want.writeDoubleBE(ts, 0);
    want.writeUInt32BE(0xfedcba98, 8);
    want.writeUInt32BE(0xffffffff, 12);
    assert.equal(v.subarray(8, 24), want.subarray(0, 16), `ts ${ts}`);
    assert.is(readSendTimeUs(v, 8), ts);
    assert.is(v.readUInt32BE(8 + 16), 0x4d4c5231);
  }
  assert.equal(v.subarray(0, 8), Buffer.alloc(8));
  assert.equal(v.subarray(32), Buffer.alloc(8));
});

test('murmur2 matches the Kafka default partitioner (kafkajs as oracle)', () => {
  for (const s of ['21', 'foobar', 'a-little-bit-long-string', 'abc', '', 'x', '000042', 'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8']) {
    assert.is(murmur2(Buffer.from(s)), kafkajsMurmur2(Buffer.from(s)) | 0, s);
  }
  assert.is(partitionForKey(Buffer.from('foobar'), 7), (kafkajsMurmur2('foobar') & 0x7fffffff) % 7);
});

test('key chooser: fixed width keys, partitions by murmur2, zipf skew', () => {
  const k = new KeyChooser({ kind: 'uniform', count: 1000 }, 5, createRandom(7));
  assert.is(k.width, 3);
  assert.is(keyString(3, 7), '007');
  for (let id = 0; id < 1000; id += 97) assert.is(k.partitionOf[id], partitionForKey(Buffer.from(keyString(3, id)), 5));
  const zipf = createZipfSampler(1000, 1, createRandom(3));
  const counts = new Array<number>(1001).fill(0);
  for (let i = 0; i < 200_000; i++) counts[zipf()]++;
  const ratio = counts[1]! / counts[2]!;
  assert.ok(ratio > 1.8 && ratio < 2.2, `rank 1 / rank 2 = ${ratio}, expected ~2 for s = 1`);
  assert.ok(counts[1]! > counts[10]! * 8, 'rank 1 is ~10x rank 10');
});

test('template: capacity fits the batch size; sealed prefixes are valid batches with verifiable values', () => {
  const cap = recordsPerBatch(16384, 0, 100);
  let size = 61;
  for (let i = 0; i < cap; i++) size += recordEncodedSize(i, 0, 100);
  assert.ok(size <= 16384 && size + recordEncodedSize(cap, 0, 100) > 16384);
  const t = BatchTemplate.create({ recordSize: 100, keyWidth: 4, batchBytes: 16384, compression: 'none', maxBatchBytes: 1 << 20, random: createRandom(9) });
  const slot = t.newSlot();
  for (let i = 0; i < 10; i++) t.writeRecord(slot, i, 1_700_000_000_000_000 + i, 77, 1000 + i, 42 + i);
  const batch = t.seal(slot, 10, 1_700_000_000_000);
  const v = validateBatches(batch, { maxMessageBytes: 1 << 20, singleBatch: true });
  assert.ok(v.ok, JSON.stringify(v));
  const recs = decodeRecords(batch);
  assert.is(recs.length, 10);
  recs.forEach((r, i) => {
    assert.is(r.offset, i);
    assert.is(r.timestamp, 1_700_000_000_000);
    assert.is(r.key!.toString(), keyString(4, 42 + i));
    assert.is(checkValue(r.value!, 0, r.value!.length, crc32c), ValueCheck.OK);
    assert.is(readSequence(r.value!, 0), 1000 + i);
  });
  // Reusing the slot for a full batch.
  for (let i = 0; i < t.capacity; i++) t.writeRecord(slot, i, 1, 78, i, 0);
  const full = t.seal(slot, t.capacity, 5);
  assert.ok(validateBatches(full, { maxMessageBytes: 1 << 20 }).ok);
  assert.is(decodeRecords(full).length, t.capacity);
});

for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`template with ${codec}: more records per batch, decompresses to verifiable records`, () => {
    const t = BatchTemplate.create({ recordSize: 100, keyWidth: 0, batchBytes: 16384, compression: codec, maxBatchBytes: 1 << 20, random: createRandom(9) });
    assert.ok(t.capacity > recordsPerBatch(16384, 0, 100), `capacity ${t.capacity}`);
    const slot = t.newSlot();
    for (let i = 0; i < 50; i++) t.writeRecord(slot, i, 5, 1, i, 0);
    const batch = t.seal(slot, 50, 5);
    assert.ok(validateBatches(batch, { maxMessageBytes: 1 << 20 }).ok);
    assert.is(compressionTypeOfAttributes(batch[22]!), t.codec);
    const body = decompress(t.codec, batch.subarray(61));
    assert.ok(body.equals(slot.bytes.subarray(61, t.recordEnd[49]!)));
  });
}

test.run();
