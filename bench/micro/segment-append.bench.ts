/**
 * Segment append: PartitionLog.append (src/storage/partition-log.ts) with
 * flush 'os', the whole shard-side append path on one thread: batch
 * validation (header + CRC-32C in WASM), offset assignment, the write to the
 * segment file (page cache), the sparse index and the tail cache. MB/s of
 * batch bytes, for 16 KiB and 1 MiB batches of 100-byte records.
 *
 * Fresh page-cache pages are slow on this VM the first time the guest touches
 * them (the host reclaims idle memory, research/limits.md), so, as for the
 * file-append ceiling, a scratch file of the measured volume is written and
 * deleted first; then the log appends a short warm-up (JIT) and the measured
 * volume, bounded by bytes and by time. Temp dirs are removed afterwards.
 *
 *   node dist/bench/micro/segment-append.bench.js [--quick]
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LOG_CONFIG, PartitionLog } from '../../src/storage/partition-log.js';
import { batchOf } from './codec.bench.js';
import { isMain, runStandalone } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

/** Writes and deletes `bytes` of scratch file, so the page cache has warm pages to reuse. */
function touchPages(path: string, bytes: number): void {
  const buf = Buffer.alloc(1 << 20, 0x11);
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; done += buf.length) writeSync(fd, buf);
  closeSync(fd);
  rmSync(path);
}

/** Appends `batch` until `bytes` or `maxMs`; returns MB/s. */
function appendFor(log: PartitionLog, batch: Buffer, bytes: number, maxMs: number): number {
  const t0 = performance.now();
  let done = 0;
  let n = 0;
  while (done < bytes) {
    const r = log.append(batch, Date.now());
    if (typeof r === 'number') throw new Error(`append failed with error code ${r}`);
    done += batch.length;
    if ((++n & 15) === 0 && performance.now() - t0 > maxMs) break;
  }
  return done / ((performance.now() - t0) / 1000) / 1e6;
}

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const warm = (opts.quick ? 16 : 32) << 20;
  const measured = (opts.quick ? 64 : 384) << 20;
  const maxMs = opts.quick ? 400 : 1500;
  for (const [label, size] of [['16 KiB', 16 * 1024], ['1 MiB', 1 << 20]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-seg-'));
    try {
      touchPages(join(dir, 'scratch.bin'), warm + measured);
      const log = await PartitionLog.open(join(dir, 'bench-0'), { ...DEFAULT_LOG_CONFIG, flush: { kind: 'os' }, maxMessageBytes: 2 << 20 });
      const batch = batchOf(size);
      appendFor(log, batch, warm, maxMs);
      const mbps = appendFor(log, batch, measured, maxMs);
      await log.close();
      figures.push({ name: `segment append (PartitionLog, flush os), ${label} batches`, value: Math.round(mbps), unit: 'MB/s' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figures;
}

if (isMain(import.meta.url)) await runStandalone('Segment append', run);
