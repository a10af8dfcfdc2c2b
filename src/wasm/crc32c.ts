/**
 * CRC-32C (Castagnoli) for Kafka record batches, backed by the WASM kernel in
 * wasm/crc32c.wat (16 SIMD lanes for whole KiB stripes, slice-by-16 for the
 * rest: 2.7-3.6 GB/s at 16 KiB-1 MiB on the 2 GHz 2026-12-07 box, where the
 * JS twin in ./crc32c-js.ts does 0.45 GB/s), with the JS twin as fallback.
 *
 * Two ways in:
 *
 * 1. `crc32c(bytes, start, end, crc)`: same signature and results as
 *    `crc32cJs`, for bytes in ordinary Buffers. The bytes are copied into a
 *    private WASM memory in chunks of SCRATCH_BYTES and checksummed there:
 *
 *      private memory:  [0, 16 KiB) tables | [16 KiB, 16 KiB + SCRATCH_BYTES) scratch
 *
 *    Chunking keeps the scratch area small and cache-hot (copy, then CRC while
 *    the chunk is still in L1/L2), so the memory never has to grow and a 1 MiB
 *    input costs the same per byte as a 16 KiB one.
 *
 * 2. `createCrc32cOnMemory(memory)`: a checksum function over a range that
 *    already lies in a WebAssembly.Memory, shared (SharedArrayBuffer, the shard
 *    rings) or not. No copy. The kernel keeps its tables in the first
 *    CRC32C_TABLE_BYTES bytes of that memory, so the caller must not put
 *    anything there (start allocations at 64 KiB, the first page boundary after
 *    the tables, to stay clear of any future growth of the table region).
 *
 * Which implementation is active: `crc32cImplementation` ('wasm' or 'js').
 * MILLRACE_WASM=0 forces 'js' (see wasm-files.ts). Loading is synchronous at
 * import: the module is under 10 KiB; V8 compiles it with its baseline tier
 * in 0.2-0.4 ms here and optimizes the hot functions in the background.
 *
 * Thread ownership: none. Each thread that imports this module gets its own
 * instance and scratch memory; functions made by createCrc32cOnMemory belong
 * to the thread that made them (one instance per thread on a shared memory).
 */
import { crc32cJs } from './crc32c-js.js';
import { compileRelaxedSimdWasm, wasmEnabled } from './wasm-files.js';

/** Bytes at the start of a memory that hold the kernel's lookup tables (T0..T15, 1 KiB each). */
export const CRC32C_TABLE_BYTES = 16384;

/** Copy-in chunk for ordinary Buffers: 64 KiB fits in L2 with the tables in L1 (measured: 16 KiB-256 KiB within noise). */
const SCRATCH_BYTES = 65536;
const SCRATCH_PTR = CRC32C_TABLE_BYTES;

/** The kernel's exports (wasm/crc32c.wat). */
interface Crc32cExports {
  init(): void;
  /** crc32c(previousCrc, ptr, len) → CRC as a signed i32. */
  crc32c(crc: number, ptr: number, len: number): number;
  table_bytes: WebAssembly.Global;
}

/** CRC-32C of bytes[start, end), continuing from `crc` (0 for a fresh checksum). Returns an unsigned 32-bit value. */
export type Crc32cFn = (bytes: Uint8Array, start?: number, end?: number, crc?: number) => number;
/** CRC-32C of memory[ptr, ptr + len), continuing from `crc`. Returns an unsigned 32-bit value. */
export type Crc32cOnMemoryFn = (ptr: number, len: number, crc?: number) => number;

let privateModule: WebAssembly.Module | undefined;
let sharedModule: WebAssembly.Module | undefined;
let fallbackReason: string | undefined;
let relaxedSimd = false;

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Crc32cExports {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Crc32cExports;
  if (exports.table_bytes.value !== CRC32C_TABLE_BYTES) {
    throw new Error(`crc32c kernel reserves ${exports.table_bytes.value} bytes, loader expects ${CRC32C_TABLE_BYTES}`);
  }
  exports.init();
  return exports;
}

