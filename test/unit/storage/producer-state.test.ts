/**
 * ProducerStateManager: Kafka's idempotent-producer rules (in sequence,
 * duplicates of the last 5 batches, gaps, stale and new epochs, the Int32.MAX
 * wrap), several batches in one append, expiry, and the snapshot codec.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import {
  INT32_MAX, MAX_CACHED_BATCHES, ProducerStateManager, incrementSequence, inSequence, type ProducerBatch, type ProducerCheck,
} from '../../../src/storage/producer-state.js';

/** Appends `b` to `s` the way a log does: check, then apply on 'append'. Returns the check. */
function append(s: ProducerStateManager, ...bs: ProducerBatch[]): ProducerCheck {
  const c = s.check(bs);
  if (c.kind === 'append') s.apply(bs);
  return c;
}

/** A batch of `count` records of producer `pid` at `epoch` starting at sequence `seq`, placed at `offset`. */
function pb(pid: number, epoch: number, seq: number, count: number, offset: number, timestamp = 1000): ProducerBatch {
  return { producerId: pid, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1, firstOffset: offset, timestamp };
}

function rejected(c: ProducerCheck): ErrorCode | null {
  return c.kind === 'reject' ? c.error : null;
}

test('sequence arithmetic wraps at Int32.MAX', () => {
  assert.is(incrementSequence(5, 3), 8);
  assert.is(incrementSequence(INT32_MAX, 1), 0);
  assert.is(incrementSequence(INT32_MAX - 1, 3), 1);
  assert.is(incrementSequence(INT32_MAX - 2, 2), INT32_MAX);
  assert.ok(inSequence(-1, 0));
  assert.ok(inSequence(4, 5));
  assert.ok(inSequence(INT32_MAX, 0));
  assert.not.ok(inSequence(4, 6));
  assert.not.ok(inSequence(4, 4));
  assert.not.ok(inSequence(INT32_MAX, 1));
});

test('in-sequence batches are appended and remembered (last 5 only)', () => {
  const s = new ProducerStateManager();
  let offset = 0;
  for (let i = 0; i < 8; i++) {
    assert.is(append(s, pb(7, 0, i * 10, 10, offset)).kind, 'append');
    offset += 10;
  }
  const e = s.entry(7)!;
  assert.is(e.epoch, 0);
  assert.is(e.batches.length, MAX_CACHED_BATCHES);
  assert.equal(e.batches.map((m) => [m.firstSeq, m.lastSeq, m.firstOffset, m.lastOffset]),
    [3, 4, 5, 6, 7].map((i) => [i * 10, i * 10 + 9, i * 10, i * 10 + 9]));
});

