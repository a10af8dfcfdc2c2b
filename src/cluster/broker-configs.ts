/**
 * Broker-level configs as DescribeConfigs shows them (resource type BROKER),
 * derived from the broker option table (src/config/broker-config.ts) plus the
 * broker-level synonyms of topic configs that Millrace has no option for.
 *
 * A broker config's value is, highest precedence first:
 *   DYNAMIC_BROKER_CONFIG (2)          altered on resource "<nodeId>"
 *   DYNAMIC_DEFAULT_BROKER_CONFIG (3)  altered on resource "" (cluster default)
 *   STATIC_BROKER_CONFIG (4)           set by config file, environment or flag
 *   DEFAULT_CONFIG (5)                 built in
 * Only the cluster-wide defaults of topic configs may be altered dynamically
 * (DYNAMIC_BROKER_CONFIGS); everything else is read-only.
 */
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { BROKER_OPTIONS, type BrokerConfig, type BrokerOption, type BrokerOptionKey } from '../config/broker-config.js';
import { ConfigSource, type ConfigEntry, type ConfigSynonym } from './config-types.js';
import { configTypeOf, TOPIC_CONFIGS, topicConfigDef, type AlterableDef, type ConfigKind } from './topic-config.js';

/** Broker configs that AlterConfigs / IncrementalAlterConfigs may change, with the topic config they default. */
export const DYNAMIC_BROKER_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['log.retention.ms', 'retention.ms'],
  ['log.retention.bytes', 'retention.bytes'],
  ['log.segment.bytes', 'segment.bytes'],
  ['log.roll.ms', 'segment.ms'],
  ['message.max.bytes', 'max.message.bytes'],
]);

export interface BrokerConfigDef {
  readonly name: string;
  readonly kind: ConfigKind;
  readonly documentation: string;
  readonly dynamic: boolean;
  /** The current static value and whether it was set explicitly (file, env, flag or code). */
  staticValue(config: BrokerConfig): { value: string | null; explicit: boolean; defaultValue: string | null };
  normalize(value: string): string;
}

/** Dynamic broker config overrides: per node (resource "<nodeId>") and cluster default (resource ""). */
export interface DynamicBrokerConfigs {
  readonly node: ReadonlyMap<string, string>;
  readonly cluster: ReadonlyMap<string, string>;
}

export const NO_DYNAMIC_BROKER_CONFIGS: DynamicBrokerConfigs = { node: new Map(), cluster: new Map() };

const KIND_OVERRIDES: Record<string, ConfigKind> = {
  'log.retention.check.interval.ms': 'long',
};

function isExplicit(config: BrokerConfig, o: BrokerOption): boolean {
  if (config.sources) return config.sources[o.key] !== undefined;
  const v = config[o.key];
  return (v === null ? null : o.type.format(v)) !== formatDefault(config, o);
}

function formatDefault(config: BrokerConfig, o: BrokerOption): string | null {
  const d = o.defaultValue(config);
  return d === null ? null : o.type.format(d);
}

function formatValue(config: BrokerConfig, key: BrokerOptionKey, o: BrokerOption): string | null {
  const v = config[key];
  return v === null ? null : o.type.format(v);
}

function kindOf(property: string, o: BrokerOption): ConfigKind {
  const k = KIND_OVERRIDES[property];
  if (k) return k;
  const topic = TOPIC_CONFIGS.find((d) => d.brokerSynonym === property);
  if (topic) return topic.kind;
  if (o.type.name === 'boolean') return 'boolean';
  if (/^(int|port)/.test(o.type.name)) return 'int';
  return 'string';
}

function normalizerFor(name: string): (v: string) => string {
  const topicName = DYNAMIC_BROKER_CONFIGS.get(name);
  const d = topicName ? topicConfigDef(topicName) : undefined;
  return d ? d.normalize : () => { throw new Error('read-only'); };
}

const hostPort = (host: string, port: number): string => `PLAINTEXT://${host.includes(':') ? `[${host}]` : host}:${port}`;

function listenerDef(name: 'listeners' | 'advertised.listeners', hostKey: 'host' | 'advertisedHost', portKey: 'port' | 'advertisedPort', doc: string): BrokerConfigDef {
  const ho = BROKER_OPTIONS.find((o) => o.key === hostKey)!;
  const po = BROKER_OPTIONS.find((o) => o.key === portKey)!;
  return {
    name, kind: 'string', documentation: doc, dynamic: false, normalize: normalizerFor(name),
    staticValue: (c) => ({
      value: hostPort(c[hostKey], c[portKey]),
      explicit: isExplicit(c, ho) || isExplicit(c, po),
      defaultValue: hostPort(String(ho.defaultValue(c)), Number(po.defaultValue(c))),
    }),
  };
}

