/**
 * Persistence of committed offsets and group metadata in the internal,
 * compacted topic `__consumer_offsets`, and their replay at start-up.
 *
 * The topic is created on first use (the first FindCoordinator for a group,
 * as Kafka does) with OFFSETS_TOPIC_PARTITIONS partitions, spread over the
 * shards like any topic. A group lives in partition
 * abs(javaHashCode(groupId)) % partitions, so all records of one group are
 * ordered in one partition. Records are plain (uncompressed) v2 batches, one
 * batch per coordinator write, appended with acks=-1 semantics (the write is
 * answered once it is as durable as the flush policy promises).
 *
 * Record layout: Kafka's own coordinator records (group-coordinator module,
 * OffsetCommitKey/Value, GroupMetadataKey/Value, non-flexible versions), so
 * the log reads like a Kafka broker's. All integers big-endian; string =
 * int16 length + UTF-8 (-1 = null); bytes = int32 length + bytes; array =
 * int32 count + elements.
 *
 * ```
 * key   := int16 type, then
 *            type 0|1 (OffsetCommitKey):  group string, topic string, partition int32
 *            type 2   (GroupMetadataKey): group string
 * value := null (tombstone: the offset / the group is deleted), or int16 version, then
 *   OffsetCommitValue
 *     v0, v2: offset int64, metadata string, commitTimestamp int64
 *     v1:     offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *     v3:     offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *   GroupMetadataValue
 *     protocolType string, generation int32, protocol string?, leader string?,
 *     currentStateTimestamp int64 (v2+),
 *     members [memberId string, groupInstanceId string? (v3+), clientId string, clientHost string,
 *              rebalanceTimeout int32 (v1+), sessionTimeout int32, subscription bytes, assignment bytes]
 * ```
 * Millrace writes OffsetCommitValue v3 (v1 when the commit carried an
 * explicit retention time) and GroupMetadataValue v3; it reads v0-v3.
 *
 * Compaction is the storage layer's job; until it runs, replay simply lets
 * the last record of each key win.
 *
 * Dispatcher thread only.
 */
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import type { ClusterMetadata, TopicInfo } from '../cluster/cluster-metadata.js';
import { buildBatch } from '../protocol/record-batch/record-batch-builder.js';
import { batchSize, compression, Compression, isControl, lastOffset } from '../protocol/record-batch/record-batch-header.js';
import { decodeRecords } from '../protocol/record-batch/records.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import type { Engine } from '../shard/engine.js';
import type { CommittedOffset } from './group.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
/** Kafka's offsets.topic.num.partitions default. */
export const OFFSETS_TOPIC_PARTITIONS = 50;
/** Kafka's offsets.topic.segment.bytes default. */
const OFFSETS_TOPIC_SEGMENT_BYTES = 100 * 1024 * 1024;
/** Group metadata of big groups must fit one batch. */
const OFFSETS_TOPIC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const REPLAY_FETCH_BYTES = 1024 * 1024;

const KEY_OFFSET_V0 = 0;
const KEY_OFFSET_V1 = 1;
const KEY_GROUP = 2;

export interface PersistedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 = unknown (records before v2). */
  currentStateTimestampMs: number;
  members: PersistedMember[];
}

export type CoordinatorRecord =
  | { type: 'offset'; groupId: string; topic: string; partition: number; value: CommittedOffset | null }
  | { type: 'group'; groupId: string; value: GroupMetadataValue | null };

/** Where the coordinator keeps its state; offset-store.ts over the log, or memory in tests. */
export interface GroupStore {
  /** Makes sure the storage exists (creates the offsets topic). */
  prepare(): Promise<void>;
  /** Appends the records of one group atomically; NONE once durable, else the storage error. */
  append(groupId: string, records: readonly CoordinatorRecord[]): Promise<ErrorCode>;
  /** Replays every stored record in order (per group). */
  load(apply: (r: CoordinatorRecord) => void): Promise<void>;
}

// ---------------------------------------------------------------- encoding

export function encodeKey(r: CoordinatorRecord): Buffer {
  const w = new Writer(64);
  if (r.type === 'offset') {
    w.int16(KEY_OFFSET_V1);
    w.string(r.groupId);
    w.string(r.topic);
    w.int32(r.partition);
  } else {
    w.int16(KEY_GROUP);
    w.string(r.groupId);
  }
  return w.toBuffer();
}

