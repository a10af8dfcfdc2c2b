import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compressBlock, lz4BlockDecompressedSize } from '../../../src/compression/lz4-block.js';
import { lz4BlockSizeImplementation, prefixedScratch, scratchBlockSize } from '../../../src/wasm/lz4-block-size.js';

/** Deterministic bytes with runs and repeats, so blocks hold literals and matches of every length class. */
function compressible(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = (x & 7) === 0 ? x & 0xff : i > 300 && (x & 3) !== 0 ? b[i - 1 - ((x >>> 8) % 300)]! : (i * 7) & 0x3f;
  }
  return b;
}

/** The WASM walk over the scratch copy of `block`. */
function walk(block: Uint8Array): number {
  prefixedScratch(block.length).set(block, 4);
  return scratchBlockSize(block.length, lz4BlockDecompressedSize);
}

test('the size walk runs in WASM unless MILLRACE_WASM=0', () => {
  assert.is(lz4BlockSizeImplementation, process.env.MILLRACE_WASM === '0' ? 'js' : 'wasm');
});

test('agrees with the JS twin on real blocks, every truncation and corrupted bytes', () => {
  for (const n of [0, 1, 13, 300, 4096, 70_000, 300_000]) {
    const block = compressBlock(compressible(n, n + 3));
    assert.is(walk(block), n, `size of a ${n}-byte block`);
    // Every truncation of a small block, and a sample for the large ones.
    const step = block.length > 2000 ? 97 : 1;
    for (let cut = 0; cut < block.length; cut += step) {
      const part = block.subarray(0, cut);
      assert.is(walk(part), lz4BlockDecompressedSize(part, 0, part.length), `${n}-byte block cut at ${cut}`);
    }
    // Flipped bytes: whatever the answer, both walks give the same one.
    for (let i = 0; i < Math.min(block.length, 400); i += 3) {
      const bad = Uint8Array.from(block);
      bad[i] ^= 0x5a;
      assert.is(walk(bad), lz4BlockDecompressedSize(bad, 0, bad.length), `${n}-byte block, byte ${i} flipped`);
    }
  }
});

test('malformed blocks: zero offset, offset before the output, lengths past the end', () => {
  for (const bytes of [[0x10, 0x61, 0x00, 0x00, 0x00], [0x10, 0x61, 0x05, 0x00, 0x00], [0xf0, 0xff], [0x1f, 0x61, 0x01, 0x00, 0xff], [0x10, 0x61, 0x01]]) {
    assert.is(walk(Uint8Array.from(bytes)), -1, JSON.stringify(bytes));
  }
  assert.is(walk(Uint8Array.from([0x00])), 0); // the empty block
  assert.is(walk(Uint8Array.from([0x10, 0x61, 0x01, 0x00, 0x30, 0x62, 0x63, 0x64])), 1 + 4 + 3);
});

test('the scratch grows for blocks larger than its first pages', () => {
  const big = compressBlock(new Uint8Array(3 * 1024 * 1024).fill(9)); // tiny block, large output
  assert.is(walk(big), 3 * 1024 * 1024);
  let x = 12345;
  const incompressible = compressBlock(Uint8Array.from({ length: 400_000 }, () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x & 0xff; }));
  assert.ok(incompressible.length > 131072);
  assert.is(walk(incompressible), 400_000);
});

test.run();
