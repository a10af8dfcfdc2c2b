/** ReadArena: bump allocation reset per read; growing keeps earlier views intact. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadArena } from '../../../src/storage/read-arena.js';

test('buffers of one read do not overlap; reset reuses the same memory', () => {
  const arena = new ReadArena();
  const a = arena.alloc(100);
  const b = arena.alloc(5000);
  a.fill(1);
  b.fill(2);
  assert.ok(a.every((x) => x === 1), 'b did not overwrite a');
  assert.is(b.byteOffset % 8, 0, 'aligned');
  assert.is(a.buffer, b.buffer);
  arena.reset();
  const c = arena.alloc(100);
  assert.is(c.buffer, a.buffer);
  assert.is(c.byteOffset, a.byteOffset, 'the next read starts over');
});

test('a request larger than what is left moves to a larger arena; earlier views keep their bytes', () => {
  const arena = new ReadArena();
  const a = arena.alloc(1000);
  a.fill(7);
  const cap = arena.capacity;
  const big = arena.alloc(cap);
  assert.ok(arena.capacity >= cap * 2 || arena.capacity >= cap + 1000);
  assert.is.not(big.buffer, a.buffer);
  big.fill(9);
  assert.ok(a.every((x) => x === 7));
  assert.is(big.length, cap);
});

test('a region is used first, in order; once a buffer does not fit, the rest comes from the arena', () => {
  const arena = new ReadArena();
  const region = Buffer.alloc(1000);
  arena.reset(region);
  const a = arena.alloc(300);
  assert.is(a.buffer, region.buffer);
  assert.is(a.byteOffset, region.byteOffset);
  const b = arena.alloc(800);
  assert.is.not(b.buffer, region.buffer, 'does not fit what is left');
  const c = arena.alloc(10);
  assert.is.not(c.buffer, region.buffer, 'later buffers never go back before b');
  arena.reset();
  assert.is.not(arena.alloc(10).buffer, region.buffer, 'a reset without a region forgets it');
});

test.run();
