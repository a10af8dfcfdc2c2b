/**
 * Fetch semantics against a running broker: long polling (woken by new data,
 * or answered after max_wait_ms), min_bytes, KIP-74 (at least one whole batch
 * even over the size limits), max_bytes across partitions, offsets past the
 * high watermark, and in-order responses when a long poll is followed by
 * other requests on the same connection.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { Apis } from '../../src/protocol/generated/index.js';
import { buildBatch } from '../../src/protocol/record-batch/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import {
  RawClient, decodeBatches, encodeRequest, fetchOnce, openConnection, produce, sleep, splitBatches, waitForTopics, within,
} from '../helpers/wire.js';

let tb: TestBroker;
let conn: KafkaConnection;
let producer: KafkaConnection;
let topicSeq = 0;

test.before(async () => {
  tb = await startTestBroker({ numPartitions: 3 });
  conn = await openConnection(tb.broker.port, 'fetcher');
  producer = await openConnection(tb.broker.port, 'producer');
});
test.after(async () => {
  conn?.close();
  producer?.close();
  await tb?.close();
});

/** A fresh topic (3 partitions) per test, so tests do not see each other's data. */
async function freshTopic(): Promise<string> {
  const t = `fetch-${++topicSeq}`;
  await waitForTopics(conn, [t]);
  return t;
}

/** A Fetch request for one topic; `topicId` is what v13+ send instead of the name. */
function fetchRequest(topic: string, partitions: { partition: number; fetchOffset: number; partitionMaxBytes?: number }[], o: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; topicId?: string } = {}) {
  return {
    replicaId: -1, maxWaitMs: o.maxWaitMs ?? 0, minBytes: o.minBytes ?? 1, maxBytes: o.maxBytes ?? 64 << 20,
    isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, ...(o.topicId ? { topicId: o.topicId } : {}), partitions: partitions.map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20 })) }],
  };
}

function recordsBytes(records: Buffer | null): number {
  return records?.length ?? 0;
}

// ---- long polling ----

test('long poll on an empty partition returns as soon as data is produced', async () => {
  const topic = await freshTopic();
  const started = Date.now();
  const pending = within(conn.send('Fetch', 11, fetchRequest(topic, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 2000, minBytes: 1 })), 5000, 'long poll');
  await sleep(150);
  const r = await produce(producer, topic, 0, [{ value: 'wake up' }]);
  assert.is(r.errorCode, ErrorCode.NONE);
  const res = await pending;
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `answered after ${elapsed} ms, well before max_wait 2000 ms`);
  assert.ok(elapsed >= 140, `answered after ${elapsed} ms: it did wait for the data`);
  const p = res.responses[0]!.partitions[0]!;
  assert.is(p.errorCode, ErrorCode.NONE);
  assert.equal(decodeBatches(p.records).map((x) => x.value), ['wake up']);
  assert.is(p.highWatermark, 1);
});

test('long poll with nothing produced returns empty after about max_wait_ms', async () => {
  const topic = await freshTopic();
  const started = Date.now();
  const res = await within(conn.send('Fetch', 11, fetchRequest(topic, [{ partition: 1, fetchOffset: 0 }], { maxWaitMs: 2000, minBytes: 1 })), 6000, 'long poll');
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 1950 && elapsed < 3000, `answered after ${elapsed} ms, expected ≈2000 ms`);
  const p = res.responses[0]!.partitions[0]!;
  assert.is(p.errorCode, ErrorCode.NONE);
  assert.is(recordsBytes(p.records), 0);
  assert.ok(p.records !== null, 'empty records, never null (librdkafka rejects a null MessageSet)');
  assert.is(p.highWatermark, 0);
});

test('long poll is woken by data on any of its partitions', async () => {
  const topic = await freshTopic();
  const started = Date.now();
  const pending = within(conn.send('Fetch', 11, fetchRequest(topic, [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })), { maxWaitMs: 2000, minBytes: 1 })), 5000, 'long poll');
  await sleep(100);
  await produce(producer, topic, 2, [{ value: 'on p2' }]);
  const res = await pending;
  assert.ok(Date.now() - started < 1000);
  const parts = res.responses[0]!.partitions;
  assert.equal(parts.map((p) => p.partitionIndex), [0, 1, 2], 'every requested partition is in the response');
  assert.equal(decodeBatches(parts[2]!.records).map((x) => x.value), ['on p2']);
});

