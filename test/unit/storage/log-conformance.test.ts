/**
 * One conformance suite run over both logs (PartitionLog on disk, MemoryLog in
 * memory), then a model-based test: the same random sequence of appends,
 * reads, timestamp lookups and DeleteRecords on both, compared after every
 * step, with the on-disk log closed and reopened along the way.
 */
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { buildBatch } from '../../../src/protocol/record-batch/record-batch-builder.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import * as H from '../../../src/protocol/record-batch/record-batch-header.js';
import { validateBatches } from '../../../src/protocol/record-batch/batch-validator.js';
import type { Log, ReadResult } from '../../../src/storage/log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { batch, concat, ok, removeTempDirs, rng, tempDir, testConfig } from './helpers.js';

type Factory = (config: LogConfig) => Promise<Log>;

const factories: [string, Factory][] = [
  ['PartitionLog', (c) => PartitionLog.open(tempDir('conf'), c)],
  ['MemoryLog', async (c) => new MemoryLog(c)],
];

for (const [name, make] of factories) {
  const s = suite(`${name} conformance`);

  s('an empty log', async () => {
    const log = await make(testConfig());
    assert.is(log.logEndOffset, 0);
    assert.is(log.logStartOffset, 0);
    const r = log.read(0, 1000, true);
    assert.is(r.error, ErrorCode.NONE);
    assert.is(r.records.length, 0);
    assert.is(log.read(1, 1000, true).error, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.is(log.offsetForTimestamp(0), null);
    assert.is(log.maxTimestampOffset(), null);
    await log.close();
  });

  s('appends get consecutive offsets; reads return whole batches from the one holding the offset', async () => {
    const log = await make(testConfig());
    const a = ok(log.append(batch(3), 1));
    const b = ok(log.append(batch(2), 1));
    assert.equal([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset], [0, 2, 3, 4]);
    assert.is(a.logAppendTimeMs, -1);
    assert.is(log.logEndOffset, 5);
    assert.is(log.highWatermark, 5);
    const r = log.read(1, 1 << 20, false);
    const recs = decodeAllRecords(concat(r.records));
    assert.equal(recs.map((x) => x.offset), [0, 1, 2, 3, 4], 'the first batch starts before the fetch offset');
    assert.is(r.bytes, concat(r.records).length);
    assert.is(r.highWatermark, 5);
    assert.equal(decodeAllRecords(concat(log.read(3, 1 << 20, false).records)).map((x) => x.offset), [3, 4]);
    const end = log.read(5, 1000, true);
    assert.is(end.error, ErrorCode.NONE);
    assert.is(end.bytes, 0);
    assert.is(log.read(6, 1000, true).error, ErrorCode.OFFSET_OUT_OF_RANGE);
    await log.close();
  });

  s('several batches in one append', async () => {
    const log = await make(testConfig());
    const r = ok(log.append(Buffer.concat([batch(2), batch(3), batch(1)]), 1));
    assert.equal([r.baseOffset, r.lastOffset], [0, 5]);
    const bytes = concat(log.read(0, 1 << 20, false).records);
    assert.equal(decodeAllRecords(bytes).map((x) => x.offset), [0, 1, 2, 3, 4, 5]);
    assert.ok(validateBatches(bytes, { maxMessageBytes: 1 << 20 }).ok, 'stored batches keep valid CRCs');
    await log.close();
  });

  s('maxBytes counts whole batches; KIP-74 minOneBatch returns an oversized first batch', async () => {
    const log = await make(testConfig());
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) { const b = batch(2, { valueBytes: 50 }); sizes.push(b.length); log.append(b, 1); }
    const s0 = sizes[0]!;
    assert.is(log.read(0, s0 * 2, false).bytes, s0 * 2);
    assert.is(log.read(0, s0 * 2 + s0 - 1, false).bytes, s0 * 2, 'never a partial batch');
    assert.is(log.read(0, s0 - 1, false).bytes, 0, 'first batch too big and minOneBatch false: nothing');
    const one = log.read(0, 1, true);
    assert.is(one.bytes, s0, 'minOneBatch: exactly the first batch');
    assert.is(one.error, ErrorCode.NONE);
    assert.is(log.read(2, 0, true).bytes, s0);
    await log.close();
  });

  s('invalid appends change nothing', async () => {
    const log = await make(testConfig({ maxMessageBytes: 500 }));
    log.append(batch(1), 1);
    const bad = batch(2);
    bad[bad.length - 1] ^= 1;
    assert.is(log.append(bad, 1), ErrorCode.CORRUPT_MESSAGE);
    assert.is(log.append(batch(40, { valueBytes: 30 }), 1), ErrorCode.MESSAGE_TOO_LARGE);
    assert.is(log.append(Buffer.alloc(10), 1), ErrorCode.CORRUPT_MESSAGE);
    assert.is(log.logEndOffset, 1);
    assert.is(ok(log.append(batch(1), 1)).baseOffset, 1);
    await log.close();
  });

  s('control batches: refused from clients, accepted from the coordinator', async () => {
    const log = await make(testConfig());
    const marker = (): Buffer => buildBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { control: true, transactional: true, producerId: 9, baseSequence: -1, timestampMs: 5 });
    assert.is(log.append(marker(), 1), ErrorCode.INVALID_RECORD);
    // A coordinator marker has producerId ≥ 0 and baseSequence -1; Kafka exempts the coordinator from that check.
    assert.is(ok(log.append(marker(), 1, 'coordinator')).baseOffset, 0);
    assert.is(H.isControl(concat(log.read(0, 1000, true).records), 0), true);
    await log.close();
  });

  s('LogAppendTime stamps the append time and keeps the CRC valid', async () => {
    const log = await make(testConfig({ messageTimestampType: 'LogAppendTime' }));
    const r = ok(log.append(batch(3, { ts: 5 }), 1_700_000_000_000));
    assert.is(r.logAppendTimeMs, 1_700_000_000_000);
    const bytes = concat(log.read(0, 1 << 20, false).records);
    assert.is(H.timestampType(bytes, 0), 1);
    assert.is(H.maxTimestamp(bytes, 0), 1_700_000_000_000);
    assert.ok(validateBatches(bytes, { maxMessageBytes: 1 << 20 }).ok);
    assert.equal(decodeAllRecords(bytes).map((x) => x.timestamp), [1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000]);
    assert.equal(log.offsetForTimestamp(1_699_999_999_999), { offset: 0, timestamp: 1_700_000_000_000 });
    await log.close();
  });

  s('leaderEpoch is written into appended batches', async () => {
    const log = await make(testConfig());
    log.append(batch(1), 1);
    log.leaderEpoch = 4;
    log.append(batch(1), 1);
    const bytes = concat(log.read(0, 1 << 20, false).records);
    assert.is(H.partitionLeaderEpoch(bytes, 0), -1, 'leaderEpoch -1 leaves the producer value');
    assert.is(H.partitionLeaderEpoch(bytes, H.batchSize(bytes, 0)), 4);
    assert.ok(validateBatches(bytes, { maxMessageBytes: 1 << 20 }).ok);
    await log.close();
  });

  s('deleteRecordsBefore moves the log start offset', async () => {
    const log = await make(testConfig());
    for (let i = 0; i < 10; i++) log.append(batch(3), 1);
    assert.is(log.deleteRecordsBefore(31), ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.is(log.deleteRecordsBefore(7), ErrorCode.NONE);
    assert.is(log.logStartOffset, 7);
    assert.is(log.read(6, 1000, true).error, ErrorCode.OFFSET_OUT_OF_RANGE);
    const r = log.read(7, 1 << 20, false);
    assert.is(r.logStartOffset, 7);
    assert.is(decodeAllRecords(concat(r.records))[0]!.offset, 6, 'the batch holding the start offset is returned whole');
    assert.is(log.deleteRecordsBefore(3), ErrorCode.NONE, 'below the start: no-op');
    assert.is(log.logStartOffset, 7);
    assert.is(ok(log.append(batch(1), 1)).logStartOffset, 7);
    assert.is(log.deleteRecordsBefore(31), ErrorCode.NONE, 'up to the high watermark');
    assert.is(log.read(31, 1000, true).bytes, 0);
    await log.close();
  });

  s('offsetForTimestamp and maxTimestampOffset', async () => {
    const log = await make(testConfig());
    log.append(batch(3, { ts: 100 }), 1); // 0..2 at 100..102
    log.append(batch(3, { ts: 50 }), 1); // 3..5 at 50..52
    log.append(batch(3, { ts: 200 }), 1); // 6..8 at 200..202
    log.append(batch(2, { ts: 150 }), 1); // 9..10 at 150..151
    assert.equal(log.offsetForTimestamp(0), { offset: 0, timestamp: 100 });
    assert.equal(log.offsetForTimestamp(101), { offset: 1, timestamp: 101 });
    assert.equal(log.offsetForTimestamp(103), { offset: 6, timestamp: 200 });
    assert.equal(log.offsetForTimestamp(202), { offset: 8, timestamp: 202 });
    assert.is(log.offsetForTimestamp(203), null);
    assert.equal(log.maxTimestampOffset(), { offset: 8, timestamp: 202 });
    log.deleteRecordsBefore(7);
    assert.equal(log.offsetForTimestamp(0), { offset: 7, timestamp: 201 });
    await log.close();
  });

  s('onAppend tells listeners the new end offset; unsubscribe stops it', async () => {
    const log = await make(testConfig());
    const seen: number[] = [];
    const off = log.onAppend((leo) => seen.push(leo));
    log.append(batch(2), 1);
    log.append(Buffer.alloc(3), 1); // rejected: no call
    off();
    log.append(batch(2), 1);
    assert.equal(seen, [2]);
    await log.close();
  });

  s('durable resolves', async () => {
    const log = await make(testConfig({ flush: { kind: 'group' } }));
    await ok(log.append(batch(2), 1)).durable;
    await log.close();
  });

  s.after(removeTempDirs);
  s.run();
}

