import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32cJs } from '../../../src/wasm/crc32c-js.js';
import { Crc32cWorkspace } from '../../../src/wasm/crc32c-workspace.js';

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

test('ranges inside the loaded range match the JS twin, at every offset and length', () => {
  const ws = new Crc32cWorkspace();
  const buf = randomBytes(600, 7);
  ws.load(buf, 37, 537);
  for (let s = 37; s < 537; s += 13) {
    for (const len of [0, 1, 3, 15, 16, 17, 31, 32, 33, 76, 100]) {
      const e = Math.min(537, s + len);
      assert.is(ws.crc32c(buf, s, e), crc32cJs(buf, s, e), `[${s}, ${e})`);
    }
  }
});

test('ranges outside the loaded range, or of another buffer, take the copy-in path', () => {
  const ws = new Crc32cWorkspace();
  const buf = randomBytes(300, 9);
  ws.load(buf, 100, 200);
  assert.is(ws.crc32c(buf, 50, 150), crc32cJs(buf, 50, 150));
  assert.is(ws.crc32c(buf, 150, 250), crc32cJs(buf, 150, 250));
  const other = Buffer.from(buf);
  other[120] ^= 1;
  assert.is(ws.crc32c(other, 110, 130), crc32cJs(other, 110, 130));
  assert.is.not(ws.crc32c(other, 110, 130), ws.crc32c(buf, 110, 130));
});

test('the memory grows for large loads, and a later small load replaces the copy', () => {
  const ws = new Crc32cWorkspace();
  const big = randomBytes(3 << 20, 11);
  ws.load(big, 5, big.length);
  assert.is(ws.crc32c(big, 5, big.length), crc32cJs(big, 5, big.length));
  assert.is(ws.crc32c(big, (2 << 20) + 3, (2 << 20) + 80), crc32cJs(big, (2 << 20) + 3, (2 << 20) + 80));
  const small = randomBytes(64, 13);
  ws.load(small, 0, 64);
  assert.is(ws.crc32c(small, 8, 64), crc32cJs(small, 8, 64));
  assert.throws(() => ws.load(small, 10, 65), /outside/);
});

test.run();
