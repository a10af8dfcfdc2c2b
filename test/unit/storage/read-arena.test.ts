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

test.run();
