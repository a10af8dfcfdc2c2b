/** TailMirror: answers only what it can answer exactly, stays a contiguous suffix, and lets go when idle or over budget. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { buildBatch } from '../../../src/protocol/record-batch/record-batch-builder.js';
import { TailMirror } from '../../../src/shard/tail-mirror.js';

/** A batch of `count` records with base offset `base` written in place, as a shard appends it. */
function batchAt(base: number, count: number, valueBytes = 20): Buffer {
  const b = buildBatch(Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.alloc(valueBytes, 97 + (i % 26)), timestamp: 1000 + i })), { timestampMs: 1000 });
  b.writeBigInt64BE(BigInt(base), 0);
  return b;
}

const limits = { perPartitionBytes: 1 << 20, totalBytes: 8 << 20, idleMs: 1000 };
const H = 7;

test('an unwatched partition is never answered from the mirror', () => {
  const m = new TailMirror(limits);
  assert.is(m.read(H, { key: 'k', fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }, 0), null);
  assert.is(m.push(H, 0, 3, 0, batchAt(0, 3), 0), false, 'a push for an unwatched partition asks the shard to stop');
});

test('watched at the log end: "no data" at the end, pushed batches from any offset inside them, the shard for the rest', () => {
  const m = new TailMirror(limits);
  m.watch(H, 10, 2, 0);
  const at = (fetchOffset: number, maxBytes = 1 << 20) => m.read(H, { key: 'k', fetchOffset, maxBytes, minOneBatch: true }, 1);
  assert.equal(at(10), { errorCode: ErrorCode.NONE, records: [], bytes: 0, highWatermark: 10, logStartOffset: 2 });
  assert.is(at(9), null, 'below the mirror: the shard answers');
  assert.is(at(11), null, 'past the end: the shard answers (OFFSET_OUT_OF_RANGE)');
  const a = batchAt(10, 3);
  const b = batchAt(13, 2);
  assert.ok(m.push(H, 10, 13, 2, a, 1));
  assert.ok(m.push(H, 13, 15, 2, b, 1));
  const all = at(10)!;
  assert.is(all.highWatermark, 15);
  assert.ok(Buffer.concat(all.records).equals(Buffer.concat([a, b])), 'both batches, byte for byte');
  assert.ok(Buffer.concat(at(11)!.records).equals(Buffer.concat([a, b])), 'an offset inside a batch returns the whole batch');
  assert.ok(Buffer.concat(at(14)!.records).equals(b));
  assert.ok(Buffer.concat(at(10, 10)!.records).equals(a), 'maxBytes: one whole batch at least, no more');
  assert.is(at(15)!.bytes, 0);
});

test('a gap (an append not pushed) restarts the mirror at the new data', () => {
  const m = new TailMirror(limits);
  m.watch(H, 0, 0, 0);
  m.push(H, 0, 3, 0, batchAt(0, 3), 0);
  m.push(H, 3, 5, 0, null, 0); // too large to push
  assert.is(m.read(H, { key: 'k', fetchOffset: 0, maxBytes: 1 << 20, minOneBatch: true }, 0), null);
  assert.is(m.read(H, { key: 'k', fetchOffset: 5, maxBytes: 1 << 20, minOneBatch: true }, 0)!.bytes, 0);
  const c = batchAt(5, 1);
  m.push(H, 5, 6, 0, c, 0);
  assert.ok(Buffer.concat(m.read(H, { key: 'k', fetchOffset: 5, maxBytes: 1 << 20, minOneBatch: true }, 0)!.records).equals(c));
});

test('DeleteRecords past mirrored batches: those offsets go to the shard (which answers OFFSET_OUT_OF_RANGE)', () => {
  const m = new TailMirror(limits);
  m.watch(H, 0, 0, 0);
  m.push(H, 0, 3, 0, batchAt(0, 3), 0);
  m.push(H, 3, 6, 0, batchAt(3, 3), 0);
  m.logStartMoved(H, 4);
  assert.is(m.read(H, { key: 'k', fetchOffset: 1, maxBytes: 1 << 20, minOneBatch: true }, 0), null);
  assert.is(m.read(H, { key: 'k', fetchOffset: 4, maxBytes: 1 << 20, minOneBatch: true }, 0)!.logStartOffset, 4);
});

test('a mirror nobody reads stops being fed; so does one over the memory budget', () => {
  const idle = new TailMirror(limits);
  idle.watch(H, 0, 0, 0);
  assert.ok(idle.push(H, 0, 1, 0, batchAt(0, 1), 500));
  assert.is(idle.push(H, 1, 2, 0, batchAt(1, 1), 1001), false, 'unread for longer than idleMs');
  assert.not.ok(idle.isWatched(H));

  const small = new TailMirror({ ...limits, totalBytes: 1000 });
  small.watch(H, 0, 0, 0);
  small.watch(H + 1, 0, 0, 0);
  assert.ok(small.push(H, 0, 5, 0, batchAt(0, 5, 100), 0));
  assert.is(small.push(H + 1, 0, 5, 0, batchAt(0, 5, 100), 0), false, 'the second partition would exceed the budget');
  assert.ok(small.isWatched(H));
  assert.not.ok(small.isWatched(H + 1));
});

test.run();
