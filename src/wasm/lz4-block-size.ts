/**
 * A scratch area for one LZ4 block in lz4_flex's size-prepended layout
 * ([u32 LE size][block]), in WASM memory, with the kernel of
 * wasm/lz4-size.wat to compute the block's decompressed size where it lies.
 * src/compression/lz4-block.ts copies each block here once, asks for its size
 * when the frame does not imply it, writes the prefix and hands the view to
 * lz4-wasm (which copies it into its own memory).
 *
 * With MILLRACE_WASM=0 (or no usable kernel) the scratch is a plain
 * Uint8Array and the size comes from the JS twin `sizeOfBlock` passed in.
 *
 * Thread ownership: one scratch per thread that imports this module; a view
 * from `prefixedScratch` is valid until the next call.
 */
import { compileWasm, wasmEnabled } from './wasm-files.js';

interface Lz4SizeExports {
  block_size(ptr: number, len: number): number;
}

const WASM_PAGE = 65536;

let memory: WebAssembly.Memory | undefined;
let kernel: Lz4SizeExports | undefined;
let scratch: Uint8Array;

function load(): void {
  if (!wasmEnabled().enabled) return;
  try {
    memory = new WebAssembly.Memory({ initial: 2 });
    kernel = new WebAssembly.Instance(compileWasm('lz4-size.wasm'), { env: { memory } }).exports as unknown as Lz4SizeExports;
  } catch {
    memory = undefined;
    kernel = undefined;
  }
}
load();
scratch = memory ? new Uint8Array(memory.buffer) : new Uint8Array(2 * WASM_PAGE);

/** 'wasm' when the size walk runs in WASM, 'js' when the JS twin does. */
export const lz4BlockSizeImplementation: 'wasm' | 'js' = kernel ? 'wasm' : 'js';

/** A view of 4 + blockBytes scratch bytes: the caller writes the block at [4, 4 + blockBytes) and the size prefix at [0, 4). */
export function prefixedScratch(blockBytes: number): Uint8Array {
  const need = 4 + blockBytes;
  if (scratch.length < need) {
    if (memory) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / WASM_PAGE));
      scratch = new Uint8Array(memory.buffer);
    } else {
      scratch = new Uint8Array(Math.max(need, 2 * scratch.length));
    }
  }
  return scratch.subarray(0, need);
}

/**
 * Decompressed size of the block of `blockBytes` bytes just written into the
 * last prefixedScratch view, or -1 if it is malformed. `sizeOfBlock` is the JS
 * twin, used when WASM is off.
 */
export function scratchBlockSize(blockBytes: number, sizeOfBlock: (src: Uint8Array, start: number, end: number) => number): number {
  return kernel ? kernel.block_size(4, blockBytes) : sizeOfBlock(scratch, 4, 4 + blockBytes);
}
