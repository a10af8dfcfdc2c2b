/**
 * Topic-level configs: Kafka's names, types, defaults, validation and
 * documentation, and whether Millrace acts on each one. Configs Millrace
 * does not act on are still accepted, stored and described — Kafka tooling
 * sets them routinely (e.g. min.insync.replicas) and expects them back.
 *
 * A topic's effective value of a key is, highest precedence first: the topic
 * override (DYNAMIC_TOPIC_CONFIG), then the broker-level synonym's chain
 * (dynamic per-broker, dynamic cluster default, static, built-in default);
 * see broker-configs.ts. Values are strings throughout, as on the wire;
 * numeric views for the storage layer come from toLogConfig().
 */
import type { LogConfig } from '../storage/log-config.js';
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import {
  AlterConfigOp, ConfigSource, ConfigType,
  type ConfigAlteration, type ConfigEntry, type ConfigSynonym,
} from './config-types.js';

export type ConfigKind = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

export interface TopicConfigDef {
  readonly name: string;
  readonly kind: ConfigKind;
  /** Kafka's built-in default, as a string. */
  readonly defaultValue: string;
  /** Kafka's broker-level config supplying the default (e.g. log.retention.ms for retention.ms); null if none. */
  readonly brokerSynonym: string | null;
  /** Returns the canonical form of a valid value; throws Error(reason) otherwise. */
  normalize(value: string): string;
  readonly documentation: string;
  /** Whether Millrace acts on it (false: accepted, stored and described only). */
  readonly supported: boolean;
}

export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;
export const LONG_MAX = '9223372036854775807';
const LONG_MIN_N = -(2n ** 63n);
const LONG_MAX_N = 2n ** 63n - 1n;

const KIND_CONFIG_TYPE: Record<ConfigKind, ConfigType> = {
  int: ConfigType.INT, long: ConfigType.LONG, double: ConfigType.DOUBLE,
  boolean: ConfigType.BOOLEAN, string: ConfigType.STRING, list: ConfigType.LIST,
};

export function configTypeOf(kind: ConfigKind): ConfigType {
  return KIND_CONFIG_TYPE[kind];
}

// ---- validators (return canonical strings; throw Error(reason)) ----

function integer(kind: 'int' | 'long', min: bigint, max: bigint) {
  const lo = kind === 'int' ? BigInt(INT32_MIN) : LONG_MIN_N;
  const hi = kind === 'int' ? BigInt(INT32_MAX) : LONG_MAX_N;
  return (v: string): string => {
    const s = v.trim();
    if (!/^[+-]?\d+$/.test(s)) throw new Error(`Not a number of type ${kind === 'int' ? 'INT' : 'LONG'}`);
    const n = BigInt(s);
    if (n < lo || n > hi) throw new Error(`Not a number of type ${kind === 'int' ? 'INT' : 'LONG'}`);
    if (n < min) throw new Error(`Value must be at least ${min}`);
    if (n > max) throw new Error(`Value must be no more than ${max}`);
    return n.toString();
  };
}

const int = (min = BigInt(INT32_MIN), max = BigInt(INT32_MAX)) => integer('int', min, max);
const long = (min = LONG_MIN_N, max = LONG_MAX_N) => integer('long', min, max);

function double(min: number, max: number) {
  return (v: string): string => {
    const s = v.trim();
    const n = Number(s);
    if (s === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || !Number.isFinite(n)) throw new Error('Not a number of type DOUBLE');
    if (n < min) throw new Error(`Value must be at least ${min}`);
    if (n > max) throw new Error(`Value must be no more than ${max}`);
    return String(n);
  };
}

function boolean(v: string): string {
  const s = v.trim().toLowerCase();
  if (s !== 'true' && s !== 'false') throw new Error('Expected value to be either true or false');
  return s;
}

function oneOf(values: readonly string[]) {
  return (v: string): string => {
    const s = v.trim();
    if (!values.includes(s)) throw new Error(`String must be one of: ${values.join(', ')}`);
    return s;
  };
}

/** Kafka's LIST parsing: comma-separated, blanks around items ignored, "" is the empty list. */
export function splitList(v: string): string[] {
  const s = v.trim();
  return s === '' ? [] : s.split(/\s*,\s*/);
}

