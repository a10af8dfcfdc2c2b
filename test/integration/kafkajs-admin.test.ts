/**
 * kafkajs 2.2.4 admin client against an in-process broker: topic creation
 * (validateOnly, already-exists, invalid requests), metadata, deletion,
 * partition growth, topic and broker configs, offsets by position and by
 * timestamp, and DeleteRecords. kafkajs speaks the non-flexible versions
 * (CreateTopics ≤3, DeleteTopics ≤1, DescribeConfigs ≤2, AlterConfigs ≤1,
 * CreatePartitions ≤1, DeleteRecords ≤1, ListOffsets ≤3).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient, Producer } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

let tb: TestBroker;
let kafka: KafkaClient;
let admin: Admin;
let producer: Producer;

test.before(async () => {
  tb = await startTestBroker({ numPartitions: 3, shards: 0 });
  kafka = new Kafka({
    clientId: 'millrace-kafkajs-admin',
    brokers: [tb.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 500 },
  });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
});
test.after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await tb?.close();
});

/** Runs `fn`, which must reject; returns the error (kafkajs wraps per-topic errors in KafkaJSAggregateError). */
type KafkaJSError = Error & { type?: string; errors?: KafkaJSError[]; cause?: unknown };

async function rejection(fn: () => Promise<unknown>): Promise<KafkaJSError> {
  try {
    await fn();
  } catch (e) {
    return e as KafkaJSError;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

/** The Kafka error type of a kafkajs error, looking inside aggregate errors and retry wrappers. */
function errorType(e: KafkaJSError | undefined): string | undefined {
  if (!e) return undefined;
  return e.type ?? errorType(e.errors?.[0]) ?? errorType(e.cause as KafkaJSError | undefined);
}

function configMap(entries: { configName: string; configValue: string }[]): Map<string, string> {
  return new Map(entries.map((e) => [e.configName, e.configValue]));
}

test('createTopics creates topics with partitions and configs; fetchTopicMetadata shows them', async () => {
  const created = await admin.createTopics({
    topics: [
      { topic: 'admin-a', numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'delete' }] },
      { topic: 'admin-b' }, // broker default: num.partitions = 3
    ],
  });
  assert.is(created, true);
  const topics = await admin.listTopics();
  assert.ok(topics.includes('admin-a') && topics.includes('admin-b'), topics.join(','));
  const md = await admin.fetchTopicMetadata({ topics: ['admin-a', 'admin-b'] });
  const a = md.topics.find((t) => t.name === 'admin-a')!;
  const b = md.topics.find((t) => t.name === 'admin-b')!;
  assert.is(a.partitions.length, 4);
  assert.is(b.partitions.length, 3);
  for (const p of a.partitions) {
    assert.is(p.leader, 0);
    assert.equal(p.replicas, [0]);
    assert.equal(p.isr, [0]);
  }
  const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-a', configNames: ['retention.ms'] }], includeSynonyms: false });
  assert.is(cfg.resources[0]!.configEntries[0]!.configValue, '3600000');
});

test('createTopics of an existing topic resolves false (TOPIC_ALREADY_EXISTS)', async () => {
  assert.is(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 1 }] }), false);
  const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
  assert.is(md.topics[0]!.partitions.length, 4, 'the existing topic is untouched');
});

test('createTopics validateOnly checks without creating', async () => {
  const ok = await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'admin-validate', numPartitions: 2 }] });
  assert.is(ok, true);
  assert.not.ok((await admin.listTopics()).includes('admin-validate'), 'validateOnly must not create the topic');
  const bad = await rejection(() => admin.createTopics({
    validateOnly: true, waitForLeaders: false,
    topics: [{ topic: 'admin-validate', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
  }));
  assert.is(errorType(bad), 'INVALID_CONFIG');
});

test('createTopics rejects bad requests per topic with Kafka error codes', async () => {
  const cases: [object, string][] = [
    [{ topic: 'admin-rf3', replicationFactor: 3 }, 'INVALID_REPLICATION_FACTOR'],
    [{ topic: 'admin-zero', numPartitions: 0 }, 'INVALID_PARTITIONS'],
    [{ topic: 'bad name!' }, 'INVALID_TOPIC_EXCEPTION'],
    [{ topic: 'admin-badcfg', configEntries: [{ name: 'no.such.config', value: '1' }] }, 'INVALID_CONFIG'],
  ];
  for (const [topic, type] of cases) {
    const e = await rejection(() => admin.createTopics({ waitForLeaders: false, topics: [topic as { topic: string }] }));
    assert.is(errorType(e), type, `${JSON.stringify(topic)}: ${e.message}`);
  }
  const topics = await admin.listTopics();
  for (const t of ['admin-rf3', 'admin-zero', 'admin-badcfg']) assert.not.ok(topics.includes(t), t);
});

