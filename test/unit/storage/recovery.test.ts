/**
 * Recovery on open: torn and corrupt tails are cut at the last good batch,
 * missing or damaged indexes are rebuilt (byte-identical to the originals),
 * and appends continue at the right offset.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { batch, concat, ok, removeTempDirs, rng, tempDir, testConfig } from './helpers.js';

const config: LogConfig = testConfig({ segmentBytes: 3000, indexIntervalBytes: 200 });

interface Fixture { dir: string; sizes: number[]; lastSegment: string; segments: string[] }

/** A closed log of `n` 3-record batches (offsets 3i..3i+2), several segments. */
async function fixture(n = 40): Promise<Fixture> {
  const dir = tempDir('recovery');
  const log = await PartitionLog.open(dir, config);
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = batch(3, { valueBytes: 25, ts: 5000 + i });
    sizes.push(b.length);
    ok(log.append(b, 1));
  }
  await log.close();
  const segments = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => f.slice(0, 20));
  return { dir, sizes, segments, lastSegment: segments[segments.length - 1]! };
}

const file = (f: Fixture, stem: string, ext: string): string => join(f.dir, `${stem}${ext}`);

function snapshot(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const n of fs.readdirSync(dir)) if (/\.(log|index|timeindex)$/.test(n)) m.set(n, fs.readFileSync(join(dir, n)));
  return m;
}

/** Every offset readable and consecutive from the start to the end. */
function checkReadable(log: PartitionLog): void {
  const recs = decodeAllRecords(concat(log.read(log.logStartOffset, 1 << 30, false).records));
  assert.equal(recs.map((r) => r.offset), Array.from({ length: log.logEndOffset - log.logStartOffset }, (_, i) => log.logStartOffset + i));
  for (let off = log.logStartOffset; off < log.logEndOffset; off += 7) assert.ok(log.read(off, 1, true).bytes > 0);
}

async function reopenAndContinue(f: Fixture, expectedEnd: number): Promise<void> {
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logEndOffset, expectedEnd);
  checkReadable(log);
  assert.is(ok(log.append(batch(2), 1)).baseOffset, expectedEnd, 'appends continue at the recovered end');
  checkReadable(log);
  await log.close();
  // And the recovered log reopens cleanly with everything.
  const again = await PartitionLog.open(f.dir, config);
  assert.is(again.logEndOffset, expectedEnd + 2);
  checkReadable(again);
  await again.close();
}

test('a clean reopen changes nothing on disk', async () => {
  const f = await fixture();
  const before = snapshot(f.dir);
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logEndOffset, 120);
  await log.close();
  assert.equal([...snapshot(f.dir).entries()].map(([k, v]) => [k, v.toString('hex')]), [...before.entries()].map(([k, v]) => [k, v.toString('hex')]));
});

test('torn tail: the last batch cut mid-way is truncated', async () => {
  const f = await fixture();
  const path = file(f, f.lastSegment, '.log');
  const size = fs.statSync(path).size;
  fs.truncateSync(path, size - 10);
  await reopenAndContinue(f, 117);
  assert.is(fs.statSync(path).size, size - f.sizes[39]! + fixtureAppendSize(), 'cut at the last good batch, then one append');
});

/** Size of the 2-record batch reopenAndContinue appends. */
function fixtureAppendSize(): number {
  return batch(2).length;
}

test('torn tail: only a partial header left', async () => {
  const f = await fixture();
  const path = file(f, f.lastSegment, '.log');
  fs.appendFileSync(path, Buffer.from([0, 0, 0, 0, 0, 0, 0]));
  await reopenAndContinue(f, 120);
});

test('zeros after the last batch (preallocated or lost pages) are truncated', async () => {
  const f = await fixture();
  fs.appendFileSync(file(f, f.lastSegment, '.log'), Buffer.alloc(500));
  await reopenAndContinue(f, 120);
});

test('a flipped byte in the last batch: CRC fails, the batch is dropped', async () => {
  const f = await fixture();
  const path = file(f, f.lastSegment, '.log');
  const bytes = fs.readFileSync(path);
  bytes[bytes.length - 5] ^= 0x40;
  fs.writeFileSync(path, bytes);
  await reopenAndContinue(f, 117);
});

test('a corrupt batch at the last index entry (where a clean recovery starts) forces a full scan', async () => {
  const f = await fixture();
  const idx = fs.readFileSync(file(f, f.lastSegment, '.index'));
  assert.ok(idx.length >= 8);
  const lastEntryPos = idx.readUInt32BE(idx.length - 4);
  const lastEntryOffset = Number(f.lastSegment) + idx.readUInt32BE(idx.length - 8); // the batch's last offset
  const path = file(f, f.lastSegment, '.log');
  const bytes = fs.readFileSync(path);
  bytes[lastEntryPos + 40] ^= 1; // inside the header's CRC-covered part
  fs.writeFileSync(path, bytes);
  await reopenAndContinue(f, lastEntryOffset - 2); // 3-record batches: the bad one starts 2 before its last offset
});

