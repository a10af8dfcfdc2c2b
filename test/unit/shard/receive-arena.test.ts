/** ReceiveArena: chunks are free only when no connection owns them and no batch in them is pending. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReceiveArena } from '../../../src/shard/receive-arena.js';

const CHUNK = 64 * 1024;

test('a chunk comes back only once disowned and every retained batch released', () => {
  const arena = new ReceiveArena({ chunks: 2, chunkBytes: CHUNK });
  const a = arena.own()!;
  const b = arena.own()!;
  assert.is.not(a.chunk, b.chunk);
  assert.is(arena.own(), null, 'both taken');
  assert.is(a.bytes.length, CHUNK);
  assert.ok(a.bytes.buffer === arena.buffer, 'chunks are views of the shared memory');
  arena.retain(a.chunk);
  arena.retain(a.chunk);
  arena.disown(a.chunk);
  assert.is(arena.chunksInUse, 2, 'still pending');
  arena.release(a.chunk);
  assert.is(arena.own(), null);
  arena.release(a.chunk);
  assert.is(arena.chunksInUse, 1);
  assert.is(arena.own()!.chunk, a.chunk, 'LIFO: the chunk just freed is the next one handed out');
  assert.throws(() => arena.release(b.chunk), /released more often than retained/);
});

test('chunkOf finds the chunk of a view, and refuses views that are not wholly inside one', () => {
  const arena = new ReceiveArena({ chunks: 3, chunkBytes: CHUNK });
  const c = arena.own()!;
  assert.is(arena.chunkOf(c.bytes.subarray(100, 200)), c.chunk);
  assert.is(arena.chunkOf(c.bytes), c.chunk);
  assert.is(arena.chunkOf(Buffer.from(arena.buffer, c.bytes.byteOffset + CHUNK - 10, 20)), -1, 'straddles two chunks');
  assert.is(arena.chunkOf(Buffer.from(arena.buffer, 0, 10)), -1, 'the CRC kernel tables are no chunk');
  assert.is(arena.chunkOf(Buffer.alloc(10)), -1, 'private memory');
});

test('bad sizes are refused', () => {
  assert.throws(() => new ReceiveArena({ chunks: 0, chunkBytes: CHUNK }));
  assert.throws(() => new ReceiveArena({ chunks: 1, chunkBytes: CHUNK + 1 }));
});

test.run();
