/**
 * Idempotent appends on both logs: duplicates answered with the original
 * offsets and not written, sequence and epoch errors; on PartitionLog the
 * producer state survives a clean reopen (snapshot at close), a crash (no
 * close: rebuilt from the roll snapshot and the batch headers), damaged or
 * missing snapshots, and snapshots follow their segments.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { buildBatch } from '../../../src/protocol/record-batch/record-batch-builder.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import type { Log } from '../../../src/storage/log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { concat, ok, removeTempDirs, tempDir, testConfig } from './helpers.js';

/** An idempotent batch: `count` records with values `v<seq>` from `seq`. */
function ib(pid: number, epoch: number, seq: number, count: number, ts = 1_000): Buffer {
  const recs = Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}`, timestamp: ts + i }));
  return buildBatch(recs, { producerId: pid, producerEpoch: epoch, baseSequence: seq, timestampMs: ts });
}

function values(log: Log): string[] {
  return decodeAllRecords(concat(log.read(log.logStartOffset, 1 << 30, false).records)).map((r) => Buffer.from(r.value!).toString());
}

function snapshotFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.snapshot')).sort();
}

/** Copy of the directory as it is now, open files and all: what a crash (kill -9) leaves behind. */
function crashCopy(dir: string): string {
  const copy = tempDir('idem-crash');
  for (const n of fs.readdirSync(dir)) fs.copyFileSync(join(dir, n), join(copy, n));
  return copy;
}

type Factory = (config: LogConfig) => Promise<Log>;
const factories: [string, Factory][] = [
  ['PartitionLog', (c) => PartitionLog.open(tempDir('idem'), c)],
  ['MemoryLog', async (c) => new MemoryLog(c)],
];

for (const [name, make] of factories) {
  const s = suite(`${name} idempotent appends`);

  s('a retried batch is answered with its original offsets and not written again', async () => {
    const log = await make(testConfig());
    ok(log.append(buildBatch([{ value: 'plain' }]), 1));
    const a = ok(log.append(ib(5, 0, 0, 3), 1));
    const b = ok(log.append(ib(5, 0, 3, 2), 1));
    assert.equal([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset], [1, 3, 4, 5]);
    assert.not.ok(a.duplicate);
    const again = ok(log.append(ib(5, 0, 0, 3), 2));
    assert.is(again.duplicate, true);
    assert.equal([again.baseOffset, again.lastOffset, again.logAppendTimeMs], [1, 3, -1]);
    await again.durable;
    const againB = ok(log.append(ib(5, 0, 3, 2), 2));
    assert.equal([againB.baseOffset, againB.duplicate], [4, true]);
    assert.is(log.logEndOffset, 6);
    assert.equal(values(log), ['plain', 'v0', 'v1', 'v2', 'v3', 'v4']);
    assert.is(ok(log.append(ib(5, 0, 5, 1), 3)).baseOffset, 6);
    await log.close();
  });

  s('gaps, stale epochs and new epochs not at 0 are refused and write nothing', async () => {
    const log = await make(testConfig());
    ok(log.append(ib(5, 1, 0, 2), 1));
    assert.is(log.append(ib(5, 1, 3, 1), 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.is(log.append(ib(5, 0, 2, 1), 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.is(log.append(ib(5, 2, 1, 1), 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.is(log.logEndOffset, 2);
    assert.is(ok(log.append(ib(5, 2, 0, 1), 1)).baseOffset, 2, 'the new epoch from 0');
    assert.is(log.append(ib(5, 1, 2, 1), 1), ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced now');
    assert.equal(values(log), ['v0', 'v1', 'v0']);
    await log.close();
  });

  s('several batches in one append: checked in order, the first duplicate answers for all', async () => {
    const log = await make(testConfig());
    const r = ok(log.append(Buffer.concat([ib(1, 0, 0, 2), ib(1, 0, 2, 2), ib(2, 0, 0, 1)]), 1));
    assert.equal([r.baseOffset, r.lastOffset], [0, 4]);
    assert.is(log.append(Buffer.concat([ib(1, 0, 4, 1), ib(1, 0, 6, 1)]), 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const d = ok(log.append(Buffer.concat([ib(1, 0, 2, 2), ib(1, 0, 4, 1)]), 1));
    assert.equal([d.duplicate, d.baseOffset, d.lastOffset], [true, 2, 3]);
    assert.is(log.logEndOffset, 5);
    await log.close();
  });

  s('LogAppendTime topics answer a duplicate with the original append time', async () => {
    const log = await make(testConfig({ messageTimestampType: 'LogAppendTime' }));
    const a = ok(log.append(ib(1, 0, 0, 2), 5_000));
    assert.is(a.logAppendTimeMs, 5_000);
    const d = ok(log.append(ib(1, 0, 0, 2), 9_000));
    assert.equal([d.duplicate, d.logAppendTimeMs, d.baseOffset], [true, 5_000, 0]);
    await log.close();
  });

  s('producer state expires with producer.id.expiration.ms at retention time', async () => {
    const log = await make(testConfig({ producerIdExpirationMs: 60_000 }));
    ok(log.append(ib(1, 0, 0, 1, 1_000), 1_000));
    log.applyRetention(30_000);
    assert.is(ok(log.append(ib(1, 0, 0, 1, 1_000), 30_000)).duplicate, true);
    log.applyRetention(100_000);
    const r = ok(log.append(ib(1, 0, 0, 1, 1_000), 100_000));
    assert.not.ok(r.duplicate, 'an expired producer is unknown: the batch is new');
    await log.close();
  });

  s.after.each(() => removeTempDirs());
  s.run();
}

const p = suite('PartitionLog producer state across restarts');
// Small segments: ~8 batches per segment, so the tests roll.
const config = testConfig({ segmentBytes: 1200, flush: { kind: 'group' } });

/** Appends `n` 3-record batches of producer `pid` from sequence `from`; returns their base offsets. */
function appendRun(log: Log, pid: number, from: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(ok(log.append(ib(pid, 0, from + i * 3, 3), 1)).baseOffset);
  return out;
}

/** Retries each of the last 5 batches of producer `pid` (whose next sequence is `next`) and checks the answers. */
function checkRetries(log: Log, pid: number, next: number, offsets: number[]): void {
  const end = log.logEndOffset;
  for (let k = 1; k <= 5; k++) {
    const r = ok(log.append(ib(pid, 0, next - k * 3, 3), 2));
    assert.is(r.duplicate, true, `retry of batch -${k}`);
    assert.is(r.baseOffset, offsets[offsets.length - k]);
  }
  assert.is(log.logEndOffset, end, 'nothing written');
  assert.is(log.append(ib(pid, 0, next - 18, 3), 2), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'older than the last 5');
}

p('after a clean close the state comes from the snapshot, nothing is replayed', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, config);
  const a = appendRun(log, 11, 0, 30);
  const b = appendRun(log, 12, 1000, 7);
  await log.close();
  assert.ok(snapshotFiles(dir).includes(`${String(log.logEndOffset).padStart(20, '0')}.snapshot`), 'a snapshot at the log end');
  const again = await PartitionLog.open(dir, config);
  assert.is(again.stats.producerBatchesReplayed, 0);
  checkRetries(again, 11, 90, a);
  checkRetries(again, 12, 1021, b);
  assert.is(ok(again.append(ib(11, 0, 90, 1), 3)).baseOffset, again.logEndOffset - 1);
  await again.close();
});

p('after a crash (no close) the state is rebuilt from the roll snapshot and the batch headers', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, config);
  const a = appendRun(log, 11, 0, 30);
  ok(log.append(buildBatch([{ value: 'x' }]), 1));
  const b = appendRun(log, 12, 0, 3);
  await sleep(30); // the roll's background syncs, as they would have finished before the crash
  assert.ok(log.segmentCount >= 3, `${log.segmentCount} segments`);
  assert.ok(snapshotFiles(dir).length >= 1);
  const copy = crashCopy(dir);
  const crashed = await PartitionLog.open(copy, config);
  assert.is(crashed.logEndOffset, log.logEndOffset);
  assert.ok(crashed.stats.producerBatchesReplayed > 0, 'the active segment was replayed');
  assert.ok(crashed.stats.producerBatchesReplayed < 33, 'only since the last roll');
  checkRetries(crashed, 11, 90, a);
  assert.is(ok(crashed.append(ib(12, 0, 0, 3), 2)).baseOffset, b[0]);
  await crashed.close();
  await log.close();
});

p('without any snapshot (or with damaged ones) the whole log is replayed', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, config);
  const a = appendRun(log, 11, 0, 30);
  await log.close();
  const files = snapshotFiles(dir);
  const damaged = crashCopy(dir);
  for (const f of files) {
    const buf = fs.readFileSync(join(damaged, f));
    buf[buf.length - 1] ^= 1;
    fs.writeFileSync(join(damaged, f), buf);
  }
  const none = crashCopy(dir);
  for (const f of files) fs.rmSync(join(none, f));
  for (const d of [damaged, none]) {
    const again = await PartitionLog.open(d, config);
    assert.is(again.stats.producerBatchesReplayed, 30, d === damaged ? 'damaged snapshots' : 'no snapshot');
    checkRetries(again, 11, 90, a);
    assert.equal(snapshotFiles(d), [], 'damaged snapshots are deleted');
    await again.close();
  }
});

p('a crash that loses the tail drops snapshots beyond the recovered end', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, config);
  const a = appendRun(log, 11, 0, 20);
  await log.close();
  // Truncate the log to before the last roll: the close snapshot and the last roll's are now beyond the end.
  const segs = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  const last = segs[segs.length - 1]!;
  const prev = segs[segs.length - 2]!;
  fs.rmSync(join(dir, last));
  fs.rmSync(join(dir, last.replace('.log', '.index')), { force: true });
  fs.rmSync(join(dir, last.replace('.log', '.timeindex')), { force: true });
  fs.writeFileSync(join(dir, 'recovery-point'), `${Number(prev.slice(0, 20))}\n`);
  const again = await PartitionLog.open(dir, config);
  const end = again.logEndOffset;
  assert.is(end, Number(last.slice(0, 20)));
  assert.ok(snapshotFiles(dir).every((f) => Number(f.slice(0, 20)) <= end));
  const kept = a.filter((o) => o < end);
  const next = kept.length * 3;
  // The batches past the end are gone: their retry is new data again, in sequence.
  for (let k = 1; k <= 5; k++) assert.is(ok(again.append(ib(11, 0, next - k * 3, 3), 2)).baseOffset, kept[kept.length - k]);
  assert.is(ok(again.append(ib(11, 0, next, 3), 2)).baseOffset, end);
  await again.close();
});

p('snapshots are deleted with their segments and once the recovery point passes a newer one', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, testConfig({ segmentBytes: 1200, retentionBytes: 2500 }));
  appendRun(log, 11, 0, 40);
  await sleep(30);
  assert.ok(snapshotFiles(dir).length <= 2, `few snapshots: ${snapshotFiles(dir).join(' ')}`);
  log.applyRetention(Date.now());
  const bases = new Set(log.segmentBaseOffsets);
  await log.close();
  const snaps = snapshotFiles(dir).map((f) => Number(f.slice(0, 20)));
  assert.equal(snaps, [log.logEndOffset], 'after close only the snapshot at the end is left');
  assert.ok(bases.size >= 1);
  assert.is(log.append(ib(11, 0, 120, 1), 1), ErrorCode.KAFKA_STORAGE_ERROR);
});

p('duplicates under group commit resolve durable after an fdatasync', async () => {
  const dir = tempDir('idem');
  const log = await PartitionLog.open(dir, config);
  const a = ok(log.append(ib(1, 0, 0, 2), 1));
  const before = log.stats.fdatasyncs;
  const d = ok(log.append(ib(1, 0, 0, 2), 1));
  assert.is(d.duplicate, true);
  await Promise.all([a.durable, d.durable]);
  assert.ok(log.stats.fdatasyncs > before);
  assert.is(log.stats.duplicateAppends, 1);
  await log.close();
});

p.after.each(() => removeTempDirs());
p.run();
