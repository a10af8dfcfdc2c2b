/**
 * `millrace topics list | describe | create | delete | alter | config`:
 * topic administration over the Kafka protocol (Metadata, ListOffsets,
 * DescribeConfigs, CreateTopics, DeleteTopics, CreatePartitions,
 * IncrementalAlterConfigs with an AlterConfigs fallback, DescribeLogDirs for
 * sizes on disk), so it works against any Kafka-compatible broker given with
 * --bootstrap.
 */
import { Command } from 'commander';
import { ErrorCode } from '../common/error-codes.js';
import {
  action, addConnectionOptions, usageExitCode, collect, colorsFor, kafkaError, parseIntOption, parseKeyValues, printJson, renderTable, usageError,
  type ConnectionOptions,
} from './cli-support.js';
import { ClusterClient, EARLIEST, LATEST, type TopicMetadata } from './cluster-client.js';

const TOPIC_RESOURCE = 2;
/** Kafka's ConfigSource ids (DescribeConfigs v1+). */
const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  0: 'unknown', 1: 'topic', 2: 'dynamic-broker', 3: 'dynamic-broker-default', 4: 'static-broker', 5: 'default', 6: 'broker-logger',
};
const SIZE_NOTE = 'size on disk: unknown, a leader of this topic does not serve DescribeLogDirs';

async function withClient<T>(opts: ConnectionOptions, work: (c: ClusterClient) => Promise<T>): Promise<T> {
  const timeoutMs = parseIntOption('--timeout', opts.timeout, { min: 1 })!;
  const client = await ClusterClient.connect({ bootstrap: opts.bootstrap, clientId: opts.clientId, timeoutMs });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

export interface ConfigEntry { name: string; value: string | null; source: string; readOnly: boolean; sensitive: boolean }

/** Every config of a topic (DescribeConfigs), sorted by name. */
export async function describeTopicConfigs(client: ClusterClient, topic: string): Promise<ConfigEntry[]> {
  const c = client.bootstrap;
  const v = client.version(c, 'DescribeConfigs', 4);
  const res = await client.request('DescribeConfigs', c.send('DescribeConfigs', v, {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false,
  }));
  const r = res.results[0];
  if (!r) return [];
  if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `DescribeConfigs for topic '${topic}'`, r.errorMessage);
  return r.configs.map((e) => ({
    name: e.name,
    value: e.value,
    source: v === 0 ? (e.isDefault ? 'default' : 'topic') : CONFIG_SOURCES[e.configSource] ?? String(e.configSource),
    readOnly: e.readOnly,
    sensitive: e.isSensitive,
  })).sort((a, b) => a.name.localeCompare(b.name));
}

// ------------------------------------------------------------------ list

async function list(opts: ConnectionOptions & { excludeInternal?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const topics = (await client.metadata(null))
      .filter((t) => !(opts.excludeInternal && t.internal))
      .sort((a, b) => a.name.localeCompare(b.name));
    const rows = topics.map((t) => ({
      name: t.name, topicId: t.topicId, partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0, internal: t.internal,
    }));
    if (opts.json) return printJson({ topics: rows });
    if (rows.length === 0) { process.stdout.write('no topics\n'); return; }
    process.stdout.write(renderTable(['TOPIC', 'PARTITIONS', 'REPLICATION', 'INTERNAL'],
      rows.map((r) => [r.name, r.partitions, r.replicationFactor, r.internal ? 'yes' : ''])));
  });
}

// ------------------------------------------------------------------ describe