/** The copy-in implementation over a private memory. Returns undefined (and sets fallbackReason) if WASM is unusable. */
function loadWasmCrc32c(): Crc32cFn | undefined {
  const { enabled, reason } = wasmEnabled();
  if (!enabled) { fallbackReason = reason; return undefined; }
  try {
    const compiled = compileRelaxedSimdWasm('crc32c');
    privateModule = compiled.module;
    relaxedSimd = compiled.relaxedSimd;
    const pages = Math.ceil((SCRATCH_PTR + SCRATCH_BYTES) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages });
    const kernel = instantiate(privateModule, memory).crc32c;
    const heap = new Uint8Array(memory.buffer); // never detached: this memory never grows
    // Self-test before trusting the kernel: the standard check value (slice-by-16
    // only), then 3 KiB + 5 bytes against the JS twin (SIMD lanes and the rest).
    heap.set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39], SCRATCH_PTR);
    if (kernel(0, SCRATCH_PTR, 9) >>> 0 !== 0xe3069283) throw new Error('crc32c kernel self-test failed');
    for (let i = 0; i < 3077; i++) heap[SCRATCH_PTR + i] = (i * 131 + 7) & 0xff;
    if (kernel(0, SCRATCH_PTR, 3077) >>> 0 !== crc32cJs(heap, SCRATCH_PTR, SCRATCH_PTR + 3077)) {
      throw new Error('crc32c kernel self-test failed on its SIMD path');
    }

    return function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
      if (!(start >= 0 && start <= end && end <= bytes.length)) {
        throw new RangeError(`crc32c range [${start}, ${end}) outside 0..${bytes.length}`);
      }
      let c = crc | 0;
      if (start === 0 && end === bytes.length && end <= SCRATCH_BYTES) {
        heap.set(bytes, SCRATCH_PTR); // whole small buffer: no subarray view to allocate
        return kernel(c, SCRATCH_PTR, end) >>> 0;
      }
      while (start < end) {
        const n = end - start < SCRATCH_BYTES ? end - start : SCRATCH_BYTES;
        heap.set(bytes.subarray(start, start + n), SCRATCH_PTR);
        c = kernel(c, SCRATCH_PTR, n);
        start += n;
      }
      return c >>> 0;
    };
  } catch (err) {
    fallbackReason = `WASM crc32c unavailable: ${(err as Error).message}`;
    return undefined;
  }
}

const wasmCrc32c = loadWasmCrc32c();

/** 'wasm' when the WASM kernel is in use, 'js' when the JS twin is (MILLRACE_WASM=0 or the kernel failed to load). */
export const crc32cImplementation: 'wasm' | 'js' = wasmCrc32c ? 'wasm' : 'js';

/**
 * Whether the WASM kernel runs its relaxed-SIMD build (pshufb without a range
 * fix-up, ~1.8x the plain-SIMD twin); false for the plain build or the JS twin.
 */
export const crc32cRelaxedSimd: boolean = relaxedSimd;

/** Why the JS twin is active (undefined when the WASM kernel is). Worth one log line at start-up. */
export const crc32cFallbackReason: string | undefined = fallbackReason;

/**
 * CRC-32C of bytes[start, end), continuing from `crc` (0 for a fresh checksum).
 * Returns an unsigned 32-bit value. Same contract as crc32cJs.
 */
export const crc32c: Crc32cFn = wasmCrc32c ?? crc32cJs;

/**
 * A CRC-32C function over ranges of `memory` (no copy). The memory may be
 * shared (`shared: true`, a SharedArrayBuffer) or private, and may grow later.
 *
 * Reserved region: the kernel writes its tables into
 * memory[0, CRC32C_TABLE_BYTES) here, once per call of this factory (the
 * values are always the same, so several threads doing this on one shared
 * memory is harmless). Ranges passed to the returned function must lie at or
 * above CRC32C_TABLE_BYTES.
 *
 * With MILLRACE_WASM=0 (or no usable kernel) the returned function runs the JS
 * twin over a view of the same memory (still no copy) and leaves the reserved
 * region untouched; `implementation` tells which one you got.
 */
export function createCrc32cOnMemory(memory: WebAssembly.Memory): Crc32cOnMemoryFn & { implementation: 'wasm' | 'js'; kernel?: Crc32cExports['crc32c'] } {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  if (memory.buffer.byteLength < CRC32C_TABLE_BYTES) {
    throw new RangeError(`crc32c needs a memory of at least ${CRC32C_TABLE_BYTES} bytes`);
  }
  // memory.buffer is a getter (and on a shared memory may build a new
  // SharedArrayBuffer object after another thread grew it): read it only when
  // a range looks out of bounds, which is also when growth would matter.
  let limit = memory.buffer.byteLength;
  const check = (ptr: number, len: number): void => {
    if (ptr >= CRC32C_TABLE_BYTES && len >= 0 && ptr + len <= limit) return;
    limit = memory.buffer.byteLength;
    if (!(ptr >= CRC32C_TABLE_BYTES && len >= 0 && ptr + len <= limit)) {
      throw new RangeError(`crc32c range [${ptr}, ${ptr + len}) outside ${CRC32C_TABLE_BYTES}..${limit}`);
    }
  };

  if (wasmCrc32c) {
    sharedModule ??= shared ? compileRelaxedSimdWasm('crc32c-shared').module : undefined;
    const kernel = instantiate(shared ? sharedModule! : privateModule!, memory).crc32c;
    const fn = (ptr: number, len: number, crc = 0): number => {
      check(ptr, len);
      return kernel(crc | 0, ptr, len) >>> 0;
    };
    // `kernel`: the instance's export itself, for other WASM modules on this memory to import (no JS in between).
    return Object.assign(fn, { implementation: 'wasm' as const, kernel });
  }

  let view = new Uint8Array(memory.buffer);
  const fn = (ptr: number, len: number, crc = 0): number => {
    check(ptr, len);
    if (view.byteLength !== memory.buffer.byteLength) view = new Uint8Array(memory.buffer); // grown
    return crc32cJs(view, ptr, ptr + len, crc);
  };
  return Object.assign(fn, { implementation: 'js' as const });
}
