/**
 * Start-up recovery after a crash, with and without the parallel pre-scan.
 *
 *   node dist/bench/recovery-pool.js [partitions=8] [MiB per partition=48]
 *
 * Writes unflushed partitions (no close, as after kill -9), then recovers
 * them the way the broker does: (a) every shard scans and checksums its own
 * partitions, one after another; (b) the piscina pool CRC-verifies all
 * segments in parallel first, then recovery walks headers only.
 */
import { rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../src/storage/log-config.js';
import { buildBatch } from '../src/protocol/record-batch/index.js';
import { verifyPartitionsInParallel } from '../src/shard/recovery-pool.js';

const partitions = Number(process.argv[2] ?? 8);
const mibPerPartition = Number(process.argv[3] ?? 48);
const config = { ...DEFAULT_LOG_CONFIG, flush: { kind: 'os' as const } };
const root = mkdtempSync(join(tmpdir(), 'millrace-recovery-bench-'));

async function main(): Promise<void> {
  const batch = buildBatch(Array.from({ length: 160 }, (_, i) => ({ value: `record-${i}-${'x'.repeat(90)}` })));
  const dirs = Array.from({ length: partitions }, (_, p) => join(root, `bench-${p}`));
  for (const dir of dirs) {
    const log = await PartitionLog.open(dir, config);
    const n = Math.ceil((mibPerPartition << 20) / batch.length);
    for (let i = 0; i < n; i++) log.append(Buffer.from(batch), Date.now());
  }
  const sequential = async (): Promise<number> => {
    const t = process.hrtime.bigint();
    for (const dir of dirs) await PartitionLog.open(dir, config);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const pooled = async (): Promise<number> => {
    const t = process.hrtime.bigint();
    const hints = await verifyPartitionsInParallel(dirs, 0);
    for (const dir of dirs) await PartitionLog.open(dir, config, Date.now(), hints.get(dir));
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  // Opening without flush or close leaves the recovery point at 0, so every run recovers everything again.
  const a1 = await sequential(); const b1 = await pooled(); const a2 = await sequential(); const b2 = await pooled();
  const total = partitions * mibPerPartition;
  console.log(`recovery of ${partitions} partitions × ${mibPerPartition} MiB unflushed (${total} MiB):`);
  console.log(`  each partition scanned and checksummed in turn: ${a1.toFixed(0)} / ${a2.toFixed(0)} ms`);
  console.log(`  piscina pre-scan on all cores, then header walk: ${b1.toFixed(0)} / ${b2.toFixed(0)} ms`);
  console.log(`  speed-up (best of two): ${(Math.min(a1, a2) / Math.min(b1, b2)).toFixed(2)}x`);
}

main().finally(() => rmSync(root, { recursive: true, force: true }));
