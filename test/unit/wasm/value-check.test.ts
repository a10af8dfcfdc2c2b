/** The value check kernel (wasm/value-check.wat) against its JS twin, checkValue: same first failure on good, short, foreign and damaged values. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkValue, ValueCheck, VALUE_HEADER_BYTES, writeFiller, writeValueHeader } from '../../../src/load/record-value.js';
import { crc32cJs } from '../../../src/wasm/crc32c-js.js';
import { Crc32cWorkspace } from '../../../src/wasm/crc32c-workspace.js';

let seed = 3;
const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };

/** `count` values of random sizes (some shorter than the header) laid end to end after a random gap, with their starts and lengths. */
function values(count: number): { buf: Buffer; starts: Int32Array; lengths: Int32Array } {
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  let at = 5 + Math.floor(rand() * 40);
  for (let k = 0; k < count; k++) {
    starts[k] = at;
    lengths[k] = rand() < 0.03 ? Math.floor(rand() * VALUE_HEADER_BYTES) : VALUE_HEADER_BYTES + Math.floor(rand() * 300);
    at += lengths[k]! + Math.floor(rand() * 3);
  }
  const buf = Buffer.alloc(at + 7);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  for (let k = 0; k < count; k++) {
    const s = starts[k]!;
    const len = lengths[k]!;
    if (len < VALUE_HEADER_BYTES) continue;
    writeFiller(buf, s + VALUE_HEADER_BYTES, s + len, rand);
    writeValueHeader(view, s, 1.7e15 + k * 13.5, (rand() * 2 ** 32) >>> 0, k, crc32cJs(buf, s + VALUE_HEADER_BYTES, s + len));
  }
  return { buf, starts, lengths };
}

function firstFailureJs(buf: Buffer, starts: Int32Array, lengths: Int32Array, from: number): number {
  for (let k = from; k < starts.length; k++) if (checkValue(buf, starts[k]!, lengths[k]!, crc32cJs) !== ValueCheck.OK) return k;
  return starts.length;
}

test('the kernel stops at the same value as the JS twin, from any start, with values short, damaged or foreign', () => {
  const ws = new Crc32cWorkspace();
  if (ws.checkValues(new Int32Array(0), new Int32Array(0), 0, 0) === null) {
    assert.is(process.env.MILLRACE_WASM, '0', 'only MILLRACE_WASM=0 turns the kernel off');
    return;
  }
  for (let round = 0; round < 40; round++) {
    const { buf, starts, lengths } = values(50);
    // Damage a few values: a flipped bit anywhere in the header or filler, or the magic.
    for (let d = 0; d < 3; d++) {
      const k = Math.floor(rand() * 50);
      if (lengths[k]! < VALUE_HEADER_BYTES) continue;
      buf[starts[k]! + Math.floor(rand() * lengths[k]!)] ^= 1 << Math.floor(rand() * 8);
    }
    ws.load(buf, 0, buf.length);
    for (let from = 0; from <= 50;) {
      const want = firstFailureJs(buf, starts, lengths, from);
      assert.is(ws.checkValues(starts, lengths, from, 50), want, `round ${round}, from ${from}`);
      from = want + 1;
    }
  }
});

test('values in a loaded range that does not start at 0 of the buffer', () => {
  const ws = new Crc32cWorkspace();
  const { buf, starts, lengths } = values(20);
  ws.load(buf, 3, buf.length - 2);
  const got = ws.checkValues(starts, lengths, 0, 20);
  if (got === null) return;
  assert.is(got, firstFailureJs(buf, starts, lengths, 0));
});

test.run();
