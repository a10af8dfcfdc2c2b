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
  // Two connections on 4 chunks of 64 KiB, frames up to 100 KiB, a third of them retained for a while:
  // chunks run out, large frames do not fit one, and both fall back to private memory. Releases happen
  // between asking for a read buffer and filling it, as with Node (which asks right after a read).
  const arena = new ReceiveArena({ chunks: 4, chunkBytes: 64 * 1024 });
  const conns = [0, 1].map((c) => {
    const bodies: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const size = i % 40 === 3 ? 70_000 + rand(30_000) : 4 + rand(20_000);
      const b = Buffer.alloc(size, (i * 2 + c) & 0xff);
      b.writeUInt32BE(i, 0);
      bodies.push(b);
    }
    const rb = new ReceiveBuffer(1 << 20, 4096, arena);
    rb.useArena();
    return { rb, bodies, stream: Buffer.concat(bodies.map(frame)), pos: 0, seen: 0 };
  });
  const held: { view: Buffer; want: Buffer; chunk: number }[] = [];
  let inArena = 0;
  const releaseSome = (): void => {
    while (held.length > 0 && rand(4) === 0) {
      const h = held.splice(rand(held.length), 1)[0]!;
      assert.ok(h.view.equals(h.want), 'a retained frame is intact until released');
      arena.release(h.chunk);
    }
  };
  const dsts = conns.map((c) => c.rb.nextReadBuffer());
  while (conns.some((c) => c.pos < c.stream.length)) {
    const k = rand(2);
    const c = conns[k]!;
    if (c.pos >= c.stream.length) continue;
    releaseSome();
    const n = Math.min(dsts[k]!.length, c.stream.length - c.pos, 1 + rand(70_000));
    c.stream.copy(dsts[k]!, 0, c.pos, c.pos + n);
    c.pos += n;
    c.rb.received(n, (body) => {
      assert.ok(body.equals(c.bodies[c.seen]!), `connection ${k}, frame ${c.seen}`);
      const chunk = arena.chunkOf(body);
      if (chunk >= 0) inArena++;
      if (chunk >= 0 && rand(3) === 0) {
        arena.retain(chunk);
        held.push({ view: body, want: c.bodies[c.seen]!, chunk });
      }
      c.seen++;
    });
    dsts[k] = c.rb.nextReadBuffer();
  }
  for (const c of conns) assert.is(c.seen, c.bodies.length);
  assert.ok(inArena > 400, `most frames read into the arena (${inArena} of 800)`);
  while (held.length > 0) {
    const h = held.pop()!;
    assert.ok(h.view.equals(h.want));
    arena.release(h.chunk);
  }
  for (const c of conns) c.rb.dispose();
  assert.is(arena.chunksInUse, 0, 'every chunk back');
});

test('with an arena, only a connection that produces reads into it, and gives its chunk back when it closes', () => {
  const arena = new ReceiveArena({ chunks: 2, chunkBytes: 64 * 1024 });
  const rb = new ReceiveBuffer(1 << 20, 4096, arena);
  feed(rb, frame(Buffer.from('metadata')), 1 << 20, (body) => assert.is(arena.chunkOf(body), -1));
  assert.is(arena.chunksInUse, 0, 'a connection that has not produced holds no chunk');
  rb.useArena();
  feed(rb, frame(Buffer.from('produce')), 1 << 20, (body) => assert.ok(arena.chunkOf(body) >= 0));
  assert.is(arena.chunksInUse, 1);
  rb.dispose();
  assert.is(arena.chunksInUse, 0);
});


test('with an arena, a stream of large produce frames is read with next to no copying', () => {
  const arena = new ReceiveArena({ chunks: 4, chunkBytes: 1024 * 1024 });
  const rb = new ReceiveBuffer(8 << 20, 64 * 1024, arena);
  rb.useArena();
  const frames: Buffer[] = [];
  for (let i = 0; i < 40; i++) frames.push(frame(Buffer.alloc(600 * 1024 + rand(100 * 1024), i)));
  const stream = Buffer.concat(frames);
  // The socket always has the whole rest of the stream: every read fills all it is offered.
  // Each batch is held (retained) until the next one arrives, as a shard holds it until its append is done.
  let held: Buffer | null = null;
  let got = 0;
  feed(rb, stream, stream.length, (body) => {
    assert.ok(arena.chunkOf(body) >= 0, `frame ${got} read into the arena`);
    assert.ok(body.equals(frames[got]!.subarray(4)), `frame ${got} intact`);
    if (held) arena.release(arena.chunkOf(held));
    arena.retain(arena.chunkOf(body));
    held = body;
    got++;
  });
  assert.is(got, frames.length);
  assert.ok(rb.copiedBytes < stream.length * 0.02, `${rb.copiedBytes} of ${stream.length} bytes copied`);
  arena.release(arena.chunkOf(held!));
  rb.dispose();
  assert.is(arena.chunksInUse, 0);
});

test.run();
