/** TailCache against a model (every cached batch, byte for byte), with and without chunk reuse. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppendedBatch } from '../../../src/storage/segment.js';
import { TailCache } from '../../../src/storage/tail-cache.js';
import { rng } from './helpers.js';

/** An append of `n` fake batches (distinct bytes per offset), `size` bytes each. */
function append(firstOffset: number, n: number, size: number): { src: Buffer; batches: AppendedBatch[] } {
  const src = Buffer.alloc(n * size);
  const batches: AppendedBatch[] = [];
  for (let i = 0; i < n; i++) {
    src.fill((firstOffset + i) & 0xff, i * size, (i + 1) * size);
    src.writeUInt32BE(firstOffset + i, i * size);
    batches.push({ position: i * size, size, lastOffsetDelta: 0 });
  }
  return { src, batches };
}

for (const reuseChunks of [false, true]) {
  test(`reads return exactly the cached suffix of the log (reuseChunks ${reuseChunks})`, () => {
    const rand = rng(reuseChunks ? 5 : 6);
    const cache = new TailCache(64 * 1024, reuseChunks);
    const model = new Map<number, Buffer>();
    let next = 0;
    for (let step = 0; step < 5000; step++) {
      const n = 1 + Math.floor(rand() * 4);
      const size = 64 + Math.floor(rand() * 3000);
      const { src, batches } = append(next, n, size);
      for (let i = 0; i < n; i++) model.set(next + i, Buffer.from(src.subarray(i * size, (i + 1) * size)));
      cache.append(src, batches, next);
      src.fill(0); // the cache must hold its own copy
      next += n;
      const first = cache.firstOffset;
      assert.ok(first <= next - n, 'the latest append is cached');
      // Readers copy before the next append, as worker shards do.
      const from = first + Math.floor(rand() * (next - first));
      const out: Buffer[] = [];
      const r = cache.read(from, 1 << 30, true, out);
      const got = Buffer.concat(out);
      const want = Buffer.concat(Array.from({ length: next - from }, (_, i) => model.get(from + i)!));
      assert.is(r.lastOffset, next - 1);
      assert.ok(got.equals(want), `step ${step}: offsets ${from}..${next - 1}`);
    }
  });
}

test('with reuseChunks, evicted chunks are written again instead of allocating new ones', () => {
  const cache = new TailCache(64 * 1024, true);
  const seen = new Set<ArrayBufferLike>();
  for (let o = 0; o < 2000; o++) {
    const { src, batches } = append(o, 1, 1000);
    cache.append(src, batches, o);
    const out: Buffer[] = [];
    cache.read(o, 1 << 20, true, out);
    seen.add(out[0]!.buffer);
  }
  assert.ok(seen.size <= 4, `2 MB through a 64 KiB cache used ${seen.size} chunks`);
});

test.run();
