/**
 * The one place the record-batch code gets its CRC-32C from. Everything in
 * record-batch/ (and storage/) calls `batchCrc32c`. The default is the WASM
 * kernel (src/wasm/crc32c.ts); `setCrc32c` swaps in another implementation
 * with the same signature (a shard worker uses it for its shared-memory entry,
 * tests and benchmarks for the JS twin).
 */
import { crc32c as wasmCrc32c } from '../../wasm/crc32c.js';
import { CRC_START } from './record-batch-header.js';

/** CRC-32C of bytes[start, end), continuing from `crc`; unsigned 32-bit result. */
export type Crc32cFn = (bytes: Uint8Array, start: number, end: number, crc: number) => number;

/** The WASM kernel (it falls back to the JS twin by itself when WebAssembly is unavailable or MILLRACE_WASM=0). */
let crc32c: Crc32cFn = wasmCrc32c;

/** Replace the CRC-32C implementation. */
export function setCrc32c(fn: Crc32cFn): void {
  crc32c = fn;
}

/** The implementation in use. */
export function getCrc32c(): Crc32cFn {
  return crc32c;
}

/** The CRC a v2 batch at [pos, pos + size) should carry: CRC-32C over [pos + 21, pos + size). */
export function batchCrc32c(buf: Uint8Array, pos: number, size: number): number {
  return crc32c(buf, pos + CRC_START, pos + size, 0);
}