async function describe(topic: string, opts: ConnectionOptions & { allConfigs?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const t = await client.topic(topic);
    const ids = t.partitions.map((p) => p.partition);
    const [starts, ends, configs, sizes] = await Promise.all([
      client.listOffsets(t, ids, EARLIEST),
      client.listOffsets(t, ids, LATEST),
      describeTopicConfigs(client, topic),
      client.partitionSizes(t),
    ]);
    const partitions = t.partitions.map((p) => ({
      partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr,
      logStartOffset: starts.get(p.partition) ?? -1, logEndOffset: ends.get(p.partition) ?? -1,
      sizeBytes: sizes?.get(p.partition) ?? null,
      ...(p.errorCode !== ErrorCode.NONE ? { errorCode: p.errorCode } : {}),
    }));
    const sizeBytes = sizes ? [...sizes.values()].reduce((a, b) => a + b, 0) : null;
    if (opts.json) {
      return printJson({
        topic: t.name, topicId: t.topicId, internal: t.internal, partitions, replicationFactor: t.partitions[0]?.replicas.length ?? 0,
        sizeBytes, ...(sizes ? {} : { sizeNote: SIZE_NOTE }), configs,
      });
    }
    const c = colorsFor(process.stdout);
    const total = partitions.reduce((n, p) => n + Math.max(0, p.logEndOffset - p.logStartOffset), 0);
    process.stdout.write(`${c.bold('Topic')} ${t.name}${t.topicId ? `  ${c.dim(`id ${t.topicId}`)}` : ''}${t.internal ? '  (internal)' : ''}\n`);
    process.stdout.write(`partitions ${partitions.length}, replication factor ${t.partitions[0]?.replicas.length ?? 0}, offsets held (end − start, all partitions) ${total}`
      + `${sizeBytes === null ? '' : `, size on disk ${sizeBytes} bytes`}\n`);
    if (sizeBytes === null) process.stdout.write(`${c.dim(SIZE_NOTE)}\n`);
    process.stdout.write('\n' + renderTable(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START', 'END', 'SIZE'],
      partitions.map((p) => [p.partition, p.leader, p.replicas.join(',') || '-', p.isr.join(',') || '-', p.logStartOffset, p.logEndOffset, p.sizeBytes ?? '-'])));
    const shown = opts.allConfigs ? configs : configs.filter((e) => e.source === 'topic');
    process.stdout.write(`\n${c.bold(opts.allConfigs ? 'Configs' : 'Config overrides')}${opts.allConfigs ? '' : c.dim(` (${configs.length - shown.length} more at defaults: --all-configs)`)}\n`);
    if (shown.length > 0) process.stdout.write(renderTable(['NAME', 'VALUE', 'SOURCE'], shown.map((e) => [e.name, e.sensitive ? '(sensitive)' : e.value ?? '-', e.source])));
    else process.stdout.write('none\n');
  });
}

// ------------------------------------------------------------------ create

interface CreateOptions extends ConnectionOptions {
  partitions?: string;
  replicationFactor?: string;
  config?: string[];
  ifNotExists?: boolean;
  validateOnly?: boolean;
}

async function create(topic: string, opts: CreateOptions): Promise<void> {
  const partitions = parseIntOption('--partitions', opts.partitions, { min: 1, max: 0x7fffffff }) ?? -1;
  const replicationFactor = parseIntOption('--replication-factor', opts.replicationFactor, { min: 1, max: 0x7fff }) ?? -1;
  const configs = parseKeyValues('--config', opts.config ?? []);
  await withClient(opts, async (client) => {
    const c = await client.adminConnection();
    const v = client.version(c, 'CreateTopics', 7);
    if (v < 4 && (partitions < 0 || replicationFactor < 0)) {
      throw usageError('this broker needs --partitions and --replication-factor (CreateTopics below v4 has no broker defaults)');
    }
    if (opts.validateOnly && v < 1) throw usageError('this broker cannot validate without creating (CreateTopics v0)');
    const res = await client.request('CreateTopics', c.send('CreateTopics', v, {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor, assignments: [], configs: configs.map(([name, value]) => ({ name, value })) }],
      timeoutMs: client.options.timeoutMs, validateOnly: opts.validateOnly === true,
    }));
    const r = res.topics[0]!;
    if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && opts.ifNotExists) {
      if (opts.json) printJson({ topic, created: false, reason: 'exists' });
      else process.stdout.write(`topic ${topic} already exists\n`);
      return;
    }
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `creating topic '${topic}'`, r.errorMessage);
    const got = {
      topic, created: !opts.validateOnly, validateOnly: opts.validateOnly === true,
      topicId: v >= 7 && r.topicId !== '0'.repeat(32) ? r.topicId : null,
      partitions: v >= 5 ? r.numPartitions : partitions, replicationFactor: v >= 5 ? r.replicationFactor : replicationFactor,
      configs: Object.fromEntries(configs),
    };
    if (opts.json) return printJson(got);
    const shape = got.partitions > 0 ? ` (${got.partitions} partition${got.partitions === 1 ? '' : 's'}, replication factor ${got.replicationFactor})` : '';
    process.stdout.write(`${opts.validateOnly ? 'would create' : 'created'} topic ${topic}${shape}\n`);
  });
}

