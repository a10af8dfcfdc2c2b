/** ReadBufferPool: a lease's memory is reused only after release, released once, and the idle pool is bounded; an inline shard's fetch leases it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadBufferPool } from '../../../src/storage/read-buffer-pool.js';
import { InlineShard } from '../../../src/shard/inline-shard.js';
import { batch, concat, removeTempDirs, tempDir, testConfig } from './helpers.js';

test('buffers of live leases never overlap; after release the same memory serves the next lease', () => {
  const pool = new ReadBufferPool();
  const l1 = pool.lease();
  const a = l1.alloc(1000);
  const b = l1.alloc(100_000);
  const l2 = pool.lease();
  const c = l2.alloc(1000);
  for (const [x, y] of [[a, b], [a, c], [b, c]] as const) assert.is.not(x.buffer, y.buffer);
  assert.is(a.length, 1000);
  assert.is(b.length, 100_000);
  assert.ok(l1.used);
  l1.release();
  assert.is(pool.idleSize, 64 * 1024 + 128 * 1024);
  const l3 = pool.lease();
  assert.is(l3.alloc(2000).buffer, a.buffer, 'the 64 KiB buffer again');
  assert.is(l3.alloc(70_000).buffer, b.buffer, 'the 128 KiB buffer again');
  assert.is(pool.idleSize, 0);
});

test('release is idempotent: a buffer is never handed out twice', () => {
  const pool = new ReadBufferPool();
  const l1 = pool.lease();
  const a = l1.alloc(10);
  l1.release();
  l1.release();
  assert.is(pool.idleSize, 64 * 1024);
  const x = pool.lease().alloc(10);
  const y = pool.lease().alloc(10);
  assert.is(x.buffer, a.buffer);
  assert.is.not(y.buffer, a.buffer);
  assert.throws(() => l1.alloc(10), /released/);
});

test('at most 64 MiB waits in the pool', () => {
  const pool = new ReadBufferPool();
  const leases = Array.from({ length: 10 }, () => { const l = pool.lease(); l.alloc(16 << 20); return l; });
  for (const l of leases) l.release();
  assert.is(pool.idleSize, 64 << 20);
});

test('an inline shard serves leased fetches from the pool and the records survive until released', async () => {
  const shard = new InlineShard(0);
  const dir = tempDir('read-pool');
  // A small tail cache budget would still serve the tail; a consumer reading from offset 0 of a
  // log with several segments reads the closed ones from disk.
  await shard.openPartition('t-0', dir, testConfig({ segmentBytes: 4096 }));
  const batches = Array.from({ length: 12 }, (_, i) => batch(3, { tag: `b${i}`, valueBytes: 300 }));
  for (const b of batches) await shard.produce({ key: 't-0', records: Buffer.from(b), acks: 1 });
  const releases: (() => void)[] = [];
  const first = shard.fetch({ key: 't-0', fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true, lease: (r) => releases.push(r) });
  assert.is(releases.length, 1, 'a disk read took pool memory');
  const copy = Buffer.from(concat(first.records));
  // A second fetch while the first is leased must not reuse its memory.
  const second = shard.fetch({ key: 't-0', fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true, lease: (r) => releases.push(r) });
  assert.ok(concat(first.records).equals(copy));
  assert.ok(concat(second.records).equals(copy));
  for (const r of releases) r();
  await shard.close();
  removeTempDirs();
});

test.run();
