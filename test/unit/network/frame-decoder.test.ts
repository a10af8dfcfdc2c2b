/** FrameDecoder (bench servers, test helpers): frames out of any chunking of the stream. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { frame } from '../../helpers/wire.js';

function decode(chunks: Buffer[]): Buffer[] {
  const d = new FrameDecoder(1 << 20);
  const out: Buffer[] = [];
  for (const c of chunks) d.push(c, (body) => out.push(Buffer.from(body)));
  return out;
}

test('a chunk that ends right after a size prefix: the next chunk is that frame\'s body', () => {
  const a = Buffer.alloc(10, 1);
  const b = Buffer.from([0, 0, 0, 1, 7]); // a body that reads as a whole 1-byte frame
  const stream = Buffer.concat([frame(a), frame(b)]);
  // [size A + 2 bytes of A] [8 bytes of A + size B] [B]
  const got = decode([stream.subarray(0, 6), stream.subarray(6, 18), stream.subarray(18)]);
  assert.equal(got, [a, b]);
});

test('every split of a stream into three chunks gives the same frames', () => {
  const frames = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(7, 3), Buffer.alloc(300, 4), Buffer.from([0, 0, 0, 1])];
  const stream = Buffer.concat(frames.map((f) => frame(f)));
  for (let i = 0; i <= stream.length; i++) {
    for (let j = i; j <= stream.length; j++) {
      const got = decode([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
      assert.equal(got, frames, `split at ${i}, ${j}`);
    }
  }
});

test.run();
