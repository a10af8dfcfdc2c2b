/**
 * fsync latency of this thread's segments (each shard worker has its own
 * module instance, so this is per shard): a fixed-bucket histogram that
 * costs one array increment per fdatasync, and a warning log line for every
 * fsync slower than MILLRACE_SLOW_FSYNC_MS (default 100 ms). The metrics
 * endpoint reads snapshots of it through the shard's stats request.
 */
import { logger } from '../common/logger.js';

/** Upper bounds (seconds) of the buckets; a last, implicit bucket is +Inf. */
export const FSYNC_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface FsyncSnapshot {
  /** Count per bucket (not cumulative), FSYNC_BUCKETS_SECONDS.length + 1 entries (the last is +Inf). */
  counts: number[];
  count: number;
  sumSeconds: number;
}

const counts = new Float64Array(FSYNC_BUCKETS_SECONDS.length + 1);
let total = 0;
let sumSeconds = 0;
const slowMs = Number(process.env.MILLRACE_SLOW_FSYNC_MS ?? 100);
const log = logger.child({ component: 'storage' });

/** Records one fsync of `file` that took `ms` milliseconds. */
export function recordFsync(ms: number, file: string): void {
  const s = ms / 1000;
  let i = 0;
  while (i < FSYNC_BUCKETS_SECONDS.length && s > FSYNC_BUCKETS_SECONDS[i]!) i++;
  counts[i]!++;
  total++;
  sumSeconds += s;
  if (ms >= slowMs) log.warn({ file, durationMs: Math.round(ms * 10) / 10 }, 'slow fsync');
}

export function fsyncSnapshot(): FsyncSnapshot {
  return { counts: Array.from(counts), count: total, sumSeconds };
}