test('min_bytes: a long poll waits until enough bytes have accumulated', async () => {
  const topic = await freshTopic();
  const small = buildBatch([{ value: 's'.repeat(100) }]);
  const big = buildBatch([{ value: 'b'.repeat(3000) }]);
  const started = Date.now();
  const pending = within(conn.send('Fetch', 11, fetchRequest(topic, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 3000, minBytes: 2000 })), 6000, 'long poll');
  let answeredAt = 0;
  void pending.then(() => { answeredAt = Date.now(); });
  await sleep(100);
  await produce(producer, topic, 0, small);
  await sleep(300);
  assert.is(answeredAt, 0, `${small.length} bytes < min_bytes: still waiting`);
  await produce(producer, topic, 0, big);
  const res = await pending;
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 390 && elapsed < 2000, `answered after ${elapsed} ms`);
  const p = res.responses[0]!.partitions[0]!;
  assert.is(recordsBytes(p.records), small.length + big.length);
});

test('max_wait_ms 0 answers at once even with min_bytes unmet', async () => {
  const topic = await freshTopic();
  const started = Date.now();
  const p = await fetchOnce(conn, topic, 0, 0, { maxWaitMs: 0, minBytes: 1 << 20 });
  assert.ok(Date.now() - started < 500);
  assert.is(p.errorCode, ErrorCode.NONE);
});

// ---- sizes ----

test('KIP-74: partition_max_bytes smaller than the first batch still returns that whole batch', async () => {
  const topic = await freshTopic();
  const first = buildBatch(Array.from({ length: 20 }, (_, i) => ({ value: `first-${i} ${'x'.repeat(500)}` })));
  const second = buildBatch([{ value: 'second' }]);
  await produce(producer, topic, 0, first);
  await produce(producer, topic, 0, second);
  for (const limit of [1, 100, first.length - 1]) {
    const p = await fetchOnce(conn, topic, 0, 0, { partitionMaxBytes: limit });
    assert.is(p.errorCode, ErrorCode.NONE);
    const batches = splitBatches(p.records);
    assert.is(batches.length, 1, `partition_max_bytes ${limit}: one whole batch`);
    assert.is(recordsBytes(p.records), first.length, 'no partial batch after it');
    assert.is(decodeBatches(p.records).length, 20);
  }
  // Same with the request-level max_bytes.
  const p = await fetchOnce(conn, topic, 0, 0, { maxBytes: 10 });
  assert.is(recordsBytes(p.records), first.length);
  // A limit covering the first batch but not the second returns only whole batches.
  const q = await fetchOnce(conn, topic, 0, 0, { partitionMaxBytes: first.length + second.length - 1 });
  assert.is(recordsBytes(q.records), first.length);
  const all = await fetchOnce(conn, topic, 0, 0, { partitionMaxBytes: first.length + second.length });
  assert.is(recordsBytes(all.records), first.length + second.length);
});

test('fetching from an offset inside a batch returns the whole batch containing it', async () => {
  const topic = await freshTopic();
  await produce(producer, topic, 1, [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
  const p = await fetchOnce(conn, topic, 1, 1);
  const recs = decodeBatches(p.records);
  assert.equal(recs.map((r) => r.offset), [0, 1, 2], 'batch starts before the fetch offset; clients skip');
});

test('max_bytes across partitions: later partitions obey the remaining budget, all partitions are answered', async () => {
  const topic = await freshTopic();
  const batchOf = (p: number, i: number) => buildBatch([{ value: `p${p}-${i} ${'y'.repeat(900)}` }]);
  const size = batchOf(0, 0).length;
  for (const p of [0, 1, 2]) for (let i = 0; i < 3; i++) await produce(producer, topic, p, batchOf(p, i));
  const maxBytes = Math.floor(size * 2.5);
  const res = await within(conn.send('Fetch', 11, fetchRequest(topic, [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })), { maxBytes })), 5000, 'fetch');
  const parts = res.responses[0]!.partitions;
  assert.equal(parts.map((p) => p.partitionIndex), [0, 1, 2]);
  const bytes = parts.map((p) => recordsBytes(p.records));
  const total = bytes.reduce((a, b) => a + b, 0);
  assert.ok(total <= maxBytes, `total ${total} ≤ max_bytes ${maxBytes}`);
  assert.is(total, 2 * size, 'two whole batches fit');
  for (const p of parts) {
    assert.is(p.errorCode, ErrorCode.NONE);
    assert.is(p.highWatermark, 3);
    assert.is(recordsBytes(p.records) % size, 0, 'whole batches only');
  }
  assert.is(bytes[0], 2 * size, 'the first partition is filled first');
});

