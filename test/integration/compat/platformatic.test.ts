/**
 * @platformatic/kafka 1.35 against the broker with its default engine (worker
 * shards). platformatic speaks only flexible versions (Metadata 12, Fetch 13,
 * CreateTopics 7, JoinGroup 9, ... — research/protocol.md §1.2) and always
 * ApiVersions v3, so it exercises the flexible half of every codec.
 *
 * Covered: Admin createTopics / listTopics / metadata / deleteTopics, configs,
 * partitions, offsets, records, log dirs and ACLs (SECURITY_DISABLED); Producer send with keys and headers for
 * compression none, gzip, snappy and lz4 (read back independently by kcat),
 * acks 0 / 1 / -1 and the idempotent producer; Consumer in a consumer group
 * (join, sync, heartbeat, fetch, commit), resuming from committed offsets
 * with two members sharing the partitions; Admin listGroups / describeGroups
 * / deleteGroups. The API versions platformatic
 * negotiated are recorded from its diagnostics channel: Fetch must be v13+
 * (test/integration/compat/FINDINGS.md: at v12 platformatic sends the topic
 * id where the topic name belongs).
 */
import dc from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type Message } from '@platformatic/kafka';
import type { KafkaConnection } from '../../../src/client/kafka-connection.js';
import { CompressionType } from '../../../src/compression/codec.js';
import { Apis } from '../../../src/protocol/generated/index.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { hasKcat } from '../../helpers/kcat.js';
import { connect } from '../../helpers/produce.js';
import { decodeBatch, fetchRawBatches, kcatConsume, until } from './support.js';

// ---- API versions platformatic sends, from its own diagnostics channel ----

const apiNames = new Map<number, string>(Object.values(Apis).map((a) => [a.apiKey, a.name]));
const sentVersions = new Map<string, Set<number>>();
interface ApiContext { apiKey: number; apiVersion: number }
const recorder = {
  start(ctx: unknown) {
    const { apiKey, apiVersion } = ctx as ApiContext;
    const name = apiNames.get(apiKey) ?? `key ${apiKey}`;
    let set = sentVersions.get(name);
    if (!set) sentVersions.set(name, (set = new Set()));
    set.add(apiVersion);
  },
  end() {}, asyncStart() {}, asyncEnd() {}, error() {},
};
const apiChannel = dc.tracingChannel('plt:kafka:connections:api');

let tb: TestBroker;
let conn: KafkaConnection;
let admin: Admin;
const bootstrapBrokers = (): string[] => [tb.bootstrap];
const common = { retries: 3, retryDelay: 100, timeout: 5000, requestTimeout: 15_000 };

test.before(async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  apiChannel.subscribe(recorder);
  tb = await startTestBroker({ numPartitions: 3 });
  conn = await connect(tb.broker.port);
  admin = new Admin({ clientId: 'compat-plt-admin', bootstrapBrokers: bootstrapBrokers(), ...common });
});
test.after(async () => {
  apiChannel.unsubscribe(recorder);
  await admin?.close();
  conn?.close();
  await tb?.close();
});

/** A ProtocolError's Kafka error names, wherever platformatic nests them (AggregateError / cause). */
function kafkaErrorNames(e: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as { apiId?: string; errors?: unknown[]; cause?: unknown };
    if (typeof o.apiId === 'string') out.push(o.apiId);
    for (const inner of o.errors ?? []) walk(inner);
    walk(o.cause);
  };
  walk(e);
  return out;
}

// ====================================================================