export function encodeValue(r: CoordinatorRecord): Buffer | null {
  if (r.value === null) return null;
  const w = new Writer(128);
  if (r.type === 'offset') {
    const o = r.value;
    if (o.expireTimestampMs >= 0) {
      w.int16(1);
      w.int64(o.offset);
      w.string(o.metadata);
      w.int64(o.commitTimestampMs);
      w.int64(o.expireTimestampMs);
    } else {
      w.int16(3);
      w.int64(o.offset);
      w.int32(o.leaderEpoch);
      w.string(o.metadata);
      w.int64(o.commitTimestampMs);
    }
  } else {
    const g = r.value;
    w.int16(3);
    w.string(g.protocolType);
    w.int32(g.generation);
    w.nullableString(g.protocol);
    w.nullableString(g.leader);
    w.int64(g.currentStateTimestampMs);
    w.int32(g.members.length);
    for (const m of g.members) {
      w.string(m.memberId);
      w.nullableString(m.groupInstanceId);
      w.string(m.clientId);
      w.string(m.clientHost);
      w.int32(m.rebalanceTimeoutMs);
      w.int32(m.sessionTimeoutMs);
      w.bytes(m.subscription);
      w.bytes(m.assignment);
    }
  }
  return w.toBuffer();
}

/** Decodes one record of the offsets topic; throws on bytes it cannot read. */
export function decodeRecord(key: Buffer, value: Buffer | null): CoordinatorRecord {
  const k = new Reader(key);
  const type = k.int16();
  if (type === KEY_OFFSET_V0 || type === KEY_OFFSET_V1) {
    const groupId = k.string();
    const topic = k.string();
    const partition = k.int32();
    return { type: 'offset', groupId, topic, partition, value: value === null ? null : decodeOffsetValue(value) };
  }
  if (type === KEY_GROUP) {
    const groupId = k.string();
    return { type: 'group', groupId, value: value === null ? null : decodeGroupValue(value) };
  }
  throw new Error(`unknown coordinator record key type ${type}`);
}

