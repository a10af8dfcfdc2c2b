/**
 * Broker configuration: one table (BROKER_OPTIONS) defines every option once —
 * its key in BrokerConfig, CLI flag, environment variable, Kafka property name,
 * type, default and description — and everything else is derived from it: the
 * commander options (addBrokerOptions), environment parsing, config-file parsing
 * (JSON with BrokerConfig keys, or Kafka-style .properties), the README table
 * (renderConfigTable) and the BROKER resource of DescribeConfigs (src/cluster).
 *
 * Precedence, lowest first: built-in defaults < config file < environment
 * (MILLRACE_*) < CLI flags (or programmatic overrides).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { logger } from '../common/logger.js';
import { DEFAULT_TAIL_CACHE_TOTAL_BYTES } from '../storage/log-config.js';
import { parseProperties } from './properties.js';
import {
  booleanType, enumType, flushPolicyType, intType, nullableIntType, optionalStringType, stringType,
  type FlushPolicy, type ValueType,
} from './value-types.js';

export { formatFlushPolicy, parseFlushPolicy, type FlushPolicy } from './value-types.js';

export type MessageTimestampType = 'CreateTime' | 'LogAppendTime';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where an option's value came from. Options absent from `BrokerConfig.sources` have their default. */
export type ConfigOrigin = 'file' | 'env' | 'flag' | 'code';

export interface BrokerConfig {
  /** Interface the listener binds ('0.0.0.0' = all IPv4 interfaces). */
  readonly host: string;
  /** TCP port of the listener; 0 = any free port (tests). */
  readonly port: number;
  /** Host that clients are told to dial (Metadata, FindCoordinator). */
  readonly advertisedHost: string;
  /** Port that clients are told to dial; 0 = the port actually bound. */
  readonly advertisedPort: number;
  readonly dataDir: string;
  readonly configFile: string | null;
  readonly nodeId: number;
  readonly autoCreateTopics: boolean;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  /** -1 = keep forever. */
  readonly retentionMs: number;
  /** -1 = no size limit. */
  readonly retentionBytes: number;
  readonly retentionCheckIntervalMs: number;
  readonly maxMessageBytes: number;
  readonly socketRequestMaxBytes: number;
  /** Idle connections (nothing in flight, no traffic) are closed after this. */
  readonly connectionsMaxIdleMs: number;
  /** Largest Fetch response, whatever the request's max_bytes (the first batch may exceed it, KIP-74). */
  readonly fetchMaxBytes: number;
  readonly flush: FlushPolicy;
  /** Shard worker threads; 0 = partitions run inline on the dispatcher thread. */
  readonly shards: number;
  /** Memory for the tail caches of the partitions consumers read, split evenly across the shards. */
  readonly tailCacheBytes: number;
  /** Prometheus metrics HTTP port; null = off. */
  readonly metricsPort: number | null;
  readonly logLevel: LogLevel;
  readonly indexIntervalBytes: number;
  readonly messageTimestampType: MessageTimestampType;
  readonly deleteTopicEnable: boolean;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly offsetsRetentionMinutes: number;
  readonly transactionMaxTimeoutMs: number;
  readonly transactionalIdExpirationMs: number;
  /** Where each explicitly set option came from (absent = default). */
  readonly sources?: Readonly<Partial<Record<BrokerOptionKey, ConfigOrigin>>>;
}

export type BrokerOptionKey = Exclude<keyof BrokerConfig, 'sources'>;

/** A bad option value: names the option and where the value came from. */
export class ConfigError extends Error {
  constructor(readonly option: string, readonly source: string, reason: string) {
    super(`invalid ${option} (from ${source}): ${reason}`);
    this.name = 'ConfigError';
  }
}

