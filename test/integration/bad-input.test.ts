/**
 * Bad input through raw sockets: malformed frames, oversized frames, unknown
 * APIs and versions, truncated requests, corrupt batches, unknown topics,
 * invalid topic names and partition counts. Each case gets its Kafka error
 * code, or a close of that one connection; after each, the broker still
 * answers a normal request and every acknowledged record is still there.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { batchCrc32c, buildBatch } from '../../src/protocol/record-batch/index.js';
import { ATTRIBUTES_OFFSET, Compression, CRC_OFFSET, MAGIC_OFFSET } from '../../src/protocol/record-batch/record-batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, encodeRequest, fetchAll, fetchOnce, frame, openConnection, produce, waitForTopics, within } from '../helpers/wire.js';

const MAX_FRAME = 64 * 1024;
const MAX_MESSAGE = 16 * 1024;
const CANARY = 'canary';

let tb: TestBroker;
let bystander: KafkaConnection;
/** Values acknowledged (acks=-1) on canary-0, in offset order. */
const acked: string[] = [];

test.before(async () => {
  tb = await startTestBroker({ socketRequestMaxBytes: MAX_FRAME, maxMessageBytes: MAX_MESSAGE, numPartitions: 2 });
  bystander = await openConnection(tb.broker.port, 'bystander');
  await waitForTopics(bystander, [CANARY, 'crc', 'magic', 'big', 'twobatches', 'zstdv5']);
  await healthy('start');
});
test.after(async () => {
  bystander?.close();
  await tb?.close();
});

/**
 * The broker answers on a fresh connection and on the long-lived bystander
 * connection, accepts an acks=-1 write, and still holds every acknowledged
 * record of the canary partition in order with contiguous offsets.
 */
async function healthy(after: string): Promise<void> {
  const c = await openConnection(tb.broker.port);
  try {
    const value = `after ${after}`;
    const r = await produce(c, CANARY, 0, [{ value }]);
    assert.is(r.errorCode, ErrorCode.NONE, `produce after ${after}`);
    assert.is(r.baseOffset, acked.length, `offset after ${after}`);
    acked.push(value);
    const all = await fetchAll(c, CANARY, 0);
    assert.equal(all.records.map((x) => x.value), acked, `acknowledged data after ${after}`);
    assert.equal(all.records.map((x) => x.offset), acked.map((_, i) => i));
    const md = await within(bystander.send('Metadata', 1, { topics: [{ name: CANARY }] }), 5000, 'bystander metadata');
    assert.is(md.topics[0]!.errorCode, ErrorCode.NONE);
  } finally {
    c.close();
  }
}

async function expectClosed(bytes: Buffer, what: string): Promise<void> {
  const raw = await RawClient.open(tb.broker.port);
  raw.write(bytes);
  assert.ok(await raw.waitClosed(5000), `${what}: connection should be closed`);
  assert.is(raw.buffered, 0, `${what}: no response expected`);
  await healthy(what);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

// ---- framing ----

test('negative frame size closes the connection', async () => {
  await expectClosed(Buffer.concat([int32(-1), Buffer.alloc(16)]), 'size -1');
  await expectClosed(int32(-2147483648), 'size INT32_MIN');
});

test('frame shorter than a request header closes the connection', async () => {
  await expectClosed(frame(Buffer.from([0, 3, 0])), '3-byte frame');
  await expectClosed(frame(Buffer.alloc(0)), 'empty frame');
});

test('garbage header closes the connection', async () => {
  // Metadata v1 header whose client_id claims 30000 bytes in a 12-byte frame.
  const body = Buffer.alloc(12);
  body.writeInt16BE(3, 0);
  body.writeInt16BE(1, 2);
  body.writeInt32BE(7, 4);
  body.writeInt16BE(30000, 8);
  await expectClosed(frame(body), 'client_id past the end');
  // Pseudo-random bytes (fixed seed) as a frame body.
  let x = 12345;
  const junk = Buffer.from(Buffer.alloc(200, 0).map(() => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x >>> 16; }));
  junk.writeInt16BE(0x7abc, 0);
  await expectClosed(frame(junk), 'random bytes');
});

