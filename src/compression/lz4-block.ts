/**
 * Raw LZ4 *blocks* (no frame), on top of lz4-wasm-nodejs (lz4_flex compiled to
 * WASM). The frame format around them is in ./lz4-frame.ts.
 *
 * lz4-wasm-nodejs speaks lz4_flex's "size prepended" format:
 *
 *   [u32 LE uncompressed length][LZ4 block]
 *
 * and its decompress insists that the prefix equals the decompressed size
 * exactly (a larger one fails with "the expected decompressed size differs").
 * An LZ4 frame does not record the size of each block, so the decoder either
 * knows it (every block but the last is usually full) or computes it with a
 * pass over the block's sequence headers that skips literals and never copies:
 * wasm/lz4-size.wat, with lz4BlockDecompressedSize below as its JS twin (2.2-2.4
 * GB/s of output at 16 KiB on the 2 GHz 2026-12-07 box, a fifth of a frame
 * decode; the WASM walk is several times faster).
 *
 * LZ4 block grammar (https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md):
 *
 *   sequence := token [literal-length bytes] literals [offset u16 LE] [match-length bytes]
 *   token    := high nibble literal length (15 = more bytes follow), low nibble match length - 4
 *   extra length bytes: add each byte, stop after the first byte < 255
 *   the last sequence has literals only (no offset, no match)
 */
import { compress as wasmCompress, decompress as wasmDecompress } from 'lz4-wasm-nodejs';
import { prefixedScratch, scratchBlockSize } from '../wasm/lz4-block-size.js';

/** Thrown for malformed LZ4 data. */
export class Lz4Error extends Error {
  override name = 'Lz4Error';
}

/**
 * Compresses `input` into one LZ4 block. Returns a view whose bytes are the
 * block without lz4_flex's 4-byte size prefix (a view into a fresh copy; no
 * further copy is needed to keep it).
 */
export function compressBlock(input: Uint8Array): Uint8Array {
  const out = wasmCompress(input);
  return out.subarray(4);
}

/**
 * Decompressed size of the LZ4 block src[start, end), from its sequence
 * headers alone, or -1 if the block is malformed (a length runs past the end,
 * or a match offset is 0 or reaches before the start of the output).
 */
export function lz4BlockDecompressedSize(src: Uint8Array, start: number, end: number): number {
  let s = start;
  let out = 0;
  while (s < end) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do { if (s >= end) return -1; b = src[s++]!; lit += b; } while (b === 255);
    }
    s += lit;
    out += lit;
    if (s >= end) return s === end ? out : -1; // last sequence: literals only
    if (s + 2 > end) return -1;
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > out) return -1;
    let match = token & 15;
    if (match === 15) {
      let b: number;
      do { if (s >= end) return -1; b = src[s++]!; match += b; } while (b === 255);
    }
    out += match + 4;
  }
  // A block must end with a literals-only sequence; an empty block is only valid as a single 0 token.
  return -1;
}

/**
 * Decompresses the LZ4 block src[start, end). `sizeHint`, when given, is tried
 * first (the frame decoder passes the max block size for blocks that are not
 * the last, which producers fill completely); if it is wrong, or absent, the
 * exact size comes from the block's sequence headers (a WASM walk over the
 * scratch copy, or lz4BlockDecompressedSize). `maxSize` bounds the output.
 * The block is copied once, into a size-prefixed scratch area that lz4-wasm
 * copies into its own memory.
 */
export function decompressBlock(src: Uint8Array, start: number, end: number, maxSize: number, sizeHint?: number): Uint8Array {
  const n = end - start;
  const prefixed = prefixedScratch(n);
  prefixed.set(src.subarray(start, end), 4);
  if (sizeHint !== undefined) {
    try {
      return decompressPrefixed(prefixed, sizeHint);
    } catch {
      // fall through to the exact size
    }
  }
  const size = scratchBlockSize(n, lz4BlockDecompressedSize);
  if (size < 0) throw new Lz4Error('LZ4 block: malformed sequence (length or offset out of range)');
  if (size > maxSize) throw new Lz4Error(`LZ4 block: decompresses to ${size} bytes, more than the maximum ${maxSize}`);
  return decompressPrefixed(prefixed, size);
}

/** Decompresses a size-prefixed block whose bytes follow the prefix, telling lz4-wasm the output is exactly `size`. */
function decompressPrefixed(prefixed: Uint8Array, size: number): Uint8Array {
  prefixed[0] = size & 0xff;
  prefixed[1] = (size >>> 8) & 0xff;
  prefixed[2] = (size >>> 16) & 0xff;
  prefixed[3] = (size >>> 24) & 0xff;
  try {
    return wasmDecompress(prefixed);
  } catch (err) {
    // lz4-wasm throws a plain string.
    throw new Lz4Error(`LZ4 block: ${err instanceof Error ? err.message : String(err)}`);
  }
}
