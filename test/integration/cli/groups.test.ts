/**
 * `millrace groups` against a broker this test starts, with a kafkajs group
 * running: list and describe (members, assignments, committed offsets, log
 * end, lag) during the run; reset-offsets refused while members are active,
 * then a dry run and --execute for each target; delete.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { cli } from '../../helpers/cli.js';
import { waitFor } from '../../helpers/kafkajs-group.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'cli-groups';
const GROUP = 'cli-group';

let tb: TestBroker;
let B: string[];
let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;
let consumer: Consumer | null = null;
let consumed = 0;

interface Described {
  groupId: string; state: string; protocolType: string; protocol: string;
  members: { memberId: string; clientId: string; host: string; assignment: { topic: string; partitions: number[] }[] }[];
  partitions: { topic: string; partition: number; committedOffset: number | null; logEndOffset: number | null; lag: number | null; memberId: string | null }[];
  totalLag: number;
}

test.before(async () => {
  tb = await startTestBroker({ shards: 2, numPartitions: 1 });
  B = ['--bootstrap', tb.bootstrap];
  kafka = new Kafka({ clientId: 'cli-groups-test', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] });
  producer = kafka.producer();
  await producer.connect();
});
test.after(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await admin?.disconnect();
  await tb?.close();
});

async function produce(n: number, tag: string): Promise<void> {
  await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ key: `${tag}${i}`, value: `${tag}-${i}` })) });
}

async function describe(): Promise<Described> {
  const r = await cli(['groups', 'describe', GROUP, '--json', ...B]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Described;
}

test('describe shows members, assignments and the lag while the group runs', async () => {
  await produce(900, 'a');
  consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async () => { consumed++; } });
  await waitFor('900 consumed', () => consumed >= 900, 20_000);
  consumer.pause([{ topic: TOPIC }]);
  let d = await describe();
  for (let i = 0; i < 50 && d.partitions.reduce((n, p) => n + (p.committedOffset ?? 0), 0) < 900; i++) {
    await new Promise((r) => setTimeout(r, 100));
    d = await describe();
  }
  assert.is(d.partitions.reduce((n, p) => n + (p.committedOffset ?? 0), 0), 900, 'everything consumed is committed');
  assert.is(d.totalLag, 0);

  await produce(120, 'b');
  d = await describe();
  assert.equal([d.state, d.protocolType, d.protocol, d.members.length], ['Stable', 'consumer', 'RoundRobinAssigner', 1]);
  assert.equal(d.members[0]!.assignment, [{ topic: TOPIC, partitions: [0, 1, 2] }]);
  assert.is(d.members[0]!.host, '/127.0.0.1');
  assert.is(d.partitions.length, 3);
  assert.is(d.totalLag, 120, 'lag = what was produced since the last commit');
  for (const p of d.partitions) {
    assert.is(p.lag, p.logEndOffset! - p.committedOffset!);
    assert.is(p.memberId, d.members[0]!.memberId);
  }
  assert.is(d.partitions.reduce((n, p) => n + p.logEndOffset!, 0), 1020);

  const text = await cli(['groups', 'describe', GROUP, ...B]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /state Stable/);
  assert.match(text.stdout, /total lag 120/);
  assert.match(text.stdout, /CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/);

  const list = await cli(['groups', 'list', '--json', ...B]);
  assert.equal(JSON.parse(list.stdout).groups, [{ groupId: GROUP, protocolType: 'consumer', state: 'Stable', coordinator: 0 }]);
  const reset = await cli(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--execute', ...B]);
  assert.is(reset.code, 1, 'refused while the group has members');
  assert.match(reset.stderr, /Stable with 1 member/);
  const del = await cli(['groups', 'delete', GROUP, ...B]);
  assert.is(del.code, 1);
  assert.match(del.stderr, /NON_EMPTY_GROUP/);

  await consumer.disconnect();
  consumer = null;
});

test('reset-offsets: dry run by default; --execute commits earliest, offset, datetime and latest targets', async () => {
  const before = await describe();
  assert.is(before.state, 'Empty');
  const dry = await cli(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--json', ...B]);
  assert.is(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as { executed: boolean; offsets: { partition: number; currentOffset: number; newOffset: number }[] };
  assert.is(plan.executed, false);
  assert.ok(plan.offsets.every((o) => o.newOffset === 0));
  assert.equal((await describe()).partitions.map((p) => p.committedOffset), before.partitions.map((p) => p.committedOffset), 'a dry run changes nothing');

  const r1 = await cli(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--execute', ...B]);
  assert.is(r1.code, 0, r1.stderr);
  let d = await describe();
  assert.ok(d.partitions.every((p) => p.committedOffset === 0));
  assert.is(d.totalLag, 1020);

  const r2 = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--partition', '1', '--to-offset', '5', '--execute', ...B]);
  assert.is(r2.code, 0, r2.stderr);
  d = await describe();
  assert.equal(d.partitions.map((p) => p.committedOffset), [0, 5, 0]);
  const huge = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--to-offset', '999999', '--json', ...B]);
  const ends = d.partitions.map((p) => p.logEndOffset);
  assert.equal((JSON.parse(huge.stdout) as typeof plan).offsets.map((o) => o.newOffset), ends, 'clamped to the log end');

  const future = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--to-datetime', '2999-01-01T00:00:00Z', '--execute', ...B]);
  assert.is(future.code, 0, future.stderr);
  d = await describe();
  assert.equal(d.partitions.map((p) => p.committedOffset), ends, 'no record that late: the log end');
  const past = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--to-datetime', '2000-01-01T00:00:00Z', '--execute', ...B]);
  assert.is(past.code, 0, past.stderr);
  assert.ok((await describe()).partitions.every((p) => p.committedOffset === 0));
  const latest = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--to-latest', '--execute', ...B]);
  assert.is(latest.code, 0, latest.stderr);
  assert.is((await describe()).totalLag, 0);

  const bad = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, ...B]);
  assert.is(bad.code, 2, 'a target is required');
  const two = await cli(['groups', 'reset-offsets', GROUP, '-t', TOPIC, '--to-earliest', '--to-latest', ...B]);
  assert.is(two.code, 2);
  const noTopic = await cli(['groups', 'reset-offsets', GROUP, '-t', 'missing-topic', '--to-earliest', ...B]);
  assert.is(noTopic.code, 1);
  assert.match(noTopic.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
});

test('delete removes an inactive group and its offsets; unknown groups are an error', async () => {
  const r = await cli(['groups', 'delete', GROUP, ...B]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /deleted group cli-group/);
  const list = await cli(['groups', 'list', '--json', ...B]);
  assert.equal(JSON.parse(list.stdout).groups, []);
  const again = await cli(['groups', 'delete', GROUP, ...B]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /GROUP_ID_NOT_FOUND/);
  const d = await describe();
  assert.equal([d.state, d.partitions.length], ['Dead', 0]);
});

test.run();