/** One option of the table. */
export interface BrokerOption {
  readonly key: BrokerOptionKey;
  /** CLI flag, e.g. "--data-dir". */
  readonly flag: string;
  /** Placeholder in help, e.g. "dir". */
  readonly argName: string;
  /** The key commander stores the flag under (camelCase of the flag). */
  readonly attributeName: string;
  /** Environment variable, e.g. "MILLRACE_DATA_DIR". */
  readonly env: string;
  /** Name in a .properties file and in DescribeConfigs (Kafka's where one exists, else millrace.*); null = not settable there. */
  readonly property: string | null;
  /** What the README says for the property column (e.g. "listeners (host part)"). */
  readonly propertyText: string;
  readonly type: ValueType<unknown>;
  readonly defaultText: string;
  readonly description: string;
  /** The built-in default, given the options resolved before it in table order. */
  defaultValue(resolved: Partial<BrokerConfig>): unknown;
  /** Reads the option from parsed .properties; undefined if not present. */
  fromProperties?(props: PropertyMap): { raw: string; property: string; line: number } | undefined;
}

type PropertyMap = ReadonlyMap<string, { value: string; line: number }>;

interface OptionSpec<K extends BrokerOptionKey> {
  type: ValueType<BrokerConfig[K]>;
  default: BrokerConfig[K] | ((resolved: Partial<BrokerConfig>) => BrokerConfig[K]);
  defaultText?: string;
  argName: string;
  description: string;
  /** Kafka property name (or millrace.*). */
  property?: string;
  /** Older or coarser Kafka names, lower precedence than `property`, with the factor that converts their unit. */
  aliases?: ReadonlyArray<{ name: string; scale?: number }>;
  flag?: string;
  env?: string;
  propertyText?: string;
  fromProperties?: BrokerOption['fromProperties'];
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function opt<K extends BrokerOptionKey>(key: K, spec: OptionSpec<K>): BrokerOption {
  const flag = spec.flag ?? '--' + kebab(key);
  const property = spec.property ?? null;
  const aliases = spec.aliases ?? [];
  const dflt = spec.default;
  return {
    key,
    flag,
    argName: spec.argName,
    attributeName: camel(flag.slice(2)),
    env: spec.env ?? 'MILLRACE_' + kebab(key).replace(/-/g, '_').toUpperCase(),
    property,
    propertyText: spec.propertyText ?? [property, ...aliases.map((a) => a.name)].filter(Boolean).join(', '),
    type: spec.type as ValueType<unknown>,
    defaultText: spec.defaultText ?? (typeof dflt === 'function' ? '(derived)' : spec.type.format(dflt)),
    description: spec.description,
    defaultValue: (resolved) => (typeof dflt === 'function' ? (dflt as (r: Partial<BrokerConfig>) => BrokerConfig[K])(resolved) : dflt),
    fromProperties: spec.fromProperties ?? (property === null ? undefined : (props) => {
      const p = props.get(property);
      if (p !== undefined) return { raw: p.value, property, line: p.line };
      for (const a of aliases) {
        const v = props.get(a.name);
        if (v === undefined) continue;
        if (!a.scale || a.scale === 1) return { raw: v.value, property: a.name, line: v.line };
        const n = Number(v.value.trim());
        if (!/^[+-]?\d+$/.test(v.value.trim()) || !Number.isSafeInteger(n)) {
          throw new ConfigError(key, `property ${a.name} (line ${v.line})`, `"${v.value}" must be an integer`);
        }
        // Kafka: a negative retention in any unit means "forever" (-1).
        return { raw: String(n < 0 ? -1 : n * a.scale), property: a.name, line: v.line };
      }
      return undefined;
    }),
  };
}

const INT32_MAX = 2 ** 31 - 1;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/** A listener as in Kafka's `listeners`: NAME://host:port, host may be empty (all interfaces) or [ipv6]. */
export interface Listener { readonly name: string; readonly host: string; readonly port: number; }

export function parseListeners(value: string): Listener[] {
  const out: Listener[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new Error(`port ${port} of "${part}" must be in [0, 65535]`);
    out.push({ name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

/** The client listener of a properties file: the first one that is not a KRaft controller listener. */
function clientListener(props: PropertyMap, property: 'listeners' | 'advertised.listeners'): { listener: Listener; line: number } | undefined {
  const p = props.get(property);
  if (p === undefined || p.value.trim() === '') return undefined;
  let listeners: Listener[];
  try {
    listeners = parseListeners(p.value);
  } catch (e) {
    throw new ConfigError(property, `property ${property} (line ${p.line})`, (e as Error).message);
  }
  const controllers = new Set((props.get('controller.listener.names')?.value ?? 'CONTROLLER').split(',').map((s) => s.trim().toUpperCase()));
  const chosen = listeners.find((l) => !controllers.has(l.name)) ?? listeners[0];
  if (!chosen) return undefined;
  const protocolMap = new Map((props.get('listener.security.protocol.map')?.value ?? '').split(',').map((s) => s.trim().split(':') as [string, string]).filter((a) => a.length === 2).map(([n, s]) => [n.trim().toUpperCase(), s.trim().toUpperCase()]));
  const protocol = protocolMap.get(chosen.name) ?? chosen.name;
  if (protocol !== 'PLAINTEXT') logger.warn({ property, listener: chosen.name, protocol }, 'Millrace serves only PLAINTEXT; using this listener as plaintext');
  return { listener: chosen, line: p.line };
}

/**
 * THE table. Order matters only for derived defaults (advertised* after host/port).
 * Kafka's defaults are kept unless a note says why not.
 */
export const BROKER_OPTIONS: readonly BrokerOption[] = [
  opt('configFile', {
    type: optionalStringType('path'), default: null, defaultText: '(none)', argName: 'file', flag: '--config', env: 'MILLRACE_CONFIG',
    description: 'Config file: JSON with the camelCase keys of this table, or a Kafka-style .properties file (Kafka names in the property column)',
  }),
  opt('host', {
    type: stringType('host'), default: '127.0.0.1', argName: 'host', propertyText: 'listeners (host part)',
    description: 'Interface the Kafka listener binds (0.0.0.0 for all)',
    fromProperties: (props) => {
      const l = clientListener(props, 'listeners');
      return l && { raw: WILDCARD_HOSTS.has(l.listener.host) ? '0.0.0.0' : l.listener.host, property: 'listeners', line: l.line };
    },
  }),
  opt('port', {
    type: intType({ min: 0, max: 65535 }, 'port'), default: 9092, argName: 'port', propertyText: 'listeners (port part)',
    description: 'TCP port of the Kafka listener (0 = any free port)',
    fromProperties: (props) => {
      const l = clientListener(props, 'listeners');
      return l && { raw: String(l.listener.port), property: 'listeners', line: l.line };
    },
  }),
  opt('advertisedHost', {
    type: stringType('host'), argName: 'host', propertyText: 'advertised.listeners (host part)',
    default: (r) => (WILDCARD_HOSTS.has(r.host ?? '') ? '127.0.0.1' : r.host!), defaultText: 'host, or 127.0.0.1 if host is a wildcard',
    description: 'Host clients are told to connect to',
    fromProperties: (props) => {
      const l = clientListener(props, 'advertised.listeners');
      return l && !WILDCARD_HOSTS.has(l.listener.host) ? { raw: l.listener.host, property: 'advertised.listeners', line: l.line } : undefined;
    },
  }),
  opt('advertisedPort', {
    type: intType({ min: 0, max: 65535 }, 'port'), argName: 'port', propertyText: 'advertised.listeners (port part)',
    default: (r) => r.port!, defaultText: 'port (the bound port if 0)',
    description: 'Port clients are told to connect to',
    fromProperties: (props) => {
      const l = clientListener(props, 'advertised.listeners');
      return l && { raw: String(l.listener.port), property: 'advertised.listeners', line: l.line };
    },
  }),
  opt('dataDir', {
    type: stringType('path'), default: './data', argName: 'dir', property: 'log.dirs', aliases: [{ name: 'log.dir' }],
    description: 'Directory for partition logs and cluster metadata (Kafka log.dirs; only one directory)',
  }),
  opt('nodeId', {
    type: intType({ min: 0, max: INT32_MAX }), default: 0, argName: 'id', property: 'node.id', aliases: [{ name: 'broker.id' }],
    description: 'Broker id reported in Metadata and as controller',
  }),
  opt('autoCreateTopics', {
    type: booleanType, default: true, argName: 'true|false', property: 'auto.create.topics.enable',
    description: 'Create unknown topics on Metadata requests that allow it',
  }),
  opt('numPartitions', {
    type: intType({ min: 1, max: INT32_MAX }), default: 1, argName: 'n', property: 'num.partitions',
    description: 'Partitions of auto-created topics and of CreateTopics with -1',
  }),
  opt('defaultReplicationFactor', {
    type: intType({ min: 1, max: 1 }), default: 1, argName: 'n', property: 'default.replication.factor',
    description: 'Replication factor of new topics (single node: only 1)',
  }),
  opt('segmentBytes', {
    type: intType({ min: 14, max: INT32_MAX }), default: 1073741824, argName: 'bytes', property: 'log.segment.bytes',
    description: 'Default segment.bytes: roll a segment at this size',
  }),
  opt('segmentMs', {
    type: intType({ min: 1 }), default: 604800000, argName: 'ms', property: 'log.roll.ms', aliases: [{ name: 'log.roll.hours', scale: 3_600_000 }],
    description: 'Default segment.ms: roll a segment at this age',
  }),
  opt('retentionMs', {
    type: intType({ min: -1 }), default: 604800000, argName: 'ms', property: 'log.retention.ms',
    aliases: [{ name: 'log.retention.minutes', scale: 60_000 }, { name: 'log.retention.hours', scale: 3_600_000 }],
    description: 'Default retention.ms: delete segments older than this (-1 = forever)',
  }),
  opt('retentionBytes', {
    type: intType({ min: -1 }), default: -1, argName: 'bytes', property: 'log.retention.bytes',
    description: 'Default retention.bytes per partition (-1 = no limit)',
  }),
  opt('retentionCheckIntervalMs', {
    type: intType({ min: 1 }), default: 30000, argName: 'ms', property: 'log.retention.check.interval.ms',
    description: 'How often retention runs (Kafka: 300000)',
  }),
  opt('maxMessageBytes', {
    type: intType({ min: 0, max: INT32_MAX }), default: 1048588, argName: 'bytes', property: 'message.max.bytes',
    description: 'Default max.message.bytes: largest record batch accepted',
  }),
  opt('socketRequestMaxBytes', {
    type: intType({ min: 1, max: INT32_MAX }), default: 104857600, argName: 'bytes', property: 'socket.request.max.bytes',
    description: 'Largest request frame accepted',
  }),
  opt('connectionsMaxIdleMs', {
    type: intType({ min: 1 }), default: 600000, argName: 'ms', property: 'connections.max.idle.ms',
    description: 'Close a client connection with no request in flight after this long without traffic',
  }),
  opt('fetchMaxBytes', {
    type: intType({ min: 1024, max: INT32_MAX }), default: 57671680, argName: 'bytes', property: 'fetch.max.bytes',
    description: 'Largest Fetch response the broker returns, whatever the client asks for (one batch may exceed it)',
  }),
  opt('flush', {
    type: flushPolicyType, default: { kind: 'group' }, argName: 'group|interval:<ms>|os', property: 'millrace.flush.policy',
    description: 'When appends are fsynced: group (group commit before acks=-1 answers), interval:<ms>, or os (never; Kafka\'s default)',
  }),
  opt('shards', {
    type: intType({ min: 0, max: 1024 }), default: () => availableParallelism(), defaultText: 'number of CPUs', argName: 'n', property: 'millrace.shards',
    description: 'Shard worker threads owning partitions (0 = inline on the dispatcher thread)',
  }),
  opt('tailCacheBytes', {
    type: intType({ min: 0 }), default: DEFAULT_TAIL_CACHE_TOTAL_BYTES, argName: 'bytes', property: 'millrace.tail.cache.bytes',
    description: 'Memory for the newest batches of the partitions consumers read (at most 8 MiB each), split across the shards',
  }),
  opt('metricsPort', {
    type: nullableIntType({ min: 0, max: 65535 }, 'port|off'), default: null, argName: 'port', property: 'millrace.metrics.port',
    description: 'Port of the Prometheus /metrics endpoint',
  }),
  opt('logLevel', {
    type: enumType<LogLevel>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', argName: 'level', property: 'millrace.log.level',
    description: 'Log level',
  }),
  opt('indexIntervalBytes', {
    type: intType({ min: 0, max: INT32_MAX }), default: 4096, argName: 'bytes', property: 'log.index.interval.bytes',
    description: 'Default index.interval.bytes: bytes between offset-index entries',
  }),
  opt('messageTimestampType', {
    type: enumType<MessageTimestampType>(['CreateTime', 'LogAppendTime']), default: 'CreateTime', argName: 'type', property: 'log.message.timestamp.type',
    description: 'Default message.timestamp.type',
  }),
  opt('deleteTopicEnable', {
    type: booleanType, default: true, argName: 'true|false', property: 'delete.topic.enable',
    description: 'Allow DeleteTopics',
  }),
  opt('groupMinSessionTimeoutMs', {
    type: intType({ min: 0, max: INT32_MAX }), default: 6000, argName: 'ms', property: 'group.min.session.timeout.ms',
    description: 'Smallest session timeout a consumer group member may ask for',
  }),
  opt('groupMaxSessionTimeoutMs', {
    type: intType({ min: 0, max: INT32_MAX }), default: 1800000, argName: 'ms', property: 'group.max.session.timeout.ms',
    description: 'Largest session timeout a consumer group member may ask for',
  }),
  opt('groupInitialRebalanceDelayMs', {
    type: intType({ min: 0, max: INT32_MAX }), default: 0, argName: 'ms', property: 'group.initial.rebalance.delay.ms',
    description: 'Delay of the first rebalance of an empty group (Kafka: 3000; 0 suits a dev broker)',
  }),
  opt('offsetsRetentionMinutes', {
    type: intType({ min: 1, max: INT32_MAX }), default: 10080, argName: 'minutes', property: 'offsets.retention.minutes',
    description: 'Committed offsets of an empty group expire after this',
  }),
  opt('transactionMaxTimeoutMs', {
    type: intType({ min: 1, max: INT32_MAX }), default: 900000, argName: 'ms', property: 'transaction.max.timeout.ms',
    description: 'Largest transaction timeout a producer may ask for',
  }),
  opt('transactionalIdExpirationMs', {
    type: intType({ min: 1, max: INT32_MAX }), default: 604800000, argName: 'ms', property: 'transactional.id.expiration.ms',
    description: 'A transactional id unused this long is forgotten',
  }),
];

const byKey = new Map(BROKER_OPTIONS.map((o) => [o.key, o]));

/** The table entry of one option. */
export function brokerOption(key: BrokerOptionKey): BrokerOption {
  const o = byKey.get(key);
  if (!o) throw new Error(`unknown broker option ${key}`);
  return o;
}

/** Properties of a Kafka server.properties that Millrace reads without a table entry of their own, or knowingly ignores. */
const KNOWN_IGNORED_PROPERTIES = new Set([
  'listener.security.protocol.map', 'controller.listener.names', 'inter.broker.listener.name',
]);

export interface ConfigFileInput {
  readonly path: string;
  /** The file's text; read from `path` when absent. */
  readonly text?: string;
}

export interface LoadBrokerConfigInput {
  /** Highest precedence: CLI flags as commander returns them (attribute names: `dataDir`, `config`, ...) or typed values keyed by BrokerConfig key. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Environment (MILLRACE_*). Defaults to none, so programmatic callers are not affected by the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Config file; when absent, the `config` flag or MILLRACE_CONFIG names it. */
  readonly file?: string | ConfigFileInput;
  /** Origin recorded for `flags` values (default 'flag'). */
  readonly flagsOrigin?: ConfigOrigin;
}

interface Layer {
  readonly origin: ConfigOrigin;
  readonly values: Map<BrokerOptionKey, { raw: unknown; source: string }>;
}

function convert(o: BrokerOption, raw: unknown, source: string): unknown {
  try {
    return typeof raw === 'string' ? o.type.parse(raw) : o.type.fromValue(raw);
  } catch (e) {
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : JSON.stringify(raw) ?? String(raw);
    throw new ConfigError(o.key, source, `${shown} ${(e as Error).message}`);
  }
}

function readFileLayer(file: string | ConfigFileInput): Layer {
  const path = typeof file === 'string' ? file : file.path;
  let text: string;
  try {
    text = typeof file === 'string' || file.text === undefined ? readFileSync(path, 'utf8') : file.text;
  } catch (e) {
    throw new ConfigError('configFile', `file ${path}`, `cannot read: ${(e as Error).message}`);
  }
  const values: Layer['values'] = new Map();
  const ext = extname(path).toLowerCase();
  const isJson = ext === '.json' || (ext !== '.properties' && text.trimStart().startsWith('{'));
  if (isJson) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ConfigError('configFile', `file ${path}`, `not valid JSON: ${(e as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new ConfigError('configFile', `file ${path}`, 'must be a JSON object of option names to values');
    }
    for (const [k, v] of Object.entries(doc)) {
      if (k.startsWith('$')) continue; // "$schema", "$comment"
      const o = byKey.get(k as BrokerOptionKey);
      if (!o || o.key === 'configFile') {
        throw new ConfigError(k, `file ${path}`, `unknown option; known: ${BROKER_OPTIONS.filter((x) => x.key !== 'configFile').map((x) => x.key).join(', ')}`);
      }
      values.set(o.key, { raw: v, source: `file ${path}, key "${k}"` });
    }
    return { origin: 'file', values };
  }
  const props = new Map<string, { value: string; line: number }>();
  for (const e of parseProperties(text)) props.set(e.key, { value: e.value, line: e.line });
  const consumed = new Set<string>(KNOWN_IGNORED_PROPERTIES);
  for (const o of BROKER_OPTIONS) {
    if (o.key === 'configFile' || !o.fromProperties) continue;
    const got = o.fromProperties(props);
    if (!got) continue;
    consumed.add(got.property);
    values.set(o.key, { raw: got.raw, source: `file ${path}, property ${got.property} (line ${got.line})` });
  }
  for (const o of BROKER_OPTIONS) {
    // Mark lower-precedence aliases as understood too, so they are not reported as ignored.
    for (const name of o.propertyText.split(/,\s*/)) if (props.has(name)) consumed.add(name);
  }
  if (props.has('advertised.listeners')) consumed.add('advertised.listeners');
  const ignored = [...props.keys()].filter((k) => !consumed.has(k));
  if (ignored.length) logger.warn({ file: path, ignored }, 'config file properties Millrace does not use were ignored');
  return { origin: 'file', values };
}

function envLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Layer['values'] = new Map();
  for (const o of BROKER_OPTIONS) {
    const v = env[o.env];
    if (v !== undefined && v.trim() !== '') values.set(o.key, { raw: v, source: `env ${o.env}` });
  }
  return { origin: 'env', values };
}

function flagsLayer(flags: Readonly<Record<string, unknown>>, origin: ConfigOrigin): Layer {
  const values: Layer['values'] = new Map();
  for (const o of BROKER_OPTIONS) {
    const byAttr = flags[o.attributeName];
    const v = byAttr !== undefined ? byAttr : flags[o.key];
    if (v !== undefined) values.set(o.key, { raw: v, source: origin === 'flag' ? `flag ${o.flag}` : `option ${o.key}` });
  }
  return { origin, values };
}

/**
 * Resolve the broker configuration from defaults, a config file, the
 * environment and flags (in rising precedence). Throws ConfigError.
 */
export function loadBrokerConfig(input: LoadBrokerConfigInput = {}): BrokerConfig {
  const env = input.env ?? {};
  const flags = flagsLayer(input.flags ?? {}, input.flagsOrigin ?? 'flag');
  const envL = envLayer(env);
  let file = input.file;
  if (file === undefined) {
    const named = flags.values.get('configFile') ?? envL.values.get('configFile');
    if (named !== undefined) {
      const path = convert(brokerOption('configFile'), named.raw, named.source);
      if (typeof path === 'string') file = path;
    }
  }
  const layers: Layer[] = [];
  if (file !== undefined) {
    if (!flags.values.has('configFile') && !envL.values.has('configFile')) {
      const path = typeof file === 'string' ? file : file.path;
      layers.push({ origin: 'code', values: new Map([['configFile', { raw: path, source: 'option file' }]]) });
    }
    layers.push(readFileLayer(file));
  }
  layers.push(envL, flags);

  const resolved: Record<string, unknown> = {};
  const sources: Partial<Record<BrokerOptionKey, ConfigOrigin>> = {};
  const sourceText = new Map<BrokerOptionKey, string>();
  for (const o of BROKER_OPTIONS) {
    let value: unknown;
    let set = false;
    for (const layer of layers) {
      const v = layer.values.get(o.key);
      if (v === undefined) continue;
      value = convert(o, v.raw, v.source);
      sources[o.key] = layer.origin;
      sourceText.set(o.key, v.source);
      set = true;
    }
    resolved[o.key] = set ? value : o.defaultValue(resolved as Partial<BrokerConfig>);
  }
  const config = { ...(resolved as unknown as BrokerConfig), sources };
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    const k = sources.groupMaxSessionTimeoutMs ? 'groupMaxSessionTimeoutMs' : 'groupMinSessionTimeoutMs';
    throw new ConfigError(k, sourceText.get(k) ?? 'default',
      `group.min.session.timeout.ms (${config.groupMinSessionTimeoutMs}) must not exceed group.max.session.timeout.ms (${config.groupMaxSessionTimeoutMs})`);
  }
  return config;
}

/** Defaults with programmatic overrides (validated like flags), e.g. for the in-process API and tests. */
export function defaultBrokerConfig(overrides: Partial<Omit<BrokerConfig, 'sources'>> = {}): BrokerConfig {
  return loadBrokerConfig({ flags: overrides, flagsOrigin: 'code' });
}

/** Register every option's flag on a commander command (values stay strings; brokerConfigFromOptions parses them). */
export function addBrokerOptions(command: Command): Command {
  for (const o of BROKER_OPTIONS) {
    command.addOption(new Option(`${o.flag} <${o.argName}>`, `${o.description} (default: ${o.defaultText}; env: ${o.env})`));
  }
  return command;
}

/** The BrokerConfig for parsed commander options and an environment (default: process.env). */
export function brokerConfigFromOptions(
  opts: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): BrokerConfig {
  return loadBrokerConfig({ flags: opts, env });
}

/** The value of an option rendered as Kafka would show it in DescribeConfigs / server.properties. */
export function formatOptionValue(key: BrokerOptionKey, config: BrokerConfig): string | null {
  const v = config[key];
  return v === null ? null : brokerOption(key).type.format(v);
}

/** The README's configuration table (Markdown), derived from BROKER_OPTIONS. */
export function renderConfigTable(): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = BROKER_OPTIONS.map((o) =>
    `| \`${o.flag} <${esc(o.argName)}>\` | \`${o.env}\` | ${o.propertyText ? o.propertyText.split(/,\s*/).map((p) => p.replace(/^(\S+)/, '`$1`')).join(', ') : '—'} | ${esc(o.defaultText)} | ${esc(o.description)} |`);
  return [
    '| Flag | Environment | Property (config file) | Default | Description |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n';
}
