import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KafkaError } from '../../../src/common/error-codes.js';
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import {
  BROKER_CONFIG_DEFS, brokerAlterableDef, brokerSynonymChain, describeBrokerConfigEntries, NO_DYNAMIC_BROKER_CONFIGS,
} from '../../../src/cluster/broker-configs.js';
import { AlterConfigOp, ConfigSource, ConfigType } from '../../../src/cluster/config-types.js';
import {
  applyConfigAlteration, effectiveTopicConfig, LONG_MAX, toLogConfig, TOPIC_CONFIGS, topicAlterableDef, validateTopicConfigs,
  effectiveTopicValue,
} from '../../../src/cluster/topic-config.js';

function kafkaError(fn: () => unknown, code: number, fragment?: string): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, KafkaError);
    assert.is((e as KafkaError).code, code, (e as Error).message);
    if (fragment) assert.ok((e as Error).message.includes(fragment), `"${(e as Error).message}" should mention ${fragment}`);
    return;
  }
  assert.unreachable('expected a KafkaError');
}

test('every Kafka topic config named in the brief is known, with Kafka defaults', () => {
  const names = new Set(TOPIC_CONFIGS.map((d) => d.name));
  for (const n of ['cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
    'index.interval.bytes', 'max.message.bytes', 'message.timestamp.type', 'min.compaction.lag.ms', 'max.compaction.lag.ms',
    'min.cleanable.dirty.ratio', 'min.insync.replicas', 'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.ms',
    'segment.index.bytes', 'unclean.leader.election.enable', 'preallocate', 'message.timestamp.before.max.ms', 'message.timestamp.after.max.ms']) {
    assert.ok(names.has(n), n);
  }
  const d = new Map(TOPIC_CONFIGS.map((x) => [x.name, x.defaultValue]));
  assert.is(d.get('retention.ms'), '604800000');
  assert.is(d.get('segment.bytes'), '1073741824');
  assert.is(d.get('max.message.bytes'), '1048588');
  assert.is(d.get('cleanup.policy'), 'delete');
  assert.is(d.get('flush.messages'), LONG_MAX);
  for (const t of TOPIC_CONFIGS) t.normalize(t.defaultValue); // defaults validate
});

test('validateTopicConfigs: canonical values, errors name key and value', () => {
  const m = validateTopicConfigs({ 'retention.ms': ' 1000 ', 'cleanup.policy': 'compact , delete', preallocate: 'TRUE', 'min.cleanable.dirty.ratio': '0.50' });
  assert.equal(Object.fromEntries(m), { 'retention.ms': '1000', 'cleanup.policy': 'compact,delete', preallocate: 'true', 'min.cleanable.dirty.ratio': '0.5' });
  kafkaError(() => validateTopicConfigs({ 'no.such': '1' }), ErrorCode.INVALID_CONFIG, 'no.such');
  kafkaError(() => validateTopicConfigs({ 'retention.ms': 'soon' }), ErrorCode.INVALID_CONFIG, 'Invalid value soon for configuration retention.ms');
  kafkaError(() => validateTopicConfigs({ 'retention.ms': '-2' }), ErrorCode.INVALID_CONFIG, 'at least -1');
  kafkaError(() => validateTopicConfigs({ 'segment.bytes': '13' }), ErrorCode.INVALID_CONFIG, 'segment.bytes');
  validateTopicConfigs({ 'segment.bytes': '14' });
  kafkaError(() => validateTopicConfigs({ 'segment.bytes': '2147483648' }), ErrorCode.INVALID_CONFIG, 'INT');
  kafkaError(() => validateTopicConfigs({ 'retention.bytes': '9223372036854775808' }), ErrorCode.INVALID_CONFIG, 'LONG');
  validateTopicConfigs({ 'retention.bytes': '9223372036854775807' });
  kafkaError(() => validateTopicConfigs({ 'cleanup.policy': 'forever' }), ErrorCode.INVALID_CONFIG, 'cleanup.policy');
  kafkaError(() => validateTopicConfigs({ 'cleanup.policy': '' }), ErrorCode.INVALID_CONFIG, 'cleanup.policy');
  kafkaError(() => validateTopicConfigs({ 'compression.type': 'brotli' }), ErrorCode.INVALID_CONFIG, 'compression.type');
  kafkaError(() => validateTopicConfigs({ 'message.timestamp.type': 'createtime' }), ErrorCode.INVALID_CONFIG);
  kafkaError(() => validateTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }), ErrorCode.INVALID_CONFIG);
  kafkaError(() => validateTopicConfigs({ preallocate: 'yes' }), ErrorCode.INVALID_CONFIG);
  kafkaError(() => validateTopicConfigs({ 'retention.ms': null }), ErrorCode.INVALID_CONFIG, 'Null');
  kafkaError(() => validateTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }), ErrorCode.INVALID_CONFIG, 'conflict');
  kafkaError(() => validateTopicConfigs([['retention.ms', '1'], ['retention.ms', '2']]), ErrorCode.INVALID_CONFIG, 'Duplicate');
});

