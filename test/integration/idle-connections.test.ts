/**
 * connections.max.idle.ms (here 300 ms): the broker closes a connection that
 * has nothing in flight and no traffic for that long, never one that keeps
 * talking or waits on a long-poll fetch; kafkajs reconnects by itself.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openConnection, sleep, waitForTopics } from '../helpers/wire.js';

const { Kafka, logLevel } = kafkajs;
const IDLE_MS = 300;

let tb: TestBroker;

test.before(async () => {
  tb = await startTestBroker({ connectionsMaxIdleMs: IDLE_MS, numPartitions: 1 });
});
test.after(async () => {
  await tb?.close();
});

async function closedWithin(c: KafkaConnection, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) if (c.closed) return true;
  return c.closed;
}

test('an idle connection is closed; one that keeps sending requests is not', async () => {
  const idle = await openConnection(tb.broker.port);
  const busy = await openConnection(tb.broker.port);
  const started = Date.now();
  while (Date.now() - started < 3 * IDLE_MS) {
    await busy.send('Metadata', 4, { topics: [], allowAutoTopicCreation: false });
    await sleep(IDLE_MS / 3);
  }
  assert.ok(await closedWithin(idle, 2 * IDLE_MS), 'the idle connection was closed');
  assert.not.ok(busy.closed, 'the busy one is still open');
  busy.close();
});

test('a connection waiting on a long-poll fetch is not idle', async () => {
  const c = await openConnection(tb.broker.port);
  await c.send('Metadata', 4, { topics: [{ name: 'idle-poll' }], allowAutoTopicCreation: true });
  await waitForTopics(c, ['idle-poll']);
  const t0 = Date.now();
  const res = await c.send('Fetch', 4, {
    replicaId: -1, maxWaitMs: 3 * IDLE_MS, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [{ topic: 'idle-poll', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  });
  assert.ok(Date.now() - t0 >= 3 * IDLE_MS - 50, 'the fetch waited its max_wait_ms');
  assert.is(res.responses[0]!.partitions[0]!.errorCode, 0);
  assert.not.ok(c.closed, 'not closed while the fetch was parked');
  assert.ok(await closedWithin(c, 3 * IDLE_MS), 'closed once idle after it');
});

test('kafkajs reconnects after the broker closed its idle connections', async () => {
  const kafka = new Kafka({ clientId: 'millrace-idle', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const first = await producer.send({ topic: 'idle-kafkajs', messages: [{ value: 'one' }] });
    await sleep(3 * IDLE_MS);
    const second = await producer.send({ topic: 'idle-kafkajs', messages: [{ value: 'two' }] });
    assert.is(Number(second[0]!.baseOffset), Number(first[0]!.baseOffset) + 1);
  } finally {
    await producer.disconnect();
  }
});

test.run();
