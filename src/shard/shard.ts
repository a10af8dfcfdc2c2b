/**
 * The thread boundary. A Shard owns a set of partitions and is the only
 * writer of their logs. Handlers on the dispatcher thread talk to partitions
 * only through this interface, so the same handlers run over the inline
 * shard (partitions on the dispatcher thread) and over worker shards.
 *
 * Calls may complete synchronously (inline) or later (workers); callers must
 * issue calls in request order before awaiting anything, which keeps appends
 * from one connection in order.
 */
import type { ErrorCode } from '../common/error-codes.js';
import type { FsyncSnapshot } from '../storage/fsync-stats.js';
import type { LogConfig } from '../storage/log-config.js';
import type { RecoveryHints } from '../storage/partition-log.js';

/** `<topic>-<partition>`, also the partition's directory name (unambiguous: the partition has no '-'). */
export type PartitionKey = string;

export function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}-${partition}`;
}

export type MaybePromise<T> = T | Promise<T>;

export interface ProduceOp {
  key: PartitionKey;
  /** The partition's Records bytes from the Produce request (one or more v2 batches). */
  records: Buffer;
  /** -1 waits until the batch is as durable as the flush policy promises. */
  acks: number;
}

export interface ProduceOutcome {
  errorCode: ErrorCode;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export interface FetchOp {
  key: PartitionKey;
  fetchOffset: number;
  maxBytes: number;
  /** Return at least one whole batch even if it exceeds maxBytes (KIP-74). */
  minOneBatch: boolean;
  /**
   * If given, the records may be a view of shard memory (a worker's fetch
   * slot) rather than a copy. It stays valid until the function passed to
   * `lease` is called, which the caller must do once done with the records.
   */
  lease?: (release: () => void) => void;
}

export interface FetchOutcome {
  errorCode: ErrorCode;
  /** Whole record batches, as slices (no copy). */
  records: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  sizeBytes: number;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

/** One partition's log, for metrics and tools. */
export interface PartitionStat {
  key: PartitionKey;
  sizeBytes: number;
  logStartOffset: number;
  logEndOffset: number;
  segments: number;
  /** Bytes held by the partition's tail cache (0 while nobody reads it). */
  tailCacheBytes: number;
}

/** What a shard reports when asked (metrics scrapes; off the hot path). */
export interface ShardStats {
  partitions: PartitionStat[];
  /** fsync latency on the shard's thread. */
  fsync: FsyncSnapshot;
}

/** Requests queued at a worker shard, read synchronously on the dispatcher thread (metrics). */
export interface ShardQueueStats {
  /** Sent to the worker and not yet completed, by op. */
  produce: number;
  fetch: number;
  other: number;
  /** Waiting for inbound ring space (backpressure). */
  overflowRequests: number;
  overflowBytes: number;
  inboundUsedBytes: number;
  inboundCapacityBytes: number;
  outboundUsedBytes: number;
  /** Fetch replies whose slot the dispatcher still holds (their socket write is not done). */
  fetchSlotsInUse: number;
  outboundCapacityBytes: number;
  restarts: number;
}

export interface Shard {
  readonly id: number;
  openPartition(key: PartitionKey, dir: string, config: LogConfig, hints?: RecoveryHints): Promise<void>;
  deletePartition(key: PartitionKey): Promise<void>;
  updatePartitionConfig(key: PartitionKey, config: LogConfig): void;
  produce(op: ProduceOp): MaybePromise<ProduceOutcome>;
  fetch(op: FetchOp): MaybePromise<FetchOutcome>;
  offsets(key: PartitionKey): MaybePromise<PartitionOffsets | null>;
  /** First offset with timestamp ≥ ts; -3 asks for the record with the largest timestamp. */
  offsetForTimestamp(key: PartitionKey, timestamp: number): MaybePromise<TimestampOffset | null>;
  deleteRecords(key: PartitionKey, beforeOffset: number): MaybePromise<{ errorCode: ErrorCode; lowWatermark: number }>;
  /** Registers the listener told when a partition has new data (wakes long-poll fetches). */
  onData(listener: (key: PartitionKey) => void): void;
  applyRetention(nowMs: number): MaybePromise<void>;
  /** Partition sizes and offsets and fsync latency (metrics). */
  stats(): MaybePromise<ShardStats>;
  /** Worker shards only: queue depths and ring occupancy. */
  queueStats?(): ShardQueueStats;
  /** Worker shards only: true while requests wait for ring space (backpressure). */
  readonly congested?: boolean;
  onDecongested?(listener: () => void): void;
  close(): Promise<void>;
}
