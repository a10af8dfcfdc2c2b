/**
 * Fetches served from segment files by worker shards: the shard reads the
 * file straight into fetch slots (a run of them for a large partition
 * read), or copies into them when a read spans segments; the dispatcher
 * writes the slots to the socket and frees them. A kafkajs producer fills a
 * topic of small segments before anyone reads it (so nothing is in a tail
 * cache), then librdkafka (kcat) reads it back with small and large fetch
 * sizes, and a raw client with 3 MiB partition reads against 1 MiB slots.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { hasKcat, kcat } from '../../helpers/kcat.js';
import { fetchOnce, openConnection, sleep } from '../../helpers/wire.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import type { WorkerShard } from '../../../src/shard/worker-shard.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'ondisk';
const PARTITIONS = 2;
const PER_PARTITION = 4000;

let tb: TestBroker;
const expected: string[][] = Array.from({ length: PARTITIONS }, () => []);

test.before(async () => {
  tb = await startTestBroker({ shards: 2 });
  const kafka = new Kafka({ clientId: 'fetch-from-disk', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: [{ name: 'segment.bytes', value: String(256 * 1024) }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let b = 0; b < PER_PARTITION / 200; b++) {
    for (let p = 0; p < PARTITIONS; p++) {
      const values = Array.from({ length: 200 }, (_, i) => `${p}:${b * 200 + i}:${'x'.repeat(300 + ((b * 200 + i) % 97))}`);
      expected[p]!.push(...values);
      await producer.send({ topic: TOPIC, messages: values.map((value) => ({ value, partition: p })), acks: 1 });
    }
  }
  await producer.disconnect();
});
test.after(async () => {
  await tb?.close();
});

async function slotsInUse(): Promise<number> {
  return tb.broker.engine.shards.reduce((n, s) => n + (s as WorkerShard).queueStats().fetchSlotsInUse, 0);
}

for (const fetchBytes of [16 * 1024, 1024 * 1024]) {
  test(`kcat reads every partition back from the segment files, fetch.message.max.bytes=${fetchBytes}`, async () => {
    assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await kcat(['-b', tb.bootstrap, '-C', '-t', TOPIC, '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', '%s\n',
        '-X', `fetch.message.max.bytes=${fetchBytes}`, '-X', 'check.crcs=true'], { timeoutMs: 30_000 });
      assert.is(r.code, 0, r.stderr);
      const got = r.stdout.toString().split('\n').filter((l) => l.length > 0);
      assert.is(got.length, expected[p]!.length);
      assert.ok(got.every((v, i) => v === expected[p]![i]), `partition ${p}: every value, in order`);
    }
    await sleep(100);
    assert.is(await slotsInUse(), 0, 'every slot is freed once the responses are written');
  });
}

test('3 MiB partition reads take runs of 1 MiB slots and come back whole', async () => {
  const c = await openConnection(tb.broker.port);
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      const values: string[] = [];
      while (values.length < PER_PARTITION) {
        const r = await fetchOnce(c, TOPIC, p, values.length, { partitionMaxBytes: 3 << 20 });
        assert.is(r.errorCode, 0);
        const recs = decodeAllRecords(r.records!).filter((x) => x.offset >= values.length);
        assert.ok(recs.length > 0);
        values.push(...recs.map((x) => Buffer.from(x.value!).toString()));
      }
      assert.ok(values.every((v, i) => v === expected[p]![i]), `partition ${p}`);
    }
  } finally {
    c.close();
  }
  await sleep(100);
  assert.is(await slotsInUse(), 0);
});

test.run();