test('fetch.max.bytes caps every response, whatever max_bytes asks for; min_bytes above it is capped too', async () => {
  const batchOf = (p: number, i: number) => buildBatch([{ value: `p${p}-${i} ${'z'.repeat(900)}` }]);
  const size = batchOf(0, 0).length;
  const capped = await startTestBroker({ numPartitions: 3, fetchMaxBytes: 4 * size });
  const c = await openConnection(capped.broker.port, 'capped');
  try {
    await waitForTopics(c, ['capped']);
    for (const p of [0, 1, 2]) for (let i = 0; i < 3; i++) await produce(c, 'capped', p, batchOf(p, i));
    const parts = [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 }));
    const res = await within(c.send('Fetch', 11, fetchRequest('capped', parts, { maxBytes: 64 << 20 })), 5000, 'fetch');
    const bytes = res.responses[0]!.partitions.map((p) => recordsBytes(p.records));
    assert.equal(bytes, [3 * size, size, 0], 'four whole batches: fetch.max.bytes, not max_bytes');
    // min_bytes of 1 MiB can never be met under the cap: Kafka caps it too, so the answer comes at once.
    const started = Date.now();
    await within(c.send('Fetch', 11, fetchRequest('capped', parts, { maxBytes: 64 << 20, minBytes: 1 << 20, maxWaitMs: 3000 })), 5000, 'fetch');
    assert.ok(Date.now() - started < 1500, 'answered without waiting for max_wait_ms');
  } finally {
    c.close();
    await capped.close();
  }
});

test('KIP-74 applies to the first partition with data, not only the first requested', async () => {
  const topic = await freshTopic();
  const big = buildBatch([{ value: 'z'.repeat(5000) }]);
  await produce(producer, topic, 1, big);
  await produce(producer, topic, 2, [{ value: 'small' }]);
  const res = await within(conn.send('Fetch', 11, fetchRequest(topic, [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })), { maxBytes: 1000 })), 5000, 'fetch');
  const parts = res.responses[0]!.partitions;
  assert.is(recordsBytes(parts[0]!.records), 0);
  assert.is(recordsBytes(parts[1]!.records), big.length, 'oversized first batch returned whole');
  assert.is(recordsBytes(parts[2]!.records), 0, 'no budget left for later partitions');
});

// ---- offsets ----

test('fetch at offset > high watermark: OFFSET_OUT_OF_RANGE at once; at the high watermark: empty, no error', async () => {
  const topic = await freshTopic();
  await produce(producer, topic, 0, [{ value: 'one' }, { value: 'two' }]);
  const started = Date.now();
  const past = await fetchOnce(conn, topic, 0, 3, { maxWaitMs: 2000, minBytes: 1 });
  assert.is(past.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.ok(Date.now() - started < 1000, 'an error answers a long poll at once');
  assert.is(past.highWatermark, 2);
  const far = await fetchOnce(conn, topic, 0, 1_000_000);
  assert.is(far.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const negative = await fetchOnce(conn, topic, 0, -1);
  assert.is(negative.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const at = await fetchOnce(conn, topic, 0, 2);
  assert.is(at.errorCode, ErrorCode.NONE);
  assert.is(recordsBytes(at.records), 0);
  assert.is(at.highWatermark, 2);
  assert.is(at.lastStableOffset, 2);
  assert.is(at.logStartOffset, 0);
});

test('fetch below the log start offset (after DeleteRecords): OFFSET_OUT_OF_RANGE', async () => {
  if (!conn.brokerVersions.has(Apis.DeleteRecords.apiKey)) return;
  const topic = await freshTopic();
  for (let i = 0; i < 4; i++) await produce(producer, topic, 0, [{ value: `r${i}` }]);
  const del = await within(conn.send('DeleteRecords', 1, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 2 }] }], timeoutMs: 5000 }), 5000, 'DeleteRecords');
  assert.is(del.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const below = await fetchOnce(conn, topic, 0, 1);
  assert.is(below.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.is(below.logStartOffset, 2);
  const from = await fetchOnce(conn, topic, 0, 2);
  assert.is(from.errorCode, ErrorCode.NONE);
  assert.equal(decodeBatches(from.records).filter((r) => r.offset >= 2).map((r) => r.value), ['r2', 'r3']);
});

// ---- versions and response fields ----