function listOf(values: readonly string[], { nonEmpty }: { nonEmpty: boolean }) {
  return (v: string): string => {
    const items = splitList(v);
    if (nonEmpty && items.length === 0) throw new Error(`List must not be empty; allowed items: ${values.join(', ')}`);
    for (const i of items) if (!values.includes(i)) throw new Error(`Invalid value ${i}; must be one of: ${values.join(', ')}`);
    return items.join(',');
  };
}

/** Throttled-replica lists: "*" or "partition:brokerId,...". */
function throttledReplicas(v: string): string {
  const items = splitList(v);
  if (items.length === 1 && items[0] === '*') return '*';
  for (const i of items) if (!/^\d+:\d+$/.test(i)) throw new Error('Must be "*" or a list of partitionId:brokerId');
  return items.join(',');
}

interface DefSpec {
  kind: ConfigKind;
  default: string;
  broker: string | null;
  normalize: (v: string) => string;
  supported: boolean;
  doc: string;
}

function def(name: string, s: DefSpec): TopicConfigDef {
  return { name, kind: s.kind, defaultValue: s.default, brokerSynonym: s.broker, normalize: s.normalize, documentation: s.doc, supported: s.supported };
}

const COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

/** The topic configs Millrace knows, in Kafka's documentation order (alphabetical). */
export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  def('cleanup.policy', {
    kind: 'list', default: 'delete', broker: 'log.cleanup.policy', normalize: listOf(['compact', 'delete'], { nonEmpty: true }), supported: true,
    doc: 'A string that is either "delete" or "compact" or both. "delete" discards old segments when their retention time or size limit has been reached; "compact" enables log compaction, which retains the latest value for each key.',
  }),
  def('compression.gzip.level', {
    kind: 'int', default: '-1', broker: 'compression.gzip.level', normalize: (v) => { const s = int()(v); if (s !== '-1' && (Number(s) < 1 || Number(s) > 9)) throw new Error('Value must be -1 or in [1, 9]'); return s; }, supported: false,
    doc: 'The compression level to use if compression.type is set to gzip. Millrace stores batches as the producer compressed them.',
  }),
  def('compression.lz4.level', {
    kind: 'int', default: '9', broker: 'compression.lz4.level', normalize: int(1n, 17n), supported: false,
    doc: 'The compression level to use if compression.type is set to lz4. Millrace stores batches as the producer compressed them.',
  }),
  def('compression.type', {
    kind: 'string', default: 'producer', broker: 'compression.type', normalize: oneOf(COMPRESSION), supported: false,
    doc: 'The final compression type for a topic: a standard codec (gzip, snappy, lz4, zstd), "uncompressed", or "producer" to retain the codec set by the producer. Millrace never recompresses on the append path and keeps producer-compressed batches as they are.',
  }),
  def('compression.zstd.level', {
    kind: 'int', default: '3', broker: 'compression.zstd.level', normalize: int(-131072n, 22n), supported: false,
    doc: 'The compression level to use if compression.type is set to zstd. Millrace stores batches as the producer compressed them.',
  }),
  def('delete.retention.ms', {
    kind: 'long', default: '86400000', broker: 'log.cleaner.delete.retention.ms', normalize: long(0n), supported: true,
    doc: 'The amount of time to retain tombstone markers for log compacted topics. Also bounds the time a consumer must finish a read from offset 0 to get a valid snapshot of the final stage.',
  }),
  def('file.delete.delay.ms', {
    kind: 'long', default: '60000', broker: 'log.segment.delete.delay.ms', normalize: long(0n), supported: false,
    doc: 'The time to wait before deleting a file from the filesystem.',
  }),
  def('flush.messages', {
    kind: 'long', default: LONG_MAX, broker: 'log.flush.interval.messages', normalize: long(1n), supported: false,
    doc: 'Force an fsync after this many messages. Millrace uses the broker-wide flush policy (millrace.flush.policy) instead.',
  }),
  def('flush.ms', {
    kind: 'long', default: LONG_MAX, broker: 'log.flush.interval.ms', normalize: long(0n), supported: false,
    doc: 'Force an fsync after this much time. Millrace uses the broker-wide flush policy (millrace.flush.policy) instead.',
  }),
  def('follower.replication.throttled.replicas', {
    kind: 'list', default: '', broker: null, normalize: throttledReplicas, supported: false,
    doc: 'Replicas for which log replication should be throttled on the follower side. Single-node Millrace does not replicate.',
  }),
  def('index.interval.bytes', {
    kind: 'int', default: '4096', broker: 'log.index.interval.bytes', normalize: int(0n), supported: true,
    doc: 'How frequently an entry is added to the offset index: bytes of log between index entries.',
  }),
  def('leader.replication.throttled.replicas', {
    kind: 'list', default: '', broker: null, normalize: throttledReplicas, supported: false,
    doc: 'Replicas for which log replication should be throttled on the leader side. Single-node Millrace does not replicate.',
  }),
  def('max.compaction.lag.ms', {
    kind: 'long', default: LONG_MAX, broker: 'log.cleaner.max.compaction.lag.ms', normalize: long(1n), supported: true,
    doc: 'The maximum time a message will remain ineligible for compaction in the log. Only applicable for logs that are being compacted.',
  }),
  def('max.message.bytes', {
    kind: 'int', default: '1048588', broker: 'message.max.bytes', normalize: int(0n), supported: true,
    doc: 'The largest record batch size allowed. If this is increased, consumers\' fetch sizes may need to grow too.',
  }),
  def('message.downconversion.enable', {
    kind: 'boolean', default: 'true', broker: 'log.message.downconversion.enable', normalize: boolean, supported: false,
    doc: 'Whether down-conversion of message formats is enabled. Millrace serves record batches v2 only.',
  }),
  def('message.timestamp.after.max.ms', {
    kind: 'long', default: LONG_MAX, broker: 'log.message.timestamp.after.max.ms', normalize: long(0n), supported: true,
    doc: 'The maximum difference allowed between the broker\'s time and a later message timestamp (CreateTime only).',
  }),
  def('message.timestamp.before.max.ms', {
    kind: 'long', default: LONG_MAX, broker: 'log.message.timestamp.before.max.ms', normalize: long(0n), supported: true,
    doc: 'The maximum difference allowed between the broker\'s time and an earlier message timestamp (CreateTime only).',
  }),
  def('message.timestamp.difference.max.ms', {
    kind: 'long', default: LONG_MAX, broker: 'log.message.timestamp.difference.max.ms', normalize: long(0n), supported: false,
    doc: 'Deprecated in Kafka 3.6: use message.timestamp.before.max.ms and message.timestamp.after.max.ms.',
  }),
  def('message.timestamp.type', {
    kind: 'string', default: 'CreateTime', broker: 'log.message.timestamp.type', normalize: oneOf(['CreateTime', 'LogAppendTime']), supported: true,
    doc: 'Whether the timestamp in the message is the message create time (CreateTime) or the log append time (LogAppendTime).',
  }),
  def('min.cleanable.dirty.ratio', {
    kind: 'double', default: '0.5', broker: 'log.cleaner.min.cleanable.ratio', normalize: double(0, 1), supported: true,
    doc: 'How frequently the log compactor will attempt to clean the log: the minimum ratio of dirty log to total log for a log to be eligible for cleaning.',
  }),
  def('min.compaction.lag.ms', {
    kind: 'long', default: '0', broker: 'log.cleaner.min.compaction.lag.ms', normalize: long(0n), supported: true,
    doc: 'The minimum time a message will remain uncompacted in the log. Only applicable for logs that are being compacted.',
  }),
  def('min.insync.replicas', {
    kind: 'int', default: '1', broker: 'min.insync.replicas', normalize: int(1n), supported: false,
    doc: 'With acks=all, the minimum number of replicas that must acknowledge a write. Single-node Millrace always has one in-sync replica.',
  }),
  def('preallocate', {
    kind: 'boolean', default: 'false', broker: 'log.preallocate', normalize: boolean, supported: false,
    doc: 'True if we should preallocate the file on disk when creating a new log segment.',
  }),
  def('retention.bytes', {
    kind: 'long', default: '-1', broker: 'log.retention.bytes', normalize: long(), supported: true,
    doc: 'The maximum size a partition can grow to before old log segments are discarded (delete policy). -1 means no size limit.',
  }),
  def('retention.ms', {
    kind: 'long', default: '604800000', broker: 'log.retention.ms', normalize: long(-1n), supported: true,
    doc: 'The maximum time a log segment is retained before it is discarded (delete policy). -1 means no time limit.',
  }),
  def('segment.bytes', {
    kind: 'int', default: '1073741824', broker: 'log.segment.bytes', normalize: int(14n), supported: true,
    doc: 'The segment file size for the log. Retention and cleaning are always done a file at a time.',
  }),
  def('segment.index.bytes', {
    kind: 'int', default: '10485760', broker: 'log.index.size.max.bytes', normalize: int(4n), supported: false,
    doc: 'The size of the index that maps offsets to file positions.',
  }),
  def('segment.jitter.ms', {
    kind: 'long', default: '0', broker: 'log.roll.jitter.ms', normalize: long(0n), supported: false,
    doc: 'The maximum random jitter subtracted from the scheduled segment roll time.',
  }),
  def('segment.ms', {
    kind: 'long', default: '604800000', broker: 'log.roll.ms', normalize: long(1n), supported: true,
    doc: 'The period of time after which the log rolls a new segment even if it is not full, so retention can delete or compact old data.',
  }),
  def('unclean.leader.election.enable', {
    kind: 'boolean', default: 'false', broker: 'unclean.leader.election.enable', normalize: boolean, supported: false,
    doc: 'Whether replicas not in the ISR may be elected leader. Single-node Millrace has no elections.',
  }),
];

