/**
 * The admin APIs at every advertised version, over the protocol client: the
 * flexible versions kafkajs never sends (CreateTopics 5-7, DeleteTopics 4-6,
 * DescribeConfigs 3-4, IncrementalAlterConfigs, DescribeCluster,
 * InitProducerId 2-4, ...) and the per-resource error paths with their
 * error messages.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ConfigSource, ConfigType } from '../../src/cluster/config-types.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openConnection, produce, waitForTopics } from '../helpers/wire.js';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TOPIC = 2;
const BROKER = 4;
const NO_ID = '00000000000000000000000000000000';
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
const MISMATCHED_ENDPOINT_TYPE = 114;

let tb: TestBroker;
let conn: KafkaConnection;

test.before(async () => {
  tb = await startTestBroker({ numPartitions: 2, shards: 0 });
  conn = await openConnection(tb.broker.port);
});
test.after(async () => {
  conn?.close();
  await tb?.close();
});

function createTopic(version: number, name: string, o: { numPartitions?: number; replicationFactor?: number; configs?: { name: string; value: string | null }[]; assignments?: { partitionIndex: number; brokerIds: number[] }[]; validateOnly?: boolean } = {}) {
  return conn.send('CreateTopics', version, {
    topics: [{ name, numPartitions: o.numPartitions ?? -1, replicationFactor: o.replicationFactor ?? -1, assignments: o.assignments ?? [], configs: o.configs ?? [] }],
    timeoutMs: 10_000,
    validateOnly: o.validateOnly ?? false,
  });
}

async function metadataTopic(name: string) {
  const md = await conn.send('Metadata', 12, { topics: [{ name, topicId: NO_ID }], allowAutoTopicCreation: false });
  return md.topics[0]!;
}

test('ApiVersions advertises the admin APIs at the recommended ranges', async () => {
  const res = await conn.send('ApiVersions', 3, { clientSoftwareName: 'millrace-test', clientSoftwareVersion: '0' });
  const range = (k: number) => { const a = res.apiKeys.find((x) => x.apiKey === k)!; return a && [a.minVersion, a.maxVersion]; };
  assert.equal(range(19), [0, 7], 'CreateTopics');
  assert.equal(range(20), [0, 6], 'DeleteTopics');
  assert.equal(range(21), [0, 2], 'DeleteRecords');
  assert.equal(range(22), [0, 4], 'InitProducerId');
  assert.equal(range(32), [0, 4], 'DescribeConfigs');
  assert.equal(range(33), [0, 2], 'AlterConfigs');
  assert.equal(range(37), [0, 3], 'CreatePartitions');
  assert.equal(range(44), [0, 1], 'IncrementalAlterConfigs');
  assert.equal(range(60), [0, 1], 'DescribeCluster');
  assert.equal(range(35), [0, 4], 'DescribeLogDirs');
  assert.equal([range(29), range(30), range(31)], [[0, 3], [0, 3], [0, 3]], 'DescribeAcls, CreateAcls, DeleteAcls');
});

test('CreateTopics at every version 0-7', async () => {
  for (let v = 0; v <= 7; v++) {
    const res = await createTopic(v, `wire-ct-v${v}`, { numPartitions: v + 1, replicationFactor: 1 });
    const t = res.topics[0]!;
    assert.is(t.errorCode, 0, `v${v}: ${t.errorMessage}`);
    if (v >= 1) assert.is(t.errorMessage, null);
    if (v >= 5) { assert.is(t.numPartitions, v + 1); assert.is(t.replicationFactor, 1); }
    assert.is((await metadataTopic(`wire-ct-v${v}`)).partitions.length, v + 1);
  }
});

test('CreateTopics v7: topic id, broker defaults, config results with sources', async () => {
  const res = await createTopic(7, 'wire-v7', { configs: [{ name: 'retention.ms', value: '123456' }, { name: 'cleanup.policy', value: 'compact,delete' }] });
  const t = res.topics[0]!;
  assert.is(t.errorCode, 0, t.errorMessage ?? '');
  assert.is(t.numPartitions, 2, 'num.partitions default');
  assert.is(t.replicationFactor, 1);
  const md = await metadataTopic('wire-v7');
  assert.is(t.topicId, md.topicId);
  assert.is.not(t.topicId, NO_ID);
  const cfg = new Map(t.configs!.map((c) => [c.name, c]));
  assert.equal({ ...cfg.get('retention.ms') }, { name: 'retention.ms', value: '123456', readOnly: false, configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isSensitive: false });
  assert.is(cfg.get('cleanup.policy')!.value, 'compact,delete');
  assert.is(cfg.get('segment.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG);
});

test('CreateTopics errors are per topic, with messages; validateOnly creates nothing', async () => {
  const res = await conn.send('CreateTopics', 7, {
    topics: [
      { name: 'wire-ok', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'wire-dup', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'wire-dup', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'wire-v7', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'wire-rf', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] },
      { name: 'wire-cfg', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: null }] },
      { name: 'wire-assign', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 1, brokerIds: [0] }, { partitionIndex: 2, brokerIds: [0] }], configs: [] },
      { name: 'wire-assign-bad', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [5] }], configs: [] },
      { name: 'wire-both', numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [] },
      { name: '__internal', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  const by = (name: string) => res.topics.filter((t) => t.name === name);
  assert.is(by('wire-ok')[0]!.errorCode, 0);
  assert.is(by('wire-dup').length, 1);
  assert.is(by('wire-dup')[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.match(by('wire-dup')[0]!.errorMessage!, 'Duplicate');
  assert.is(by('wire-v7')[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.match(by('wire-v7')[0]!.errorMessage!, 'already exists');
  assert.is(by('wire-v7')[0]!.topicId, NO_ID);
  assert.is(by('wire-rf')[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  assert.is(by('wire-cfg')[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(by('wire-cfg')[0]!.errorMessage!, 'retention.ms');
  assert.is(by('wire-assign')[0]!.errorCode, 0);
  assert.is(by('wire-assign')[0]!.numPartitions, 3);
  assert.is(by('wire-assign-bad')[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  assert.is(by('wire-both')[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.is(by('__internal')[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  assert.is((await metadataTopic('wire-dup')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  const v = await createTopic(7, 'wire-validate', { numPartitions: 4, validateOnly: true });
  assert.is(v.topics[0]!.errorCode, 0);
  assert.is(v.topics[0]!.numPartitions, 4);
  assert.is((await metadataTopic('wire-validate')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  // v0 has no validateOnly field: the topic is created.
  assert.is((await createTopic(0, 'wire-v0-nv', { numPartitions: 1 })).topics[0]!.errorCode, 0);
});

test('DeleteTopics by name at v0-5 and by name or id at v6', async () => {
  for (let v = 0; v <= 5; v++) {
    await createTopic(4, `wire-del-v${v}`, { numPartitions: 1 });
    const res = await conn.send('DeleteTopics', v, { topicNames: [`wire-del-v${v}`, 'wire-del-missing'], timeoutMs: 5000 });
    assert.equal(res.responses.map((r) => [r.name, r.errorCode]), [[`wire-del-v${v}`, 0], ['wire-del-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]], `v${v}`);
    if (v >= 5) assert.match(res.responses[1]!.errorMessage!, 'wire-del-missing');
  }
  const a = (await createTopic(7, 'wire-del-id', { numPartitions: 1 })).topics[0]!;
  const b = (await createTopic(7, 'wire-del-name', { numPartitions: 1 })).topics[0]!;
  const unknownId = 'ffffffffffffffffffffffffffffffff';
  const res = await conn.send('DeleteTopics', 6, {
    topics: [
      { name: null, topicId: a.topicId },
      { name: 'wire-del-name', topicId: NO_ID },
      { name: null, topicId: unknownId },
      { name: 'wire-ok', topicId: a.topicId },
      { name: null, topicId: NO_ID },
    ],
    timeoutMs: 5000,
  });
  const r = res.responses;
  assert.equal([r[0]!.name, r[0]!.topicId, r[0]!.errorCode], ['wire-del-id', a.topicId, 0]);
  assert.equal([r[1]!.name, r[1]!.topicId, r[1]!.errorCode], ['wire-del-name', b.topicId, 0]);
  assert.equal([r[2]!.name, r[2]!.topicId, r[2]!.errorCode], [null, unknownId, ErrorCode.UNKNOWN_TOPIC_ID]);
  assert.is(r[3]!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.is(r[4]!.errorCode, ErrorCode.INVALID_REQUEST);
  assert.is((await metadataTopic('wire-del-id')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.is((await metadataTopic('wire-ok')).errorCode, 0, 'a rejected entry deletes nothing');
  const okId = (await metadataTopic('wire-ok')).topicId;
  const dup = await conn.send('DeleteTopics', 6, { topics: [{ name: null, topicId: okId }, { name: null, topicId: okId }], timeoutMs: 5000 });
  assert.equal(dup.responses.map((x) => x.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  assert.is((await metadataTopic('wire-ok')).errorCode, 0, 'duplicate ids delete nothing');
});

test('CreatePartitions v0-3: growth, assignments, validateOnly, INVALID_PARTITIONS', async () => {
  await createTopic(4, 'wire-cp', { numPartitions: 1 });
  for (let v = 0; v <= 3; v++) {
    const res = await conn.send('CreatePartitions', v, { topics: [{ name: 'wire-cp', count: v + 2, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal([res.results[0]!.errorCode, res.results[0]!.errorMessage], [0, null], `v${v}`);
  }
  assert.is((await metadataTopic('wire-cp')).partitions.length, 5);
  const res = await conn.send('CreatePartitions', 3, {
    topics: [
      { name: 'wire-cp', count: 7, assignments: [{ brokerIds: [0] }, { brokerIds: [0] }] },
      { name: 'wire-cp-missing', count: 3, assignments: null },
      { name: 'wire-ct-v0', count: 1, assignments: null },
      { name: 'wire-ct-v1', count: 9, assignments: [{ brokerIds: [0] }] },
    ],
    timeoutMs: 5000, validateOnly: false,
  });
  assert.equal(res.results.map((r) => [r.name, r.errorCode]), [
    ['wire-cp', 0], ['wire-cp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['wire-ct-v0', ErrorCode.INVALID_PARTITIONS], ['wire-ct-v1', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
  ]);
  assert.match(res.results[2]!.errorMessage!, 'partitions');
  const vo = await conn.send('CreatePartitions', 3, { topics: [{ name: 'wire-cp', count: 20, assignments: null }], timeoutMs: 5000, validateOnly: true });
  assert.is(vo.results[0]!.errorCode, 0);
  assert.is((await metadataTopic('wire-cp')).partitions.length, 7);
  await waitForTopics(conn, ['wire-cp']);
  assert.is((await produce(conn, 'wire-cp', 6, [{ value: Buffer.from('new partition') }])).errorCode, 0);
});

test('DescribeConfigs v0-4: fields per version, synonyms and documentation on request, per-resource errors', async () => {
  await createTopic(7, 'wire-dc', { numPartitions: 1, configs: [{ name: 'retention.ms', value: '5000' }] });
  for (let v = 0; v <= 4; v++) {
    const res = await conn.send('DescribeConfigs', v, {
      resources: [{ resourceType: TOPIC, resourceName: 'wire-dc', configurationKeys: ['retention.ms', 'segment.bytes'] }],
      includeSynonyms: true, includeDocumentation: true,
    });
    const r = res.results[0]!;
    assert.equal([r.errorCode, r.errorMessage, r.resourceType, r.resourceName], [0, null, TOPIC, 'wire-dc'], `v${v}`);
    const ret = r.configs.find((c) => c.name === 'retention.ms')!;
    const seg = r.configs.find((c) => c.name === 'segment.bytes')!;
    assert.is(ret.value, '5000');
    if (v === 0) {
      assert.is(ret.isDefault, false);
      assert.is(seg.isDefault, true);
    } else {
      assert.is(ret.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG);
      assert.is(seg.configSource, ConfigSource.DEFAULT_CONFIG);
      assert.equal(ret.synonyms[0], { name: 'retention.ms', value: '5000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      assert.ok(ret.synonyms.length >= 2, 'broker-level synonyms follow the override');
    }
    if (v >= 3) {
      assert.is(ret.configType, ConfigType.LONG);
      assert.is(seg.configType, ConfigType.INT);
      assert.ok((ret.documentation ?? '').length > 10, 'documentation requested');
    }
  }
  const plain = await conn.send('DescribeConfigs', 4, { resources: [{ resourceType: TOPIC, resourceName: 'wire-dc', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  const cs = plain.results[0]!.configs;
  assert.ok(cs.length >= 20);
  assert.ok(cs.every((c) => c.synonyms.length === 0 && c.documentation === null && c.configType !== ConfigType.UNKNOWN));

  const mixed = await conn.send('DescribeConfigs', 4, {
    resources: [
      { resourceType: 99, resourceName: 'x', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'wire-dc-missing', configurationKeys: null },
      { resourceType: TOPIC, resourceName: 'bad/name', configurationKeys: null },
      { resourceType: BROKER, resourceName: '7', configurationKeys: null },
      { resourceType: 8, resourceName: '0', configurationKeys: null },
      { resourceType: BROKER, resourceName: '0', configurationKeys: ['num.partitions', 'log.retention.ms'] },
      { resourceType: BROKER, resourceName: '', configurationKeys: ['log.retention.ms'] },
    ],
    includeSynonyms: false, includeDocumentation: false,
  });
  const codes = mixed.results.map((r) => r.errorCode);
  assert.equal(codes, [ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, 0, 0]);
  for (const r of mixed.results.slice(0, 5)) assert.ok(r.errorMessage && r.errorMessage.length > 0, `message for ${r.resourceType}/${r.resourceName}`);
  const broker = new Map(mixed.results[5]!.configs.map((c) => [c.name, c]));
  assert.is(broker.get('num.partitions')!.value, '2');
  assert.is(broker.get('num.partitions')!.readOnly, true);
  assert.ok(broker.has('log.retention.ms'));
});

test('AlterConfigs v0-2 replace the overrides; IncrementalAlterConfigs v0-1 SET / DELETE / APPEND / SUBTRACT', async () => {
  await createTopic(7, 'wire-ac', { numPartitions: 1, configs: [{ name: 'retention.ms', value: '1000' }] });
  const describe = async () => {
    const r = await conn.send('DescribeConfigs', 4, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ac', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    return new Map(r.results[0]!.configs.filter((c) => c.configSource === ConfigSource.DYNAMIC_TOPIC_CONFIG).map((c) => [c.name, c.value]));
  };
  for (let v = 0; v <= 2; v++) {
    const res = await conn.send('AlterConfigs', v, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ac', configs: [{ name: 'segment.ms', value: String(100000 + v) }] }], validateOnly: false });
    assert.equal([res.responses[0]!.errorCode, res.responses[0]!.errorMessage, res.responses[0]!.resourceName], [0, null, 'wire-ac'], `v${v}`);
    assert.equal([...await describe()], [['segment.ms', String(100000 + v)]]);
  }
  for (let v = 0; v <= 1; v++) {
    const res = await conn.send('IncrementalAlterConfigs', v, {
      resources: [{ resourceType: TOPIC, resourceName: 'wire-ac', configs: [
        { name: 'retention.ms', configOperation: 0, value: String(2000 + v) },
        { name: 'segment.ms', configOperation: 1, value: null },
        { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
      ] }],
      validateOnly: false,
    });
    assert.is(res.responses[0]!.errorCode, 0, `v${v}: ${res.responses[0]!.errorMessage}`);
    assert.equal(Object.fromEntries(await describe()), { 'retention.ms': String(2000 + v), 'cleanup.policy': 'delete,compact' });
  }
  const sub = await conn.send('IncrementalAlterConfigs', 1, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ac', configs: [{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }] }], validateOnly: false });
  assert.is(sub.responses[0]!.errorCode, 0);
  assert.is((await describe()).get('cleanup.policy'), 'compact');

  const bad = await conn.send('IncrementalAlterConfigs', 1, {
    resources: [
      { resourceType: TOPIC, resourceName: 'wire-ac', configs: [{ name: 'retention.ms', configOperation: 2, value: '5' }] },
      { resourceType: TOPIC, resourceName: 'wire-ac-missing', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }] },
      { resourceType: TOPIC, resourceName: 'wire-ct-v1', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }, { name: 'nope', configOperation: 0, value: '1' }] },
      { resourceType: 8, resourceName: '0', configs: [] },
    ],
    validateOnly: false,
  });
  assert.equal(bad.responses.map((r) => r.errorCode), [ErrorCode.INVALID_CONFIG, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST]);
  assert.match(bad.responses[2]!.errorMessage!, 'nope');
  // The failing resource changed nothing, not even its valid key.
  const v1 = await conn.send('DescribeConfigs', 4, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ct-v1', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
  assert.is(v1.results[0]!.configs[0]!.configSource, ConfigSource.DEFAULT_CONFIG);

  const dup = await conn.send('AlterConfigs', 2, { resources: [
    { resourceType: TOPIC, resourceName: 'wire-ac', configs: [] },
    { resourceType: TOPIC, resourceName: 'wire-ac', configs: [] },
  ], validateOnly: false });
  assert.equal(dup.responses.map((r) => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  assert.is((await describe()).get('cleanup.policy'), 'compact', 'duplicates alter nothing');

  const vo = await conn.send('IncrementalAlterConfigs', 1, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ac', configs: [{ name: 'cleanup.policy', configOperation: 1, value: null }] }], validateOnly: true });
  assert.is(vo.responses[0]!.errorCode, 0);
  assert.is((await describe()).get('cleanup.policy'), 'compact', 'validateOnly alters nothing');

  const clusterDefault = await conn.send('IncrementalAlterConfigs', 1, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '4444444' }] }], validateOnly: false });
  assert.is(clusterDefault.responses[0]!.errorCode, 0, clusterDefault.responses[0]!.errorMessage ?? '');
  const inherited = await conn.send('DescribeConfigs', 4, { resources: [{ resourceType: TOPIC, resourceName: 'wire-ct-v2', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
  assert.equal([inherited.results[0]!.configs[0]!.value, inherited.results[0]!.configs[0]!.configSource], ['4444444', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]);
});

test('DeleteRecords v0-2: explicit offsets, -1, out of range, unknown partitions', async () => {
  await createTopic(7, 'wire-dr', { numPartitions: 2 });
  await waitForTopics(conn, ['wire-dr']);
  for (let i = 0; i < 3; i++) await produce(conn, 'wire-dr', 0, Array.from({ length: 10 }, (_, j) => ({ value: Buffer.from(`r${i}-${j}`) })));
  await produce(conn, 'wire-dr', 1, [{ value: Buffer.from('one') }, { value: Buffer.from('two') }]);
  for (let v = 0; v <= 2; v++) {
    const res = await conn.send('DeleteRecords', v, { topics: [{ name: 'wire-dr', partitions: [{ partitionIndex: 0, offset: 5 * (v + 1) }] }], timeoutMs: 5000 });
    assert.equal({ ...res.topics[0]!.partitions[0]! }, { partitionIndex: 0, lowWatermark: 5 * (v + 1), errorCode: 0 }, `v${v}`);
  }
  const res = await conn.send('DeleteRecords', 2, {
    topics: [
      { name: 'wire-dr', partitions: [{ partitionIndex: 0, offset: 31 }, { partitionIndex: 1, offset: -1 }, { partitionIndex: 2, offset: 0 }] },
      { name: 'wire-dr-missing', partitions: [{ partitionIndex: 0, offset: 0 }] },
    ],
    timeoutMs: 5000,
  });
  const p = res.topics[0]!.partitions;
  assert.equal([p[0]!.errorCode, p[1]!.errorCode, p[1]!.lowWatermark, p[2]!.errorCode], [ErrorCode.OFFSET_OUT_OF_RANGE, 0, 2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.is(res.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const lo = await conn.send('ListOffsets', 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'wire-dr', partitions: [{ partitionIndex: 0, timestamp: -2 }, { partitionIndex: 1, timestamp: -2 }] }] });
  assert.equal(lo.topics[0]!.partitions.map((x) => x.offset), [15, 2]);
  // Below the current start: a no-op that reports the current low watermark.
  const noop = await conn.send('DeleteRecords', 2, { topics: [{ name: 'wire-dr', partitions: [{ partitionIndex: 0, offset: 3 }] }], timeoutMs: 5000 });
  assert.equal([noop.topics[0]!.partitions[0]!.errorCode, noop.topics[0]!.partitions[0]!.lowWatermark], [0, 15]);
});

/** Bytes of a partition's .log segment files on disk. */
function logFileBytes(topic: string, partition: number): number {
  const dir = join(tb.dataDir, `${topic}-${partition}`);
  return readdirSync(dir).filter((n) => n.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

test('DescribeLogDirs v0-4: partition sizes on disk, null topics = all, partitions not held left out', async () => {
  await createTopic(7, 'wire-ld', { numPartitions: 2 });
  await waitForTopics(conn, ['wire-ld']);
  await produce(conn, 'wire-ld', 1, Array.from({ length: 20 }, (_, j) => ({ value: Buffer.from(`v${j}`) })));
  const sizes = [logFileBytes('wire-ld', 0), logFileBytes('wire-ld', 1)];
  assert.ok(sizes[0] === 0 && sizes[1]! > 0, `on disk: ${sizes}`);
  for (let v = 0; v <= 4; v++) {
    const res = await conn.send('DescribeLogDirs', v, { topics: [{ topic: 'wire-ld', partitions: [0, 1, 7] }, { topic: 'wire-ld-missing', partitions: [0] }] });
    assert.is(res.errorCode, 0);
    assert.is(res.results.length, 1, `v${v}: one log dir`);
    const dir = res.results[0]!;
    assert.equal([dir.errorCode, dir.logDir], [0, resolve(tb.dataDir)], `v${v}`);
    assert.equal(dir.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p })) })), [{
      name: 'wire-ld',
      partitions: [0, 1].map((p) => ({ partitionIndex: p, partitionSize: sizes[p]!, offsetLag: 0, isFutureKey: false })),
    }], `v${v}: sizes of the partitions held, nothing for partition 7 or the missing topic`);
    if (v >= 4) assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0 && dir.usableBytes <= dir.totalBytes, `volume ${dir.usableBytes} / ${dir.totalBytes}`);
    else assert.equal([dir.totalBytes, dir.usableBytes], [-1, -1], 'not in the wire format before v4');
  }
  const all = await conn.send('DescribeLogDirs', 4, { topics: null });
  const names = all.results[0]!.topics.map((t) => t.name);
  assert.ok(names.includes('wire-ld') && names.includes('wire-dr'), `null topics lists every topic: ${names}`);
});