test('a frame over socket.request.max.bytes closes the connection before its body arrives', async () => {
  // Only the size prefix is sent: the broker must not wait for 64 KiB + 1 bytes.
  await expectClosed(int32(MAX_FRAME + 1), 'size prefix over the limit');
  await expectClosed(int32(0x7fffffff), 'size prefix INT32_MAX');
});

test('an over-limit Produce frame is refused and nothing of it is appended', async () => {
  const c = await openConnection(tb.broker.port);
  const before = (await fetchOnce(c, 'big', 1, 0)).highWatermark;
  c.close();
  const values = Array.from({ length: 8 }, (_, i) => ({ value: `${i}`.repeat(10_000) }));
  const parts = Array.from({ length: 8 }, (_, i) => ({ index: 1, records: buildBatch([values[i]!]) }));
  const req = encodeRequest('Produce', 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'big', partitionData: parts }] }, 1);
  assert.ok(req.length - 4 > MAX_FRAME);
  await expectClosed(req, 'oversized produce');
  const c2 = await openConnection(tb.broker.port);
  assert.is((await fetchOnce(c2, 'big', 1, 0)).highWatermark, before);
  c2.close();
});

test('a frame exactly at socket.request.max.bytes is accepted', async () => {
  // ApiVersions v3 padded through its client software name (a compact string) to the limit.
  const raw = await RawClient.open(tb.broker.port);
  const body = (name: string) => ({ clientSoftwareName: name, clientSoftwareVersion: '1' });
  const base = encodeRequest('ApiVersions', 3, body(''), 42);
  // The compact string length varint grows from 1 to 3 bytes at this size.
  const padded = encodeRequest('ApiVersions', 3, body('p'.repeat(MAX_FRAME - (base.length - 4) - 2)), 42);
  assert.is(padded.length - 4, MAX_FRAME);
  raw.write(padded);
  const res = await raw.readResponse('ApiVersions', 3, 42);
  assert.is(res.errorCode, ErrorCode.NONE);
  raw.close();
});

test('with the default socket.request.max.bytes (100 MiB): one byte over closes, exactly the limit waits for the body', async () => {
  const other = await startTestBroker();
  try {
    const DEFAULT = 100 * 1024 * 1024;
    const over = await RawClient.open(other.broker.port);
    over.write(int32(DEFAULT + 1));
    assert.ok(await over.waitClosed(5000), 'over the default limit: closed');
    const at = await RawClient.open(other.broker.port);
    at.write(Buffer.concat([int32(DEFAULT), Buffer.alloc(1000)]));
    assert.not.ok(await at.waitClosed(300), 'at the limit: the broker waits for the rest of the frame');
    at.close();
    const c = await openConnection(other.broker.port);
    c.close();
  } finally {
    await other.close();
  }
});

test('array counts larger than the frame close the connection without allocating them', async () => {
  // Metadata v1: int32 topic count 0x7fffffff, no topics.
  const m1 = Buffer.concat([encodeRequest('Metadata', 1, { topics: [] }, 1).subarray(4, -4), int32(0x7fffffff)]);
  await expectClosed(frame(m1), 'int32 array count');
  // Metadata v9 (flexible): compact count as a 5-byte uvarint (2^32 - 1), then the tag section.
  const m9 = encodeRequest('Metadata', 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 1);
  const body9 = m9.subarray(4);
  const headerLen = 2 + 2 + 4 + 2 + 'millrace-test'.length + 1; // request header v2
  assert.is(body9[headerLen], 1, 'compact count of the empty topics array');
  const huge = Buffer.concat([body9.subarray(0, headerLen), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), body9.subarray(headerLen + 1)]);
  await expectClosed(frame(huge), 'compact array count');
  // Produce: records bytes claiming 1 GiB.
  const p = encodeRequest('Produce', 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: CANARY, partitionData: [{ index: 1, records: Buffer.alloc(8) }] }] }, 1);
  p.writeInt32BE(1 << 30, p.length - 12);
  await expectClosed(p, 'records length');
});

