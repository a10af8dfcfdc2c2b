/** Verifier: per-producer sequences checked across interleaved producers in one partition. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchTemplate } from '../../../src/load/batch-template.js';
import { Verifier } from '../../../src/load/verifier.js';
import { writeInt64 } from '../../../src/protocol/record-batch/record-batch-header.js';

const tpl = BatchTemplate.create({ recordSize: 60, keyWidth: 0, batchBytes: 1024, compression: 'none', maxBatchBytes: 1 << 20, random: Math.random });

/** One batch at `baseOffset` holding records of (producer, sequence) pairs, in order. */
function batchOf(baseOffset: number, records: [number, number][]): Buffer {
  const slot = tpl.newSlot();
  records.forEach(([pid, seq], i) => tpl.writeRecord(slot, i, 1_000_000, pid, seq, 0));
  const b = Buffer.from(tpl.seal(slot, records.length, 1));
  writeInt64(b, 0, baseOffset);
  return b;
}

function verify(runs: [number, number][][]): ReturnType<Verifier['result']> {
  const v = new Verifier({ strictSequenceStart: true, producerIds: null });
  v.startPartition('t', 0, 0);
  let offset = 0;
  const bufs = runs.map((r) => { const b = batchOf(offset, r); offset += r.length; return b; });
  v.processRecords('t', 0, Buffer.concat(bufs), () => {});
  return v.result();
}

test('interleaved producers, each in order: no problem', () => {
  const r = verify([[[7, 0], [7, 1], [9, 0]], [[9, 1], [7, 2], [7, 3]], [[9, 2]]]);
  assert.ok(r.ok, JSON.stringify(r.problems));
  assert.is(r.records, 7);
});

test('a sequence repeated after another producer ran in between is a duplicate', () => {
  const r = verify([[[7, 0], [7, 1], [9, 0]], [[7, 1], [9, 1]]]);
  assert.is(r.sequenceDuplicates, 1);
  assert.is(r.sequenceGaps, 0);
  assert.match(r.problems.join('\n'), /producer 7 sequence 1 repeated/);
});

test('a sequence skipped after another producer ran in between is a gap; a first sequence above 0 too', () => {
  const r = verify([[[7, 0], [9, 0]], [[7, 3], [9, 1], [4, 2]]]);
  assert.is(r.sequenceGaps, 2 + 2);
  assert.match(r.problems.join('\n'), /producer 7 sequences 1\.\.2 missing/);
  assert.match(r.problems.join('\n'), /producer 4 starts at sequence 2/);
});

test.run();