function buildDefs(): BrokerConfigDef[] {
  const defs: BrokerConfigDef[] = [
    listenerDef('listeners', 'host', 'port', 'Listener the broker binds: PLAINTEXT://host:port (Millrace serves one plaintext listener).'),
    listenerDef('advertised.listeners', 'advertisedHost', 'advertisedPort', 'Listener advertised to clients in Metadata and FindCoordinator.'),
  ];
  for (const o of BROKER_OPTIONS) {
    if (o.property === null || o.key === 'configFile' || o.key === 'host' || o.key === 'port' || o.key === 'advertisedHost' || o.key === 'advertisedPort') continue;
    const names = o.key === 'nodeId' ? [o.property, 'broker.id'] : [o.property];
    for (const name of names) {
      defs.push({
        name, kind: kindOf(name, o), documentation: o.description, dynamic: DYNAMIC_BROKER_CONFIGS.has(name), normalize: normalizerFor(name),
        staticValue: (c) => ({ value: formatValue(c, o.key, o), explicit: isExplicit(c, o), defaultValue: formatDefault(c, o) }),
      });
    }
  }
  // Broker-level synonyms of topic configs with no Millrace option: built-in defaults only.
  const have = new Set(defs.map((d) => d.name));
  for (const t of TOPIC_CONFIGS) {
    if (t.brokerSynonym === null || have.has(t.brokerSynonym)) continue;
    have.add(t.brokerSynonym);
    defs.push({
      name: t.brokerSynonym, kind: t.kind, documentation: `Broker default of topic config ${t.name}. ${t.documentation}`,
      dynamic: false, normalize: normalizerFor(t.brokerSynonym),
      staticValue: () => ({ value: t.defaultValue, explicit: false, defaultValue: t.defaultValue }),
    });
  }
  return defs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[] = buildDefs();
const byName = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

export function brokerConfigDef(name: string): BrokerConfigDef | undefined {
  return byName.get(name);
}

/**
 * The values of a broker config, highest precedence first (starting at the
 * cluster-default level when `fromCluster`, as for resource ""). Unknown names
 * give an empty chain.
 */
export function brokerSynonymChain(
  name: string, config: BrokerConfig, dynamic: DynamicBrokerConfigs, fromCluster = false,
): ConfigSynonym[] {
  const d = byName.get(name);
  if (!d) return [];
  const out: ConfigSynonym[] = [];
  const n = dynamic.node.get(name);
  if (n !== undefined && !fromCluster) out.push({ name, value: n, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
  const c = dynamic.cluster.get(name);
  if (c !== undefined) out.push({ name, value: c, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  const s = d.staticValue(config);
  if (s.explicit) out.push({ name, value: s.value, source: ConfigSource.STATIC_BROKER_CONFIG });
  out.push({ name, value: s.explicit ? s.defaultValue : s.value, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

/**
 * DescribeConfigs for a BROKER resource. scope 'node' (resource "<nodeId>")
 * lists every config; scope 'cluster' (resource "") lists only those with a
 * cluster-wide dynamic value, as Kafka does.
 */
export function describeBrokerConfigEntries(
  config: BrokerConfig, dynamic: DynamicBrokerConfigs, scope: 'node' | 'cluster', keys: readonly string[] | null = null,
): ConfigEntry[] {
  const defs = keys === null ? BROKER_CONFIG_DEFS : keys.map((k) => byName.get(k)).filter((d): d is BrokerConfigDef => d !== undefined);
  const out: ConfigEntry[] = [];
  for (const d of defs) {
    if (scope === 'cluster' && !dynamic.cluster.has(d.name)) continue;
    const synonyms = brokerSynonymChain(d.name, config, dynamic, scope === 'cluster');
    const top = synonyms[0]!;
    out.push({
      name: d.name,
      value: top.value,
      readOnly: !d.dynamic,
      isDefault: top.source === ConfigSource.DEFAULT_CONFIG,
      source: top.source,
      isSensitive: false,
      synonyms,
      configType: configTypeOf(d.kind),
      documentation: d.documentation,
    });
  }
  return out;
}

/** Alteration lookup for broker keys: unknown or read-only → INVALID_CONFIG. */
export function brokerAlterableDef(name: string): AlterableDef {
  const d = byName.get(name);
  if (!d) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown broker config: ${name}`);
  if (!d.dynamic) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG,
      `Broker config ${name} is read-only; only ${[...DYNAMIC_BROKER_CONFIGS.keys()].join(', ')} can be altered dynamically`);
  }
  return d;
}
