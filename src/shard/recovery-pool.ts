/**
 * Parallel start-up recovery (dispatcher thread, before shards open
 * partitions). Every segment that recovery must re-check — from each
 * partition's recovery point to its end, i.e. what was written since the
 * last flush — is CRC-verified by a piscina pool on all cores at once; the
 * shards then only walk batch headers to rebuild their indexes. Skipped
 * when there is little to verify, where starting the pool costs more than
 * it saves (a clean shutdown leaves almost nothing).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { logger } from '../common/logger.js';
import type { RecoveryHints } from '../storage/partition-log.js';
import { segmentsToVerify } from '../storage/segment-verifier.js';

export const DEFAULT_POOL_MIN_BYTES = 32 * 1024 * 1024;

/** Returns recovery hints per partition directory. */
export async function verifyPartitionsInParallel(dirs: string[], minBytes = DEFAULT_POOL_MIN_BYTES): Promise<Map<string, RecoveryHints>> {
  const segments = dirs.flatMap((d) => segmentsToVerify(d)).filter((s) => s.bytes > 0);
  const total = segments.reduce((a, s) => a + s.bytes, 0);
  const hints = new Map<string, RecoveryHints>();
  if (segments.length === 0 || total < minBytes) return hints;
  const started = Date.now();
  const pool = new Piscina({ filename: new URL('./recovery-task.js', import.meta.url).href, maxThreads: availableParallelism() });
  try {
    const results = await Promise.all(segments.map((s) => pool.run({ path: s.path }) as Promise<number>));
    segments.forEach((s, i) => {
      let h = hints.get(s.dir);
      if (!h) hints.set(s.dir, (h = { verifiedBytes: new Map() }));
      (h.verifiedBytes as Map<number, number>).set(s.baseOffset, results[i]!);
    });
    logger.info({ segments: segments.length, bytes: total, ms: Date.now() - started, threads: pool.threads.length }, 'verified unflushed segments in parallel');
  } finally {
    await pool.destroy();
  }
  return hints;
}