test('deleteTopics removes a topic; deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-del', numPartitions: 2 }] });
  await producer.send({ topic: 'admin-del', messages: [{ value: 'x' }] });
  await admin.deleteTopics({ topics: ['admin-del'] });
  assert.not.ok((await admin.listTopics()).includes('admin-del'));
  const e = await rejection(() => admin.deleteTopics({ topics: ['admin-never-existed'] }));
  assert.is(errorType(e), 'UNKNOWN_TOPIC_OR_PARTITION', e.message);
  // The name can be reused at once, and starts empty.
  await admin.createTopics({ topics: [{ topic: 'admin-del', numPartitions: 1 }] });
  assert.equal((await admin.fetchTopicOffsets('admin-del')).map((o) => o.high), ['0']);
});

test('createPartitions grows a topic; validateOnly and shrinking do not change it', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-grow', numPartitions: 2 }] });
  await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'admin-grow', count: 6 }] });
  assert.is((await admin.fetchTopicMetadata({ topics: ['admin-grow'] })).topics[0]!.partitions.length, 2);
  await admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 5 }] });
  assert.is((await admin.fetchTopicMetadata({ topics: ['admin-grow'] })).topics[0]!.partitions.length, 5);
  const shrink = await rejection(() => admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 3 }] }));
  assert.is(errorType(shrink), 'INVALID_PARTITIONS', shrink.message);
  const same = await rejection(() => admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 5 }] }));
  assert.is(errorType(same), 'INVALID_PARTITIONS', same.message);
  // The new partitions take writes.
  await producer.send({ topic: 'admin-grow', messages: [{ value: 'p4', partition: 4 }] });
  const offsets = await admin.fetchTopicOffsets('admin-grow');
  assert.is(offsets.find((o) => o.partition === 4)!.high, '1');
});

test('describeConfigs for a topic: overrides, defaults, synonyms, key filter', async () => {
  const all = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-a' }], includeSynonyms: false });
  const res = all.resources[0]!;
  assert.is(res.errorCode, 0);
  const m = configMap(res.configEntries);
  assert.ok(m.size >= 20, `expected every topic config, got ${m.size}`);
  assert.is(m.get('retention.ms'), '3600000');
  assert.is(m.get('cleanup.policy'), 'delete');
  assert.ok(m.has('segment.bytes') && m.has('max.message.bytes'));
  const retention = res.configEntries.find((e) => e.configName === 'retention.ms')!;
  assert.is(retention.isDefault, false);
  assert.is(retention.configSource, 1, 'DYNAMIC_TOPIC_CONFIG');
  const segment = res.configEntries.find((e) => e.configName === 'segment.bytes')!;
  assert.is(segment.isDefault, true);

  const filtered = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-a', configNames: ['retention.ms', 'segment.bytes', 'not.a.config'] }],
    includeSynonyms: true,
  });
  const entries = filtered.resources[0]!.configEntries;
  assert.equal(entries.map((e) => e.configName).sort(), ['retention.ms', 'segment.bytes']);
  const syn = entries.find((e) => e.configName === 'retention.ms')!.configSynonyms;
  assert.equal(syn[0], { configName: 'retention.ms', configValue: '3600000', configSource: 1 });
  assert.ok(syn.some((y) => y.configName === 'log.retention.ms' || y.configName === 'log.retention.hours'), JSON.stringify(syn));

  const missing = await rejection(() => admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-missing' }], includeSynonyms: false }));
  assert.is(errorType(missing), 'UNKNOWN_TOPIC_OR_PARTITION', missing.message);
});

test('describeConfigs for the broker', async () => {
  const r = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }], includeSynonyms: false });
  const res = r.resources[0]!;
  assert.is(res.errorCode, 0);
  const m = configMap(res.configEntries);
  assert.is(m.get('num.partitions'), '3');
  assert.is(m.get('node.id') ?? m.get('broker.id'), '0');
  assert.ok(m.has('log.retention.ms') || m.has('log.retention.hours'), [...m.keys()].join(','));
  const one = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configNames: ['num.partitions'] }], includeSynonyms: false });
  assert.equal(one.resources[0]!.configEntries.map((e) => e.configName), ['num.partitions']);
});