test('a duplicate of each of the last 5 batches is answered with its original offsets; older ones are out of order', () => {
  const s = new ProducerStateManager();
  // Interleave another producer so offsets differ from sequences.
  let offset = 100;
  const originals: { seq: number; offset: number }[] = [];
  for (let i = 0; i < 7; i++) {
    append(s, pb(1, 3, i * 4, 4, offset));
    originals.push({ seq: i * 4, offset });
    offset += 4;
    append(s, pb(2, 0, i, 1, offset));
    offset += 1;
  }
  for (const o of originals.slice(-5)) {
    const c = s.check([pb(1, 3, o.seq, 4, 9999)]);
    assert.is(c.kind, 'duplicate', `seq ${o.seq}`);
    if (c.kind === 'duplicate') assert.equal([c.batch.firstOffset, c.batch.lastOffset], [o.offset, o.offset + 3]);
  }
  for (const o of originals.slice(0, 2)) {
    assert.is(rejected(s.check([pb(1, 3, o.seq, 4, 9999)])), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'outside the cache: Kafka 3.x answers 45, not 46');
  }
  // Same first sequence but a different length is not the same batch.
  assert.is(rejected(s.check([pb(1, 3, 24, 2, 9999)])), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  // A duplicate check never changes the state.
  assert.is(s.entry(1)!.batches.length, 5);
  assert.is(append(s, pb(1, 3, 28, 1, offset)).kind, 'append');
});

test('a gap or a repeated sequence that is not a cached batch gets OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
  const s = new ProducerStateManager();
  append(s, pb(1, 0, 0, 5, 0));
  assert.is(rejected(append(s, pb(1, 0, 6, 1, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap of one');
  assert.is(rejected(append(s, pb(1, 0, 3, 2, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'overlap');
  assert.is(s.entry(1)!.batches.length, 1, 'rejections change nothing');
  assert.is(append(s, pb(1, 0, 5, 1, 5)).kind, 'append');
});

test('a stale epoch gets INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0 and clears the cache', () => {
  const s = new ProducerStateManager();
  append(s, pb(1, 2, 0, 3, 0));
  assert.is(rejected(append(s, pb(1, 1, 3, 1, 3))), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.is(rejected(append(s, pb(1, 1, 0, 3, 3))), ErrorCode.INVALID_PRODUCER_EPOCH, 'even the old epoch\'s sequences');
  assert.is(rejected(append(s, pb(1, 3, 3, 1, 3))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'new epoch, sequence not 0');
  assert.is(append(s, pb(1, 3, 0, 2, 3)).kind, 'append');
  const e = s.entry(1)!;
  assert.is(e.epoch, 3);
  assert.equal(e.batches.map((m) => m.firstSeq), [0], 'the old epoch\'s batches are gone');
  assert.is(rejected(append(s, pb(1, 2, 0, 3, 5))), ErrorCode.INVALID_PRODUCER_EPOCH, 'a retry of the old epoch is no longer a duplicate');
});

test('an unknown producer may start at any sequence (Kafka 3.x); then it must stay in sequence', () => {
  const s = new ProducerStateManager();
  assert.is(append(s, pb(9, 0, 500, 10, 0)).kind, 'append');
  assert.is(append(s, pb(9, 0, 510, 1, 10)).kind, 'append');
  assert.is(rejected(append(s, pb(9, 0, 520, 1, 11))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
});

test('sequences wrap from Int32.MAX to 0, inside a batch and between batches', () => {
  const s = new ProducerStateManager();
  assert.is(append(s, pb(1, 0, INT32_MAX - 4, 3, 0)).kind, 'append'); // MAX-4 .. MAX-2
  assert.is(append(s, pb(1, 0, INT32_MAX - 1, 4, 3)).kind, 'append'); // MAX-1, MAX, 0, 1
  const e = s.entry(1)!;
  assert.equal([e.batches[1]!.firstSeq, e.batches[1]!.lastSeq], [INT32_MAX - 1, 1]);
  assert.is(s.check([pb(1, 0, INT32_MAX - 1, 4, 99)]).kind, 'duplicate', 'a wrapped batch is found again');
  assert.is(append(s, pb(1, 0, 2, 1, 7)).kind, 'append');
  assert.is(rejected(append(s, pb(1, 0, 0, 1, 8))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const t = new ProducerStateManager();
  append(t, pb(1, 0, INT32_MAX, 1, 0));
  assert.is(append(t, pb(1, 0, 0, 1, 1)).kind, 'append', '0 follows Int32.MAX');
});

test('several batches in one append are checked in order against each other', () => {
  const s = new ProducerStateManager();
  assert.is(append(s, pb(1, 0, 0, 2, 0), pb(1, 0, 2, 2, 2), pb(2, 0, 0, 1, 4)).kind, 'append');
  assert.equal(s.entry(1)!.batches.map((m) => m.lastSeq), [1, 3]);
  assert.is(rejected(s.check([pb(1, 0, 4, 1, 5), pb(1, 0, 6, 1, 6)])), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'gap inside the append');
  assert.is(rejected(s.check([pb(1, 0, 4, 1, 5), pb(1, 0, 4, 1, 6)])), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a batch repeated inside the append');
  assert.is(rejected(s.check([pb(5, 0, 10, 1, 5), pb(5, 0, 12, 1, 6)])), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'an unknown producer too');
  const d = s.check([pb(1, 0, 2, 2, 5), pb(1, 0, 4, 1, 7)]);
  assert.is(d.kind, 'duplicate', 'as in Kafka, the first duplicate answers for the whole append');
  if (d.kind === 'duplicate') assert.is(d.batch.firstOffset, 2);
  assert.is(s.entry(1)!.batches.length, 2, 'checks do not change the state');
});

test('producerId -1 and control batches bypass the rules', () => {
  const s = new ProducerStateManager();
  assert.is(append(s, pb(-1, -1, -1, 3, 0), pb(-1, -1, -1, 3, 3)).kind, 'append');
  append(s, pb(1, 4, 0, 1, 6));
  assert.is(append(s, { ...pb(1, 2, -1, 1, 7), control: true }).kind, 'append');
  assert.is(s.size, 1);
  assert.is(s.entry(1)!.epoch, 4);
});

test('expiry drops producers whose newest batch is too old', () => {
  const s = new ProducerStateManager();
  append(s, pb(1, 0, 0, 1, 0, 1_000));
  append(s, pb(2, 0, 0, 1, 1, 5_000));
  assert.is(s.expire(10_000, 6_000), 1);
  assert.is(s.entry(1), undefined);
  assert.ok(s.entry(2));
  // An expired producer is unknown again: any sequence is accepted.
  assert.is(append(s, pb(1, 0, 77, 1, 2, 10_000)).kind, 'append');
  // Old event times (a backfill): the append time keeps the producer alive.
  append(s, { ...pb(3, 0, 0, 1, 3, 1_000), appendMs: 9_000 });
  assert.is(s.entry(3)!.lastTimestamp, 9_000);
  s.expire(12_000, 6_000);
  assert.ok(s.entry(3), 'kept by its append time');
  assert.is(s.entry(2), undefined);
});

test('snapshots round-trip; damaged ones are refused and leave the state alone', () => {
  const s = new ProducerStateManager();
  let offset = 0;
  for (let p = 0; p < 20; p++) {
    for (let i = 0; i < (p % 7) + 1; i++) { append(s, pb(1_000_000_000_000 + p, p % 3, i * 2, 2, offset, 1_700_000_000_000 + offset)); offset += 2; }
  }
  append(s, pb(99, 0, INT32_MAX, 3, offset));
  offset += 3;
  const bytes = s.encode(offset);
  const t = new ProducerStateManager();
  assert.is(t.load(bytes, offset), null);
  assert.equal([...t.entries()], [...s.entries()]);
  assert.equal(t.encode(offset), bytes, 'stable encoding');

  assert.match(t.load(bytes, offset + 1)!, /offset/);
  for (const at of [3, 5, 12, 30, bytes.length - 1]) {
    const bad = Buffer.from(bytes);
    bad[at] ^= 0x40;
    const u = new ProducerStateManager();
    append(u, pb(5, 0, 0, 1, 0));
    assert.ok(u.load(bad, offset) !== null, `flipped byte ${at}`);
    assert.is(u.size, 1, 'untouched');
  }
  assert.ok(t.load(bytes.subarray(0, bytes.length - 5), offset) !== null, 'truncated');
  assert.ok(t.load(Buffer.alloc(0), offset) !== null, 'empty');
  const empty = new ProducerStateManager().encode(0);
  assert.is(t.load(empty, 0), null);
  assert.is(t.size, 0);
});

test.run();