// ---- unknown APIs and versions ----

test('an unknown API key closes the connection; other connections are unaffected', async () => {
  const body = encodeRequest('ApiVersions', 0, {}, 5);
  body.writeInt16BE(67, 4); // a key Kafka defines but Millrace does not serve
  await expectClosed(body, 'api key 67');
  const body2 = encodeRequest('ApiVersions', 0, {}, 5);
  body2.writeInt16BE(32000, 4);
  await expectClosed(body2, 'api key 32000');
  const body3 = encodeRequest('ApiVersions', 0, {}, 5);
  body3.writeInt16BE(-1, 4);
  await expectClosed(body3, 'api key -1');
});

test('an unsupported version of a known API closes the connection', async () => {
  const metadata = bystander.brokerVersions.get(3)!;
  const produceRange = bystander.brokerVersions.get(0)!;
  const fetchRange = bystander.brokerVersions.get(1)!;
  if (produceRange.min > 0) {
    await expectClosed(encodeRequest('Produce', produceRange.min - 1, { acks: 1, timeoutMs: 1000, topicData: [] }, 1), `Produce v${produceRange.min - 1}`);
  }
  if (fetchRange.min > 0) {
    await expectClosed(encodeRequest('Fetch', fetchRange.min - 1, { maxWaitMs: 0, topics: [] }, 1), `Fetch v${fetchRange.min - 1}`);
  }
  if (fetchRange.max < 17) {
    await expectClosed(encodeRequest('Fetch', fetchRange.max + 1, { maxWaitMs: 0, topics: [] }, 1), `Fetch v${fetchRange.max + 1}`);
  }
  // A version no spec defines: the body cannot be encoded, so patch the header of a valid frame.
  const m = encodeRequest('Metadata', metadata.max, { topics: null }, 1);
  m.writeInt16BE(metadata.max + 50, 6);
  await expectClosed(m, `Metadata v${metadata.max + 50}`);
});

test('an unknown ApiVersions version gets a v0 answer with UNSUPPORTED_VERSION, and the connection still works', async () => {
  const raw = await RawClient.open(tb.broker.port);
  // ApiVersions v9 does not exist; a client sends it with request header v2 and a v3-style body.
  const req = encodeRequest('ApiVersions', 3, { clientSoftwareName: 'future-client', clientSoftwareVersion: '9.9' }, 77);
  req.writeInt16BE(9, 6);
  raw.write(req);
  const res = await raw.readResponse('ApiVersions', 0, 77);
  assert.is(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  const own = res.apiKeys.find((k) => k.apiKey === 18);
  assert.ok(own, 'the answer lists the ApiVersions range');
  assert.is(own!.minVersion, 0);
  assert.is(own!.maxVersion, 3);
  // The client retries with v3 on the same connection.
  const ok = await raw.request('ApiVersions', 3, { clientSoftwareName: 'future-client', clientSoftwareVersion: '9.9' });
  assert.is(ok.errorCode, ErrorCode.NONE);
  assert.ok(ok.apiKeys.length > 3);
  const md = await raw.request('Metadata', 1, { topics: [{ name: CANARY }] });
  assert.is(md.topics[0]!.errorCode, ErrorCode.NONE);
  assert.not.ok(raw.closed);
  raw.close();
  await healthy('ApiVersions v9');
});

test('ApiVersions v-1 is answered like any unknown version', async () => {
  const raw = await RawClient.open(tb.broker.port);
  const req = encodeRequest('ApiVersions', 0, {}, 3);
  req.writeInt16BE(-1, 6);
  raw.write(req);
  const res = await raw.readResponse('ApiVersions', 0, 3);
  assert.is(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  raw.close();
});

// ---- truncated requests ----

test('a truncated request body closes the connection', async () => {
  const md = encodeRequest('Metadata', 1, { topics: [{ name: 'aaaa' }, { name: 'bbbb' }] }, 9);
  const cut = frame(md.subarray(4, md.length - 3));
  await expectClosed(cut, 'truncated Metadata');
  const fetchReq = encodeRequest('Fetch', 11, { maxWaitMs: 0, topics: [{ topic: CANARY, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000 }] }] }, 9);
  await expectClosed(frame(fetchReq.subarray(4, 30)), 'truncated Fetch');
});