// ------------------------------------------------------------------ model-based comparison

function sameRead(a: ReadResult, b: ReadResult, what: string): void {
  assert.is(a.error, b.error, `${what}: error`);
  assert.is(a.highWatermark, b.highWatermark, `${what}: hw`);
  assert.is(a.logStartOffset, b.logStartOffset, `${what}: log start`);
  assert.is(a.bytes, b.bytes, `${what}: bytes`);
  assert.ok(concat(a.records).equals(concat(b.records)), `${what}: bytes differ`);
}

async function modelRun(seed: number, config: LogConfig, steps: number): Promise<{ segments: number; reopened: number }> {
  const rand = rng(seed);
  const dir = tempDir('model');
  let disk = await PartitionLog.open(dir, config);
  const mem = new MemoryLog(config);
  let ts = 1_000;
  let maxSegments = 0;
  let reopened = 0;
  for (let step = 0; step < steps; step++) {
    const what = `seed ${seed} step ${step}`;
    const r = rand();
    if (r < 0.5) {
      const count = 1 + Math.floor(rand() * 8);
      ts += Math.floor(rand() * 40) - 10; // timestamps mostly rising, sometimes not
      const b = batch(count, { ts, valueBytes: Math.floor(rand() * 120) });
      const twice = rand() < 0.15 ? Buffer.concat([b, batch(2, { ts: ts + 5 })]) : b;
      const d = disk.append(Buffer.from(twice), 10);
      const m = mem.append(Buffer.from(twice), 10);
      assert.equal(typeof d === 'number' ? d : [d.baseOffset, d.lastOffset, d.logStartOffset], typeof m === 'number' ? m : [m.baseOffset, m.lastOffset, m.logStartOffset], `${what}: append`);
    } else if (r < 0.8) {
      const span = mem.logEndOffset - mem.logStartOffset + 3;
      const off = mem.logStartOffset - 1 + Math.floor(rand() * span);
      const maxBytes = Math.floor(rand() * 3000);
      const minOne = rand() < 0.5;
      sameRead(disk.read(off, maxBytes, minOne), mem.read(off, maxBytes, minOne), `${what}: read(${off}, ${maxBytes}, ${minOne})`);
    } else if (r < 0.88) {
      const t = ts - 200 + Math.floor(rand() * 260);
      assert.equal(disk.offsetForTimestamp(t), mem.offsetForTimestamp(t), `${what}: offsetForTimestamp(${t})`);
      assert.equal(disk.maxTimestampOffset(), mem.maxTimestampOffset(), `${what}: maxTimestampOffset`);
    } else if (r < 0.93) {
      const to = mem.logStartOffset + Math.floor(rand() * (mem.logEndOffset - mem.logStartOffset + 2) * 0.3);
      assert.is(disk.deleteRecordsBefore(to), mem.deleteRecordsBefore(to), `${what}: deleteRecordsBefore(${to})`);
    } else if (r < 0.96) {
      await disk.close();
      disk = await PartitionLog.open(dir, config);
      reopened++;
    }
    assert.is(disk.logEndOffset, mem.logEndOffset, `${what}: LEO`);
    assert.is(disk.logStartOffset, mem.logStartOffset, `${what}: log start`);
    maxSegments = Math.max(maxSegments, (disk as PartitionLog).segmentCount);
  }
  // Finally every offset reads the same, one batch at a time and in bulk.
  for (let off = mem.logStartOffset; off <= mem.logEndOffset; off++) sameRead(disk.read(off, 1, true), mem.read(off, 1, true), `final read ${off}`);
  sameRead(disk.read(mem.logStartOffset, 1 << 30, false), mem.read(mem.logStartOffset, 1 << 30, false), 'final bulk read');
  await disk.close();
  return { segments: maxSegments, reopened };
}

test('model: PartitionLog ≡ MemoryLog (small tail cache: reads from disk and cache)', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await modelRun(seed, testConfig({ segmentBytes: 3000, tailCacheBytes: 1500 }), 400);
    assert.ok(r.segments > 5, `the run should roll segments (${r.segments})`);
    assert.ok(r.reopened > 3, 'the run should reopen the log');
  }
});

test('model: without a tail cache (every read from disk)', async () => {
  await modelRun(11, testConfig({ segmentBytes: 2500, tailCacheBytes: 0 }), 400);
});

test('model: with a tail cache larger than the log (every read from memory until reopened)', async () => {
  await modelRun(21, testConfig({ segmentBytes: 100_000, tailCacheBytes: 1 << 20 }), 300);
});

test('model: index every batch (interval 0) and LogAppendTime', async () => {
  await modelRun(31, testConfig({ segmentBytes: 3000, indexIntervalBytes: 0, messageTimestampType: 'LogAppendTime' }), 300);
});

test.after(removeTempDirs);
test.run();