test('every advertised Fetch version decodes exactly, with the spec defaults for unset fields', async () => {
  const topic = await freshTopic();
  await produce(producer, topic, 0, [{ value: 'v' }]);
  const range = conn.brokerVersions.get(Apis.Fetch.apiKey)!;
  const topicId = (await conn.send('Metadata', 10, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).topics[0]!.topicId;
  const raw = await RawClient.open(tb.broker.port);
  for (let v = range.min; v <= range.max; v++) {
    const res = await raw.request('Fetch', v, fetchRequest(topic, [{ partition: 0, fetchOffset: 0 }], { topicId }));
    if (v >= 13) assert.is(res.responses[0]!.topicId, topicId, `v${v} answers by topic id`);
    const p = res.responses[0]!.partitions[0]!;
    assert.is(p.errorCode, ErrorCode.NONE, `v${v}`);
    assert.equal(decodeBatches(p.records).map((r) => r.value), ['v'], `v${v}`);
    if (v >= 7) assert.is(res.sessionId, 0, 'no fetch sessions');
    if (v >= 11) assert.is(p.preferredReadReplica, -1, 'librdkafka treats anything else as a redirect');
    if (v >= 4) assert.is(p.abortedTransactions, null, 'read_uncommitted: no aborted transactions list');
  }
  if (range.max >= 13) {
    const unknown = await raw.request('Fetch', 13, fetchRequest('', [{ partition: 0, fetchOffset: 0 }], { topicId: '0123456789abcdef0123456789abcdef' }));
    assert.is(unknown.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'v13+: an unknown topic id');
  }
  raw.close();
});

// ---- ordering ----

test('pipelined: a Metadata sent after a long-poll Fetch is answered after it', async () => {
  const topic = await freshTopic();
  const raw = await RawClient.open(tb.broker.port);
  const started = Date.now();
  raw.write(Buffer.concat([
    encodeRequest('Fetch', 11, fetchRequest(topic, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 1000, minBytes: 1 }), 1),
    encodeRequest('Metadata', 1, { topics: [{ name: topic }] }, 2),
    encodeRequest('ApiVersions', 0, {}, 3),
  ]));
  const fetchRes = await raw.readResponse('Fetch', 11, 1, 5000);
  const fetchAt = Date.now() - started;
  assert.ok(fetchAt >= 950, `the long poll waited (${fetchAt} ms)`);
  assert.is(fetchRes.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const md = await raw.readResponse('Metadata', 1, 2);
  assert.is(md.topics[0]!.name, topic);
  assert.is((await raw.readResponse('ApiVersions', 0, 3)).errorCode, 0);
  raw.close();
});

test('pipelined: a long poll woken by data still answers before the requests queued behind it', async () => {
  const topic = await freshTopic();
  const raw = await RawClient.open(tb.broker.port);
  raw.write(Buffer.concat([
    encodeRequest('Fetch', 11, fetchRequest(topic, [{ partition: 1, fetchOffset: 0 }], { maxWaitMs: 3000, minBytes: 1 }), 1),
    encodeRequest('Metadata', 1, { topics: [{ name: topic }] }, 2),
    encodeRequest('Fetch', 11, fetchRequest(topic, [{ partition: 2, fetchOffset: 0 }], { maxWaitMs: 0 }), 3),
  ]));
  await sleep(100);
  assert.is(raw.buffered, 0, 'nothing answered while the first request waits');
  await produce(producer, topic, 1, [{ value: 'go' }]);
  const f1 = await raw.readResponse('Fetch', 11, 1);
  assert.equal(decodeBatches(f1.responses[0]!.partitions[0]!.records).map((r) => r.value), ['go']);
  await raw.readResponse('Metadata', 1, 2);
  await raw.readResponse('Fetch', 11, 3);
  raw.close();
});

test('a long poll on one connection does not hold up other connections', async () => {
  const topic = await freshTopic();
  const raw = await RawClient.open(tb.broker.port);
  raw.write(encodeRequest('Fetch', 11, fetchRequest(topic, [{ partition: 0, fetchOffset: 0 }], { maxWaitMs: 1500, minBytes: 1 }), 1));
  await sleep(50);
  const started = Date.now();
  const md = await within(conn.send('Metadata', 1, { topics: [{ name: topic }] }), 1000, 'metadata on another connection');
  assert.is(md.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(Date.now() - started < 500);
  await raw.readResponse('Fetch', 11, 1, 5000);
  raw.close();
});

test.run();