test('a Produce truncated inside its records is refused and nothing is appended', async () => {
  const c = await openConnection(tb.broker.port);
  const before = (await fetchOnce(c, CANARY, 1, 0)).highWatermark;
  const batch = buildBatch([{ value: 'x'.repeat(300) }]);
  const req = encodeRequest('Produce', 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: CANARY, partitionData: [{ index: 1, records: batch }] }] }, 1);
  // Cut 200 bytes off the end of the frame: the records length now runs past the frame.
  await expectClosed(frame(req.subarray(4, req.length - 200)), 'truncated Produce');
  assert.is((await fetchOnce(c, CANARY, 1, 0)).highWatermark, before);
  c.close();
});

test('trailing bytes after a complete frame are the next frame (a partial one waits)', async () => {
  // A valid request followed by half of another: the first is answered, the connection stays open.
  const raw = await RawClient.open(tb.broker.port);
  const a = encodeRequest('ApiVersions', 0, {}, 1);
  const b = encodeRequest('ApiVersions', 0, {}, 2);
  raw.write(Buffer.concat([a, b.subarray(0, 5)]));
  assert.is((await raw.readResponse('ApiVersions', 0, 1)).errorCode, 0);
  raw.write(b.subarray(5));
  assert.is((await raw.readResponse('ApiVersions', 0, 2)).errorCode, 0);
  raw.close();
});

// ---- bad batches: per-partition errors, the other partition succeeds ----

async function produceTwo(topic: string, bad: Buffer, good: Buffer, version = 7) {
  const c = await openConnection(tb.broker.port);
  try {
    const res = await within(c.send('Produce', version, {
      acks: -1, timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: good }, { index: 1, records: bad }] }],
    }), 5000, 'produce');
    const parts = res.responses[0]!.partitionResponses;
    const p0 = parts.find((p) => p.index === 0)!;
    const p1 = parts.find((p) => p.index === 1)!;
    const read0 = await fetchAll(c, topic, 0);
    const read1 = await fetchAll(c, topic, 1);
    return { p0, p1, read0, read1 };
  } finally {
    c.close();
  }
}

