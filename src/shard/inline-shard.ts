/**
 * A shard that runs its partitions on the calling thread (`--shards 0`).
 * Used by tests and as the baseline the worker shards are measured against.
 */
import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { fsyncSnapshot } from '../storage/fsync-stats.js';
import { DEFAULT_TAIL_CACHE_TOTAL_BYTES, type LogConfig } from '../storage/log-config.js';
import { PartitionLog, type RecoveryHints } from '../storage/partition-log.js';
import { ReadBufferPool } from '../storage/read-buffer-pool.js';
import { TailCacheBudget } from '../storage/tail-cache-budget.js';
import type {
  FetchOp, FetchOutcome, MaybePromise, PartitionKey, PartitionOffsets, ProduceOp, ProduceOutcome, Shard, ShardStats, TimestampOffset,
} from './shard.js';

const MAX_TIMESTAMP = -3;

export class InlineShard implements Shard {
  private readonly logs = new Map<PartitionKey, PartitionLog>();
  private readonly dataListeners: ((key: PartitionKey) => void)[] = [];
  private readonly log;
  private readonly cacheBudget: TailCacheBudget;
  /** Memory for disk reads whose records the caller leases (the inline engine's fetches). */
  private readonly readPool = new ReadBufferPool();

  /** `tailCacheBytes`: memory for the tail caches of this shard's partitions that consumers read. */
  constructor(readonly id: number, tailCacheBytes = DEFAULT_TAIL_CACHE_TOTAL_BYTES) {
    this.log = logger.child({ shard: id });
    this.cacheBudget = new TailCacheBudget(tailCacheBytes);
  }

  async openPartition(key: PartitionKey, dir: string, config: LogConfig, hints?: RecoveryHints): Promise<void> {
    if (this.logs.has(key)) return;
    const plog = await PartitionLog.open(dir, config, Date.now(), hints, this.cacheBudget);
    plog.onAppend(() => { for (const l of this.dataListeners) l(key); });
    this.logs.set(key, plog);
  }

  async deletePartition(key: PartitionKey): Promise<void> {
    const plog = this.logs.get(key);
    if (!plog) return;
    this.logs.delete(key);
    await plog.delete();
  }

  /** The open log of a partition (tests and tools; shard thread only). */
  partitionLog(key: PartitionKey): PartitionLog | undefined {
    return this.logs.get(key);
  }

  updatePartitionConfig(key: PartitionKey, config: LogConfig): void {
    this.logs.get(key)?.updateConfig(config);
  }

  produce(op: ProduceOp): MaybePromise<ProduceOutcome> {
    const plog = this.logs.get(op.key);
    if (!plog) return failedProduce(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    let result;
    try {
      result = plog.append(op.records, Date.now());
    } catch (err) {
      this.log.error({ partition: op.key, err: (err as Error).message }, 'append failed');
      return failedProduce(ErrorCode.KAFKA_STORAGE_ERROR);
    }
    if (typeof result === 'number') return failedProduce(result as ErrorCode);
    const outcome: ProduceOutcome = {
      errorCode: ErrorCode.NONE,
      baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: result.logStartOffset,
    };
    if (op.acks !== -1) return outcome;
    return result.durable.then(() => outcome, (err: Error) => {
      this.log.error({ partition: op.key, err: err.message }, 'flush failed');
      return failedProduce(ErrorCode.KAFKA_STORAGE_ERROR);
    });
  }

  fetch(op: FetchOp): FetchOutcome {
    const plog = this.logs.get(op.key);
    if (!plog) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, records: [], bytes: 0, highWatermark: -1, logStartOffset: -1 };
    // With a lease the records are written to the socket before anything reuses their memory.
    const reads = op.lease ? this.readPool.lease() : undefined;
    const r = plog.read(op.fetchOffset, op.maxBytes, op.minOneBatch, reads);
    if (reads?.used) op.lease!(() => reads.release());
    return { errorCode: r.error, records: r.records, bytes: r.bytes, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
  }

  offsets(key: PartitionKey): PartitionOffsets | null {
    const plog = this.logs.get(key);
    return plog ? { logStartOffset: plog.logStartOffset, highWatermark: plog.logEndOffset, sizeBytes: plog.sizeBytes } : null;
  }

  offsetForTimestamp(key: PartitionKey, timestamp: number): TimestampOffset | null {
    const plog = this.logs.get(key);
    if (!plog) return null;
    return timestamp === MAX_TIMESTAMP ? plog.maxTimestampOffset() : plog.offsetForTimestamp(timestamp);
  }

  deleteRecords(key: PartitionKey, beforeOffset: number): { errorCode: ErrorCode; lowWatermark: number } {
    const plog = this.logs.get(key);
    if (!plog) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    const target = beforeOffset === -1 ? plog.logEndOffset : beforeOffset;
    const errorCode = plog.deleteRecordsBefore(target);
    return { errorCode, lowWatermark: plog.logStartOffset };
  }

  onData(listener: (key: PartitionKey) => void): void {
    this.dataListeners.push(listener);
  }

  applyRetention(nowMs: number): void {
    for (const plog of this.logs.values()) plog.applyRetention(nowMs);
  }

  stats(): ShardStats {
    const partitions = [...this.logs].map(([key, plog]) => ({
      key, sizeBytes: plog.sizeBytes, logStartOffset: plog.logStartOffset, logEndOffset: plog.logEndOffset, segments: plog.segmentCount,
      tailCacheBytes: plog.tailCacheBytes,
    }));
    return { partitions, fsync: fsyncSnapshot() };
  }

  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    this.logs.clear();
  }
}

function failedProduce(errorCode: ErrorCode): ProduceOutcome {
  return { errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}
