/**
 * Per-partition log configuration (Kafka topic config names in the comments).
 * Plain data: the owner builds it from broker defaults and topic overrides and
 * may replace it at runtime with PartitionLog.updateConfig.
 */

/**
 * How appends become durable (see partition-log.ts for the exact promise):
 * - `group`: group commit, one fdatasync in flight per segment covering every
 *   append written before it started; `durable` resolves after it;
 * - `interval`: a timer fdatasyncs every intervalMs; `durable` resolves at once;
 * - `os`: no explicit fsync except on roll and close; `durable` resolves at once.
 */
export type FlushPolicy =
  | { readonly kind: 'group' }
  | { readonly kind: 'interval'; readonly intervalMs: number }
  | { readonly kind: 'os' };

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this. */
  readonly segmentBytes: number;
  /** segment.ms: roll when the active segment's first append is older than this. */
  readonly segmentMs: number;
  /** retention.ms; -1 = keep forever. */
  readonly retentionMs: number;
  /** retention.bytes; -1 = no size limit. */
  readonly retentionBytes: number;
  /** max.message.bytes: largest batch accepted. */
  readonly maxMessageBytes: number;
  /** index.interval.bytes: bytes between sparse index entries. */
  readonly indexIntervalBytes: number;
  /** message.timestamp.type. */
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime';
  readonly flush: FlushPolicy;
  /** Bytes of the most recent batches kept in memory for tailing consumers; 0 = off. Default 8 MiB. */
  readonly tailCacheBytes?: number;
  /**
   * Readers copy what read() returns before the next append or read (worker
   * shards copy it into a fetch slot or their outbound ring at once), so the
   * log may reuse its buffers: the tail cache writes its chunks again
   * (TailCache reuseChunks) and segment reads go into one scratch arena
   * (read-arena.ts). Not a topic config.
   */
  readonly readerCopiesAtOnce?: boolean;
  /**
   * producer.id.expiration.ms (a broker config in Kafka): an idempotent
   * producer's state is dropped once its newest batch is this old. Default 1 day.
   */
  readonly producerIdExpirationMs?: number;
}

export const DEFAULT_TAIL_CACHE_BYTES = 8 * 1024 * 1024;
/** The broker's memory for all tail caches together (millrace.tail.cache.bytes), split across its shards. */
export const DEFAULT_TAIL_CACHE_TOTAL_BYTES = 256 * 1024 * 1024;

/** Kafka's defaults, except the flush policy (group commit). */
export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1024 * 1024 + 12,
  indexIntervalBytes: 4096,
  messageTimestampType: 'CreateTime',
  flush: { kind: 'group' },
  tailCacheBytes: DEFAULT_TAIL_CACHE_BYTES,
};

/** Largest segment the 32-bit positions of the index format can address. */
export const MAX_SEGMENT_BYTES = 0x7fffffff;

/** Why `c` is unusable, or null. */
export function checkLogConfig(c: LogConfig): string | null {
  if (!(Number.isSafeInteger(c.segmentBytes) && c.segmentBytes >= 14 && c.segmentBytes <= MAX_SEGMENT_BYTES)) return `segmentBytes ${c.segmentBytes}`;
  if (!(c.segmentMs >= 1)) return `segmentMs ${c.segmentMs}`;
  if (!(c.retentionMs === -1 || c.retentionMs >= 0)) return `retentionMs ${c.retentionMs}`;
  if (!(c.retentionBytes === -1 || c.retentionBytes >= 0)) return `retentionBytes ${c.retentionBytes}`;
  if (!(c.maxMessageBytes >= 0)) return `maxMessageBytes ${c.maxMessageBytes}`;
  if (!(c.indexIntervalBytes >= 0)) return `indexIntervalBytes ${c.indexIntervalBytes}`;
  if (c.flush.kind === 'interval' && !(c.flush.intervalMs >= 1)) return `flush interval ${c.flush.intervalMs}`;
  if (c.tailCacheBytes !== undefined && !(c.tailCacheBytes >= 0)) return `tailCacheBytes ${c.tailCacheBytes}`;
  if (c.producerIdExpirationMs !== undefined && !(c.producerIdExpirationMs >= 1)) return `producerIdExpirationMs ${c.producerIdExpirationMs}`;
  return null;
}