const byName = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return byName.get(name);
}

function invalid(name: string, value: string | null, reason: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${reason}`);
}

/** Validate one topic config value; returns its canonical form or throws INVALID_CONFIG. */
export function normalizeTopicConfig(name: string, value: string | null): string {
  const d = byName.get(name);
  if (!d) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  if (value === null) throw invalid(name, value, 'Null value not supported for topic configs');
  try {
    return d.normalize(value);
  } catch (e) {
    throw invalid(name, value, (e as Error).message);
  }
}

/** Checks across keys of a complete override set (Kafka's LogConfig.validate). */
function validateCombination(configs: ReadonlyMap<string, string>): void {
  const minLag = BigInt(configs.get('min.compaction.lag.ms') ?? '0');
  const maxLag = BigInt(configs.get('max.compaction.lag.ms') ?? LONG_MAX);
  if (minLag > maxLag) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG,
      `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  }
}

/**
 * Validate a set of topic overrides (CreateTopics configs, or the result of an
 * alteration): every key must be known and every value valid. Returns the
 * canonical overrides; throws KafkaError(INVALID_CONFIG) naming key and value.
 */
export function validateTopicConfigs(
  configs: Iterable<readonly [string, string | null]> | Readonly<Record<string, string | null>>,
): Map<string, string> {
  const entries = Symbol.iterator in configs
    ? configs as Iterable<readonly [string, string | null]>
    : Object.entries(configs as Readonly<Record<string, string | null>>);
  const out = new Map<string, string>();
  for (const [k, v] of entries) {
    if (out.has(k)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Duplicate config key: ${k}`);
    out.set(k, normalizeTopicConfig(k, v));
  }
  validateCombination(out);
  return out;
}

/** Description of a key for the alteration helper. */
export interface AlterableDef {
  readonly kind: ConfigKind;
  normalize(value: string): string;
}

/**
 * Apply an alteration to a resource's current overrides, returning the new
 * complete override map (not yet validated as a whole). `lookup` returns the
 * def of a key that may be altered, or throws INVALID_CONFIG; `baseValue`
 * gives the current effective value a list APPEND/SUBTRACT starts from when
 * there is no override.
 */
export function applyConfigAlteration(
  current: ReadonlyMap<string, string>,
  alteration: ConfigAlteration,
  lookup: (name: string) => AlterableDef,
  baseValue: (name: string) => string | null,
): Map<string, string> {
  if (alteration.kind === 'replace') {
    const next = new Map<string, string>();
    for (const { name, value } of alteration.configs) {
      const d = lookup(name);
      if (next.has(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Duplicate config key: ${name}`);
      if (value === null) throw invalid(name, value, 'Null value not supported');
      next.set(name, normalizeWith(d, name, value));
    }
    return next;
  }
  const next = new Map(current);
  const seen = new Set<string>();
  for (const { name, op, value } of alteration.ops) {
    if (seen.has(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Error due to duplicate config keys: ${name}`);
    seen.add(name);
    const d = lookup(name);
    switch (op) {
      case AlterConfigOp.SET:
        if (value === null) throw invalid(name, value, 'Null value not supported for SET');
        next.set(name, normalizeWith(d, name, value));
        break;
      case AlterConfigOp.DELETE:
        next.delete(name);
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        if (d.kind !== 'list') {
          throw new KafkaError(ErrorCode.INVALID_CONFIG,
            `Config value ${op === AlterConfigOp.APPEND ? 'append' : 'subtract'} is not allowed for config key: ${name}`);
        }
        const items = splitList(next.get(name) ?? baseValue(name) ?? '');
        const given = splitList(value ?? '');
        const result = op === AlterConfigOp.APPEND
          ? [...items, ...given.filter((g) => !items.includes(g))]
          : items.filter((i) => !given.includes(i));
        next.set(name, normalizeWith(d, name, result.join(',')));
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown IncrementalAlterConfigs operation ${op} for ${name}`);
    }
  }
  return next;
}