test('Admin: createTopics, listTopics, metadata, deleteTopics', async () => {
  const created = await admin.createTopics({ topics: ['plt-admin-a', 'plt-admin-b'], partitions: 3, replicas: 1 });
  assert.equal(created.map((t) => [t.name, t.partitions, t.replicas]).sort(), [['plt-admin-a', 3, 1], ['plt-admin-b', 3, 1]]);
  for (const t of created) assert.match(t.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'topic id');
  // Broker-side topic configs come back with the result (CreateTopics v5+).
  assert.is(created[0]!.configuration['cleanup.policy'], 'delete');

  // Creating it again: TOPIC_ALREADY_EXISTS, surfaced as platformatic's ProtocolError.
  let again: unknown;
  try { await admin.createTopics({ topics: ['plt-admin-a'], partitions: 1, replicas: 1 }); } catch (e) { again = e; }
  assert.ok(again, 'creating an existing topic must fail');
  assert.ok(kafkaErrorNames(again).includes('TOPIC_ALREADY_EXISTS'), `error names: ${kafkaErrorNames(again)}`);

  const listed = await admin.listTopics();
  assert.ok(listed.includes('plt-admin-a') && listed.includes('plt-admin-b'), `listTopics: ${listed}`);
  assert.not.ok(listed.includes('__consumer_offsets'), 'internal topics are left out by default');

  const md = await admin.metadata({ topics: ['plt-admin-a', 'plt-admin-b'] });
  for (const name of ['plt-admin-a', 'plt-admin-b']) {
    const t = md.topics.get(name)!;
    assert.ok(t, `metadata for ${name}`);
    assert.is(t.partitionsCount, 3);
    assert.equal(t.partitions.map((p) => p.leader), [0, 0, 0], 'this broker (node 0) leads every partition');
    assert.is(t.id, created.find((c) => c.name === name)!.id, 'Metadata and CreateTopics agree on the topic id');
  }
  assert.is(md.brokers.size, 1);
  assert.is(md.brokers.values().next().value!.port, tb.broker.port);

  await admin.deleteTopics({ topics: ['plt-admin-a'] });
  const after = await admin.listTopics();
  assert.not.ok(after.includes('plt-admin-a'), 'deleted');
  assert.ok(after.includes('plt-admin-b'), 'the other topic stays');
  await admin.deleteTopics({ topics: ['plt-admin-b'] });
});

// ====================================================================

interface Sent { key: string; value: string; headers: [string, string][]; partition: number; offset: number }
const TOPIC = 'plt-data';
const sent: Sent[] = [];
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4'] as const;
const PER_CODEC = 200;

test('Producer: keys and headers, compression none / gzip / snappy / lz4; kcat reads back exactly what was sent', async () => {
  await admin.createTopics({ topics: [TOPIC], partitions: 3, replicas: 1 });
  const producer = new Producer({ clientId: 'compat-plt-producer', bootstrapBrokers: bootstrapBrokers(), serializers: stringSerializers, ...common });
  try {
    for (const compression of COMPRESSIONS) {
      const messages = Array.from({ length: PER_CODEC }, (_, i) => ({
        topic: TOPIC, key: `user-${i % 25}`, value: `${compression} message ${i} ${'payload '.repeat(i % 30)}`,
        headers: new Map([['codec', compression], ['seq', String(i)]]),
      }));
      // Half with acks -1, half with acks 1 (leader only): both are answered after the append.
      for (const [acks, part] of [[-1, messages.slice(0, PER_CODEC / 2)], [1, messages.slice(PER_CODEC / 2)]] as const) {
        const res = await producer.send({ acks, compression, messages: part });
        assert.ok(res.offsets && res.offsets.length > 0, 'offsets reported');
        for (const m of part) sent.push({ key: m.key, value: m.value, headers: [...m.headers], partition: -1, offset: -1 });
      }
    }
  } finally {
    await producer.close();
  }
  // Every batch is stored as sent, in the requested codec (our codec decodes it, see codec-crossclient.test.ts).
  const codecs = new Set<number>();
  for (let p = 0; p < 3; p++) for (const b of await fetchRawBatches(conn, TOPIC, p)) codecs.add(decodeBatch(b).codec);
  assert.equal([...codecs].sort(), [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]);

  const read = await kcatConsume(tb.bootstrap, TOPIC);
  assert.is(read.length, sent.length, 'kcat reads every message once');
  const byValue = new Map(sent.map((s) => [s.value, s]));
  for (const r of read) {
    const s = byValue.get(r.value.toString());
    assert.ok(s, `unexpected value ${r.value.toString().slice(0, 40)}`);
    assert.is(r.key, s.key);
    assert.equal(r.headers, s.headers);
    s.partition = r.partition!;
    s.offset = r.offset;
  }
  // platformatic's default partitioner is murmur2 of the key: one key, one partition.
  const partitionOfKey = new Map<string, number>();
  for (const s of sent) {
    const p = partitionOfKey.get(s.key);
    if (p === undefined) partitionOfKey.set(s.key, s.partition);
    else assert.is(s.partition, p, `key ${s.key} went to two partitions`);
  }
  assert.is(new Set(partitionOfKey.values()).size, 3, 'keys spread over the 3 partitions');
});

