/** ReceiveBuffer: frames out of arbitrarily split reads, growth for large frames, and bad size prefixes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameTooLargeError } from '../../../src/network/frame-decoder.js';
import { ReceiveBuffer } from '../../../src/network/receive-buffer.js';
import { frame } from '../../helpers/wire.js';

let seed = 11;
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

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

test.run();
