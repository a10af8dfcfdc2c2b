/** FetchSlots: acquire until none is free, release in any order, reuse. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FetchSlots } from '../../../src/shard/fetch-slots.js';

test('slots are handed out once each, freed in any order and reused; the data areas do not overlap', () => {
  const slots = new FetchSlots(new SharedArrayBuffer(FetchSlots.bytesFor(4, 1024)), 4, 1024);
  const got = [slots.acquire(), slots.acquire(), slots.acquire(), slots.acquire()];
  assert.equal([...got].sort(), [0, 1, 2, 3]);
  assert.is(slots.acquire(), -1, 'all taken');
  assert.is(slots.inUse, 4);
  const offsets = got.map((i) => slots.offsetOf(i)).sort((a, b) => a - b);
  for (let k = 1; k < offsets.length; k++) assert.ok(offsets[k]! - offsets[k - 1]! >= 1024);
  assert.ok(offsets[3]! + 1024 <= slots.buffer.byteLength);
  slots.release(2);
  slots.release(0);
  assert.is(slots.inUse, 2);
  const again = [slots.acquire(), slots.acquire()].sort();
  assert.equal(again, [0, 2]);
  assert.is(slots.acquire(), -1);
});

test.run();
