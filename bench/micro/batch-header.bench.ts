/**
 * Record batch header parse: what the produce path reads from each batch
 * before it appends it (src/protocol/record-batch/). Batches stay opaque, so
 * the header view is the only per-batch parsing:
 *
 * - "header view": every field of the 61-byte header read through the
 *   record-batch-header accessors (offsets, length, epoch, magic, CRC,
 *   attributes, timestamps, producer fields, count);
 * - "validateBatches": the broker's full per-batch check (header rules and
 *   the CRC-32C of the body, WASM), on a 16 KiB batch of 100-byte records and
 *   on a request of 64 × 1 KiB batches; figures in batches/s and MB/s.
 *
 *   node dist/bench/micro/batch-header.bench.js [--quick]
 */
import { BatchHeader, validateBatches } from '../../src/protocol/record-batch/index.js';
import { measureOps } from '../lib/ops.js';
import { batchOf } from './codec.bench.js';
import { isMain, runStandalone } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

function readHeader(b: Buffer): number {
  const H = BatchHeader;
  return (
    H.baseOffset(b, 0) + H.batchLength(b, 0) + H.partitionLeaderEpoch(b, 0) + H.magic(b, 0) + H.crc(b, 0) +
    H.attributes(b, 0) + H.lastOffsetDelta(b, 0) + H.baseTimestamp(b, 0) + H.maxTimestamp(b, 0) +
    H.producerId(b, 0) + H.producerEpoch(b, 0) + H.baseSequence(b, 0) + H.recordCount(b, 0)
  );
}

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const batch16k = batchOf(16 * 1024);
  const small = Array.from({ length: 64 }, (_, i) => batchOf(1024, i + 1));
  const request = Buffer.concat(small);
  const check = validateBatches(batch16k, { maxMessageBytes: 1 << 20 });
  if (!check.ok) throw new Error(`bench batch invalid: ${check.reason}`);
  return measureOps([
    { name: 'batch header view, all 61-byte header fields', reps: 256, report: 'ns/op', fn: () => readHeader(batch16k) },
    { name: 'validateBatches, one 16 KiB batch (header + CRC-32C)', reps: 16, fn: () => (validateBatches(batch16k, { maxMessageBytes: 1 << 20 }) as { ok: boolean }).ok, bytes: batch16k.length },
    { name: 'validateBatches, 64 × 1 KiB batches', reps: 4, opsPerCall: 64, fn: () => (validateBatches(request, { maxMessageBytes: 1 << 20 }) as { ok: boolean }).ok, bytes: request.length / 64 },
  ], opts);
}

if (isMain(import.meta.url)) await runStandalone('Record batch header parse', run);