test('alterConfigs replaces a topic\'s overrides; invalid values are refused per resource', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-cfg', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '1000000' }] }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-cfg', configEntries: [{ name: 'max.message.bytes', value: '2000000' }] }] });
  const after = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-cfg', configNames: ['retention.ms', 'max.message.bytes'] }], includeSynonyms: false });
  const entries = after.resources[0]!.configEntries;
  const retention = entries.find((e) => e.configName === 'retention.ms')!;
  assert.is(entries.find((e) => e.configName === 'max.message.bytes')!.configValue, '2000000');
  assert.is(retention.isDefault, true, 'replace semantics: retention.ms was not in the new set, so it reverts to its default');
  assert.is.not(retention.configValue, '1000000');

  await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-cfg', configEntries: [{ name: 'retention.ms', value: '5' }] }] });
  const unchanged = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-cfg', configNames: ['retention.ms'] }], includeSynonyms: false });
  assert.is(unchanged.resources[0]!.configEntries[0]!.isDefault, true, 'validateOnly must not alter');

  const bad = await rejection(() => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-cfg', configEntries: [{ name: 'retention.ms', value: 'forever' }] }] }));
  assert.is(errorType(bad), 'INVALID_CONFIG', bad.message);
  const unknown = await rejection(() => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-nope', configEntries: [{ name: 'retention.ms', value: '1' }] }] }));
  assert.is(errorType(unknown), 'UNKNOWN_TOPIC_OR_PARTITION', unknown.message);
});

test('alterConfigs on the broker changes the default a topic inherits', async () => {
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'log.retention.ms', value: '7777777' }] }] });
  const t = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configNames: ['retention.ms'] }], includeSynonyms: false });
  const e = t.resources[0]!.configEntries[0]!;
  assert.is(e.configValue, '7777777');
  assert.is(e.configSource, 2, 'DYNAMIC_BROKER_CONFIG');
  // Replace semantics on the broker resource too: an empty set removes the dynamic value.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [] }] });
  const back = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'admin-b', configNames: ['retention.ms'] }], includeSynonyms: false });
  assert.is.not(back.resources[0]!.configEntries[0]!.configValue, '7777777');
  const ro = await rejection(() => admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0', configEntries: [{ name: 'num.partitions', value: '9' }] }] }));
  assert.is(errorType(ro), 'INVALID_CONFIG', ro.message);
});

test('fetchTopicOffsets, fetchTopicOffsetsByTimestamp and deleteTopicRecords', async () => {
  await admin.createTopics({ topics: [{ topic: 'admin-offsets', numPartitions: 2 }] });
  const t0 = Date.now();
  await producer.send({ topic: 'admin-offsets', messages: Array.from({ length: 10 }, (_, i) => ({ value: `early-${i}`, partition: 0, timestamp: String(t0 - 60_000 + i) })) });
  await producer.send({ topic: 'admin-offsets', messages: Array.from({ length: 5 }, (_, i) => ({ value: `late-${i}`, partition: 0, timestamp: String(t0 + i) })) });
  await producer.send({ topic: 'admin-offsets', messages: [{ value: 'p1', partition: 1, timestamp: String(t0 + 10) }] });

  const offsets = await admin.fetchTopicOffsets('admin-offsets');
  const byPart = new Map(offsets.map((o) => [o.partition, o]));
  assert.equal({ low: byPart.get(0)!.low, high: byPart.get(0)!.high }, { low: '0', high: '15' });
  assert.equal({ low: byPart.get(1)!.low, high: byPart.get(1)!.high }, { low: '0', high: '1' });

  const byTs = new Map((await admin.fetchTopicOffsetsByTimestamp('admin-offsets', t0)).map((o) => [o.partition, o.offset]));
  assert.is(byTs.get(0), '10', 'first record at or after t0');
  assert.is(byTs.get(1), '0');
  // After every record: kafkajs turns "no such offset" (-1) into the high watermark.
  const future = new Map((await admin.fetchTopicOffsetsByTimestamp('admin-offsets', t0 + 3_600_000)).map((o) => [o.partition, o.offset]));
  assert.is(future.get(0), '15');

  await admin.deleteTopicRecords({ topic: 'admin-offsets', partitions: [{ partition: 0, offset: '7' }] });
  let after = new Map((await admin.fetchTopicOffsets('admin-offsets')).map((o) => [o.partition, o]));
  assert.equal({ low: after.get(0)!.low, high: after.get(0)!.high }, { low: '7', high: '15' });
  assert.is(after.get(1)!.low, '0', 'other partitions untouched');

  // -1 = up to the high watermark.
  await admin.deleteTopicRecords({ topic: 'admin-offsets', partitions: [{ partition: 1, offset: '-1' }] });
  after = new Map((await admin.fetchTopicOffsets('admin-offsets')).map((o) => [o.partition, o]));
  assert.equal({ low: after.get(1)!.low, high: after.get(1)!.high }, { low: '1', high: '1' });

  // Beyond the high watermark → OFFSET_OUT_OF_RANGE for that partition.
  const e = await rejection(() => admin.deleteTopicRecords({ topic: 'admin-offsets', partitions: [{ partition: 0, offset: '99' }] }));
  const partErrors = ((e.cause ?? e) as { partitions?: { error: { type: string } }[] }).partitions;
  assert.is(partErrors?.[0]?.error.type ?? errorType(e), 'OFFSET_OUT_OF_RANGE', e.message);
  assert.is(new Map((await admin.fetchTopicOffsets('admin-offsets')).map((o) => [o.partition, o.low])).get(0), '7');
});

test.run();
