/**
 * LZ4 frame encode / decode throughput (src/compression/lz4-frame.ts) on 16 KiB
 * and 1 MiB of record-like data, next to the raw lz4-wasm block calls it is
 * built on, so the cost of the frame layer (headers, stored-block decisions,
 * block sizing pass, copies) shows.
 *
 *   node dist/bench/micro/lz4.bench.js [--quick]
 *
 * MB/s counts uncompressed bytes for both directions. Baselines on the dev box
 * (research/limits.md §3, raw lz4-wasm): compress 419 / 300 MB/s, decompress
 * 889 / 851 MB/s at 16 KiB / 1 MiB. Targets below are floors for the frame
 * codec, set under those baselines to allow for the frame layer and noise.
 */
import { compress as rawCompress, decompress as rawDecompress } from 'lz4-wasm-nodejs';
import { LZ4_PRODUCER_PRESETS, decodeLz4Frame, encodeLz4Frame } from '../../src/compression/lz4-frame.js';
import { recordLikeBytes } from './data.js';
import { isMain, measureThroughput, runStandalone, type ThroughputCase } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const cases: ThroughputCase[] = [];
  for (const [label, n] of [['16 KiB', 16 * 1024], ['1 MiB', 1024 * 1024]] as const) {
    const input = recordLikeBytes(n);
    const frame = encodeLz4Frame(input);
    const kafkajsFrame = encodeLz4Frame(input, LZ4_PRODUCER_PRESETS.kafkajs);
    const big = n > 16 * 1024;
    cases.push(
      { name: `lz4 frame encode ${label}`, bytes: n, fn: () => encodeLz4Frame(input).length, target: { op: '>=', value: big ? 250 : 350 } },
      { name: `lz4 frame decode ${label}`, bytes: n, fn: () => decodeLz4Frame(frame).length, target: { op: '>=', value: 600 } },
      { name: `lz4 frame decode ${label} (kafkajs: 4 MiB blocks + content xxh32)`, bytes: n, fn: () => decodeLz4Frame(kafkajsFrame).length },
    );
    // Raw lz4-wasm baselines: one block with lz4_flex's size prefix, as research/limits.md measured.
    const rawBlock = rawCompress(input);
    cases.push(
      { name: `lz4-wasm raw block compress ${label}`, bytes: n, fn: () => rawCompress(input).length },
      { name: `lz4-wasm raw block decompress ${label}`, bytes: n, fn: () => rawDecompress(rawBlock).length },
    );
  }
  return measureThroughput(cases, opts);
}

if (isMain(import.meta.url)) await runStandalone('LZ4 frame codec', run);
