/**
 * Cluster metadata: the cluster id, topics (ids, partitions, config
 * overrides, partition → shard assignment) and dynamic broker configs,
 * persisted as the metadata log (metadata-log.ts) and replayed at start-up.
 *
 * Dispatcher thread only. Mutations are serialised: each one validates
 * against the current state, appends its records as one atomic, fdatasync'ed
 * batch, applies them with the same `apply` that replay uses (so a restart
 * reproduces exactly the live state), then emits change events. Callers are
 * answered only after the batch is durable.
 *
 *   createTopic ──validate──▶ append [Topic, PartitionAssignment] ──fsync──▶ apply ──▶ emit 'topicCreated'
 *
 * Partition → shard: chosen once at creation, shard = (hash(topicId) + p) % shardCount,
 * recorded with the shard count of the time. After a restart with fewer
 * shards, a recorded shard that no longer exists maps to shard % currentCount.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { assert } from '../common/assert.js';
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { crc32cJs } from '../wasm/crc32c-js.js';
import {
  brokerAlterableDef, brokerSynonymChain, describeBrokerConfigEntries, type DynamicBrokerConfigs,
} from './broker-configs.js';
import type { ConfigAlteration, ConfigEntry } from './config-types.js';
import { MetadataLog, METADATA_RECORD_VERSION, type MetadataRecord } from './metadata-log.js';
import {
  applyConfigAlteration, effectiveTopicConfig, effectiveTopicValue, toLogConfig, topicAlterableDef,
  validateTopicConfigs, type BrokerSynonymChain, type TopicLogConfig,
} from './topic-config.js';


export const MAX_TOPIC_NAME_LENGTH = 249;
/** Guard against requests that would allocate absurd partition arrays; Kafka has no fixed limit. */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;

export interface TopicInfo {
  readonly name: string;
  /** 32 lowercase hex characters (16 bytes), never all zero. */
  readonly topicId: string;
  /** The same id as the 16 bytes Metadata v10+/Fetch v13+ carry. */
  readonly topicIdBytes: Uint8Array;
  readonly partitions: number;
  readonly isInternal: boolean;
  /** Topic config overrides only (see ClusterMetadata.effectiveLogConfig for effective values). */
  readonly configs: ReadonlyMap<string, string>;
  /** Shard owning each partition, for the current shard count. */
  readonly shards: readonly number[];
  readonly createdAtMs: number;
}

export interface ReplicaAssignment {
  readonly partitionIndex: number;
  readonly brokerIds: readonly number[];
}

export interface CreateTopicOptions {
  /** -1 or absent = broker default (num.partitions). */
  readonly partitions?: number;
  /** -1 or absent = broker default; only 1 is possible. */
  readonly replicationFactor?: number;
  readonly configs?: Iterable<readonly [string, string | null]> | Readonly<Record<string, string | null>>;
  /** Manual replica assignment (CreateTopics Assignments); partitions and replicationFactor must then be -1. */
  readonly assignments?: readonly ReplicaAssignment[];
  readonly validateOnly?: boolean;
  /** Created by the broker itself (e.g. __consumer_offsets): allows the "__" prefix and flags isInternal. */
  readonly internal?: boolean;
}

export interface ClusterMetadataOptions {
  /** Snapshot after this many appended records (default 1000). */
  readonly snapshotEveryRecords?: number;
  /** Shards partitions are spread over; default max(1, brokerConfig.shards) (inline mode is one shard). */
  readonly shardCount?: number;
  /** Clock for createdAtMs (tests). */
  readonly nowMs?: () => number;
}

export interface ClusterMetadataEvents {
  topicCreated: [topic: TopicInfo];
  topicDeleted: [topic: TopicInfo];
  partitionsCreated: [topic: TopicInfo, previousPartitions: number];
  /** The topic's effective configs may have changed (its overrides, or a broker-level default). */
  configChanged: [topic: TopicInfo, logConfig: TopicLogConfig];
  brokerConfigChanged: [];
}

