/**
 * Consumer groups across broker restarts (kafkajs 2.2.4): committed offsets
 * and group metadata live in __consumer_offsets and are replayed at start-up.
 * 1. A group consumes, stops, the broker restarts: new members of the group
 *    resume exactly where the old ones committed (fromBeginning is ignored).
 * 2. Members keep running while the broker restarts under them: they carry
 *    on, and nothing is lost or consumed again from before their commits.
 */
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { LocalMember, coversExactly, waitFor } from '../helpers/kafkajs-group.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'restart-orders';
const PARTITIONS = 3;
const GROUP = 'restart-group';
const MEMBER_CONFIG = { groupId: GROUP, sessionTimeout: 10_000, rebalanceTimeout: 20_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 };
const shards = 2;

const dataDir = tempDir();
let tb: TestBroker;
let port = 0;
let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;
let members: LocalMember[] = [];

async function startBrokerHere(): Promise<void> {
  tb = await startTestBroker({ dataDir, port, shards, numPartitions: 1 });
  port = tb.broker.port;
}

async function restartBroker(): Promise<void> {
  await tb.broker.stop();
  await startBrokerHere();
}

test.before(async () => {
  await startBrokerHere();
  kafka = new Kafka({ clientId: 'restart-test', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

test.after(async () => {
  await Promise.all(members.map((m) => m.stop()));
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await tb?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function produce(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await producer.send({ topic: TOPIC, messages: Array.from({ length: Math.min(500, count - i) }, (_, k) => ({ key: String(i + k), value: `${prefix}-${i + k}` })) });
  }
}

async function startMembers(n: number): Promise<LocalMember[]> {
  const ms = Array.from({ length: n }, (_, i) => new LocalMember(`restart-member-${members.length + i}`, tb.bootstrap, MEMBER_CONFIG));
  for (const m of ms) await m.start(TOPIC, true);
  await waitFor(`${n} members sharing the partitions`, () => coversExactly(ms, TOPIC, PARTITIONS), 30_000);
  return ms;
}

const values = (ms: LocalMember[], prefix: string): string[] => ms.flatMap((m) => m.seen.map((s) => s.value)).filter((v) => v.startsWith(prefix));

async function committed(): Promise<number[]> {
  // Right after a restart the coordinator answers COORDINATOR_LOAD_IN_PROGRESS until it has replayed its log.
  let r;
  for (let attempt = 0; ; attempt++) {
    try {
      r = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
      break;
    } catch (err) {
      if (attempt > 50 || (err as { code?: number }).code !== 14) throw err;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  return r[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

test('after a restart, new members of the group resume from the committed offsets', async () => {
  await produce('a', 3000);
  members = await startMembers(2);
  await waitFor('3000 messages consumed', () => values(members, 'a-').length >= 3000, 30_000);
  await Promise.all(members.map((m) => m.stop()));
  const before = await committed();
  assert.is(before.reduce((a, b) => a + b, 0), 3000, `committed ${before}`);

  await restartBroker();
  const after = await committed();
  assert.equal(after, before, 'the committed offsets survived the restart');
  const groups = await admin.listGroups();
  assert.ok(groups.groups.some((g) => g.groupId === GROUP && g.protocolType === 'consumer'), 'the group is known after the restart');

  await produce('b', 2000);
  const resumed = await startMembers(2);
  members = resumed;
  await waitFor('2000 new messages consumed', () => values(resumed, 'b-').length >= 2000, 30_000);
  await new Promise((r) => setTimeout(r, 500));
  assert.is(values(resumed, 'a-').length, 0, 'nothing committed before the restart is consumed again');
  assert.is(new Set(values(resumed, 'b-')).size, 2000);
  assert.is(values(resumed, 'b-').length, 2000, 'each new message once');
});

test('members running through a broker restart carry on without losing or replaying committed messages', async () => {
  await produce('c', 1000);
  await waitFor('1000 messages consumed before the restart', () => values(members, 'c-').length >= 1000, 30_000);
  await new Promise((r) => setTimeout(r, 300)); // let the last commit land
  const restartAt = Date.now();
  await restartBroker();
  await committed(); // the coordinator has replayed its log (it answers COORDINATOR_LOAD_IN_PROGRESS until then)
  await produce('d', 1000);
  await waitFor('1000 messages consumed after the restart', () => new Set(values(members, 'd-')).size === 1000, 40_000);
  console.log(`  consuming again ${Date.now() - restartAt} ms after the restart began`);
  assert.is(values(members, 'a-').length, 0);
  assert.is(values(members, 'b-').length, 2000, 'nothing committed was replayed');
  assert.is(new Set(values(members, 'c-')).size, 1000);
  // kafkajs commits after each batch, a moment after handing its messages out (on a loaded
  // machine, with the whole suite running in parallel, that can take a few seconds).
  let after = await committed();
  for (let i = 0; i < 200 && after.reduce((a, b) => a + b, 0) < 7000; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await committed();
  }
  assert.is(after.reduce((a, b) => a + b, 0), 7000, `committed ${after}`);
});

test.run();
