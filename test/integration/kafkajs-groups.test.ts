/**
 * kafkajs 2.2.4 consumer groups against an in-process broker:
 * 1. three members share a 6-partition topic and consume 30,000 messages,
 *    each exactly once across the group;
 * 2. a fourth member joins while messages keep coming (the rebalance time,
 *    join → every member consuming again, is printed), then one member is
 *    killed without LeaveGroup: the group rebalances once its session times
 *    out, and no message is lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ChildMember, LocalMember, coversExactly, waitFor, type GroupMember } from '../helpers/kafkajs-group.js';

const { Kafka, logLevel } = kafkajs;

const TOPIC = 'group-orders';
const PARTITIONS = 6;
const GROUP = 'kafkajs-group';
const COUNT = 30_000;
const SESSION_TIMEOUT_MS = 8000;
const MEMBER_CONFIG = { groupId: GROUP, sessionTimeout: SESSION_TIMEOUT_MS, rebalanceTimeout: 20_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 };

let tb: TestBroker;
let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;
const members: GroupMember[] = [];

test.before(async () => {
  tb = await startTestBroker({ numPartitions: 1, shards: 2 });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});

test.after(async () => {
  await Promise.all(members.map((m) => m.stop()));
  await producer?.disconnect();
  await admin?.disconnect();
  await tb?.close();
});

async function produce(prefix: string, from: number, to: number): Promise<void> {
  const messages = [];
  for (let i = from; i < to; i++) messages.push({ key: String(i), value: `${prefix}-${i}` });
  await producer.send({ topic: TOPIC, messages });
}

function alive(): GroupMember[] {
  return members.filter((m) => !m.isDead);
}

test('three members consume 30,000 messages, each exactly once across the group', async () => {
  for (let i = 0; i < 3; i++) {
    // member-1 runs in a child process: the next test kills it.
    const m = i === 1 ? new ChildMember(`member-${i}`, tb.bootstrap, MEMBER_CONFIG) : new LocalMember(`member-${i}`, tb.bootstrap, MEMBER_CONFIG);
    members.push(m);
    await m.start(TOPIC);
  }
  // The group settles before anything is produced, so no partition changes hands with uncommitted work.
  await waitFor('three members sharing six partitions', () => coversExactly(members, TOPIC, PARTITIONS), 30_000);
  for (let i = 0; i < COUNT; i += 1000) await produce('a', i, i + 1000);
  const ends = await admin.fetchTopicOffsets(TOPIC);
  assert.is(ends.reduce((n, p) => n + Number(p.high), 0), COUNT, 'the log holds each message once');

  const total = () => members.reduce((n, m) => n + m.seen.length, 0);
  await waitFor(`${COUNT} messages consumed`, () => total() >= COUNT, 45_000);
  await new Promise((r) => setTimeout(r, 1000)); // duplicates would show up now
  const byOffset = new Map<string, number>();
  const values = new Set<string>();
  for (const m of members) {
    assert.ok(m.seen.length > 0, `${m.name} consumed something`);
    for (const s of m.seen) {
      const k = `${s.partition}:${s.offset}`;
      byOffset.set(k, (byOffset.get(k) ?? 0) + 1);
      values.add(s.value);
    }
  }
  assert.is(total(), COUNT, 'no message was consumed twice');
  assert.is(byOffset.size, COUNT);
  assert.is(values.size, COUNT);
  for (let i = 0; i < COUNT; i++) if (!values.has(`a-${i}`)) assert.unreachable(`a-${i} was not consumed`);
  console.log(`  30,000 messages: ${members.map((m) => `${m.name} ${m.seen.length}`).join(', ')}`);
});

test('a fourth member joins and one is killed without LeaveGroup: the group rebalances and loses nothing', async () => {
  // Keep producing throughout, so "consuming again" is observable and nothing can hide.
  let next = 0;
  let producing = true;
  const producerLoop = (async () => {
    while (producing) {
      await produce('b', next, next + 50);
      next += 50;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const joinAt = Date.now();
  const fourth = new LocalMember('member-3', tb.bootstrap, MEMBER_CONFIG);
  members.push(fourth);
  await fourth.start(TOPIC);
  const rebalancedAt = await waitFor('four members consuming after the join',
    () => members.length === 4 && members.every((m) => m.consumingSince(joinAt)) && coversExactly(members, TOPIC, PARTITIONS), 30_000);
  const joinRebalanceMs = rebalancedAt - joinAt;
  for (const m of members) {
    const j = m.lastJoin()!;
    const first = m.seen.find((x) => x.atMs >= j.atMs)!;
    console.log(`    ${m.name}: joined +${j.atMs - joinAt} ms, consuming +${first.atMs - joinAt} ms, partitions ${j.assignment[TOPIC]!.join(',')}`);
  }
  console.log(`  rebalance after a join: ${joinRebalanceMs} ms from the new member's start until all 4 members consume again`);
  assert.ok(joinRebalanceMs < 15_000, `join rebalance took ${joinRebalanceMs} ms`);

  const victim = members[1] as ChildMember;
  const killedAt = Date.now();
  await victim.kill();
  const survivors = alive();
  const recoveredAt = await waitFor('three survivors consuming after the kill',
    () => survivors.every((m) => m.consumingSince(killedAt)) && coversExactly(survivors, TOPIC, PARTITIONS), SESSION_TIMEOUT_MS + 15_000);
  const killRebalanceMs = recoveredAt - killedAt;
  console.log(`  rebalance after a kill: ${killRebalanceMs} ms from the kill until the 3 survivors consume all partitions again (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  assert.ok(killRebalanceMs >= SESSION_TIMEOUT_MS - 1000, 'the broker waited for the session to expire');
  assert.ok(killRebalanceMs < SESSION_TIMEOUT_MS + 6000, `kill rebalance took ${killRebalanceMs} ms`);

  await new Promise((r) => setTimeout(r, 500));
  producing = false;
  await producerLoop;
  const produced = next;
  const seenValues = new Set<string>();
  const all = () => {
    seenValues.clear();
    for (const m of members) for (const s of m.seen) if (s.value.startsWith('b-')) seenValues.add(s.value);
    return seenValues.size;
  };
  await waitFor(`all ${produced} messages of the second phase consumed`, () => all() === produced, 20_000, 100);
  const phase2 = members.reduce((n, m) => n + m.seen.filter((s) => s.value.startsWith('b-')).length, 0);
  console.log(`  second phase: ${produced} produced, all consumed, ${phase2 - produced} redelivered after the rebalances`);
});

test.run();
