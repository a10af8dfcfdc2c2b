/** PartitionLog behaviour that the in-memory model does not have: segments, files, retention, caching. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { threadReadArena } from '../../../src/storage/read-arena.js';
import { batch, concat, ok, removeTempDirs, tempDir, testConfig } from './helpers.js';

const logFiles = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
const allLogBytes = (dir: string): Buffer => Buffer.concat(logFiles(dir).map((n) => fs.readFileSync(join(dir, n))));

test('rolls by size: segments named by 20-digit base offset, none over segmentBytes', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 1000 }));
  let expected = 0;
  for (let i = 0; i < 40; i++) {
    const r = ok(log.append(batch(2, { valueBytes: 40 }), 1)); // ~160 bytes
    assert.is(r.baseOffset, expected);
    expected += 2;
  }
  assert.ok(log.segmentCount >= 6, `segments: ${log.segmentCount}`);
  const names = logFiles(dir);
  assert.is(names.length, log.segmentCount);
  assert.equal(names.map((n) => Number(n.slice(0, 20))), log.segmentBaseOffsets);
  assert.ok(names.every((n) => /^\d{20}\.log$/.test(n)));
  for (const n of names) {
    assert.ok(fs.statSync(join(dir, n)).size <= 1000, `${n} over segmentBytes`);
    assert.ok(fs.existsSync(join(dir, n.replace('.log', '.index'))));
    assert.ok(fs.existsSync(join(dir, n.replace('.log', '.timeindex'))));
  }
  assert.is(log.stats.rolls, log.segmentCount - 1);
  // An append larger than a whole segment is refused, as Kafka does.
  assert.is(log.append(batch(30, { valueBytes: 40 }), 1), ErrorCode.RECORD_LIST_TOO_LARGE);
  await log.close();
});

test('rolls by time: segment.ms measured from the first append', async () => {
  const log = await PartitionLog.open(tempDir(), testConfig({ segmentMs: 1000 }));
  log.append(batch(1), 10_000);
  log.append(batch(1), 10_900);
  assert.is(log.segmentCount, 1);
  log.append(batch(1), 11_001);
  assert.is(log.segmentCount, 2);
  assert.equal(log.segmentBaseOffsets, [0, 2]);
  log.append(batch(1), 11_500);
  assert.is(log.segmentCount, 2, 'the new segment ages from its own first append');
  await log.close();
});

test('a read spans segments and returns exactly the bytes in the segment files', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 700, tailCacheBytes: 0 }));
  for (let i = 0; i < 30; i++) log.append(batch(3, { valueBytes: 30, ts: 1000 + i }), 1);
  assert.ok(log.segmentCount > 4);
  const all = log.read(0, 1 << 30, false);
  assert.ok(concat(all.records).equals(allLogBytes(dir)));
  assert.equal(decodeAllRecords(concat(all.records)).map((r) => r.offset), Array.from({ length: 90 }, (_, i) => i));
  // From the middle of a segment, across the next boundary, within a byte budget.
  const from = log.segmentBaseOffsets[2]! - 1;
  const part = log.read(from, 600, false);
  const recs = decodeAllRecords(concat(part.records));
  assert.ok(recs[0]!.offset <= from && recs[recs.length - 1]!.offset >= log.segmentBaseOffsets[2]!);
  assert.ok(part.bytes <= 600);
  await log.close();
});

test('readerCopiesAtOnce: disk reads go to the thread arena, across segments, with the same bytes', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 700, tailCacheBytes: 0, readerCopiesAtOnce: true }));
  for (let i = 0; i < 30; i++) log.append(batch(3, { valueBytes: 30, ts: 1000 + i }), 1);
  const all = log.read(0, 1 << 30, false);
  assert.ok(all.records.length > 4, 'one view per segment');
  assert.ok(all.records.every((r) => r.buffer === all.records[0]!.buffer && r.buffer.byteLength >= threadReadArena.capacity), 'views of one arena');
  assert.ok(concat(all.records).equals(allLogBytes(dir)), 'views of one read do not overlap');
  // A reader that is done with a read resets the arena; the next read reuses its memory.
  threadReadArena.reset();
  const first = log.read(0, 200, false).records[0]!;
  const copy = Buffer.from(first);
  threadReadArena.reset();
  const again = log.read(0, 200, false).records[0]!;
  assert.is(again.byteOffset, first.byteOffset);
  assert.ok(again.equals(copy));
  // Pointed at a region (a worker's fetch slots), reads land there first.
  const region = Buffer.alloc(64 * 1024);
  threadReadArena.reset(region);
  const into = log.read(0, 500, false).records[0]!;
  assert.is(into.buffer, region.buffer);
  assert.ok(into.equals(allLogBytes(dir).subarray(0, into.length)));
  await log.close();
});

test('tailing reads come from the cache; cache and disk give identical bytes', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 2000, tailCacheBytes: 1500 }));
  for (let i = 0; i < 40; i++) log.append(batch(2, { valueBytes: 30 }), 1);
  const disk0 = log.stats.diskReads;
  const tail = log.read(log.logEndOffset - 2, 1 << 20, false);
  assert.is(log.stats.diskReads, disk0, 'no disk read for the tail');
  assert.ok(log.stats.cacheReads > 0);
  assert.ok(log.tailCacheBytes <= 1500 && log.tailCacheBytes > 0);
  const old = log.read(0, 1 << 20, false);
  assert.ok(log.stats.diskReads > disk0, 'old data comes from disk');
  await log.close();

  const reopened = await PartitionLog.open(dir, testConfig({ segmentBytes: 2000, tailCacheBytes: 1500 }));
  assert.is(reopened.tailCacheBytes, 0);
  const tailFromDisk = reopened.read(reopened.logEndOffset - 2, 1 << 20, false);
  assert.ok(concat(tail.records).equals(concat(tailFromDisk.records)));
  assert.ok(concat(old.records).equals(concat(reopened.read(0, 1 << 20, false).records)));
  await reopened.close();
});

test('tail cache views stay valid after eviction', async () => {
  const log = await PartitionLog.open(tempDir(), testConfig({ segmentBytes: 1 << 20, tailCacheBytes: 1000 }));
  log.append(batch(2, { valueBytes: 30, tag: 'first' }), 1);
  const held = log.read(0, 1 << 20, false);
  const copy = Buffer.from(concat(held.records));
  for (let i = 0; i < 50; i++) log.append(batch(2, { valueBytes: 30 }), 1);
  assert.ok(concat(held.records).equals(copy), 'a reader holding a view sees unchanged bytes');
  await log.close();
});

test('retention by time deletes old non-active segments and advances the log start offset', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 600, retentionMs: 10_000 }));
  for (let i = 0; i < 20; i++) log.append(batch(2, { valueBytes: 40, ts: 100_000 + i * 1000 }), 1); // timestamps 100 s .. 119 s
  const before = log.segmentBaseOffsets;
  assert.ok(before.length > 4);
  assert.equal(log.applyRetention(100_000), { deletedSegments: 0, deletedBytes: 0 });
  const sizeBefore = log.sizeBytes;
  const r = log.applyRetention(125_000); // keeps segments whose newest record is ≥ 115 s
  assert.ok(r.deletedSegments > 0);
  assert.is(log.sizeBytes, sizeBefore - r.deletedBytes);
  assert.is(log.logStartOffset, log.segmentBaseOffsets[0]);
  assert.is(logFiles(dir).length, log.segmentCount);
  assert.is(log.read(0, 100, true).error, ErrorCode.OFFSET_OUT_OF_RANGE);
  const first = decodeAllRecords(concat(log.read(log.logStartOffset, 1 << 20, false).records));
  assert.ok(first[0]!.offset === log.logStartOffset);
  // Everything expired: the active segment stays.
  log.applyRetention(10_000_000);
  assert.is(log.segmentCount, 1);
  assert.is(log.logStartOffset, log.segmentBaseOffsets[0]);
  await log.close();
  const again = await PartitionLog.open(dir, testConfig({ segmentBytes: 600 }));
  assert.is(again.logStartOffset, log.logStartOffset, 'persisted');
  await again.close();
});

test('retention by size keeps the newest segments within retentionBytes', async () => {
  const log = await PartitionLog.open(tempDir(), testConfig({ segmentBytes: 600, retentionBytes: 1500 }));
  for (let i = 0; i < 30; i++) log.append(batch(2, { valueBytes: 40 }), 1);
  const r = log.applyRetention(0);
  assert.ok(r.deletedSegments > 0);
  assert.ok(log.sizeBytes <= 1500 + 600, `size ${log.sizeBytes}`);
  // Deleting one more would go below the limit.
  assert.ok(log.sizeBytes - (fs.statSync(join(log.dir, logFiles(log.dir)[0]!)).size) < 1500);
  assert.equal(log.applyRetention(0), { deletedSegments: 0, deletedBytes: 0 });
  await log.close();
});

test('deleteRecordsBefore deletes wholly covered segments and persists the start offset', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 600 }));
  for (let i = 0; i < 20; i++) log.append(batch(2, { valueBytes: 40 }), 1);
  const bases = log.segmentBaseOffsets;
  const target = bases[3]! + 1;
  assert.is(log.deleteRecordsBefore(target), ErrorCode.NONE);
  assert.equal(log.segmentBaseOffsets, bases.slice(3));
  assert.is(fs.readFileSync(join(dir, 'log-start-offset'), 'utf8'), `${target}\n`);
  await log.close();
  const again = await PartitionLog.open(dir, testConfig({ segmentBytes: 600 }));
  assert.is(again.logStartOffset, target);
  assert.is(again.read(target - 1, 100, true).error, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.is(again.read(target, 100, true).error, ErrorCode.NONE);
  await again.close();
});

test('offsetForTimestamp across segments and after reopening (time index)', async () => {
  const dir = tempDir();
  const config = testConfig({ segmentBytes: 800, indexIntervalBytes: 100 });
  const log = await PartitionLog.open(dir, config);
  for (let i = 0; i < 60; i++) log.append(batch(2, { valueBytes: 20, ts: 10_000 + i * 10 }), 1); // offsets 2i, 2i+1 at 10000+10i, +1
  const expect = (t: number): { offset: number; timestamp: number } | null => {
    for (let i = 0; i < 60; i++) for (let j = 0; j < 2; j++) if (10_000 + i * 10 + j >= t) return { offset: 2 * i + j, timestamp: 10_000 + i * 10 + j };
    return null;
  };
  const probes = [0, 10_000, 10_001, 10_002, 10_155, 10_300, 10_591, 10_592, 99_999];
  for (const t of probes) assert.equal(log.offsetForTimestamp(t), expect(t), `ts ${t}`);
  assert.equal(log.maxTimestampOffset(), { offset: 119, timestamp: 10_591 });
  await log.close();
  const again = await PartitionLog.open(dir, config);
  for (const t of probes) assert.equal(again.offsetForTimestamp(t), expect(t), `reopened ts ${t}`);
  assert.equal(again.maxTimestampOffset(), { offset: 119, timestamp: 10_591 });
  await again.close();
});

test('updateConfig applies at runtime', async () => {
  const log = await PartitionLog.open(tempDir(), testConfig({ segmentBytes: 100_000 }));
  for (let i = 0; i < 5; i++) log.append(batch(2, { valueBytes: 40 }), 1);
  assert.is(log.segmentCount, 1);
  log.updateConfig(testConfig({ segmentBytes: 300, tailCacheBytes: 0 }));
  for (let i = 0; i < 5; i++) log.append(batch(2, { valueBytes: 40 }), 1);
  assert.ok(log.segmentCount >= 4);
  assert.is(log.tailCacheBytes, 0);
  assert.throws(() => log.updateConfig(testConfig({ segmentBytes: -1 })));
  await log.close();
});

test('open cleans leftovers: .tmp files and index files without a .log', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig());
  log.append(batch(2), 1);
  await log.close();
  fs.writeFileSync(join(dir, 'log-start-offset.tmp'), 'junk');
  fs.writeFileSync(join(dir, '00000000000000000999.index'), Buffer.alloc(8));
  fs.writeFileSync(join(dir, 'README'), 'not ours');
  fs.writeFileSync(join(dir, '00000000000000000000.log.deleted'), 'half-deleted segment');
  const again = await PartitionLog.open(dir, testConfig());
  assert.not.ok(fs.existsSync(join(dir, 'log-start-offset.tmp')));
  assert.not.ok(fs.existsSync(join(dir, '00000000000000000999.index')));
  assert.ok(fs.existsSync(join(dir, 'README')));
  assert.not.ok(fs.existsSync(join(dir, '00000000000000000000.log.deleted')));
  assert.is(again.logEndOffset, 2);
  await again.close();
});

test('close writes the recovery point; delete removes the directory', async () => {
  const dir = tempDir();
  const log = await PartitionLog.open(dir, testConfig());
  log.append(batch(3), 1);
  await log.close();
  assert.is(fs.readFileSync(join(dir, 'recovery-point'), 'utf8'), '3\n');
  assert.is(log.append(batch(1), 1), ErrorCode.KAFKA_STORAGE_ERROR, 'a closed log refuses appends');
  const again = await PartitionLog.open(dir, testConfig());
  await again.delete();
  assert.not.ok(fs.existsSync(dir));
});

test('a log can start at a non-zero offset from its log-start-offset file', async () => {
  const dir = tempDir();
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(join(dir, 'log-start-offset'), '500\n');
  const log = await PartitionLog.open(dir, testConfig());
  assert.is(log.logStartOffset, 500);
  assert.is(log.logEndOffset, 500);
  assert.is(ok(log.append(batch(2), 1)).baseOffset, 500);
  assert.ok(fs.existsSync(join(dir, '00000000000000000500.log')));
  await log.close();
});

test.after(removeTempDirs);
test.run();