function normalizeWith(d: AlterableDef, name: string, value: string): string {
  try {
    return d.normalize(value);
  } catch (e) {
    throw invalid(name, value, (e as Error).message);
  }
}

/** Alteration lookup for topic keys: unknown → INVALID_CONFIG. */
export function topicAlterableDef(name: string): AlterableDef {
  const d = byName.get(name);
  if (!d) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
  return d;
}

/** Broker-level values of a broker config name, highest precedence first (broker-configs.ts provides it). */
export type BrokerSynonymChain = (brokerName: string) => readonly ConfigSynonym[];

/** The full config of a topic: every known key, its value, source and synonyms (DescribeConfigs). */
export function effectiveTopicConfig(
  overrides: ReadonlyMap<string, string>,
  brokerChain: BrokerSynonymChain,
  keys: readonly string[] | null = null,
): ConfigEntry[] {
  const defs = keys === null ? TOPIC_CONFIGS : keys.map((k) => byName.get(k)).filter((d): d is TopicConfigDef => d !== undefined);
  return defs.map((d) => {
    const synonyms: ConfigSynonym[] = [];
    const o = overrides.get(d.name);
    if (o !== undefined) synonyms.push({ name: d.name, value: o, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (d.brokerSynonym !== null) synonyms.push(...brokerChain(d.brokerSynonym));
    if (synonyms.length === 0 || synonyms[synonyms.length - 1]!.source !== ConfigSource.DEFAULT_CONFIG) {
      synonyms.push({ name: d.brokerSynonym ?? d.name, value: d.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    const top = synonyms[0]!;
    return {
      name: d.name,
      value: top.value,
      readOnly: false,
      isDefault: top.source !== ConfigSource.DYNAMIC_TOPIC_CONFIG,
      source: top.source,
      isSensitive: false,
      synonyms,
      configType: configTypeOf(d.kind),
      documentation: d.documentation,
    };
  });
}

/** The effective value of one key (override, else broker chain, else Kafka's default). */
export function effectiveTopicValue(name: string, overrides: ReadonlyMap<string, string>, brokerChain: BrokerSynonymChain): string {
  const o = overrides.get(name);
  if (o !== undefined) return o;
  const d = byName.get(name);
  if (!d) throw new Error(`unknown topic config ${name}`);
  if (d.brokerSynonym !== null) {
    const top = brokerChain(d.brokerSynonym)[0];
    if (top && top.value !== null) return top.value;
  }
  return d.defaultValue;
}

export type CleanupPolicy = { readonly delete: boolean; readonly compact: boolean };

/**
 * A topic's effective settings as numbers: what the storage layer acts on
 * (its LogConfig, less the broker-wide flush policy and cache size) plus the
 * settings Millrace records but does not act on yet. Long.MAX values become
 * ~9.22e18 as numbers, which compares as "never" against any clock.
 */
export interface TopicLogConfig extends Omit<LogConfig, 'flush' | 'tailCacheBytes' | 'readerCopiesAtOnce' | 'producerIdExpirationMs'> {
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly compressionType: string;
}

export function toLogConfig(value: (name: string) => string): TopicLogConfig {
  const num = (k: string): number => Number(value(k));
  const policy = splitList(value('cleanup.policy'));
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    maxMessageBytes: num('max.message.bytes'),
    indexIntervalBytes: num('index.interval.bytes'),
    messageTimestampType: value('message.timestamp.type') as TopicLogConfig['messageTimestampType'],
    messageTimestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: num('message.timestamp.after.max.ms'),
    cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
    deleteRetentionMs: num('delete.retention.ms'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    compressionType: value('compression.type'),
  };
}
