/**
 * kafkajs 2.2.4 producer against an in-process broker: sends with and
 * without keys, acks -1 / 1 / 0, explicit partitions, several topics in one
 * batch, gzip, headers and the idempotent producer (InitProducerId). Every
 * send is read back twice: the admin client's offsets (ListOffsets) and
 * librdkafka through kcat (Fetch), which must see exactly what was sent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { exitIfLingering, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { hasKcat, kcat } from '../helpers/kcat.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

let tb: TestBroker;
let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;

test.before(async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  tb = await startTestBroker({ numPartitions: 3, shards: 0 });
  kafka = new Kafka({
    clientId: 'millrace-kafkajs-producer',
    brokers: [tb.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
  });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});
test.after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await tb?.close();
  exitIfLingering();
});

interface Consumed { partition: number; offset: number; key: string; value: string; headers: string }

/** Everything in the topic, read by librdkafka. Fields are separated by \x01, records by \x02 (values may hold anything printable). */
async function consumeWithKcat(topic: string): Promise<Consumed[]> {
  const r = await kcat(['-b', tb.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\x01%o\x01%k\x01%s\x01%h\x02']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.toString().split('\x02').filter((x) => x.length > 0).map((rec) => {
    const [partition, offset, key, value, headers] = rec.split('\x01');
    return { partition: Number(partition), offset: Number(offset), key: key!, value: value!, headers: headers! };
  });
}

async function highWatermarks(topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

async function createTopic(topic: string, numPartitions = 3): Promise<void> {
  assert.is(await admin.createTopics({ topics: [{ topic, numPartitions }] }), true);
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

test('acks=-1 without keys: every message stored once, spread over the partitions', async () => {
  const topic = 'p-nokey';
  await createTopic(topic);
  const values = Array.from({ length: 300 }, (_, i) => `nokey ${i} ${'z'.repeat(i % 40)}`);
  // Several sends so the default partitioner's round robin covers every partition.
  for (let i = 0; i < values.length; i += 30) {
    const res = await producer.send({ topic, acks: -1, messages: values.slice(i, i + 30).map((value) => ({ value })) });
    for (const r of res) assert.is(r.errorCode, 0);
  }
  const hw = await highWatermarks(topic);
  assert.is(sum(hw), values.length);
  assert.ok([...hw.values()].every((n) => n > 0), `every partition should get messages: ${[...hw.entries()]}`);
  const got = await consumeWithKcat(topic);
  assert.equal(got.map((c) => c.value).sort(), [...values].sort());
  // Offsets are dense per partition.
  for (const [p, n] of hw) assert.equal(got.filter((c) => c.partition === p).map((c) => c.offset), Array.from({ length: n }, (_, i) => i));
});

test('acks=-1 with keys: the same key always lands on the same partition', async () => {
  const topic = 'p-keys';
  await createTopic(topic);
  const messages = Array.from({ length: 400 }, (_, i) => ({ key: `user-${i % 37}`, value: `event ${i}` }));
  for (let i = 0; i < messages.length; i += 100) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 100) });
  const got = await consumeWithKcat(topic);
  assert.is(got.length, messages.length);
  assert.equal(got.map((c) => `${c.key}=${c.value}`).sort(), messages.map((m) => `${m.key}=${m.value}`).sort());
  const partitionOf = new Map<string, number>();
  for (const c of got) {
    const p = partitionOf.get(c.key);
    if (p !== undefined) assert.is(c.partition, p, `key ${c.key} on two partitions`);
    partitionOf.set(c.key, c.partition);
  }
  assert.ok(new Set(partitionOf.values()).size > 1, 'keys should spread over partitions');
  // Per key, order is preserved.
  for (const key of partitionOf.keys()) {
    const sent = messages.filter((m) => m.key === key).map((m) => m.value);
    assert.equal(got.filter((c) => c.key === key).map((c) => c.value), sent);
  }
});

