/**
 * Tail caches under the broker's --tail-cache-bytes: a kafkajs producer
 * writes to every partition of a topic, librdkafka (kcat) reads one of them;
 * only that partition holds cached batches, within its shard's share of the
 * budget, and what kcat reads back is what was produced.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { hasKcat, kcat } from '../../helpers/kcat.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'cached';
const PARTITIONS = 4;
const BUDGET = 2 * 1024 * 1024;

let tb: TestBroker;

test.before(async () => {
  tb = await startTestBroker({ shards: 2, tailCacheBytes: BUDGET });
});
test.after(async () => {
  await tb?.close();
});

/** Tail-cache bytes of the topic's partitions, and each shard's total. */
async function cacheBytes(): Promise<{ byPartition: number[]; byShard: number[] }> {
  const byPartition = new Array<number>(PARTITIONS).fill(0);
  const byShard: number[] = [];
  for (const shard of tb.broker.engine.shards) {
    const stats = await shard.stats();
    byShard.push(stats.partitions.reduce((n, p) => n + p.tailCacheBytes, 0));
    for (const p of stats.partitions) if (p.key.startsWith(`${TOPIC}-`)) byPartition[Number(p.key.slice(TOPIC.length + 1))] = p.tailCacheBytes;
  }
  return { byPartition, byShard };
}

async function readPartition(partition: number): Promise<string[]> {
  const r = await kcat(['-b', tb.bootstrap, '-C', '-t', TOPIC, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 20_000 });
  assert.is(r.code, 0, r.stderr);
  return r.stdout.toString().split('\n').filter((l) => l.length > 0);
}

const value = (partition: number, i: number): string => `p${partition}-${String(i).padStart(5, '0')}-${'x'.repeat(2000)}`;

test('only partitions that consumers read cache their appends, within the shard budget', async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  const kafka = new Kafka({ clientId: 'millrace-tail-cache', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    const send = async (from: number, to: number): Promise<void> => {
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = from; i < to; i += 50) {
          const messages = [];
          for (let j = i; j < Math.min(to, i + 50); j++) messages.push({ value: value(p, j) });
          await producer.send({ topic: TOPIC, acks: -1, messages: messages.map((m) => ({ ...m, partition: p })) });
        }
      }
    };

    await send(0, 200);
    assert.equal((await cacheBytes()).byPartition, [0, 0, 0, 0], 'nobody reads yet: nothing cached');

    const first = await readPartition(0);
    assert.equal(first, Array.from({ length: 200 }, (_, i) => value(0, i)));

    await send(200, 400);
    const { byPartition, byShard } = await cacheBytes();
    assert.ok(byPartition[0]! > 0, 'the partition kcat read caches its new appends');
    assert.equal(byPartition.slice(1), [0, 0, 0], 'the others cache nothing');
    const shareBytes = Math.floor(BUDGET / tb.broker.engine.shards.length);
    for (const bytes of byShard) assert.ok(bytes <= shareBytes, `a shard holds ${bytes} B of tail cache, over its ${shareBytes} B budget`);

    const again = await readPartition(0);
    assert.equal(again, Array.from({ length: 400 }, (_, i) => value(0, i)));
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

test.run();
