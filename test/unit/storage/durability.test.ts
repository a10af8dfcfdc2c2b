/**
 * Flush policies: group commit (few fdatasyncs for many appends, `durable`
 * only after a covering fdatasync), interval, os, and what an fdatasync
 * failure does. fs.fdatasync is wrapped to count and observe calls.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { batch, ok, removeTempDirs, tempDir, testConfig } from './helpers.js';

const fsCjs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const realFdatasync = fsCjs.fdatasync;
/** fdatasyncs that have completed (callback called), across all logs. */
let completedSyncs = 0;
let failNext: NodeJS.ErrnoException | null = null;
function patchFdatasync(): void {
  (fsCjs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    if (failNext) {
      const err = failNext;
      failNext = null;
      setImmediate(() => cb(err));
      return;
    }
    realFdatasync(fd, (err) => { completedSyncs++; cb(err); });
  };
  syncBuiltinESMExports();
}
patchFdatasync();

test('group commit: 200 appends in one turn share a couple of fdatasyncs', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'group' }, segmentBytes: 1 << 20 }));
  const durables: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) durables.push(ok(log.append(batch(2), 1)).durable);
  await Promise.all(durables);
  assert.ok(log.stats.fdatasyncs >= 1 && log.stats.fdatasyncs <= 2, `fdatasyncs ${log.stats.fdatasyncs}`);
  assert.is(log.stats.appends, 200);
  await log.close();
});

test('group commit: durable resolves only after an fdatasync that started after the write', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'group' }, segmentBytes: 1 << 20 }));
  const checks: Promise<void>[] = [];
  // 20 producers, each appending 15 times and waiting for durability in between.
  let violations = 0;
  const producer = async (): Promise<void> => {
    for (let i = 0; i < 15; i++) {
      const startedBefore = log.stats.fdatasyncs;
      const completedBefore = completedSyncs;
      const r = ok(log.append(batch(1), 1));
      await r.durable;
      // A covering fdatasync was started after the append and has completed.
      if (!(log.stats.fdatasyncs > startedBefore && completedSyncs > completedBefore)) violations++;
    }
  };
  for (let p = 0; p < 20; p++) checks.push(producer());
  await Promise.all(checks);
  assert.is(violations, 0);
  assert.is(log.stats.appends, 300);
  assert.ok(log.stats.fdatasyncs < 300 / 3, `fdatasyncs ${log.stats.fdatasyncs} for 300 appends`);
  await log.close();
});

test('group commit across rolls: every durable resolves, old segments are synced', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'group' }, segmentBytes: 800 }));
  const durables: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    durables.push(ok(log.append(batch(2, { valueBytes: 40 }), 1)).durable);
    if (i % 7 === 0) await sleep(1);
  }
  await Promise.all(durables);
  assert.ok(log.segmentCount > 5);
  assert.ok(log.stats.fdatasyncs < 60, `fdatasyncs ${log.stats.fdatasyncs}`);
  await log.close();
});

test('interval: durable resolves at once, a timer syncs', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'interval', intervalMs: 20 }, segmentBytes: 1 << 20 }));
  let resolved = false;
  void ok(log.append(batch(2), 1)).durable.then(() => { resolved = true; });
  await Promise.resolve();
  assert.ok(resolved, 'resolved on the next microtask, before any fdatasync');
  assert.is(log.stats.fdatasyncs, 0);
  await sleep(80);
  assert.ok(log.stats.fdatasyncs >= 1, 'the interval timer synced');
  const n = log.stats.fdatasyncs;
  await sleep(60);
  assert.is(log.stats.fdatasyncs, n, 'nothing new written: no more fdatasyncs');
  log.updateConfig(testConfig({ flush: { kind: 'os' }, segmentBytes: 1 << 20 }));
  log.append(batch(1), 1);
  await sleep(60);
  assert.is(log.stats.fdatasyncs, n, 'the timer stops when the policy changes');
  await log.close();
});

test('os: no fdatasync on the append path; close() makes the data durable', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'os' }, segmentBytes: 1 << 20 }));
  for (let i = 0; i < 50; i++) await ok(log.append(batch(2), 1)).durable;
  await sleep(10);
  assert.is(log.stats.fdatasyncs, 0);
  await log.close();
  assert.is(log.stats.fdatasyncs, 1);
});

test('a failed fdatasync rejects durable and takes the log offline', async () => {
  const log = await PartitionLog.open(tempDir('dur'), testConfig({ flush: { kind: 'group' }, segmentBytes: 1 << 20 }));
  const first = ok(log.append(batch(2), 1));
  failNext = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  const ignored = ok(log.append(batch(2), 1)); // nobody awaits this one (acks=1): must not crash the process
  void ignored;
  let err: unknown = null;
  try { await first.durable; } catch (e) { err = e; }
  assert.ok(err instanceof Error && /EIO/.test(err.message));
  assert.ok(log.offline);
  assert.is(log.append(batch(1), 1), ErrorCode.KAFKA_STORAGE_ERROR);
  assert.is(log.read(0, 100, true).error, ErrorCode.KAFKA_STORAGE_ERROR);
  await sleep(10);
  await log.close();
});

test.after(() => {
  (fsCjs as { fdatasync: unknown }).fdatasync = realFdatasync;
  syncBuiltinESMExports();
  removeTempDirs();
});
test.run();
