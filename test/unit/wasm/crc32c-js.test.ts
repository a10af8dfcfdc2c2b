import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32cJs } from '../../../src/wasm/crc32c-js.js';

function bitwise(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; }
  return ~c >>> 0;
}

test('standard check value of "123456789" is 0xE3069283', () => {
  assert.is(crc32cJs(Buffer.from('123456789')), 0xe3069283);
});

test('matches a bitwise reference on random lengths and offsets', () => {
  for (let n = 0; n < 200; n++) {
    const buf = Buffer.alloc(n * 7 + (n % 13));
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + n * 17) & 0xff;
    const s = n % 5;
    assert.is(crc32cJs(buf, s), bitwise(buf.subarray(s)));
  }
});

test('continues from a previous crc', () => {
  const b = Buffer.from('hello, kafka world');
  assert.is(crc32cJs(b, 7, b.length, crc32cJs(b, 0, 7)), crc32cJs(b));
});

test.run();
