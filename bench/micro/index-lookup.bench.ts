/**
 * Index lookup: the sparse offset index (src/storage/offset-index.ts) of a
 * full 1 GiB segment (262,144 entries, one per 4 KiB as with Kafka's
 * index.interval.bytes), random offsets → file position (binary search over
 * the in-memory image); and the fetch path's read of a PartitionLog at a
 * random offset (index lookup, scan to the batch, read up to 64 KiB from the
 * page cache), beyond the tail cache.
 *
 *   node dist/bench/micro/index-lookup.bench.js [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { DEFAULT_LOG_CONFIG, PartitionLog } from '../../src/storage/partition-log.js';
import { measureOps } from '../lib/ops.js';
import { batchOf } from './codec.bench.js';
import { isMain, runStandalone } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-idx-'));
  try {
    const entries = 262_144;
    const index = new OffsetIndex(join(dir, '00000000000000000000.index'), 0);
    index.create();
    for (let i = 0; i < entries; i++) index.append(i * 40 + 39, i * 4096);
    const maxOffset = entries * 40;
    const targets = Int32Array.from({ length: 4096 }, (_, i) => Math.floor(((i * 2654435761) >>> 0) / 4294967296 * maxOffset));
    let k = 0;

    // A log of 16 KiB batches well beyond the tail cache (8 MiB).
    const log = await PartitionLog.open(join(dir, 'bench-0'), { ...DEFAULT_LOG_CONFIG, flush: { kind: 'os' } });
    const batch = batchOf(16 * 1024);
    const logBytes = (opts.quick ? 64 : 256) << 20;
    for (let b = 0; b < logBytes; b += batch.length) log.append(batch, Date.now());
    const end = log.logEndOffset;
    const readTargets = Int32Array.from({ length: 4096 }, (_, i) => Math.floor(((i * 2246822519) >>> 0) / 4294967296 * end * 0.9));
    let j = 0;

    const figures = await measureOps([
      { name: 'offset index lookup, 262,144 entries (random offset)', reps: 256, fn: () => index.lookupPosition(targets[k++ & 4095]!) },
      { name: 'log read at a random offset, ≤ 64 KiB from the page cache', reps: 16, fn: () => log.read(readTargets[j++ & 4095]!, 65536, true).bytes },
    ], opts);
    await log.close();
    index.closeFile();
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runStandalone('Index lookup', run);
