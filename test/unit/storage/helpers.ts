/** Shared by the storage tests (not a test file itself). */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch, type RecordInput } from '../../../src/protocol/record-batch/record-batch-builder.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/log-config.js';
import type { AppendResult } from '../../../src/storage/log.js';

const made: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs(). */
export function tempDir(tag = 'storage'): string {
  const d = fs.mkdtempSync(join(tmpdir(), `millrace-${tag}-`));
  made.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Small segments and index interval so tests roll and index a lot with little data. */
export function testConfig(over: Partial<LogConfig> = {}): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: 4096,
    indexIntervalBytes: 256,
    retentionMs: -1,
    retentionBytes: -1,
    flush: { kind: 'os' },
    tailCacheBytes: 2048,
    ...over,
  };
}

/** A batch of `count` records with `valueBytes`-byte values; timestamps from `ts`, +1 per record. */
export function batch(count: number, opts: { ts?: number; valueBytes?: number; tag?: string } = {}): Buffer {
  const ts = opts.ts ?? 1_000;
  const recs: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    recs.push({ key: `${opts.tag ?? 'k'}${i}`, value: Buffer.alloc(opts.valueBytes ?? 20, 97 + (i % 26)), timestamp: ts + i });
  }
  return buildBatch(recs, { timestampMs: ts });
}

export function ok(r: AppendResult | number): AppendResult {
  if (typeof r === 'number') throw new Error(`append failed with error ${r}`);
  return r;
}

export function concat(bufs: Buffer[]): Buffer {
  return Buffer.concat(bufs);
}

/** Deterministic PRNG (mulberry32) so model tests replay. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
