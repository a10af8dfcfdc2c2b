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
 * Replay lets the last record of each key win. The log is kept short
 * without the storage layer's compaction: the store remembers the latest
 * record of every live key per partition, and once a partition holds many
 * more records than live keys it appends those live records again (a
 * snapshot) and moves the log start offset to the snapshot's first offset
 * (DeleteRecords). A crash between the two steps only leaves a longer log
 * that replays to the same state. The snapshot is taken only while no other
 * write to the partition is in flight, so every record the truncation drops
 * is either superseded or in the snapshot.
 *
 *   [old commits … tombstones …][snapshot: live keys][new commits …]
 *   ^ old log start              ^ new log start
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
/** Smaller than Kafka's 100 MiB (offsets.topic.segment.bytes): truncation after a snapshot frees whole segments only. */
const OFFSETS_TOPIC_SEGMENT_BYTES = 16 * 1024 * 1024;
/** Group metadata of big groups must fit one batch. */
const OFFSETS_TOPIC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const REPLAY_FETCH_BYTES = 1024 * 1024;
/** Snapshot batches stay well below max.message.bytes. */
const SNAPSHOT_BATCH_BYTES = 512 * 1024;

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
  /** Compact a partition once it holds at least this many records… (default 10000) */
  compactMinRecords?: number;
  /** …and more than this many times its live keys (default 4). */
  compactRatio?: number;
}

/** What the store knows of one partition of the offsets topic. */
interface PartitionState {
  /** Latest record of every live key (hex of the key bytes → record); tombstoned keys are absent. */
  readonly live: Map<string, { key: Buffer; value: Buffer }>;
  /** Records in the log from its start (what a replay reads). */
  records: number;
  inFlight: number;
  compacting: boolean;
}

export class OffsetStore implements GroupStore {
  private preparing: Promise<TopicInfo> | null = null;
  private readonly log = logger.child({ component: 'offset-store' });
  private readonly partitions: number;
  private readonly now: () => number;
  private readonly compactMinRecords: number;
  private readonly compactRatio: number;
  private readonly state = new Map<number, PartitionState>();
  private compactions = 0;

  constructor(private readonly metadata: ClusterMetadata, private readonly engine: Engine, options: OffsetStoreOptions = {}) {
    this.partitions = options.partitions ?? OFFSETS_TOPIC_PARTITIONS;
    this.now = options.nowMs ?? Date.now;
    this.compactMinRecords = options.compactMinRecords ?? 10_000;
    this.compactRatio = options.compactRatio ?? 4;
  }

  /** Snapshots taken so far (tests, metrics). */
  get compactionCount(): number {
    return this.compactions;
  }

  private partitionState(p: number): PartitionState {
    let ps = this.state.get(p);
    if (!ps) this.state.set(p, (ps = { live: new Map(), records: 0, inFlight: 0, compacting: false }));
    return ps;
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
    const partition = partitionForGroup(groupId, t.partitions);
    const route = this.engine.route(OFFSETS_TOPIC, partition);
    if (!route) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const encoded = records.map((r) => ({ key: encodeKey(r), value: encodeValue(r) }));
    const batch = buildBatch(encoded, { timestampMs: this.now() });
    const ps = this.partitionState(partition);
    ps.inFlight++;
    let outcome;
    try {
      outcome = await route.shard.produce({ key: route.key, records: batch, acks: -1 });
    } finally {
      ps.inFlight--;
    }
    if (outcome.errorCode !== ErrorCode.NONE) {
      this.log.warn({ groupId, error: outcome.errorCode }, 'coordinator write failed');
      return outcome.errorCode;
    }
    for (const r of encoded) track(ps, r.key, r.value);
    this.maybeCompact(partition, ps);
    return ErrorCode.NONE;
  }

  /** Rewrites the live records of a partition and drops everything before them, if the log is mostly dead records. */
  private maybeCompact(partition: number, ps: PartitionState): void {
    if (ps.compacting || ps.inFlight > 0 || ps.live.size === 0) return;
    if (ps.records < this.compactMinRecords || ps.records < this.compactRatio * ps.live.size) return;
    const route = this.engine.route(OFFSETS_TOPIC, partition);
    if (!route) return;
    ps.compacting = true;
    // Built and issued in this tick, with nothing else in flight: the log up to here holds exactly `live`.
    const batches: Buffer[] = [];
    let current: { key: Buffer; value: Buffer }[] = [];
    let bytes = 0;
    const timestampMs = this.now();
    for (const rec of ps.live.values()) {
      current.push(rec);
      bytes += rec.key.length + rec.value.length + 16;
      if (bytes >= SNAPSHOT_BATCH_BYTES) { batches.push(buildBatch(current, { timestampMs })); current = []; bytes = 0; }
    }
    if (current.length > 0) batches.push(buildBatch(current, { timestampMs }));
    const before = ps.records;
    const snapshotRecords = ps.live.size;
    ps.inFlight += batches.length;
    const writes = batches.map((b) => Promise.resolve(route.shard.produce({ key: route.key, records: b, acks: -1 })));
    void (async () => {
      try {
        const outcomes = await Promise.all(writes.map((w) => w.finally(() => { ps.inFlight--; })));
        const failed = outcomes.find((o) => o.errorCode !== ErrorCode.NONE);
        if (failed) {
          this.log.warn({ partition: route.key, error: failed.errorCode }, 'offsets snapshot failed; the log stays as it is');
          return;
        }
        const start = outcomes[0]!.baseOffset;
        const d = await route.shard.deleteRecords(route.key, start);
        if (d.errorCode !== ErrorCode.NONE) {
          this.log.warn({ partition: route.key, error: d.errorCode }, 'offsets snapshot written but the old records could not be dropped');
          ps.records += snapshotRecords;
          return;
        }
        // Records appended after the snapshot was issued stay counted.
        ps.records = snapshotRecords + (ps.records - before);
        this.compactions++;
        this.log.info({ partition: route.key, records: before, live: snapshotRecords, logStartOffset: start }, 'offsets partition compacted');
      } catch (err) {
        this.log.warn({ partition: route.key, err: (err as Error).message }, 'offsets snapshot failed');
      } finally {
        ps.compacting = false;
      }
    })();
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
    const ps = this.partitionState(partition);
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
                  const decoded = decodeRecord(rec.key, rec.value);
                  track(ps, Buffer.from(rec.key), rec.value && Buffer.from(rec.value));
                  apply(decoded);
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

/** Notes a record written to (or replayed from) a partition: the newest value of its key, or its deletion. */
function track(ps: PartitionState, key: Buffer, value: Buffer | null): void {
  const k = key.toString('hex');
  if (value === null) ps.live.delete(k);
  else ps.live.set(k, { key, value });
  ps.records++;
}