interface TopicState {
  name: string;
  topicId: string;
  partitions: number;
  isInternal: boolean;
  createdAtMs: number;
  configs: Map<string, string>;
  /** Recorded shard and the shard count at assignment, per partition. */
  recordedShards: number[];
  recordedShardCounts: number[];
}

interface State {
  clusterId: string | null;
  recordedNodeId: number | null;
  clusterCreatedAtMs: number;
  topics: Map<string, TopicState>;
  byId: Map<string, TopicState>;
  dynamicNode: Map<string, string>;
  dynamicCluster: Map<string, string>;
}

/** Kafka's topic name rules (Topic.validate); throws INVALID_TOPIC_EXCEPTION. */
export function validateTopicName(name: string): void {
  if (name.length === 0) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

/** '.' and '_' collide in metric names, so Kafka refuses topics differing only by them. */
const collisionKey = (name: string): string => name.replace(/\./g, '_');

export function topicIdToBytes(hex: string): Uint8Array {
  assert(/^[0-9a-f]{32}$/.test(hex), `bad topic id ${hex}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function topicIdFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Kafka's textual Uuid form (base64url, no padding, 22 chars), as kafka-topics prints topic ids. */
export function uuidToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

/**
 * A random v4 UUID as Kafka's Uuid.randomUuid makes them: never all-zero,
 * never the metadata topic id (…0001), never with a base64 form starting with '-'.
 */
export function randomUuidHex(): string {
  for (;;) {
    const hex = randomUUID().replace(/-/g, '');
    if (/^0+$/.test(hex) || /^0{31}1$/.test(hex) || uuidToBase64(hex).startsWith('-')) continue;
    return hex;
  }
}

function emptyState(): State {
  return { clusterId: null, recordedNodeId: null, clusterCreatedAtMs: 0, topics: new Map(), byId: new Map(), dynamicNode: new Map(), dynamicCluster: new Map() };
}

/** Apply one record to the state: the single code path shared by replay and live mutations. */
function apply(state: State, r: MetadataRecord): void {
  switch (r.type) {
    case 'ClusterId':
      state.clusterId = r.clusterId;
      state.recordedNodeId = r.nodeId;
      state.clusterCreatedAtMs = r.createdAtMs;
      return;
    case 'Topic': {
      assert(!state.topics.has(r.name), `metadata: topic ${r.name} created twice`);
      const t: TopicState = {
        name: r.name, topicId: r.topicId, partitions: r.partitions, isInternal: r.isInternal, createdAtMs: r.createdAtMs,
        configs: new Map(Object.entries(r.configs)), recordedShards: [], recordedShardCounts: [],
      };
      state.topics.set(t.name, t);
      state.byId.set(t.topicId, t);
      return;
    }
    case 'PartitionAssignment': {
      const t = state.byId.get(r.topicId);
      assert(t, `metadata: assignment for unknown topic id ${r.topicId}`);
      r.shards.forEach((s, i) => {
        t.recordedShards[r.firstPartition + i] = s;
        t.recordedShardCounts[r.firstPartition + i] = r.shardCount;
      });
      return;
    }
    case 'PartitionsAdded': {
      const t = state.byId.get(r.topicId);
      assert(t, `metadata: partitions added to unknown topic id ${r.topicId}`);
      assert(r.partitions > t.partitions, `metadata: partition count of ${t.name} shrinks to ${r.partitions}`);
      t.partitions = r.partitions;
      return;
    }
    case 'TopicConfig': {
      const t = state.byId.get(r.topicId);
      assert(t, `metadata: config for unknown topic id ${r.topicId}`);
      if (r.value === null) t.configs.delete(r.name);
      else t.configs.set(r.name, r.value);
      return;
    }
    case 'TopicDeleted': {
      const t = state.byId.get(r.topicId);
      assert(t, `metadata: deletion of unknown topic id ${r.topicId}`);
      state.byId.delete(t.topicId);
      state.topics.delete(t.name);
      return;
    }
    case 'BrokerConfig': {
      const m = r.scope === 'cluster' ? state.dynamicCluster : state.dynamicNode;
      if (r.value === null) m.delete(r.name);
      else m.set(r.name, r.value);
      return;
    }
  }
}

/** Dispatcher thread only. */
export class ClusterMetadata extends EventEmitter<ClusterMetadataEvents> {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly infos = new Map<string, TopicInfo>();
  private readonly logConfigs = new Map<string, TopicLogConfig>();
  private readonly creating = new Set<string>();
  private closed = false;

  private constructor(
    private readonly log: MetadataLog,
    private readonly state: State,
    readonly brokerConfig: BrokerConfig,
    /** Shards partitions are spread over (≥ 1). */
    readonly shardCount: number,
    private readonly nowMs: () => number,
  ) {
    super();
  }

  /** Open the metadata under `dataDir` (creating it and the cluster id on first start) and replay it. */
  static async open(dataDir: string, brokerConfig: BrokerConfig, options: ClusterMetadataOptions = {}): Promise<ClusterMetadata> {
    const shardCount = options.shardCount ?? Math.max(1, brokerConfig.shards);
    assert(Number.isInteger(shardCount) && shardCount >= 1, `shard count ${shardCount}`);
    const { log, records } = await MetadataLog.open(dataDir, { snapshotEveryRecords: options.snapshotEveryRecords });
    const state = emptyState();
    try {
      for (const r of records) apply(state, r);
    } catch (e) {
      await log.close();
      throw new Error(`cluster metadata in ${log.dir} cannot be replayed: ${(e as Error).message}`);
    }
    const md = new ClusterMetadata(log, state, brokerConfig, shardCount, options.nowMs ?? Date.now);
    if (state.clusterId === null) {
      const clusterId = uuidToBase64(randomUuidHex());
      await md.commit([{ type: 'ClusterId', version: METADATA_RECORD_VERSION, clusterId, nodeId: brokerConfig.nodeId, createdAtMs: md.nowMs() }]);
      logger.info({ clusterId, dir: log.dir }, 'new cluster metadata');
    } else if (state.recordedNodeId !== brokerConfig.nodeId) {
      logger.warn({ recorded: state.recordedNodeId, configured: brokerConfig.nodeId }, 'node id differs from the one this data directory was created with');
    }
    for (const t of state.topics.values()) {
      for (let p = 0; p < t.partitions; p++) {
        if (t.recordedShards[p] === undefined) {
          logger.warn({ topic: t.name, partition: p }, 'partition without a recorded shard; using the default mapping');
          t.recordedShards[p] = md.defaultShard(t.topicId, p);
          t.recordedShardCounts[p] = shardCount;
        }
      }
    }
    if (log.shouldSnapshot) await log.writeSnapshot(md.snapshotRecords());
    logger.info({ clusterId: state.clusterId, topics: state.topics.size, shards: shardCount }, 'cluster metadata loaded');
    return md;
  }

  get clusterId(): string {
    assert(this.state.clusterId !== null, 'cluster id not yet set');
    return this.state.clusterId;
  }

  get nodeId(): number {
    return this.brokerConfig.nodeId;
  }

  /** Every topic, in creation order (after replay: snapshot order then log order). */
  topics(): TopicInfo[] {
    return [...this.state.topics.values()].map((t) => this.info(t));
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.state.topics.get(name);
    return t && this.info(t);
  }

  topicById(topicIdHex: string): TopicInfo | undefined {
    const t = this.state.byId.get(topicIdHex.toLowerCase());
    return t && this.info(t);
  }

  /** True while a createTopic for this name is queued or being made durable (Metadata answers LEADER_NOT_AVAILABLE). */
  isBeingCreated(name: string): boolean {
    return this.creating.has(name);
  }

  /** The shard owning a partition, or undefined if the partition does not exist. */
  shardOf(topic: string, partition: number): number | undefined {
    return this.topic(topic)?.shards[partition];
  }

  /** Create a topic. Throws KafkaError with the CreateTopics error code. */
  createTopic(name: string, options: CreateTopicOptions = {}): Promise<TopicInfo> {
    const track = !options.validateOnly;
    if (track) this.creating.add(name);
    const run = this.serial(async () => {
      const plan = this.planCreate(name, options);
      if (options.validateOnly) return this.buildInfo(plan.state);
      await this.commit(plan.records);
      const info = this.info(this.state.topics.get(name)!);
      this.safeEmit('topicCreated', info);
      return info;
    });
    if (track) void run.then(() => this.creating.delete(name), () => this.creating.delete(name));
    return run;
  }

  private planCreate(name: string, o: CreateTopicOptions): { records: MetadataRecord[]; state: TopicState } {
    validateTopicName(name);
    if (name.startsWith('__') && !o.internal) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name "${name}" is reserved: names starting with "__" are for the broker's internal topics`);
    }
    if (this.state.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const key = collisionKey(name);
    for (const other of this.state.topics.keys()) {
      if (collisionKey(other) === key) {
        throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${other}`);
      }
    }
    let partitions = o.partitions ?? -1;
    const rf = o.replicationFactor ?? -1;
    const assignments = o.assignments ?? [];
    if (assignments.length > 0) {
      if (partitions !== -1 || rf !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      this.checkAssignments(assignments, 0, assignments.length);
      partitions = assignments.length;
    } else {
      if (!Number.isInteger(partitions) || partitions === 0 || partitions < -1) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
      }
      if (!Number.isInteger(rf) || rf === 0 || rf < -1) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
      }
      if (rf > 1) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`);
      }
      if (partitions === -1) partitions = this.brokerConfig.numPartitions;
    }
    if (partitions > MAX_PARTITIONS_PER_TOPIC) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${partitions} exceeds Millrace's limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
    }
    const configs = validateTopicConfigs(o.configs ?? []);
    const topicId = this.newTopicId();
    const shards = Array.from({ length: partitions }, (_, p) => this.defaultShard(topicId, p));
    const createdAtMs = this.nowMs();
    const records: MetadataRecord[] = [
      { type: 'Topic', version: METADATA_RECORD_VERSION, name, topicId, partitions, configs: Object.fromEntries(configs), isInternal: o.internal === true, createdAtMs },
      { type: 'PartitionAssignment', version: METADATA_RECORD_VERSION, topicId, firstPartition: 0, shards, shardCount: this.shardCount },
    ];
    const state: TopicState = {
      name, topicId, partitions, isInternal: o.internal === true, createdAtMs, configs,
      recordedShards: shards, recordedShardCounts: shards.map(() => this.shardCount),
    };
    return { records, state };
  }

  private checkAssignments(assignments: readonly ReplicaAssignment[], firstPartition: number, expected: number): void {
    const seen = new Set<number>();
    for (const a of assignments) {
      if (firstPartition === 0) {
        if (!Number.isInteger(a.partitionIndex) || a.partitionIndex < 0 || a.partitionIndex >= expected || seen.has(a.partitionIndex)) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            'Partitions must be numbered consecutively from 0 with no duplicates in a manual assignment.');
        }
        seen.add(a.partitionIndex);
      }
      if (a.brokerIds.length === 0) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Partition ${a.partitionIndex} has an empty replica list.`);
      }
      if (a.brokerIds.length > 1) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Unable to replicate the partition ${a.brokerIds.length} time(s): only 1 broker (node ${this.nodeId}) is registered.`);
      }
      if (a.brokerIds[0] !== this.nodeId) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `The target replicas [${a.brokerIds.join(', ')}] are not available; the only broker is ${this.nodeId}.`);
      }
    }
  }

  /** Delete a topic. Throws UNKNOWN_TOPIC_OR_PARTITION, TOPIC_DELETION_DISABLED (73), INVALID_TOPIC_EXCEPTION (internal topic). */
  deleteTopic(name: string, options: { internal?: boolean } = {}): Promise<TopicInfo> {
    return this.serial(async () => {
      const t = this.state.topics.get(name);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      return this.doDelete(t, options);
    });
  }

  /** Delete a topic by id (DeleteTopics v6+). Throws UNKNOWN_TOPIC_ID. */
  deleteTopicById(topicIdHex: string, options: { internal?: boolean } = {}): Promise<TopicInfo> {
    return this.serial(async () => {
      const t = this.state.byId.get(topicIdHex.toLowerCase());
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicIdHex} does not exist.`);
      return this.doDelete(t, options);
    });
  }

  private async doDelete(t: TopicState, options: { internal?: boolean }): Promise<TopicInfo> {
    if (!this.brokerConfig.deleteTopicEnable) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    if (t.isInternal && !options.internal) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot delete internal topic ${t.name}`);
    const info = this.info(t);
    await this.commit([{ type: 'TopicDeleted', version: METADATA_RECORD_VERSION, topicId: t.topicId, name: t.name }]);
    this.safeEmit('topicDeleted', info);
    return info;
  }

  /** Grow a topic to `newTotal` partitions (CreatePartitions). */
  createPartitions(
    name: string, newTotal: number,
    options: { assignments?: readonly ReplicaAssignment[] | null; validateOnly?: boolean } = {},
  ): Promise<TopicInfo> {
    return this.serial(async () => {
      const t = this.state.topics.get(name);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      const current = t.partitions;
      if (!Number.isInteger(newTotal) || newTotal < current) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${newTotal}.`);
      }
      if (newTotal === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
      if (newTotal > MAX_PARTITIONS_PER_TOPIC) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${newTotal} exceeds Millrace's limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
      }
      const assignments = options.assignments ?? [];
      if (assignments.length > 0) {
        if (assignments.length !== newTotal - current) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Increasing the number of partitions by ${newTotal - current} but ${assignments.length} assignments provided.`);
        }
        this.checkAssignments(assignments.map((a, i) => ({ ...a, partitionIndex: current + i })), current, newTotal - current);
      }
      const shards = Array.from({ length: newTotal - current }, (_, i) => this.defaultShard(t.topicId, current + i));
      if (options.validateOnly) {
        return this.buildInfo({ ...t, partitions: newTotal, recordedShards: [...t.recordedShards, ...shards] });
      }
      await this.commit([
        { type: 'PartitionsAdded', version: METADATA_RECORD_VERSION, topicId: t.topicId, partitions: newTotal },
        { type: 'PartitionAssignment', version: METADATA_RECORD_VERSION, topicId: t.topicId, firstPartition: current, shards, shardCount: this.shardCount },
      ]);
      const info = this.info(t);
      this.safeEmit('partitionsCreated', info, current);
      return info;
    });
  }

  /**
   * Alter a topic's overrides: `replace` (AlterConfigs: the set given becomes
   * all overrides) or `incremental` (SET / DELETE / APPEND / SUBTRACT).
   * Throws UNKNOWN_TOPIC_OR_PARTITION or INVALID_CONFIG.
   */
  alterTopicConfigs(name: string, alteration: ConfigAlteration, options: { validateOnly?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      const t = this.state.topics.get(name);
      if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
      const chain = this.brokerChain();
      const next = applyConfigAlteration(t.configs, alteration, topicAlterableDef,
        (key) => effectiveTopicValue(key, t.configs, chain));
      validateTopicConfigs(next);
      if (options.validateOnly) return;
      const records: MetadataRecord[] = [];
      for (const k of t.configs.keys()) {
        if (!next.has(k)) records.push({ type: 'TopicConfig', version: METADATA_RECORD_VERSION, topicId: t.topicId, name: k, value: null });
      }
      for (const [k, v] of next) {
        if (t.configs.get(k) !== v) records.push({ type: 'TopicConfig', version: METADATA_RECORD_VERSION, topicId: t.topicId, name: k, value: v });
      }
      if (records.length === 0) return;
      await this.commit(records);
      const info = this.info(t);
      this.safeEmit('configChanged', info, this.effectiveLogConfig(info.name));
    });
  }

  /**
   * Alter dynamic broker configs. resourceName "" = cluster-wide default,
   * String(nodeId) = this broker. Only the cluster-wide defaults of topic
   * configs may change (see DYNAMIC_BROKER_CONFIGS); others → INVALID_CONFIG.
   */
  alterBrokerConfigs(resourceName: string, alteration: ConfigAlteration, options: { validateOnly?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      const scope = this.brokerScope(resourceName);
      const current = scope === 'cluster' ? this.state.dynamicCluster : this.state.dynamicNode;
      const next = applyConfigAlteration(current, alteration, brokerAlterableDef, (key) => current.get(key) ?? null);
      if (options.validateOnly) return;
      const records: MetadataRecord[] = [];
      const rec = (name: string, value: string | null): MetadataRecord =>
        ({ type: 'BrokerConfig', version: METADATA_RECORD_VERSION, scope, nodeId: this.nodeId, name, value });
      for (const k of current.keys()) if (!next.has(k)) records.push(rec(k, null));
      for (const [k, v] of next) if (current.get(k) !== v) records.push(rec(k, v));
      if (records.length === 0) return;
      await this.commit(records);
      this.safeEmit('brokerConfigChanged');
      for (const t of this.state.topics.values()) {
        const info = this.info(t);
        this.safeEmit('configChanged', info, this.effectiveLogConfig(info.name));
      }
    });
  }

  /** DescribeConfigs for a topic: all known keys, or only `keys` (unknown keys are left out). */
  describeTopicConfigs(name: string, keys: readonly string[] | null = null): ConfigEntry[] {
    const t = this.state.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return effectiveTopicConfig(t.configs, this.brokerChain(), keys);
  }

  /** Config entries a topic with these overrides would have (CreateTopics v5+ results, also for validateOnly). */
  configEntriesFor(overrides: ReadonlyMap<string, string>, keys: readonly string[] | null = null): ConfigEntry[] {
    return effectiveTopicConfig(overrides, this.brokerChain(), keys);
  }

  /** DescribeConfigs for the BROKER resource "<nodeId>" or "" (cluster defaults). Other names → INVALID_REQUEST. */
  describeBrokerConfigs(resourceName: string, keys: readonly string[] | null = null): ConfigEntry[] {
    const scope = this.brokerScope(resourceName);
    return describeBrokerConfigEntries(this.brokerConfig, this.dynamic(), scope, keys);
  }

  /** The numeric settings the storage layer applies to a topic's partitions. */
  effectiveLogConfig(topic: string | TopicInfo): TopicLogConfig {
    const name = typeof topic === 'string' ? topic : topic.name;
    const cached = this.logConfigs.get(name);
    if (cached) return cached;
    const t = this.state.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const chain = this.brokerChain();
    const lc = toLogConfig((k) => effectiveTopicValue(k, t.configs, chain));
    this.logConfigs.set(name, lc);
    return lc;
  }

  /** Wait for queued operations, then close the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    await this.log.close();
  }

  // ---- internals ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('cluster metadata is closed'));
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Make records durable, then apply them; snapshot when due. A failed snapshot does not undo the commit. */
  private async commit(records: MetadataRecord[]): Promise<void> {
    try {
      await this.log.append(records);
    } catch (e) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `cluster metadata could not be written: ${(e as Error).message}`);
    }
    for (const r of records) apply(this.state, r);
    this.invalidate(records);
    if (this.log.shouldSnapshot) {
      try {
        await this.log.writeSnapshot(this.snapshotRecords());
      } catch (e) {
        logger.error({ err: (e as Error).message }, 'cluster metadata snapshot failed');
      }
    }
  }

  private invalidate(records: readonly MetadataRecord[]): void {
    for (const r of records) {
      if (r.type === 'BrokerConfig') { this.infos.clear(); this.logConfigs.clear(); return; }
      if (r.type === 'Topic' || r.type === 'TopicDeleted') { this.infos.delete(r.name); this.logConfigs.delete(r.name); continue; }
      if (r.type === 'ClusterId') continue;
      const t = this.state.byId.get(r.topicId);
      if (t) { this.infos.delete(t.name); this.logConfigs.delete(t.name); }
    }
  }

  /** Records that recreate the current state. */
  private snapshotRecords(): MetadataRecord[] {
    const v = METADATA_RECORD_VERSION;
    const out: MetadataRecord[] = [];
    if (this.state.clusterId !== null) {
      out.push({ type: 'ClusterId', version: v, clusterId: this.state.clusterId, nodeId: this.state.recordedNodeId ?? this.nodeId, createdAtMs: this.state.clusterCreatedAtMs });
    }
    for (const t of this.state.topics.values()) {
      out.push({ type: 'Topic', version: v, name: t.name, topicId: t.topicId, partitions: t.partitions, configs: Object.fromEntries(t.configs), isInternal: t.isInternal, createdAtMs: t.createdAtMs });
      // One assignment record per run of partitions assigned under the same shard count.
      let start = 0;
      for (let p = 1; p <= t.partitions; p++) {
        if (p === t.partitions || t.recordedShardCounts[p] !== t.recordedShardCounts[start]) {
          out.push({ type: 'PartitionAssignment', version: v, topicId: t.topicId, firstPartition: start, shards: t.recordedShards.slice(start, p), shardCount: t.recordedShardCounts[start]! });
          start = p;
        }
      }
    }
    for (const [scope, m] of [['cluster', this.state.dynamicCluster], ['node', this.state.dynamicNode]] as const) {
      for (const [name, value] of m) out.push({ type: 'BrokerConfig', version: v, scope, nodeId: this.nodeId, name, value });
    }
    return out;
  }

  private newTopicId(): string {
    for (;;) {
      const id = randomUuidHex();
      if (!this.state.byId.has(id)) return id;
    }
  }

  private defaultShard(topicIdHex: string, partition: number): number {
    const h = crc32cJs(Buffer.from(topicIdHex, 'hex'));
    return (h + partition) % this.shardCount;
  }

  private info(t: TopicState): TopicInfo {
    let i = this.infos.get(t.name);
    if (!i) {
      i = this.buildInfo(t);
      this.infos.set(t.name, i);
    }
    return i;
  }

  private buildInfo(t: TopicState): TopicInfo {
    const shards = Array.from({ length: t.partitions }, (_, p) => {
      const s = t.recordedShards[p] ?? this.defaultShard(t.topicId, p);
      return s < this.shardCount ? s : s % this.shardCount;
    });
    return Object.freeze({
      name: t.name, topicId: t.topicId, topicIdBytes: topicIdToBytes(t.topicId), partitions: t.partitions,
      isInternal: t.isInternal, configs: new Map(t.configs), shards: Object.freeze(shards), createdAtMs: t.createdAtMs,
    });
  }

  private dynamic(): DynamicBrokerConfigs {
    return { node: this.state.dynamicNode, cluster: this.state.dynamicCluster };
  }

  private brokerChain(): BrokerSynonymChain {
    const dyn = this.dynamic();
    return (name) => brokerSynonymChain(name, this.brokerConfig, dyn);
  }

  private brokerScope(resourceName: string): 'cluster' | 'node' {
    if (resourceName === '') return 'cluster';
    if (resourceName === String(this.nodeId)) return 'node';
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.nodeId} or empty string, but received ${resourceName}`);
  }

  private safeEmit<K extends keyof ClusterMetadataEvents>(event: K, ...args: ClusterMetadataEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ClusterMetadataEvents[K]) => boolean)(event, ...args);
    } catch (e) {
      // The change is already durable; a failing listener must not turn it into an error for the client.
      logger.error({ event, err: (e as Error).message, stack: (e as Error).stack }, 'cluster metadata listener failed');
    }
  }
}
