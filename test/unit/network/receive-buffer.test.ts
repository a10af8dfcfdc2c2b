/** ReceiveBuffer: frames out of arbitrarily split reads, growth for large frames, bad size prefixes, and reading into a ReceiveArena. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameTooLargeError } from '../../../src/network/frame-decoder.js';
import { ReceiveBuffer } from '../../../src/network/receive-buffer.js';
import { ReceiveArena } from '../../../src/shard/receive-arena.js';
import { frame } from '../../helpers/wire.js';

let seed = 11;
// The high bits: an LCG's low bits repeat with a short period (rand(4) would cycle).
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 8) % n; };

/** Feeds `stream` as the socket would: each read fills part of what nextReadBuffer() offers. */
function feed(rb: ReceiveBuffer, stream: Buffer, maxRead: number, onFrame: (body: Buffer) => void): void {
  for (let pos = 0; pos < stream.length;) {
    const dst = rb.nextReadBuffer();
    const n = Math.min(dst.length, stream.length - pos, 1 + rand(maxRead));
    stream.copy(dst, 0, pos, pos + n);
    pos += n;
    rb.received(n, onFrame);
  }
}

test('frames come out whole and in order whatever the read boundaries, large ones included', () => {
  const bodies: Buffer[] = [];
  for (let i = 0; i < 400; i++) {
    const size = i % 50 === 7 ? 300_000 + rand(400_000) : 4 + rand(3000);
    const b = Buffer.alloc(size);
    for (let j = 0; j < size; j += 97) b[j] = (i + j) & 0xff;
    b.writeUInt32BE(i, 0);
    bodies.push(b);
  }
  const stream = Buffer.concat(bodies.map(frame));
  for (const maxRead of [1, 7, 4096, 65536, 1 << 20]) {
    const rb = new ReceiveBuffer(1 << 20, 4096);
    const got: Buffer[] = [];
    feed(rb, maxRead === 1 ? stream.subarray(0, 20_000) : stream, maxRead, (body) => got.push(Buffer.from(body)));
    const want = maxRead === 1 ? bodies.slice(0, got.length) : bodies;
    assert.is(got.length, want.length, `reads of ≤ ${maxRead} B: frame count`);
    for (let i = 0; i < want.length; i++) assert.ok(got[i]!.equals(want[i]!), `reads of ≤ ${maxRead} B: frame ${i}`);
  }
});

test('a frame is a view of the buffer (no copy) and the space is read into again afterwards', () => {
  const rb = new ReceiveBuffer(1024, 4096);
  let first: Buffer | null = null;
  feed(rb, frame(Buffer.from('aaaa')), 64, (b) => { first = b; });
  assert.is(first!.toString(), 'aaaa');
  feed(rb, frame(Buffer.from('bbbb')), 64, () => undefined);
  assert.is(first!.toString(), 'bbbb', 'the old view now shows the next frame: callers must copy what they keep');
});

test('a size prefix over the limit or negative is refused before its body arrives', () => {
  for (const size of [2048, -1]) {
    const rb = new ReceiveBuffer(1024, 4096);
    const head = Buffer.alloc(4);
    head.writeInt32BE(size, 0);
    const dst = rb.nextReadBuffer();
    head.copy(dst);
    assert.throws(() => rb.received(4, () => undefined), (e: unknown) => e instanceof FrameTooLargeError);
  }
});

test('with an arena, retained frames stay intact until released, whatever comes after them', () => {
  // 4 chunks of 64 KiB, frames up to 100 KiB, a third of them retained for a while: chunks run out,
  // large frames do not fit one, and both fall back to private memory.
  const arena = new ReceiveArena({ chunks: 4, chunkBytes: 64 * 1024 });
  const bodies: Buffer[] = [];
  for (let i = 0; i < 600; i++) {
    const size = i % 40 === 3 ? 70_000 + rand(30_000) : 4 + rand(20_000);
    const b = Buffer.alloc(size, i & 0xff);
    b.writeUInt32BE(i, 0);
    bodies.push(b);
  }
  const stream = Buffer.concat(bodies.map(frame));
  const rb = new ReceiveBuffer(1 << 20, 4096, arena);
  const held: { view: Buffer; index: number; chunk: number }[] = [];
  let seen = 0;
  let inArena = 0;
  const releaseOne = (k: number): void => {
    const h = held.splice(k, 1)[0]!;
    assert.ok(h.view.equals(bodies[h.index]!), `frame ${h.index} intact until released`);
    arena.release(h.chunk);
  };
  feed(rb, stream, 70_000, (body) => {
    assert.ok(body.equals(bodies[seen]!), `frame ${seen}`);
    const chunk = arena.chunkOf(body);
    if (chunk >= 0) inArena++;
    if (chunk >= 0 && rand(3) === 0) {
      arena.retain(chunk);
      held.push({ view: body, index: seen, chunk });
    }
    while (held.length > 0 && rand(4) === 0) releaseOne(rand(held.length));
    seen++;
  });
  assert.is(seen, bodies.length);
  assert.ok(inArena > bodies.length / 2, `most frames read into the arena (${inArena})`);
  while (held.length > 0) releaseOne(0);
  rb.dispose();
  assert.is(arena.chunksInUse, 0, 'every chunk back');
});

test('with an arena, an idle connection holds no chunk', () => {
  const arena = new ReceiveArena({ chunks: 2, chunkBytes: 64 * 1024 });
  const rb = new ReceiveBuffer(1 << 20, 4096, arena);
  feed(rb, Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two'))]), 1 << 20, () => undefined);
  assert.is(arena.chunksInUse, 0);
  const dst = rb.nextReadBuffer();
  assert.is(arena.chunksInUse, 1, 'a read takes one');
  frame(Buffer.from('x')).copy(dst, 0, 0, 3);
  rb.received(3, () => undefined);
  assert.is(arena.chunksInUse, 1, 'a partial frame keeps it');
  rb.dispose();
  assert.is(arena.chunksInUse, 0);
});

test.run();