test('ACL APIs v0-3: SECURITY_DISABLED with Kafka\'s message (no authorizer)', async () => {
  const message = 'No Authorizer is configured on the broker';
  for (let v = 0; v <= 3; v++) {
    const d = await conn.send('DescribeAcls', v, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    assert.equal([d.errorCode, d.errorMessage, d.resources.length], [ErrorCode.SECURITY_DISABLED, message, 0], `DescribeAcls v${v}`);
    const creation = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };
    const c = await conn.send('CreateAcls', v, { creations: [creation, { ...creation, principal: 'User:bob' }] });
    assert.equal(c.results.map((r) => [r.errorCode, r.errorMessage]), [[ErrorCode.SECURITY_DISABLED, message], [ErrorCode.SECURITY_DISABLED, message]], `CreateAcls v${v}`);
    const filter = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
    const del = await conn.send('DeleteAcls', v, { filters: [filter] });
    assert.equal(del.filterResults.map((r) => [r.errorCode, r.errorMessage, r.matchingAcls.length]), [[ErrorCode.SECURITY_DISABLED, message, 0]], `DeleteAcls v${v}`);
  }
});

test('DescribeCluster v0-1', async () => {
  const md = await conn.send('Metadata', 12, { topics: [], allowAutoTopicCreation: false });
  for (let v = 0; v <= 1; v++) {
    const res = await conn.send('DescribeCluster', v, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    assert.equal([res.errorCode, res.errorMessage, res.clusterId, res.controllerId], [0, null, md.clusterId, 0], `v${v}`);
    assert.equal(res.brokers.map((b) => ({ ...b })), [{ brokerId: 0, host: '127.0.0.1', port: tb.broker.port, rack: null }]);
    assert.is(res.clusterAuthorizedOperations, -2147483648);
  }
  const ops = await conn.send('DescribeCluster', 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
  assert.ok((ops.clusterAuthorizedOperations & (1 << 8)) !== 0, 'DESCRIBE allowed');
  const ctl = await conn.send('DescribeCluster', 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
  assert.is(ctl.errorCode, MISMATCHED_ENDPOINT_TYPE);
  assert.is(ctl.endpointType, 2);
});

test('with worker shards, partitions take writes as soon as CreateTopics / CreatePartitions / DeleteTopics answer', async () => {
  const wb = await startTestBroker({ numPartitions: 2, shards: 2 });
  const c = await openConnection(wb.broker.port);
  try {
    for (let i = 0; i < 10; i++) {
      const name = `ready-${i}`;
      const ct = await c.send('CreateTopics', 7, { topics: [{ name, numPartitions: 6, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      assert.is(ct.topics[0]!.errorCode, 0);
      assert.is((await produce(c, name, 5, [{ value: Buffer.from('first') }])).errorCode, 0, `produce right after creating ${name}`);
      const cp = await c.send('CreatePartitions', 3, { topics: [{ name, count: 9, assignments: null }], timeoutMs: 5000, validateOnly: false });
      assert.is(cp.results[0]!.errorCode, 0);
      assert.is((await produce(c, name, 8, [{ value: Buffer.from('grown') }])).errorCode, 0, `produce right after growing ${name}`);
      const dt = await c.send('DeleteTopics', 6, { topics: [{ name, topicId: NO_ID }], timeoutMs: 5000 });
      assert.is(dt.responses[0]!.errorCode, 0);
      assert.is((await c.send('CreateTopics', 7, { topics: [{ name, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false })).topics[0]!.errorCode, 0);
      const p = await produce(c, name, 0, [{ value: Buffer.from('again') }]);
      assert.equal([p.errorCode, p.baseOffset], [0, 0], `the re-created ${name} starts empty`);
    }
  } finally {
    c.close();
    await wb.close();
  }
});

test('InitProducerId v0-4: fresh ids with epoch 0; transactional ids refused; ids survive a restart', async () => {
  const ids: number[] = [];
  for (let v = 0; v <= 4; v++) {
    const body = v >= 3 ? { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 } : { transactionalId: null, transactionTimeoutMs: 60_000 };
    const res = await conn.send('InitProducerId', v, body);
    assert.equal([res.errorCode, res.producerEpoch], [0, 0], `v${v}`);
    ids.push(res.producerId);
  }
  // KIP-360 re-init of an idempotent producer: a new id, not a bumped epoch.
  const again = await conn.send('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: ids[4], producerEpoch: 0 });
  assert.is(again.errorCode, 0);
  ids.push(again.producerId);
  assert.is(new Set(ids).size, ids.length, `distinct: ${ids}`);

  const tx = await conn.send('InitProducerId', 4, { transactionalId: 'my-tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  assert.equal([tx.errorCode, tx.producerId, tx.producerEpoch], [TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1]);
  const empty = await conn.send('InitProducerId', 1, { transactionalId: '', transactionTimeoutMs: 60_000 });
  assert.is(empty.errorCode, ErrorCode.INVALID_REQUEST);
  const half = await conn.send('InitProducerId', 3, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: 5, producerEpoch: -1 });
  assert.is(half.errorCode, ErrorCode.INVALID_REQUEST);

  // Restart on the same data dir: new ids are above every id handed out before.
  const dataDir = tb.dataDir;
  conn.close();
  await tb.broker.stop();
  const again2 = await startTestBroker({ numPartitions: 2, dataDir });
  try {
    const c = await openConnection(again2.broker.port);
    const res = await c.send('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    c.close();
    assert.is(res.errorCode, 0);
    assert.ok(res.producerId > Math.max(...ids), `${res.producerId} after restart must exceed ${Math.max(...ids)}`);
  } finally {
    await again2.broker.stop();
  }
});

test.run();