// ====================================================================

const GROUP = 'plt-group';

function consumer(clientId: string): Consumer<string, string, string, string> {
  return new Consumer({
    groupId: GROUP, clientId, bootstrapBrokers: bootstrapBrokers(), deserializers: stringDeserializers,
    maxWaitTime: 200, sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000, autocommit: false, ...common,
  });
}

test('Consumer group: one member consumes every message, keys and headers intact, then commits', async () => {
  assert.is(sent.length, COMPRESSIONS.length * PER_CODEC, 'the producer test ran');
  const c = consumer('compat-plt-c1');
  const got: Message<string, string, string, string>[] = [];
  try {
    const stream = await c.consume({ topics: [TOPIC], mode: 'earliest' });
    const timer = setTimeout(() => { void stream.close(); }, 20_000);
    try {
      for await (const m of stream) {
        got.push(m);
        if (got.length >= sent.length) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
    assert.is(got.length, sent.length, 'every message');
    const byValue = new Map(sent.map((s) => [s.value, s]));
    const lastOffset = new Map<number, number>();
    for (const m of got) {
      const s = byValue.get(m.value);
      assert.ok(s, `unexpected value ${m.value.slice(0, 40)}`);
      assert.is(m.key, s.key);
      assert.equal([...m.headers], s.headers);
      assert.is(m.partition, s.partition, 'same partition as kcat saw');
      assert.is(Number(m.offset), s.offset, 'same offset as kcat saw');
      // Per partition, offsets arrive in order and without gaps.
      assert.is(Number(m.offset), (lastOffset.get(m.partition) ?? -1) + 1, `partition ${m.partition} offsets are dense`);
      lastOffset.set(m.partition, Number(m.offset));
    }
    assert.is(new Set(got.map((m) => m.value)).size, sent.length, 'no duplicates');
    // Commit the next offset to read on each partition (OffsetCommit v8), then read it back (OffsetFetch v8).
    await c.commit({ offsets: [...lastOffset].map(([partition, o]) => ({ topic: TOPIC, partition, offset: BigInt(o + 1), leaderEpoch: 0 })) });
    const committed = await c.listCommittedOffsets({ topics: [{ topic: TOPIC, partitions: [0, 1, 2] }] });
    assert.equal(committed.get(TOPIC)!.map(Number), [0, 1, 2].map((p) => (lastOffset.get(p) ?? -1) + 1));
  } finally {
    await c.close();
  }
});

test('Consumer group: two members split the partitions and resume from the committed offsets', async () => {
  const a = consumer('compat-plt-a');
  const b = consumer('compat-plt-b');
  const got = new Map<string, string[]>([['a', []], ['b', []]]);
  const streams: { close(): Promise<void> }[] = [];
  const errors: unknown[] = [];
  try {
    const sa = await a.consume({ topics: [TOPIC], mode: 'committed' });
    streams.push(sa);
    sa.on('data', (m: Message<string, string, string, string>) => got.get('a')!.push(m.value));
    sa.on('error', (e: unknown) => errors.push(e));
    const sb = await b.consume({ topics: [TOPIC], mode: 'committed' });
    streams.push(sb);
    sb.on('data', (m: Message<string, string, string, string>) => got.get('b')!.push(m.value));
    sb.on('error', (e: unknown) => errors.push(e));
    const parts = (c: typeof a): number[] => (c.assignments ?? []).flatMap((x) => x.partitions);
    // The first member is asked to rejoin when the second arrives; wait for the rebalance to settle.
    await until(() => parts(a).length > 0 && parts(b).length > 0 && parts(a).length + parts(b).length === 3, 15_000,
      () => `assignments a=${parts(a)} b=${parts(b)}`);
    assert.equal([...parts(a), ...parts(b)].sort(), [0, 1, 2], 'together they own each partition once');
    // A long poll the first member sent before the rebalance (old assignment, all partitions) may still be
    // parked; platformatic would deliver whatever it returns, including records of a partition it no longer
    // owns, and then re-read from the committed offsets (FINDINGS.md). Let it expire (maxWaitTime 200 ms) first.
    await new Promise((r) => setTimeout(r, 600));
    // Nothing before the committed offsets is read again; everything produced now is read once.
    const producer = new Producer({ clientId: 'compat-plt-producer-2', bootstrapBrokers: bootstrapBrokers(), serializers: stringSerializers, ...common });
    const fresh = Array.from({ length: 60 }, (_, i) => ({ topic: TOPIC, key: `user-${i % 25}`, value: `after commit ${i}` }));
    try {
      await producer.send({ compression: 'lz4', messages: fresh });
    } finally {
      await producer.close();
    }
    const total = (): number => got.get('a')!.length + got.get('b')!.length;
    await until(() => total() >= fresh.length || errors.length > 0, 15_000, () => `a=${got.get('a')!.length} b=${got.get('b')!.length}`);
    await new Promise((r) => setTimeout(r, 300)); // anything extra (a duplicate) would show up now
    assert.equal(errors, [], 'stream errors');
    const all = [...got.get('a')!, ...got.get('b')!];
    assert.equal(all.sort(), fresh.map((m) => m.value).sort(), 'exactly the new messages, once each');
    assert.ok(got.get('a')!.length > 0 && got.get('b')!.length > 0, 'both members consumed');
  } finally {
    await Promise.all(streams.map((st) => st.close()));
    await Promise.all([a.close(), b.close()]);
  }
});

test('Admin: listGroups, describeGroups, deleteGroups', async () => {
  const groups = await admin.listGroups();
  assert.ok(groups.has(GROUP), `listGroups: ${[...groups.keys()]}`);
  assert.is(groups.get(GROUP)!.protocolType, 'consumer');
  const described = await admin.describeGroups({ groups: [GROUP] });
  const g = described.get(GROUP)!;
  assert.is(g.state, 'EMPTY', 'every member left');
  assert.is(g.members.size, 0);
  await admin.deleteGroups({ groups: [GROUP] });
  assert.not.ok((await admin.listGroups()).has(GROUP), 'deleted');
});

// ====================================================================

test('Idempotent producer: InitProducerId, sequenced batches stored once with the producer id', async () => {
  const topic = 'plt-idempotent';
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  const producer = new Producer({ clientId: 'compat-plt-idem', bootstrapBrokers: bootstrapBrokers(), serializers: stringSerializers, idempotent: true, ...common });
  try {
    for (let i = 0; i < 3; i++) {
      await producer.send({ compression: i === 1 ? 'gzip' : 'none', messages: Array.from({ length: 50 }, (_, j) => ({ topic, key: `k${j}`, value: `idem ${i}-${j}` })) });
    }
  } finally {
    await producer.close();
  }
  const batches = await fetchRawBatches(conn, topic);
  assert.is(batches.length, 3);
  const pids = new Set(batches.map((b) => b.readBigInt64BE(43)));
  assert.is(pids.size, 1, 'one producer id');
  assert.ok([...pids][0]! >= 0n, 'a real producer id');
  assert.equal(batches.map((b) => b.readInt32BE(53)), [0, 50, 100], 'base sequences');
  const read = await kcatConsume(tb.bootstrap, topic);
  assert.equal(read.map((r) => r.value.toString()), [0, 1, 2].flatMap((i) => Array.from({ length: 50 }, (_, j) => `idem ${i}-${j}`)));
});

test('Admin: configs, partitions, offsets, records, log dirs; producer acks=0', async () => {
  const topic = 'plt-admin-more';
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1, configs: [{ name: 'retention.ms', value: '3600000' }] });
  const describe = async (): Promise<string | null | undefined> =>
    (await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms'] }] }))[0]!.configs.find((c) => c.name === 'retention.ms')?.value;
  assert.is(await describe(), '3600000', 'CreateTopics configs');
  await admin.alterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', value: '7200000' }] }] });
  assert.is(await describe(), '7200000', 'AlterConfigs');
  await admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '7300000' }] }] });
  assert.is(await describe(), '7300000', 'IncrementalAlterConfigs SET');

  const producer = new Producer({ clientId: 'compat-plt-acks0', bootstrapBrokers: bootstrapBrokers(), serializers: stringSerializers, ...common });
  try {
    // acks=0: no response expected (platformatic must not wait for one), then acks=1 behind it on the same connection.
    await producer.send({ acks: 0, messages: Array.from({ length: 10 }, (_, i) => ({ topic, key: 'same-key', value: `acks0 ${i}` })) });
    const r = await producer.send({ acks: 1, messages: [{ topic, key: 'same-key', value: 'acks1' }] });
    assert.is(Number(r.offsets![0]!.offset), 10, 'the acks=1 record follows the 10 acks=0 ones');
  } finally {
    await producer.close();
  }
  const p = (await kcatConsume(tb.bootstrap, topic)).map((x) => x.partition);
  assert.is(p.length, 11);

  const latest = await admin.listOffsets({ topics: [{ name: topic, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
  assert.equal(latest[0]!.partitions.map((x) => Number(x.offset)).sort((a, b) => a - b), [0, 11], 'ListOffsets latest');
  const full = latest[0]!.partitions.find((x) => Number(x.offset) === 11)!.partitionIndex;
  const del = await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: full, offset: 4n }] }] });
  assert.is(Number(del[0]!.partitions[0]!.lowWatermark), 4, 'DeleteRecords');
  const earliest = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: full, timestamp: -2n }] }] });
  assert.is(Number(earliest[0]!.partitions[0]!.offset), 4, 'ListOffsets earliest after DeleteRecords');

  const dirs = await admin.describeLogDirs({ topics: [{ name: topic, partitions: [0, 1] }] });
  assert.is(dirs.length, 1, 'one broker');
  const dir = dirs[0]!.results[0]!;
  assert.is(dir.logDir, resolve(tb.dataDir), 'DescribeLogDirs log dir');
  assert.ok(Number(dir.totalBytes) > 0 && Number(dir.usableBytes) > 0, 'DescribeLogDirs v4 volume sizes');
  const sizes = new Map(dir.topics[0]!.partitions.map((x) => [x.partitionIndex, Number(x.partitionSize)]));
  assert.ok(sizes.get(full)! > 0 && sizes.get(1 - full) === 0, `DescribeLogDirs partition sizes ${[...sizes]}`);

  // No authorizer: Kafka answers the ACL APIs SECURITY_DISABLED (54); platformatic surfaces it as an error.
  // Resource type ANY = 1, pattern type ANY = 1, operation ANY = 1, permission ANY = 1.
  const aclError = await admin.describeAcls({ filter: { resourceType: 1, resourceName: null, resourcePatternType: 1, principal: null, host: null, operation: 1, permissionType: 1 } })
    .then(() => null, (e: unknown) => e);
  assert.ok(kafkaErrorNames(aclError).includes('SECURITY_DISABLED'), `DescribeAcls: ${aclError} ${kafkaErrorNames(aclError)}`);

  await admin.createPartitions({ topics: [{ name: topic, count: 4 }] });
  const md = await admin.metadata({ topics: [topic], forceUpdate: true }); // platformatic caches metadata for 5 s otherwise
  assert.is(md.topics.get(topic)!.partitionsCount, 4, 'CreatePartitions');
});

// ====================================================================

test('negotiated versions: flexible-only, Fetch v13+ (topic ids)', () => {
  const used = Object.fromEntries([...sentVersions].map(([k, v]) => [k, [...v].sort((x, y) => x - y)]));
  assert.equal(used.ApiVersions, [3], 'ApiVersions v3 only');
  assert.ok(used.Fetch && used.Fetch.every((v) => v >= 13), `Fetch ${used.Fetch}`);
  for (const [name, min] of [['Metadata', 9], ['Produce', 7], ['CreateTopics', 7], ['JoinGroup', 6], ['OffsetCommit', 8]] as const) {
    assert.ok(used[name] && used[name]!.every((v) => v >= min), `${name} ${used[name]}`);
  }
  if (process.env.TEST_VERBOSE) console.log('platformatic sent:', JSON.stringify(used));
});

test.run();
