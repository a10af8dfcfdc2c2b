/**
 * CRC-32C throughput: the WASM kernel (copy-in path for ordinary Buffers, and
 * the no-copy path over a shared WebAssembly.Memory as the shard rings will use
 * it) against the JS twin, on 100 B, 16 KiB and 1 MiB.
 *
 *   node dist/bench/micro/crc32c.bench.js [--quick]
 *
 * Target: WASM >= 2000 MB/s on 1 MiB (plain JS slice-by-8 does ~0.9 GB/s and
 * hash-wasm ~1.6 GB/s on the dev box; research/limits.md §3). A native
 * addon (@node-rs/crc32, SSE4.2, a dev dependency) is measured beside them
 * as a reference only: the broker does not use it.
 */
import { crc32c as crc32cNative } from '@node-rs/crc32';
import { crc32cJs } from '../../src/wasm/crc32c-js.js';
import { CRC32C_TABLE_BYTES, crc32c, crc32cImplementation, createCrc32cOnMemory } from '../../src/wasm/crc32c.js';
import { isMain, measureThroughput, runStandalone, type ThroughputCase } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

const SIZES: Array<[string, number]> = [['100 B', 100], ['16 KiB', 16384], ['1 MiB', 1 << 20]];

function data(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const memory = new WebAssembly.Memory({ initial: 1 + Math.ceil(((1 << 20) + CRC32C_TABLE_BYTES) / 65536), maximum: 64, shared: true });
  const crcAt = createCrc32cOnMemory(memory);
  const PTR = 65536;
  const cases: ThroughputCase[] = [];
  for (const [label, n] of SIZES) {
    const buf = data(n);
    new Uint8Array(memory.buffer).set(buf, PTR);
    const onMem: ThroughputCase = { name: `crc32c ${crcAt.implementation} shared-memory ${label}`, bytes: n, fn: () => crcAt(PTR, n) };
    const wasm: ThroughputCase = { name: `crc32c ${crc32cImplementation} ${label}`, bytes: n, fn: () => crc32c(buf) };
    if (n === 1 << 20) {
      wasm.target = { op: '>=', value: 2000 };
      onMem.target = { op: '>=', value: 2000 };
    }
    cases.push(wasm, onMem, { name: `crc32c js-twin ${label}`, bytes: n, fn: () => crc32cJs(buf) });
    if (crc32cNative(buf) !== crc32cJs(buf)) throw new Error('@node-rs/crc32 and the JS twin disagree');
    cases.push({ name: `crc32c native reference (@node-rs/crc32) ${label}`, bytes: n, fn: () => crc32cNative(buf) });
  }
  return measureThroughput(cases, opts);
}

if (isMain(import.meta.url)) await runStandalone(`CRC-32C (implementation: ${crc32cImplementation})`, run);
