/** FetchSlots: acquire until none is free, release in any order, reuse; runs of adjacent slots for large replies. */
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

test('a large reply takes a run of adjacent free slots, at most half of them', () => {
  const slots = new FetchSlots(new SharedArrayBuffer(FetchSlots.bytesFor(8, 1024)), 8, 1024);
  assert.is(slots.runFor(1), 1);
  assert.is(slots.runFor(1024), 1);
  assert.is(slots.runFor(1025), 2);
  assert.is(slots.maxReplyBytes, 4 * 1024);
  const one = slots.acquire(); // slot 0
  const run = slots.acquire(3);
  assert.is(run, 1, 'the first run of three free slots');
  assert.is(slots.inUse, 4);
  // A view of the run is contiguous: its bytes end where slot run + 3 begins.
  assert.is(slots.offsetOf(run) + 3 * 1024, slots.offsetOf(run + 3));
  slots.release(one);
  assert.is(slots.acquire(4), 4, 'slots 4-7; slot 0 alone is too short');
  assert.is(slots.acquire(2), -1, 'no two adjacent slots free');
  assert.is(slots.acquire(1), 0);
  slots.release(run, 3);
  assert.is(slots.inUse, 5);
  assert.is(slots.acquire(3), 1);
});

test.run();