test('a missing .index is rebuilt byte for byte', async () => {
  const f = await fixture();
  const before = snapshot(f.dir);
  for (const s of [f.lastSegment, f.segments[1]!]) fs.rmSync(file(f, s, '.index'));
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logEndOffset, 120);
  checkReadable(log);
  await log.close();
  for (const s of [f.lastSegment, f.segments[1]!]) {
    assert.ok(fs.readFileSync(file(f, s, '.index')).equals(before.get(`${s}.index`)!), `${s}.index`);
  }
});

test('garbage in .index and .timeindex (wrong size, or not increasing) is detected and rebuilt', async () => {
  const f = await fixture();
  const before = snapshot(f.dir);
  const rand = rng(5);
  const junk = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  fs.writeFileSync(file(f, f.lastSegment, '.index'), junk(13)); // not a multiple of 8
  fs.writeFileSync(file(f, f.segments[0]!, '.index'), junk(before.get(`${f.segments[0]}.index`)!.length)); // right size, random
  fs.writeFileSync(file(f, f.lastSegment, '.timeindex'), Buffer.alloc(24)); // zeros
  fs.writeFileSync(file(f, f.segments[1]!, '.timeindex'), junk(7));
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logEndOffset, 120);
  checkReadable(log);
  assert.equal(log.offsetForTimestamp(5020), { offset: 56, timestamp: 5020 }); // batch 18: 5018, 5019, 5020
  await log.close();
  const after = snapshot(f.dir);
  for (const [name, bytes] of before) assert.ok(after.get(name)!.equals(bytes), `${name} rebuilt identically`);
});

test('an index entry pointing past the end of the log is detected', async () => {
  const f = await fixture();
  const before = snapshot(f.dir);
  const idx = Buffer.from(before.get(`${f.lastSegment}.index`)!);
  assert.ok(idx.length >= 8);
  idx.writeUInt32BE(0x7fffffff, idx.length - 4);
  fs.writeFileSync(file(f, f.lastSegment, '.index'), idx);
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logEndOffset, 120);
  await log.close();
  assert.ok(fs.readFileSync(file(f, f.lastSegment, '.index')).equals(before.get(`${f.lastSegment}.index`)!));
});

test('unclean shutdown: everything after the recovery point is re-validated', async () => {
  const dir = tempDir('recovery');
  const log = await PartitionLog.open(dir, config);
  for (let i = 0; i < 40; i++) ok(log.append(batch(3, { valueBytes: 25, ts: 5000 + i }), 1));
  await sleep(50); // let the background roll syncs finish, as they would have before a crash
  // No close: the recovery point is the active segment's base, from its roll.
  const active = log.segmentBaseOffsets[log.segmentCount - 1]!;
  assert.is(fs.readFileSync(join(dir, 'recovery-point'), 'utf8'), `${active}\n`);
  // Corrupt a batch in the middle of the active segment: a clean shutdown would not look there.
  const path = join(dir, `${String(active).padStart(20, '0')}.log`);
  const bytes = fs.readFileSync(path);
  const second = bytes.readInt32BE(8) + 12; // position of the segment's 2nd batch
  bytes[second + 70] ^= 1;
  fs.writeFileSync(path, bytes);
  const again = await PartitionLog.open(dir, config);
  assert.is(again.logEndOffset, active + 3, 'cut after the first batch of the active segment');
  checkReadable(again);
  assert.is(ok(again.append(batch(1), 1)).baseOffset, active + 3);
  await again.close();
});

test('unclean shutdown with no recovery point: a bad batch in an old segment drops the segments after it', async () => {
  const f = await fixture();
  fs.rmSync(join(f.dir, 'recovery-point'));
  const stem = f.segments[1]!;
  const path = file(f, stem, '.log');
  const bytes = fs.readFileSync(path);
  bytes[bytes.length - 3] ^= 1; // the last batch of the second segment
  fs.writeFileSync(path, bytes);
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.segmentCount, 2);
  assert.is(log.logEndOffset, Number(f.segments[2]) - 3);
  checkReadable(log);
  assert.equal(fs.readdirSync(f.dir).filter((n) => n.endsWith('.log')).length, 2);
  await log.close();
});

test('a log start offset beyond what survived restarts the log empty at that offset', async () => {
  const f = await fixture(5);
  fs.writeFileSync(join(f.dir, 'log-start-offset'), '1000\n');
  const log = await PartitionLog.open(f.dir, config);
  assert.is(log.logStartOffset, 1000);
  assert.is(log.logEndOffset, 1000);
  assert.is(log.read(1000, 100, true).error, ErrorCode.NONE);
  assert.is(ok(log.append(batch(1), 1)).baseOffset, 1000);
  await log.close();
});

test.after(removeTempDirs);
test.run();