// ------------------------------------------------------------------ delete

async function remove(topics: string[], opts: ConnectionOptions & { ifExists?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const c = await client.adminConnection();
    const v = client.version(c, 'DeleteTopics', 6);
    const res = await client.request('DeleteTopics', c.send('DeleteTopics', v, {
      topicNames: topics, topics: topics.map((name) => ({ name, topicId: '0'.repeat(32) })), timeoutMs: client.options.timeoutMs,
    }));
    const results = res.responses.map((r) => ({ topic: r.name ?? '', errorCode: r.errorCode, errorMessage: r.errorMessage }));
    const missing = (r: { errorCode: number }): boolean => r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || r.errorCode === ErrorCode.UNKNOWN_TOPIC_ID;
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE && !(opts.ifExists && missing(r)));
    const out = results.map((r) => ({ topic: r.topic, deleted: r.errorCode === ErrorCode.NONE }));
    if (opts.json && !failed) return printJson({ topics: out });
    if (!opts.json) for (const r of out) process.stdout.write(r.deleted ? `deleted topic ${r.topic}\n` : `topic ${r.topic} does not exist\n`);
    if (failed) throw kafkaError(failed.errorCode, `deleting topic '${failed.topic}'`, failed.errorMessage);
  });
}

// ------------------------------------------------------------------ alter

async function alter(topic: string, opts: ConnectionOptions & { partitions?: string; validateOnly?: boolean }): Promise<void> {
  const count = parseIntOption('--partitions', opts.partitions, { min: 1, max: 0x7fffffff });
  if (count === undefined) throw usageError('alter needs --partitions <n> (the new total)');
  await withClient(opts, async (client) => {
    const before = await client.topic(topic);
    const c = await client.adminConnection();
    const v = client.version(c, 'CreatePartitions', 3);
    const res = await client.request('CreatePartitions', c.send('CreatePartitions', v, {
      topics: [{ name: topic, count, assignments: null }], timeoutMs: client.options.timeoutMs, validateOnly: opts.validateOnly === true,
    }));
    const r = res.results[0]!;
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `setting topic '${topic}' to ${count} partitions (it has ${before.partitions.length})`, r.errorMessage);
    if (opts.json) return printJson({ topic, partitions: count, previousPartitions: before.partitions.length, validateOnly: opts.validateOnly === true });
    process.stdout.write(`${opts.validateOnly ? 'would grow' : 'grew'} topic ${topic} from ${before.partitions.length} to ${count} partitions\n`);
  });
}

// ------------------------------------------------------------------ config