test('bad CRC: CORRUPT_MESSAGE for that partition, the other partition in the request is appended', async () => {
  const bad = buildBatch([{ key: 'k', value: 'corrupted' }]);
  bad[bad.length - 3] = bad[bad.length - 3]! ^ 0xff;
  const { p0, p1, read0, read1 } = await produceTwo('crc', bad, buildBatch([{ value: 'good' }]));
  assert.is(p1.errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.is(p1.baseOffset, -1);
  assert.is(p0.errorCode, ErrorCode.NONE);
  assert.equal(read0.records.map((r) => r.value), ['good']);
  assert.is(read1.highWatermark, 0);
  await healthy('bad CRC');
});

test('magic != 2: v0/v1 batches get INVALID_RECORD, unknown magic CORRUPT_MESSAGE; the other partition succeeds', async () => {
  const v1 = buildBatch([{ value: 'old format' }]);
  v1[MAGIC_OFFSET] = 1; // outside the CRC, so only the magic is wrong
  let r = await produceTwo('magic', v1, buildBatch([{ value: 'good-1' }]));
  assert.is(r.p1.errorCode, ErrorCode.INVALID_RECORD);
  assert.is(r.p0.errorCode, ErrorCode.NONE);
  const v0 = buildBatch([{ value: 'older format' }]);
  v0[MAGIC_OFFSET] = 0;
  r = await produceTwo('magic', v0, buildBatch([{ value: 'good-2' }]));
  assert.is(r.p1.errorCode, ErrorCode.INVALID_RECORD);
  const v7 = buildBatch([{ value: 'future format' }]);
  v7[MAGIC_OFFSET] = 7;
  r = await produceTwo('magic', v7, buildBatch([{ value: 'good-3' }]));
  assert.is(r.p1.errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.is(r.p0.errorCode, ErrorCode.NONE);
  assert.equal(r.read0.records.map((x) => x.value), ['good-1', 'good-2', 'good-3']);
  assert.is(r.read1.highWatermark, 0);
  await healthy('bad magic');
});

test('Produce v3+: two batches in one partition get INVALID_RECORD (v2 takes both); the other partition succeeds', async () => {
  const two = Buffer.concat([buildBatch([{ value: 'first' }]), buildBatch([{ value: 'second' }])]);
  let r = await produceTwo('twobatches', two, buildBatch([{ value: 'good-1' }]));
  assert.is(r.p1.errorCode, ErrorCode.INVALID_RECORD);
  assert.is(r.p0.errorCode, ErrorCode.NONE);
  assert.is(r.read1.highWatermark, 0);
  r = await produceTwo('twobatches', two, buildBatch([{ value: 'good-2' }]), 2);
  assert.is(r.p1.errorCode, ErrorCode.NONE);
  assert.equal(r.read1.records.map((x) => x.value), ['first', 'second']);
  await healthy('two batches');
});

test('zstd below Produce v7 gets UNSUPPORTED_COMPRESSION_TYPE; the other partition succeeds', async () => {
  const zstd = buildBatch([{ value: 'not really zstd' }]);
  zstd.writeInt16BE(zstd.readInt16BE(ATTRIBUTES_OFFSET) | Compression.ZSTD, ATTRIBUTES_OFFSET);
  zstd.writeUInt32BE(batchCrc32c(zstd, 0, zstd.length), CRC_OFFSET); // a valid batch but for the version
  const r = await produceTwo('zstdv5', zstd, buildBatch([{ value: 'good' }]), 5);
  assert.is(r.p1.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  assert.is(r.p0.errorCode, ErrorCode.NONE);
  assert.is(r.read1.highWatermark, 0);
  await healthy('zstd below v7');
});

test('a batch over max.message.bytes gets MESSAGE_TOO_LARGE; the other partition succeeds', async () => {
  const large = buildBatch([{ value: 'L'.repeat(MAX_MESSAGE) }]);
  assert.ok(large.length > MAX_MESSAGE && large.length < MAX_FRAME);
  const { p0, p1, read0, read1 } = await produceTwo('big', large, buildBatch([{ value: 'small' }]));
  assert.is(p1.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.is(p0.errorCode, ErrorCode.NONE);
  assert.equal(read0.records.map((r) => r.value), ['small']);
  assert.is(read1.highWatermark, 0);
  await healthy('oversize batch');
});

test('batch length fields that lie: CORRUPT_MESSAGE, nothing appended', async () => {
  const c = await openConnection(tb.broker.port);
  const long = buildBatch([{ value: 'length too long' }]);
  long.writeInt32BE(long.readInt32BE(8) + 100, 8);
  assert.is((await produce(c, 'crc', 1, long)).errorCode, ErrorCode.CORRUPT_MESSAGE);
  const short = buildBatch([{ value: 'length too short' }]);
  short.writeInt32BE(10, 8);
  assert.is((await produce(c, 'crc', 1, short)).errorCode, ErrorCode.CORRUPT_MESSAGE);
  const stub = Buffer.alloc(10, 1);
  assert.is((await produce(c, 'crc', 1, stub)).errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.is((await fetchOnce(c, 'crc', 1, 0)).highWatermark, 0);
  c.close();
  await healthy('lying batch lengths');
});

test('invalid acks gets INVALID_REQUIRED_ACKS and appends nothing', async () => {
  const c = await openConnection(tb.broker.port);
  const r = await produce(c, CANARY, 1, [{ value: 'acks 2' }], { acks: 2 });
  assert.is(r.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  c.close();
  await healthy('acks=2');
});

test('acks=0: no response on success; a failed partition closes the connection (as Kafka does)', async () => {
  const raw = await RawClient.open(tb.broker.port);
  const ok = encodeRequest('Produce', 7, { acks: 0, timeoutMs: 5000, topicData: [{ name: CANARY, partitionData: [{ index: 1, records: buildBatch([{ value: 'acks0' }]) }] }] }, 1);
  raw.write(ok);
  // The next answer on the connection is the Metadata's: the produce sent none.
  raw.nextCorrelationId = 2;
  const md = await raw.request('Metadata', 1, { topics: [{ name: CANARY }] });
  assert.is(md.topics[0]!.errorCode, ErrorCode.NONE);
  const failing = encodeRequest('Produce', 7, { acks: 0, timeoutMs: 5000, topicData: [{ name: CANARY, partitionData: [{ index: 99, records: buildBatch([{ value: 'acks0' }]) }] }] }, 3);
  raw.write(failing);
  assert.ok(await raw.waitClosed(5000), 'closed after a failed acks=0 produce');
  assert.is(raw.buffered, 0);
  await healthy('acks=0');
});

test('a client that disconnects with a parked long poll and an unanswered produce harms nothing', async () => {
  const raw = await RawClient.open(tb.broker.port);
  raw.write(Buffer.concat([
    encodeRequest('Fetch', 11, { maxWaitMs: 3000, minBytes: 1, topics: [{ topic: CANARY, partitions: [{ partition: 1, fetchOffset: 1_000_000_000 }] }] }, 1),
    encodeRequest('Fetch', 11, { maxWaitMs: 3000, minBytes: 1, topics: [{ topic: 'crc', partitions: [{ partition: 0, fetchOffset: 1 }] }] }, 2),
    encodeRequest('Produce', 7, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'crc', partitionData: [{ index: 0, records: buildBatch([{ value: 'orphan' }]) }] }] }, 3),
  ]));
  raw.socket.destroy();
  await within(raw.waitClosed(1000), 2000, 'socket closed');
  // The produce may or may not have been appended before the close was noticed; either way the
  // parked fetch is woken by it (or times out) with nobody to answer, and the broker carries on.
  await new Promise((r) => setTimeout(r, 100));
  await healthy('client gone mid-request');
});

// ---- unknown topics and partitions ----

test('produce to an unknown partition of a known topic: UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const c = await openConnection(tb.broker.port);
  const r = await produce(c, CANARY, 99, [{ value: 'nowhere' }]);
  assert.is(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const f = await fetchOnce(c, CANARY, 99, 0, { maxWaitMs: 5000, minBytes: 1 });
  assert.is(f.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  c.close();
  await healthy('unknown partition');
});

test('with auto-create off: produce, fetch and metadata for an unknown topic get UNKNOWN_TOPIC_OR_PARTITION and create nothing', async () => {
  const other = await startTestBroker({ autoCreateTopics: false });
  try {
    const c = await openConnection(other.broker.port);
    const r = await produce(c, 'nope', 0, [{ value: 'lost?' }]);
    assert.is(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const started = Date.now();
    const f = await fetchOnce(c, 'nope', 0, 0, { maxWaitMs: 3000, minBytes: 1 });
    assert.is(f.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.ok(Date.now() - started < 1000, 'an error answers the fetch at once');
    for (const v of [1, 4, 9, 12]) {
      const md = await within(c.send('Metadata', v, { topics: [{ name: 'nope' }], allowAutoTopicCreation: true }), 5000, `metadata v${v}`);
      assert.is(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Metadata v${v}`);
    }
    const all = await within(c.send('Metadata', 1, { topics: null }), 5000, 'metadata all');
    assert.equal(all.topics.map((t) => t.name), []);
    c.close();
  } finally {
    await other.close();
  }
  await healthy('unknown topic');
});

// ---- invalid topic names ----

const INVALID_NAMES = ['', '.', '..', 'has space', 'slash/name', 'ünïcode', 'x'.repeat(250), 'star*'];

test('Metadata with auto-create: invalid topic names get INVALID_TOPIC_EXCEPTION and create nothing', async () => {
  const c = await openConnection(tb.broker.port);
  const md = await within(c.send('Metadata', 9, { topics: INVALID_NAMES.map((name) => ({ name })), allowAutoTopicCreation: true }), 5000, 'metadata');
  for (const t of md.topics) assert.is(t.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `topic "${t.name}"`);
  assert.is(md.topics.length, INVALID_NAMES.length);
  const all = await within(c.send('Metadata', 1, { topics: null }), 5000, 'metadata all');
  for (const name of INVALID_NAMES) assert.not.ok(all.topics.some((t) => t.name === name), `"${name}" must not exist`);
  c.close();
  await healthy('invalid names in Metadata');
});

test('Metadata without auto-create: invalid topic names get INVALID_TOPIC_EXCEPTION (Kafka validates the name first)', async () => {
  const c = await openConnection(tb.broker.port);
  const md = await within(c.send('Metadata', 9, { topics: INVALID_NAMES.map((name) => ({ name })), allowAutoTopicCreation: false }), 5000, 'metadata');
  for (const t of md.topics) assert.is(t.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `topic "${t.name}"`);
  const unknown = await within(c.send('Metadata', 9, { topics: [{ name: 'valid-but-absent' }], allowAutoTopicCreation: false }), 5000, 'metadata');
  assert.is(unknown.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  c.close();
});

// ---- CreateTopics: invalid names and partition counts ----

test('CreateTopics: invalid names get INVALID_TOPIC_EXCEPTION, bad partition counts INVALID_PARTITIONS; valid ones in the same request are created', async () => {
  const c = await openConnection(tb.broker.port);
  const range = c.brokerVersions.get(19);
  assert.ok(range, 'CreateTopics (key 19) must be advertised');
  for (const v of [...new Set([range!.min, Math.min(4, range!.max), range!.max])]) {
    const suffix = `v${v}`;
    const res = await within(c.send('CreateTopics', v, {
      timeoutMs: 5000,
      validateOnly: false,
      topics: [
        ...INVALID_NAMES.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
        { name: `zero-partitions-${suffix}`, numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
        { name: `negative-partitions-${suffix}`, numPartitions: -5, replicationFactor: 1, assignments: [], configs: [] },
        { name: `fine-${suffix}`, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
      ],
    }), 10_000, `CreateTopics v${v}`);
    const byName = new Map(res.topics.map((t) => [t.name, t.errorCode]));
    for (const name of INVALID_NAMES) assert.is(byName.get(name), ErrorCode.INVALID_TOPIC_EXCEPTION, `CreateTopics v${v} "${name}"`);
    assert.is(byName.get(`zero-partitions-${suffix}`), ErrorCode.INVALID_PARTITIONS, `v${v} zero partitions`);
    assert.is(byName.get(`negative-partitions-${suffix}`), ErrorCode.INVALID_PARTITIONS, `v${v} negative partitions`);
    assert.is(byName.get(`fine-${suffix}`), ErrorCode.NONE, `v${v} valid topic`);
    const md = await within(c.send('Metadata', 1, { topics: null }), 5000, 'metadata');
    const names = md.topics.map((t) => t.name);
    assert.ok(names.includes(`fine-${suffix}`));
    assert.is(md.topics.find((t) => t.name === `fine-${suffix}`)!.partitions.length, 3);
    assert.not.ok(names.includes(`zero-partitions-${suffix}`));
    assert.not.ok(names.includes(`negative-partitions-${suffix}`));
  }
  c.close();
  await healthy('CreateTopics bad input');
});

test('the broker survives everything above: bystander connection and acknowledged data intact', async () => {
  await healthy('all cases');
  assert.ok(acked.length > 10);
  assert.not.ok(bystander.closed);
});

test.run();