test('applyConfigAlteration: replace and incremental SET/DELETE/APPEND/SUBTRACT', () => {
  const cur = new Map([['retention.ms', '1000'], ['segment.bytes', '2048']]);
  const base = (k: string) => TOPIC_CONFIGS.find((d) => d.name === k)!.defaultValue;
  const replaced = applyConfigAlteration(cur, { kind: 'replace', configs: [{ name: 'cleanup.policy', value: 'compact' }] }, topicAlterableDef, base);
  assert.equal(Object.fromEntries(replaced), { 'cleanup.policy': 'compact' });
  const inc = applyConfigAlteration(cur, {
    kind: 'incremental', ops: [
      { name: 'retention.ms', op: AlterConfigOp.SET, value: '5' },
      { name: 'segment.bytes', op: AlterConfigOp.DELETE, value: null },
      { name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact' },
    ],
  }, topicAlterableDef, base);
  assert.equal(Object.fromEntries(inc), { 'retention.ms': '5', 'cleanup.policy': 'delete,compact' });
  const sub = applyConfigAlteration(inc, { kind: 'incremental', ops: [{ name: 'cleanup.policy', op: AlterConfigOp.SUBTRACT, value: 'delete' }] }, topicAlterableDef, base);
  assert.is(sub.get('cleanup.policy'), 'compact');
  const dup = applyConfigAlteration(sub, { kind: 'incremental', ops: [{ name: 'cleanup.policy', op: AlterConfigOp.APPEND, value: 'compact' }] }, topicAlterableDef, base);
  assert.is(dup.get('cleanup.policy'), 'compact');
  kafkaError(() => applyConfigAlteration(cur, { kind: 'incremental', ops: [{ name: 'retention.ms', op: AlterConfigOp.APPEND, value: '1' }] }, topicAlterableDef, base),
    ErrorCode.INVALID_CONFIG, 'append');
  kafkaError(() => applyConfigAlteration(cur, { kind: 'incremental', ops: [{ name: 'cleanup.policy', op: AlterConfigOp.SUBTRACT, value: 'delete' }] }, topicAlterableDef, base),
    ErrorCode.INVALID_CONFIG);
  kafkaError(() => applyConfigAlteration(cur, { kind: 'incremental', ops: [{ name: 'x.y', op: AlterConfigOp.DELETE, value: null }] }, topicAlterableDef, base),
    ErrorCode.INVALID_CONFIG, 'x.y');
  kafkaError(() => applyConfigAlteration(cur, { kind: 'incremental', ops: [{ name: 'retention.ms', op: 9, value: '1' }] }, topicAlterableDef, base),
    ErrorCode.INVALID_REQUEST);
  kafkaError(() => applyConfigAlteration(cur, {
    kind: 'incremental', ops: [{ name: 'retention.ms', op: 0, value: '1' }, { name: 'retention.ms', op: 1, value: null }],
  }, topicAlterableDef, base), ErrorCode.INVALID_CONFIG, 'duplicate');
});

test('effective topic config: sources and synonyms', () => {
  const broker = defaultBrokerConfig({ retentionMs: 3600000 });
  const dyn = { node: new Map(), cluster: new Map([['log.segment.bytes', '4096']]) };
  const chain = (n: string) => brokerSynonymChain(n, broker, dyn);
  const entries = effectiveTopicConfig(new Map([['max.message.bytes', '100']]), chain);
  const by = new Map(entries.map((e) => [e.name, e]));
  assert.is(entries.length, TOPIC_CONFIGS.length);
  const mmb = by.get('max.message.bytes')!;
  assert.is(mmb.value, '100');
  assert.is(mmb.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.is(mmb.isDefault, false);
  assert.equal(mmb.synonyms.map((s) => [s.name, s.value, s.source]), [
    ['max.message.bytes', '100', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ['message.max.bytes', '1048588', ConfigSource.DEFAULT_CONFIG],
  ]);
  const rms = by.get('retention.ms')!;
  assert.is(rms.value, '3600000');
  assert.is(rms.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(rms.synonyms.map((s) => [s.name, s.value, s.source]), [
    ['log.retention.ms', '3600000', ConfigSource.STATIC_BROKER_CONFIG],
    ['log.retention.ms', '604800000', ConfigSource.DEFAULT_CONFIG],
  ]);
  assert.is(by.get('segment.bytes')!.value, '4096');
  assert.is(by.get('segment.bytes')!.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  assert.is(by.get('cleanup.policy')!.source, ConfigSource.DEFAULT_CONFIG);
  assert.is(by.get('cleanup.policy')!.configType, ConfigType.LIST);
  assert.is(by.get('retention.ms')!.configType, ConfigType.LONG);
  assert.is(by.get('follower.replication.throttled.replicas')!.synonyms[0]!.name, 'follower.replication.throttled.replicas');
  const only = effectiveTopicConfig(new Map(), chain, ['retention.ms', 'bogus']);
  assert.equal(only.map((e) => e.name), ['retention.ms']);

  const lc = toLogConfig((k) => effectiveTopicValue(k, new Map([['cleanup.policy', 'compact,delete']]), chain));
  assert.is(lc.retentionMs, 3600000);
  assert.is(lc.segmentBytes, 4096);
  assert.is(lc.maxMessageBytes, 1048588);
  assert.equal(lc.cleanupPolicy, { delete: true, compact: true });
  assert.is(lc.messageTimestampType, 'CreateTime');
  assert.ok(lc.messageTimestampAfterMaxMs > 9e18);
});

test('broker configs: listing, sources, read-only', () => {
  const broker = defaultBrokerConfig({ host: '0.0.0.0', port: 19092, numPartitions: 3 });
  const entries = describeBrokerConfigEntries(broker, NO_DYNAMIC_BROKER_CONFIGS, 'node');
  const by = new Map(entries.map((e) => [e.name, e]));
  for (const n of ['broker.id', 'node.id', 'listeners', 'advertised.listeners', 'log.dirs', 'num.partitions', 'auto.create.topics.enable',
    'default.replication.factor', 'log.retention.ms', 'log.retention.bytes', 'log.segment.bytes', 'log.roll.ms', 'message.max.bytes',
    'socket.request.max.bytes', 'millrace.flush.policy', 'offsets.retention.minutes', 'group.min.session.timeout.ms', 'group.max.session.timeout.ms',
    'log.cleanup.policy']) {
    assert.ok(by.has(n), n);
  }
  assert.is(by.get('listeners')!.value, 'PLAINTEXT://0.0.0.0:19092');
  assert.is(by.get('listeners')!.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.is(by.get('advertised.listeners')!.value, 'PLAINTEXT://127.0.0.1:19092');
  assert.is(by.get('num.partitions')!.value, '3');
  assert.is(by.get('num.partitions')!.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.is(by.get('num.partitions')!.readOnly, true);
  assert.is(by.get('log.retention.ms')!.source, ConfigSource.DEFAULT_CONFIG);
  assert.is(by.get('log.retention.ms')!.readOnly, false);
  assert.is(by.get('millrace.flush.policy')!.value, 'group');
  assert.is(by.get('auto.create.topics.enable')!.configType, ConfigType.BOOLEAN);
  assert.is(by.get('log.retention.ms')!.configType, ConfigType.LONG);
  assert.is(describeBrokerConfigEntries(broker, NO_DYNAMIC_BROKER_CONFIGS, 'cluster').length, 0);
  kafkaError(() => brokerAlterableDef('num.partitions'), ErrorCode.INVALID_CONFIG, 'read-only');
  kafkaError(() => brokerAlterableDef('no.such.config'), ErrorCode.INVALID_CONFIG);
  assert.ok(brokerAlterableDef('log.retention.ms'));
  const names = BROKER_CONFIG_DEFS.map((d) => d.name);
  assert.is(new Set(names).size, names.length);
  // A hand-built config without `sources`: explicit means "differs from the default".
  const { sources: _ignored, ...plain } = defaultBrokerConfig({ retentionBytes: 5 });
  const chain = brokerSynonymChain('log.retention.bytes', plain, NO_DYNAMIC_BROKER_CONFIGS);
  assert.is(chain[0]!.source, ConfigSource.STATIC_BROKER_CONFIG);
  assert.is(brokerSynonymChain('log.segment.bytes', plain, NO_DYNAMIC_BROKER_CONFIGS)[0]!.source, ConfigSource.DEFAULT_CONFIG);
});

test.run();
