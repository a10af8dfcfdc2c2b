import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, rm, stat, truncate, readFile, writeFile, appendFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../../../src/common/error-codes.js';
import { defaultBrokerConfig, type BrokerConfig } from '../../../src/config/broker-config.js';
import { ClusterMetadata, MAX_TOPIC_NAME_LENGTH, validateTopicName, type TopicInfo } from '../../../src/cluster/cluster-metadata.js';
import { AlterConfigOp, ConfigSource } from '../../../src/cluster/config-types.js';
import { METADATA_DIR_NAME } from '../../../src/cluster/metadata-log.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'millrace-cluster-'));
  dirs.push(d);
  return d;
}

function brokerFor(dataDir: string, extra: Partial<BrokerConfig> = {}): BrokerConfig {
  return defaultBrokerConfig({ dataDir, shards: 4, ...extra });
}

async function rejects(p: Promise<unknown>, code: number, fragment?: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, KafkaError, String(e));
    assert.is((e as KafkaError).code, code, (e as Error).message);
    if (fragment) assert.ok((e as Error).message.includes(fragment), `"${(e as Error).message}" should mention ${fragment}`);
    return;
  }
  assert.unreachable(`expected KafkaError ${code}`);
}

function throwsCode(fn: () => unknown, code: number): void {
  try {
    fn();
  } catch (e) {
    assert.is((e as KafkaError).code, code, (e as Error).message);
    return;
  }
  assert.unreachable(`expected KafkaError ${code}`);
}

/** Everything persisted about the cluster, in a comparable form. */
function snapshotOf(md: ClusterMetadata) {
  return {
    clusterId: md.clusterId,
    topics: md.topics().map((t) => ({ name: t.name, id: t.topicId, partitions: t.partitions, internal: t.isInternal, configs: Object.fromEntries(t.configs), shards: [...t.shards] })),
    brokerDefaults: md.describeBrokerConfigs('').map((e) => [e.name, e.value]),
  };
}

async function logFiles(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, METADATA_DIR_NAME))).sort();
}

test('topic name rules', () => {
  for (const ok of ['a', 'A-b_c.9', 'x'.repeat(MAX_TOPIC_NAME_LENGTH), '...']) validateTopicName(ok);
  for (const bad of ['', '.', '..', 'x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), 'a b', 'a/b', 'ä', 'a:b']) {
    throwsCode(() => validateTopicName(bad), ErrorCode.INVALID_TOPIC_EXCEPTION);
  }
});

test('a new data dir gets a Kafka-style cluster id', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.match(md.clusterId, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(!md.clusterId.startsWith('-'));
  assert.is(md.nodeId, 0);
  assert.equal(md.topics(), []);
  await md.close();
});

test('createTopic: defaults, ids, shards, errors', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir, { numPartitions: 3 }));
  const created: TopicInfo[] = [];
  md.on('topicCreated', (t) => created.push(t));

  const t = await md.createTopic('orders');
  assert.is(t.partitions, 3);
  assert.match(t.topicId, /^[0-9a-f]{32}$/);
  assert.is(t.topicIdBytes.length, 16);
  assert.is(t.isInternal, false);
  assert.is(t.shards.length, 3);
  for (const s of t.shards) assert.ok(s >= 0 && s < 4);
  assert.is(new Set(t.shards).size, 3, 'consecutive partitions spread over shards');
  assert.is(created.length, 1);
  assert.is(md.topic('orders'), t);
  assert.is(md.topicById(t.topicId)!.name, 'orders');
  assert.is(md.topicById(t.topicId.toUpperCase())!.name, 'orders');
  assert.is(md.shardOf('orders', 2), t.shards[2]);
  assert.is(md.shardOf('orders', 3), undefined);

  const five = await md.createTopic('five', { partitions: 5, replicationFactor: 1, configs: { 'retention.ms': '1000' } });
  assert.is(five.partitions, 5);
  assert.is(five.configs.get('retention.ms'), '1000');

  await rejects(md.createTopic('orders'), ErrorCode.TOPIC_ALREADY_EXISTS);
  await rejects(md.createTopic('bad name'), ErrorCode.INVALID_TOPIC_EXCEPTION);
  await rejects(md.createTopic('..'), ErrorCode.INVALID_TOPIC_EXCEPTION);
  await rejects(md.createTopic('__mine'), ErrorCode.INVALID_TOPIC_EXCEPTION, 'reserved');
  await md.createTopic('a.b');
  await rejects(md.createTopic('a_b'), ErrorCode.INVALID_TOPIC_EXCEPTION, 'collides');
  await rejects(md.createTopic('p0', { partitions: 0 }), ErrorCode.INVALID_PARTITIONS);
  await rejects(md.createTopic('p0', { partitions: -2 }), ErrorCode.INVALID_PARTITIONS);
  await rejects(md.createTopic('p0', { partitions: 1e9 }), ErrorCode.INVALID_PARTITIONS);
  await rejects(md.createTopic('r3', { replicationFactor: 3 }), ErrorCode.INVALID_REPLICATION_FACTOR);
  await rejects(md.createTopic('r3', { replicationFactor: 0 }), ErrorCode.INVALID_REPLICATION_FACTOR);
  await rejects(md.createTopic('c', { configs: { 'retention.ms': 'x' } }), ErrorCode.INVALID_CONFIG, 'retention.ms');
  await rejects(md.createTopic('c', { configs: { 'unknown.key': '1' } }), ErrorCode.INVALID_CONFIG, 'unknown.key');
  assert.is(md.topic('c'), undefined);

  const internal = await md.createTopic('__consumer_offsets', { partitions: 2, internal: true });
  assert.is(internal.isInternal, true);
  assert.is(created.length, 4);
  await md.close();
});