test('acks=1 and acks=0 to explicit partitions', async () => {
  const topic = 'p-acks';
  await createTopic(topic, 4);
  const r1 = await producer.send({ topic, acks: 1, messages: Array.from({ length: 20 }, (_, i) => ({ value: `a1-${i}`, partition: i % 4 })) });
  assert.equal(r1.map((r) => r.errorCode), r1.map(() => 0));
  // acks=0: no response; kafkajs resolves on write. Wait for the broker to have them.
  await producer.send({ topic, acks: 0, messages: Array.from({ length: 12 }, (_, i) => ({ value: `a0-${i}`, partition: 3 })) });
  const deadline = Date.now() + 5000;
  let hw = await highWatermarks(topic);
  while (hw.get(3) !== 5 + 12 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    hw = await highWatermarks(topic);
  }
  assert.equal([...hw.entries()].sort(), [[0, 5], [1, 5], [2, 5], [3, 17]]);
  const got = await consumeWithKcat(topic);
  for (let i = 0; i < 20; i++) assert.ok(got.some((c) => c.value === `a1-${i}` && c.partition === i % 4), `a1-${i}`);
  assert.equal(got.filter((c) => c.partition === 3).map((c) => c.value).slice(5), Array.from({ length: 12 }, (_, i) => `a0-${i}`));
});

test('sendBatch to several topics, gzip, headers and null keys', async () => {
  await createTopic('p-batch-1', 2);
  await createTopic('p-batch-2', 1);
  await producer.sendBatch({
    acks: -1,
    compression: CompressionTypes.GZIP,
    topicMessages: [
      { topic: 'p-batch-1', messages: Array.from({ length: 50 }, (_, i) => ({ key: i % 2 ? null : `k${i}`, value: `gz-${i}`, partition: i % 2, headers: { n: String(i) } })) },
      { topic: 'p-batch-2', messages: [{ value: 'solo', headers: { trace: 'abc', kind: 'x' } }] },
    ],
  });
  const one = await consumeWithKcat('p-batch-1');
  assert.is(one.length, 50);
  for (let i = 0; i < 50; i++) {
    const c = one.find((x) => x.value === `gz-${i}`)!;
    assert.ok(c, `gz-${i}`);
    assert.is(c.partition, i % 2);
    assert.is(c.key, i % 2 ? '' : `k${i}`);
    assert.is(c.headers, `n=${i}`);
  }
  const two = await consumeWithKcat('p-batch-2');
  assert.equal(two.map((c) => [c.value, c.headers]), [['solo', 'trace=abc,kind=x']]);
  assert.equal([...(await highWatermarks('p-batch-1')).values()], [25, 25]);
});

test('idempotent producer: InitProducerId, then every message exactly once', async () => {
  const topic = 'p-idem';
  await createTopic(topic, 2);
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  try {
    for (let round = 0; round < 5; round++) {
      await idem.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 5}`, value: `idem-${round}-${i}` })) });
    }
  } finally {
    await idem.disconnect();
  }
  const got = await consumeWithKcat(topic);
  assert.is(got.length, 100);
  assert.is(new Set(got.map((c) => c.value)).size, 100);
  assert.is(sum(await highWatermarks(topic)), 100);
});

// Today FindCoordinator answers COORDINATOR_NOT_AVAILABLE for transactional ids
// (kafkajs gives up after its retries); InitProducerId would answer
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which kafkajs does not retry at all.
test('a transactional producer fails fast instead of hanging (transactions are not supported yet)', async () => {
  const tx = kafka.producer({ transactionalId: 'millrace-tx', idempotent: true, maxInFlightRequests: 1 });
  await tx.connect();
  const started = Date.now();
  let error: (Error & { type?: string }) | null = null;
  try {
    await tx.transaction();
  } catch (e) {
    error = e as Error & { type?: string };
  } finally {
    await tx.disconnect();
  }
  assert.ok(error, 'transaction() must reject');
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
});

test.run();
