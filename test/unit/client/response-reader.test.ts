/** ResponseReader: owned frames out of arbitrarily split reads, large ones read in place, and bad size prefixes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameTooLargeError } from '../../../src/network/frame-decoder.js';
import { ResponseReader } from '../../../src/client/response-reader.js';
import { frame } from '../../helpers/wire.js';

let seed = 7;
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };

function randomBody(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = rand(256);
  return b;
}

/** Feeds `stream` as the socket would: each read fills part of what nextReadBuffer() offers. */
function feed(reader: ResponseReader, stream: Buffer, maxRead: number, onFrame: (body: Buffer) => void): void {
  for (let pos = 0; pos < stream.length;) {
    const dst = reader.nextReadBuffer();
    assert.ok(dst.length > 0, 'the reader always offers room');
    const n = Math.min(dst.length, stream.length - pos, 1 + rand(maxRead));
    stream.copy(dst, 0, pos, pos + n);
    pos += n;
    reader.received(n, onFrame);
  }
}

test('frames come out whole, in order and owned by the caller, whatever the read boundaries', () => {
  // Sizes around the in-place threshold (16 KiB) and the shared buffer (64 KiB), empty frames, and large ones.
  const sizes = [0, 1, 3, 100, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 64 * 1024 - 4, 64 * 1024, 300 * 1024, 2 << 20];
  for (const maxRead of [1, 7, 4096, 65536, 1 << 22]) {
    const bodies: Buffer[] = [];
    // Byte-sized reads of megabytes would only make the test slow.
    const mine = maxRead < 4096 ? sizes.filter((s) => s < 100_000) : sizes;
    for (let i = 0; i < 60; i++) bodies.push(randomBody(i < mine.length ? mine[i]! : mine[rand(mine.length)]! % 70_000));
    const reader = new ResponseReader(1 << 30);
    const got: Buffer[] = [];
    feed(reader, Buffer.concat(bodies.map(frame)), maxRead, (b) => got.push(b));
    // Compared only after every read: a frame that were a view of a reused buffer would have been overwritten.
    assert.is(got.length, bodies.length, `maxRead ${maxRead}`);
    for (let i = 0; i < bodies.length; i++) assert.ok(got[i]!.equals(bodies[i]!), `frame ${i} (${bodies[i]!.length} bytes), maxRead ${maxRead}`);
  }
});

test('a large frame is read into its own buffer: the reader offers exactly its missing bytes', () => {
  const reader = new ResponseReader(1 << 30);
  const body = randomBody(100_000);
  const stream = frame(body);
  const first = reader.nextReadBuffer();
  stream.copy(first, 0, 0, 1000);
  reader.received(1000, () => assert.unreachable('not complete yet'));
  assert.is(reader.nextReadBuffer().length, 100_004 - 1000, 'the rest of the frame, not more');
  let out: Buffer | null = null;
  feed(reader, stream.subarray(1000), 1 << 20, (b) => { out = b; });
  assert.ok(out !== null && (out as Buffer).equals(body));
});

test('a size prefix that is negative or above the limit throws FrameTooLargeError', () => {
  for (const size of [-1, 1025]) {
    const reader = new ResponseReader(1024);
    const dst = reader.nextReadBuffer();
    dst.writeInt32BE(size, 0);
    assert.throws(() => reader.received(4, () => {}), (e: unknown) => e instanceof FrameTooLargeError);
  }
});

test.run();