test('createTopic: validateOnly persists nothing; manual assignments', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  const v = await md.createTopic('dry', { partitions: 2, validateOnly: true, configs: { 'cleanup.policy': 'compact' } });
  assert.is(v.partitions, 2);
  assert.is(md.topic('dry'), undefined);
  const entries = md.configEntriesFor(v.configs);
  assert.is(entries.find((e) => e.name === 'cleanup.policy')!.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);

  const a = await md.createTopic('manual', { assignments: [{ partitionIndex: 1, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }] });
  assert.is(a.partitions, 2);
  await rejects(md.createTopic('m2', { partitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }), ErrorCode.INVALID_REQUEST);
  await rejects(md.createTopic('m2', { assignments: [{ partitionIndex: 0, brokerIds: [5] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  await rejects(md.createTopic('m2', { assignments: [{ partitionIndex: 0, brokerIds: [0, 0] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  await rejects(md.createTopic('m2', { assignments: [{ partitionIndex: 1, brokerIds: [0] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  await rejects(md.createTopic('m2', { assignments: [{ partitionIndex: 0, brokerIds: [] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  await md.close();
  const again = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(again.topics().map((t) => t.name), ['manual']);
  await again.close();
});

test('concurrent creations of one name: exactly one wins', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  const p1 = md.createTopic('race');
  assert.ok(md.isBeingCreated('race'));
  const results = await Promise.allSettled([p1, md.createTopic('race'), md.createTopic('race')]);
  assert.equal(results.map((r) => r.status), ['fulfilled', 'rejected', 'rejected']);
  assert.is(((results[1] as PromiseRejectedResult).reason as KafkaError).code, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.not.ok(md.isBeingCreated('race'));
  await md.close();
});

test('deleteTopic and createPartitions', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  const events: string[] = [];
  md.on('topicDeleted', (t) => events.push(`deleted ${t.name}`));
  md.on('partitionsCreated', (t, prev) => events.push(`partitions ${t.name} ${prev}->${t.partitions}`));

  const t = await md.createTopic('t', { partitions: 2 });
  await rejects(md.createPartitions('t', 2), ErrorCode.INVALID_PARTITIONS, 'already has 2');
  await rejects(md.createPartitions('t', 1), ErrorCode.INVALID_PARTITIONS, 'higher than the requested 1');
  await rejects(md.createPartitions('nope', 5), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await rejects(md.createPartitions('t', 4, { assignments: [{ partitionIndex: 0, brokerIds: [0] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const dry = await md.createPartitions('t', 3, { validateOnly: true });
  assert.is(dry.partitions, 3);
  assert.is(md.topic('t')!.partitions, 2);
  const grown = await md.createPartitions('t', 5);
  assert.is(grown.partitions, 5);
  assert.equal(grown.shards.slice(0, 2), t.shards, 'existing partitions keep their shard');
  assert.is(grown.shards.length, 5);

  await rejects(md.deleteTopic('nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const deleted = await md.deleteTopic('t');
  assert.is(deleted.topicId, t.topicId);
  assert.is(md.topic('t'), undefined);
  assert.is(md.topicById(t.topicId), undefined);
  await rejects(md.deleteTopicById(t.topicId), ErrorCode.UNKNOWN_TOPIC_ID);
  const again = await md.createTopic('t');
  assert.is.not(again.topicId, t.topicId, 'a recreated topic gets a new id');
  await md.deleteTopicById(again.topicId);

  const internal = await md.createTopic('__transaction_state', { internal: true });
  await rejects(md.deleteTopic('__transaction_state'), ErrorCode.INVALID_TOPIC_EXCEPTION);
  await md.deleteTopic(internal.name, { internal: true });
  assert.equal(events, ['partitions t 2->5', 'deleted t', 'deleted t', 'deleted __transaction_state']);
  await md.close();

  const dir2 = await tempDir();
  const locked = await ClusterMetadata.open(dir2, brokerFor(dir2, { deleteTopicEnable: false }));
  await locked.createTopic('keep');
  await rejects(locked.deleteTopic('keep'), 73);
  await locked.close();
});

test('alterTopicConfigs: incremental ops, replace, describe sources, events', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir, { retentionMs: 86_400_000 }));
  const changes: Array<[string, number]> = [];
  md.on('configChanged', (t, lc) => changes.push([t.name, lc.retentionMs]));
  await md.createTopic('t', { configs: { 'segment.bytes': '1048576' } });

  const src = (name: string) => md.describeTopicConfigs('t', [name])[0]!;
  assert.is(src('segment.bytes').source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.is(src('retention.ms').source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.is(src('retention.ms').value, '86400000');
  assert.is(src('cleanup.policy').source, ConfigSource.DEFAULT_CONFIG);
  assert.is(md.effectiveLogConfig('t').retentionMs, 86_400_000);

  await md.alterTopicConfigs('t', { kind: 'incremental', ops: [
    { name: 'retention.ms', op: AlterConfigOp.SET, value: '5000' },
    { name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact' },
  ] });
  assert.is(src('retention.ms').value, '5000');
  assert.is(src('retention.ms').source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.is(src('cleanup.policy').value, 'delete,compact');
  assert.equal(md.effectiveLogConfig('t').cleanupPolicy, { delete: true, compact: true });
  assert.is(md.effectiveLogConfig('t').retentionMs, 5000);

  await md.alterTopicConfigs('t', { kind: 'incremental', ops: [
    { name: 'cleanup.policy', op: AlterConfigOp.SUBTRACT, value: 'delete' },
    { name: 'segment.bytes', op: AlterConfigOp.DELETE, value: null },
  ] });
  assert.is(src('cleanup.policy').value, 'compact');
  assert.is(src('segment.bytes').source, ConfigSource.DEFAULT_CONFIG);
  assert.is(md.effectiveLogConfig('t').segmentBytes, 1073741824);

  await rejects(md.alterTopicConfigs('t', { kind: 'incremental', ops: [{ name: 'retention.ms', op: AlterConfigOp.APPEND, value: '1' }] }), ErrorCode.INVALID_CONFIG);
  await rejects(md.alterTopicConfigs('t', { kind: 'incremental', ops: [{ name: 'retention.ms', op: AlterConfigOp.SET, value: 'x' }] }), ErrorCode.INVALID_CONFIG, 'retention.ms');
  await rejects(md.alterTopicConfigs('nope', { kind: 'replace', configs: [] }), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await md.alterTopicConfigs('t', { kind: 'replace', configs: [{ name: 'max.message.bytes', value: '2000' }] }, { validateOnly: true });
  assert.is(md.topic('t')!.configs.get('max.message.bytes'), undefined);

  // AlterConfigs: the given set replaces every override.
  await md.alterTopicConfigs('t', { kind: 'replace', configs: [{ name: 'max.message.bytes', value: '2000' }] });
  assert.equal(Object.fromEntries(md.topic('t')!.configs), { 'max.message.bytes': '2000' });
  assert.is(md.effectiveLogConfig('t').retentionMs, 86_400_000);
  assert.is(md.effectiveLogConfig('t').maxMessageBytes, 2000);

  assert.equal(changes, [['t', 5000], ['t', 5000], ['t', 86_400_000]]);
  throwsCode(() => md.describeTopicConfigs('nope'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await md.close();
});

test('broker configs: dynamic cluster defaults apply to topics; read-only rejected', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  await md.createTopic('t');
  let brokerEvents = 0;
  const changed: string[] = [];
  md.on('brokerConfigChanged', () => brokerEvents++);
  md.on('configChanged', (t, lc) => changed.push(`${t.name}:${lc.segmentBytes}`));

  await md.alterBrokerConfigs('', { kind: 'incremental', ops: [{ name: 'log.segment.bytes', op: AlterConfigOp.SET, value: '65536' }] });
  assert.is(md.effectiveLogConfig('t').segmentBytes, 65536);
  const e = md.describeTopicConfigs('t', ['segment.bytes'])[0]!;
  assert.is(e.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  assert.equal(e.synonyms.map((s) => s.source), [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]);
  assert.equal(md.describeBrokerConfigs('').map((x) => [x.name, x.value, x.source]), [['log.segment.bytes', '65536', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]]);
  const node = md.describeBrokerConfigs('0', ['log.segment.bytes', 'num.partitions']);
  assert.equal(node.map((x) => [x.name, x.source, x.readOnly]), [
    ['log.segment.bytes', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, false],
    ['num.partitions', ConfigSource.DEFAULT_CONFIG, true],
  ]);
  assert.is(brokerEvents, 1);
  assert.equal(changed, ['t:65536']);

  await md.alterBrokerConfigs('0', { kind: 'replace', configs: [{ name: 'log.retention.ms', value: '1000' }] });
  assert.is(md.describeTopicConfigs('t', ['retention.ms'])[0]!.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.is(md.effectiveLogConfig('t').retentionMs, 1000);

  await rejects(md.alterBrokerConfigs('0', { kind: 'incremental', ops: [{ name: 'num.partitions', op: AlterConfigOp.SET, value: '3' }] }), ErrorCode.INVALID_CONFIG, 'read-only');
  await rejects(md.alterBrokerConfigs('', { kind: 'incremental', ops: [{ name: 'log.segment.bytes', op: AlterConfigOp.SET, value: '1' }] }), ErrorCode.INVALID_CONFIG, 'log.segment.bytes');
  await rejects(md.alterBrokerConfigs('5', { kind: 'replace', configs: [] }), ErrorCode.INVALID_REQUEST);
  throwsCode(() => md.describeBrokerConfigs('5'), ErrorCode.INVALID_REQUEST);
  await md.close();

  const reopened = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.is(reopened.effectiveLogConfig('t').segmentBytes, 65536);
  assert.is(reopened.effectiveLogConfig('t').retentionMs, 1000);
  await reopened.alterBrokerConfigs('', { kind: 'incremental', ops: [{ name: 'log.segment.bytes', op: AlterConfigOp.DELETE, value: null }] });
  assert.is(reopened.effectiveLogConfig('t').segmentBytes, 1073741824);
  await reopened.close();
});

test('persistence: reopen gives the same cluster id, topics, ids, configs, assignments', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  await md.createTopic('a', { partitions: 3, configs: { 'retention.ms': '1000' } });
  await md.createTopic('b', { partitions: 1 });
  await md.createTopic('__consumer_offsets', { partitions: 5, internal: true });
  await md.createPartitions('b', 4);
  await md.alterTopicConfigs('b', { kind: 'incremental', ops: [{ name: 'cleanup.policy', op: AlterConfigOp.SET, value: 'compact' }] });
  await md.deleteTopic('a');
  await md.createTopic('a', { partitions: 2 });
  await md.alterBrokerConfigs('', { kind: 'replace', configs: [{ name: 'message.max.bytes', value: '5000' }] });
  const before = snapshotOf(md);
  await md.close();
  const re = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(snapshotOf(re), before);
  assert.is(re.topic('__consumer_offsets')!.isInternal, true);
  assert.is(re.effectiveLogConfig('b').maxMessageBytes, 5000);
  await re.close();
});

test('assignments survive a change of shard count', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir, { shards: 8 }));
  const t = await md.createTopic('t', { partitions: 8 });
  assert.equal([...t.shards].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  await md.close();

  const more = await ClusterMetadata.open(dir, brokerFor(dir, { shards: 16 }));
  assert.equal(more.topic('t')!.shards, t.shards, 'existing partitions stay put when shards are added');
  await more.close();

  const fewer = await ClusterMetadata.open(dir, brokerFor(dir, { shards: 3 }));
  assert.equal(fewer.topic('t')!.shards, t.shards.map((s) => (s < 3 ? s : s % 3)));
  const grown = await fewer.createPartitions('t', 10);
  for (const s of grown.shards) assert.ok(s < 3);
  await fewer.close();

  const inline = await ClusterMetadata.open(dir, brokerFor(dir, { shards: 0 }));
  assert.is(inline.shardCount, 1);
  assert.ok(inline.topic('t')!.shards.every((s) => s === 0));
  await inline.close();

  const back = await ClusterMetadata.open(dir, brokerFor(dir, { shards: 8 }));
  assert.equal(back.topic('t')!.shards.slice(0, 8), t.shards, 'recorded shards are kept, not rewritten');
  await back.close();
});

test('torn tail of the metadata log is truncated on open', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  await md.createTopic('first');
  await md.createTopic('second', { partitions: 2 });
  const before = snapshotOf(md);
  await md.alterTopicConfigs('second', { kind: 'incremental', ops: [{ name: 'retention.ms', op: AlterConfigOp.SET, value: '1' }] });
  await md.close();

  const files = (await logFiles(dir)).filter((f) => f.endsWith('.log'));
  assert.is(files.length, 1);
  const path = join(dir, METADATA_DIR_NAME, files[0]!);
  const size = (await stat(path)).size;
  // The last frame (the config change) loses its last 5 bytes, as after kill -9 mid-write.
  await truncate(path, size - 5);

  const re = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(snapshotOf(re), before, 'state without the torn operation');
  const truncatedSize = (await stat(path)).size;
  assert.ok(truncatedSize < size - 5, 'torn bytes removed from the file');
  await re.createTopic('third');
  await re.close();

  // Garbage after valid frames (a torn header) is dropped too; the appended op survives.
  await appendFile(path, Buffer.from([0, 0, 0]));
  const re2 = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(re2.topics().map((t) => t.name), ['first', 'second', 'third']);
  await re2.close();
});

test('a corrupted last frame (CRC mismatch) is dropped', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  await md.createTopic('keep');
  await md.createTopic('lose');
  await md.close();
  const file = (await logFiles(dir)).find((f) => f.endsWith('.log'))!;
  const path = join(dir, METADATA_DIR_NAME, file);
  const buf = await readFile(path);
  buf[buf.length - 3] ^= 0xff;
  await writeFile(path, buf);
  const re = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(re.topics().map((t) => t.name), ['keep']);
  await re.close();
});

test('snapshots: written periodically, old files removed, state replays the same', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 5 });
  for (let i = 0; i < 7; i++) await md.createTopic(`t${i}`, { partitions: 1 + (i % 3) }); // 2 records each
  await md.alterTopicConfigs('t1', { kind: 'incremental', ops: [{ name: 'retention.ms', op: AlterConfigOp.SET, value: '7' }] });
  await md.deleteTopic('t0');
  await md.createPartitions('t2', 6);
  const before = snapshotOf(md);
  await md.close();

  const files = await logFiles(dir);
  assert.is(files.filter((f) => f.endsWith('.snapshot')).length, 1, files.join(' '));
  assert.is(files.filter((f) => f.endsWith('.log')).length, 1, files.join(' '));
  const snap = files.find((f) => f.endsWith('.snapshot'))!;
  const log = files.find((f) => f.endsWith('.log'))!;
  assert.is(snap.slice(0, 20), log.slice(0, 20), 'the active log starts where the snapshot ends');

  const re = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 5 });
  assert.equal(snapshotOf(re), before);
  await re.createTopic('after-snapshot');
  await re.close();
  const re2 = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 1000 });
  assert.equal(re2.topics().length, before.topics.length + 1);
  await re2.close();
});

test('crash during a snapshot: stale log beside the snapshot, or a leftover .tmp, replays the same', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 1000 });
  for (let i = 0; i < 3; i++) await md.createTopic(`t${i}`);
  await md.close();
  const mdir = join(dir, METADATA_DIR_NAME);
  const oldLog = (await logFiles(dir)).find((f) => f.endsWith('.log'))!;
  const saved = join(dir, 'saved.log');
  await copyFile(join(mdir, oldLog), saved);

  // Reopen with a tiny threshold: open snapshots at once and deletes the old log.
  const md2 = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 2 });
  const before = snapshotOf(md2);
  await md2.close();
  assert.not.ok((await logFiles(dir)).includes(oldLog));
  // Simulate a crash before the old log was deleted, plus a half-written snapshot temp file.
  await copyFile(saved, join(mdir, oldLog));
  await writeFile(join(mdir, '00000000000000000099.snapshot.tmp'), 'partial');

  const re = await ClusterMetadata.open(dir, brokerFor(dir), { snapshotEveryRecords: 1000 });
  assert.equal(snapshotOf(re), before);
  await re.createTopic('next');
  await re.close();
  assert.not.ok((await logFiles(dir)).some((f) => f.endsWith('.tmp')));
  const re2 = await ClusterMetadata.open(dir, brokerFor(dir));
  assert.equal(re2.topics().map((t) => t.name), ['t0', 't1', 't2', 'next']);
  await re2.close();
});

test('a failing listener does not fail the committed operation', async () => {
  const dir = await tempDir();
  const md = await ClusterMetadata.open(dir, brokerFor(dir));
  md.on('topicCreated', () => { throw new Error('listener bug'); });
  const t = await md.createTopic('ok');
  assert.is(t.name, 'ok');
  await md.close();
});

test.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test.run();