function decodeOffsetValue(buf: Buffer): CommittedOffset {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new Error(`unsupported OffsetCommitValue version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestampMs = r.int64();
  const expireTimestampMs = version === 1 ? r.int64() : -1;
  return { offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs };
}

function decodeGroupValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new Error(`unsupported GroupMetadataValue version ${version}`);
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestampMs = version >= 2 ? r.int64() : -1;
  const n = r.int32();
  const members: PersistedMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = Buffer.from(r.bytes());
    const assignment = Buffer.from(r.bytes());
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs, sessionTimeoutMs, subscription, assignment });
  }
  return { protocolType, generation, protocol, leader, currentStateTimestampMs, members };
}

/** Java's String.hashCode (UTF-16 code units), as Kafka hashes group ids to partitions. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs(groupId.hashCode) % partitions. */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

// ---------------------------------------------------------------- the log-backed store

export interface OffsetStoreOptions {
  /** Partitions of a newly created offsets topic (an existing topic keeps its count). */
  partitions?: number;
  /** Clock for record timestamps (tests). */
  nowMs?: () => number;
}

export class OffsetStore implements GroupStore {
  private preparing: Promise<TopicInfo> | null = null;
  private readonly log = logger.child({ component: 'offset-store' });
  private readonly partitions: number;
  private readonly now: () => number;

  constructor(private readonly metadata: ClusterMetadata, private readonly engine: Engine, options: OffsetStoreOptions = {}) {
    this.partitions = options.partitions ?? OFFSETS_TOPIC_PARTITIONS;
    this.now = options.nowMs ?? Date.now;
  }

  prepare(): Promise<void> {
    return this.topic().then(() => undefined);
  }

  /** The offsets topic, created if needed, with every partition open. */
  private topic(): Promise<TopicInfo> {
    if (!this.preparing) {
      this.preparing = this.createIfMissing();
      this.preparing.catch(() => { this.preparing = null; });
    }
    return this.preparing;
  }

  private async createIfMissing(): Promise<TopicInfo> {
    let t = this.metadata.topic(OFFSETS_TOPIC);
    if (!t) {
      try {
        t = await this.metadata.createTopic(OFFSETS_TOPIC, {
          internal: true,
          partitions: this.partitions,
          replicationFactor: -1,
          configs: {
            'cleanup.policy': 'compact',
            // Compacted topics keep data regardless of age; say so explicitly in case retention is applied anyway.
            'retention.ms': '-1',
            'retention.bytes': '-1',
            'segment.bytes': String(OFFSETS_TOPIC_SEGMENT_BYTES),
            'max.message.bytes': String(OFFSETS_TOPIC_MAX_MESSAGE_BYTES),
          },
        });
        this.log.info({ partitions: t.partitions }, `created ${OFFSETS_TOPIC}`);
      } catch (err) {
        if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
        t = this.metadata.topic(OFFSETS_TOPIC)!;
      }
    }
    await this.waitForPartitions(t);
    return t;
  }

  /** The broker opens a new topic's partitions when it is created; wait until the engine routes them. */
  private async waitForPartitions(t: TopicInfo): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      let open = true;
      for (let p = 0; p < t.partitions && open; p++) open = this.engine.route(t.name, p) !== undefined;
      if (open) return;
      if (Date.now() > deadline) throw new Error(`${OFFSETS_TOPIC} partitions did not open`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async append(groupId: string, records: readonly CoordinatorRecord[]): Promise<ErrorCode> {
    let t: TopicInfo;
    try {
      t = await this.topic();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'offsets topic unavailable');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    const route = this.engine.route(OFFSETS_TOPIC, partitionForGroup(groupId, t.partitions));
    if (!route) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const batch = buildBatch(records.map((r) => ({ key: encodeKey(r), value: encodeValue(r) })), { timestampMs: this.now() });
    const outcome = await route.shard.produce({ key: route.key, records: batch, acks: -1 });
    if (outcome.errorCode !== ErrorCode.NONE) this.log.warn({ groupId, error: outcome.errorCode }, 'coordinator write failed');
    return outcome.errorCode;
  }

  async load(apply: (r: CoordinatorRecord) => void): Promise<void> {
    const existing = this.metadata.topic(OFFSETS_TOPIC);
    if (!existing) return;
    const t = await this.topic();
    let records = 0;
    for (let p = 0; p < t.partitions; p++) records += await this.replayPartition(p, apply);
    this.log.info({ partitions: t.partitions, records }, `replayed ${OFFSETS_TOPIC}`);
  }

  private async replayPartition(partition: number, apply: (r: CoordinatorRecord) => void): Promise<number> {
    const route = this.engine.route(OFFSETS_TOPIC, partition);
    if (!route) throw new Error(`${OFFSETS_TOPIC}-${partition} is not open`);
    const offsets = await route.shard.offsets(route.key);
    if (!offsets) return 0;
    let next = offsets.logStartOffset;
    let count = 0;
    while (next < offsets.highWatermark) {
      const r = await route.shard.fetch({ key: route.key, fetchOffset: next, maxBytes: REPLAY_FETCH_BYTES, minOneBatch: true });
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `reading ${route.key} at ${next}`);
      if (r.records.length === 0) break;
      const before = next;
      for (const buf of r.records) {
        for (let pos = 0; pos + 12 <= buf.length; pos += batchSize(buf, pos)) {
          const last = lastOffset(buf, pos);
          if (last < next) continue;
          if (!isControl(buf, pos)) {
            if (compression(buf, pos) !== Compression.NONE) {
              this.log.warn({ partition: route.key, offset: next }, 'skipping a compressed batch in the offsets topic (not written by Millrace)');
            } else {
              for (const rec of decodeRecords(buf, pos)) {
                if (rec.offset < next || rec.key === null) continue;
                try {
                  apply(decodeRecord(rec.key, rec.value));
                  count++;
                } catch (err) {
                  this.log.warn({ partition: route.key, offset: rec.offset, err: (err as Error).message }, 'skipping an unreadable coordinator record');
                }
              }
            }
          }
          next = last + 1;
        }
      }
      if (next === before) break;
    }
    return count;
  }
}
