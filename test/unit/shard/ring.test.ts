/** ShardRing against an array queue (model-based), including wrap-around and full rings, and across threads. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { ShardRing } from '../../../src/shard/ring.js';

let seed = 7;
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

test('ring behaves like a FIFO queue under random writes and reads', () => {
  const capacity = 4096;
  const ring = new ShardRing(new SharedArrayBuffer(ShardRing.bytesFor(capacity)), 0, capacity);
  const model: Buffer[] = [];
  let written = 0;
  for (let step = 0; step < 20_000; step++) {
    if (rand(3) !== 0) {
      const payload = Buffer.alloc(rand(600));
      for (let i = 0; i < payload.length; i++) payload[i] = (written + i) & 0xff;
      if (ring.tryWrite(written & 0xffff, payload)) { model.push(payload); written++; }
      else assert.ok(model.length > 0, 'a write fails only when something is queued');
    } else {
      const msg = ring.peek();
      const want = model.shift();
      if (!want) { assert.is(msg, null); continue; }
      assert.ok(msg, 'message present');
      assert.is(msg!.length, want.length);
      assert.ok(Buffer.from(ring.bytes.subarray(msg!.offset, msg!.offset + msg!.length)).equals(want), `payload ${step}`);
      ring.release(msg!);
    }
  }
  assert.ok(written > 5000);
});

test('payloads are contiguous (never split at the end of the ring)', () => {
  const capacity = 1024;
  const ring = new ShardRing(new SharedArrayBuffer(ShardRing.bytesFor(capacity)), 0, capacity);
  for (let i = 0; i < 200; i++) {
    const at = ring.reserve(300, 1);
    assert.ok(at >= 0);
    assert.ok(at + 300 <= ring.dataStart + capacity, 'payload fits before the end');
    ring.publish();
    ring.release(ring.peek()!);
  }
});

test('a ring the consumer keeps up with reuses its first MiB (early wrap)', () => {
  const capacity = 32 * 1024 * 1024;
  const ring = new ShardRing(new SharedArrayBuffer(ShardRing.bytesFor(capacity)), 0, capacity);
  const payload = Buffer.alloc(64 * 1024, 1);
  let highest = 0;
  for (let i = 0; i < 2000; i++) {
    assert.ok(ring.tryWrite(1, payload));
    if (i % 4 === 3) for (let k = 0; k < 4; k++) { const m = ring.peek()!; highest = Math.max(highest, m.offset + m.length); ring.release(m); }
  }
  assert.ok(highest < 2 * 1024 * 1024, `highest byte used ${highest}`);
});

test('rejects payloads larger than half the ring', () => {
  const ring = new ShardRing(new SharedArrayBuffer(ShardRing.bytesFor(1024)), 0, 1024);
  assert.throws(() => ring.reserve(600, 1), /exceeds/);
});

test('a worker consumes 200,000 messages in order with waitAsync wake-ups', async () => {
  const capacity = 1 << 16;
  const sab = new SharedArrayBuffer(ShardRing.bytesFor(capacity));
  const ring = new ShardRing(sab, 0, capacity);
  const url = new URL('../../../src/shard/ring.js', import.meta.url).href;
  const worker = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(async ({ ShardRing }) => {
      const ring = new ShardRing(workerData.sab, 0, workerData.capacity);
      let expect = 0, sum = 0;
      while (expect < workerData.count) {
        const m = ring.peek();
        if (!m) { await ring.waitForMessage(1000); continue; }
        const v = new DataView(workerData.sab).getUint32(m.offset, true);
        if (v !== expect) { parentPort.postMessage({ error: 'got ' + v + ' expected ' + expect }); return; }
        sum += m.length; expect++;
        ring.release(m);
      }
      parentPort.postMessage({ count: expect, sum });
    });
  `, { eval: true, workerData: { sab, capacity, url, count: 200_000 } });
  const done = new Promise<{ count?: number; error?: string }>((resolve) => worker.once('message', resolve));
  const payload = Buffer.alloc(100);
  for (let i = 0; i < 200_000; i++) {
    payload.writeUInt32LE(i, 0);
    while (!ring.tryWrite(1, payload)) await ring.waitForSpace(100);
  }
  const result = await Promise.race([done, new Promise<{ count?: number; error?: string }>((r) => setTimeout(() => r({ error: 'timeout' }), 20_000).unref())]);
  await worker.terminate();
  assert.is(result.error, undefined);
  assert.is(result.count, 200_000);
});

test.run();