async function config(topic: string, opts: ConnectionOptions & { set?: string[]; delete?: string[]; validateOnly?: boolean }): Promise<void> {
  const sets = parseKeyValues('--set', opts.set ?? []);
  const deletes = opts.delete ?? [];
  for (const k of deletes) {
    if (!k.trim()) throw usageError('--delete needs a config name');
    if (sets.some(([s]) => s === k)) throw usageError(`${k} is both set and deleted`);
  }
  await withClient(opts, async (client) => {
    if (sets.length === 0 && deletes.length === 0) {
      const configs = await describeTopicConfigs(client, topic);
      if (opts.json) return printJson({ topic, configs });
      process.stdout.write(renderTable(['NAME', 'VALUE', 'SOURCE'], configs.map((e) => [e.name, e.sensitive ? '(sensitive)' : e.value ?? '-', e.source])));
      return;
    }
    const c = await client.adminConnection();
    const validateOnly = opts.validateOnly === true;
    if (client.supports(c, 'IncrementalAlterConfigs')) {
      const v = client.version(c, 'IncrementalAlterConfigs', 1);
      const res = await client.request('IncrementalAlterConfigs', c.send('IncrementalAlterConfigs', v, {
        resources: [{
          resourceType: TOPIC_RESOURCE, resourceName: topic,
          configs: [...sets.map(([name, value]) => ({ name, configOperation: 0, value })), ...deletes.map((name) => ({ name, configOperation: 1, value: null }))],
        }],
        validateOnly,
      }));
      const r = res.responses[0]!;
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `changing configs of topic '${topic}'`, r.errorMessage);
    } else {
      // AlterConfigs replaces every override: read the current ones, apply the change, send them all.
      const current = (await describeTopicConfigs(client, topic)).filter((e) => e.source === 'topic');
      const next = new Map(current.map((e) => [e.name, e.value]));
      for (const k of deletes) next.delete(k);
      for (const [k, val] of sets) next.set(k, val);
      const v = client.version(c, 'AlterConfigs', 2);
      const res = await client.request('AlterConfigs', c.send('AlterConfigs', v, {
        resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configs: [...next].map(([name, value]) => ({ name, value })) }],
        validateOnly,
      }));
      const r = res.responses[0]!;
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `changing configs of topic '${topic}'`, r.errorMessage);
    }
    if (opts.json) return printJson({ topic, set: Object.fromEntries(sets), deleted: deletes, validateOnly });
    const parts = [...sets.map(([k, val]) => `${k}=${val}`), ...deletes.map((k) => `-${k}`)];
    process.stdout.write(`${validateOnly ? 'would update' : 'updated'} topic ${topic}: ${parts.join(', ')}\n`);
  });
}

// ------------------------------------------------------------------ registration

export function registerTopicsCommand(program: Command): void {
  const topics = usageExitCode(program.command('topics').description('list, describe, create, delete and change topics (any Kafka-compatible broker)'));
  addConnectionOptions(topics.command('list').alias('ls').description('list topics'))
    .option('--exclude-internal', 'hide internal topics such as __consumer_offsets')
    .action(action('topics list', (opts: ConnectionOptions & { excludeInternal?: boolean }) => list(opts)));
  addConnectionOptions(topics.command('describe').argument('<topic>').description('partitions with leaders and log start/end offsets, and configs'))
    .option('--all-configs', 'show every config, not only the topic\'s overrides')
    .action(action('topics describe', (topic: string, opts: ConnectionOptions & { allConfigs?: boolean }) => describe(topic, opts)));
  addConnectionOptions(topics.command('create').argument('<topic>').description('create a topic'))
    .option('-p, --partitions <n>', 'number of partitions (default: the broker\'s num.partitions)')
    .option('-r, --replication-factor <n>', 'replicas per partition (default: the broker\'s default.replication.factor)')
    .option('-c, --config <name=value>', 'topic config, e.g. retention.ms=86400000 (repeatable)', collect, [])
    .option('--if-not-exists', 'succeed if the topic already exists')
    .option('--validate-only', 'let the broker check everything without creating the topic')
    .action(action('topics create', (topic: string, opts: CreateOptions) => create(topic, opts)));
  addConnectionOptions(topics.command('delete').alias('rm').argument('<topics...>').description('delete topics and their data'))
    .option('--if-exists', 'succeed if a topic does not exist')
    .action(action('topics delete', (names: string[], opts: ConnectionOptions & { ifExists?: boolean }) => remove(names, opts)));
  addConnectionOptions(topics.command('alter').argument('<topic>').description('add partitions to a topic'))
    .option('-p, --partitions <n>', 'the new total number of partitions (required; only growing is possible)')
    .option('--validate-only', 'let the broker check without changing anything')
    .action(action('topics alter', (topic: string, opts: ConnectionOptions & { partitions?: string; validateOnly?: boolean }) => alter(topic, opts)));
  addConnectionOptions(topics.command('config').argument('<topic>').description('show a topic\'s configs, or set and delete overrides'))
    .option('-s, --set <name=value>', 'set a config override (repeatable)', collect, [])
    .option('-d, --delete <name>', 'remove a config override, back to the broker default (repeatable)', collect, [])
    .option('--validate-only', 'let the broker check without changing anything')
    .action(action('topics config', (topic: string, opts: ConnectionOptions & { set?: string[]; delete?: string[]; validateOnly?: boolean }) => config(topic, opts)));
}

export type { TopicMetadata };
