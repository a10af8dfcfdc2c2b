/** TailCacheBudget and the partition logs under it: only partitions that are read cache their appends, within the shard's budget. */
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { TailCacheBudget, type TailCacheMember } from '../../../src/storage/tail-cache-budget.js';
import { batch, removeTempDirs, tempDir, testConfig } from './helpers.js';

class Member implements TailCacheMember {
  share = -1;
  setTailCacheShare(bytes: number): void {
    this.share = bytes;
  }
}

test('the budget is split evenly between its members and re-split as they come and go', () => {
  const budget = new TailCacheBudget(1000);
  const a = new Member();
  const b = new Member();
  const c = new Member();
  budget.join(a);
  assert.is(a.share, 1000);
  budget.join(b);
  budget.join(c);
  assert.equal([a.share, b.share, c.share], [333, 333, 333]);
  budget.join(c); // idempotent
  assert.is(budget.memberCount, 3);
  budget.leave(b);
  assert.equal([a.share, c.share], [500, 500]);
  budget.leave(b); // not a member any more: nothing changes
  assert.is(budget.memberCount, 2);
});

test('a partition nobody reads caches nothing; a read switches its cache on for the appends that follow', async () => {
  const budget = new TailCacheBudget(1 << 20);
  const log = await PartitionLog.open(tempDir(), testConfig({ segmentBytes: 1 << 20, tailCacheBytes: 4096 }), Date.now(), {}, budget);
  for (let i = 0; i < 10; i++) log.append(batch(2, { valueBytes: 30 }), 1);
  assert.is(log.tailCacheBytes, 0);
  assert.is(budget.memberCount, 0);

  const first = log.read(log.logEndOffset - 2, 1 << 20, false); // served from the segment
  assert.is(log.stats.cacheReads, 0);
  assert.is(first.records.length, 1);
  assert.is(budget.memberCount, 1);

  const end = log.logEndOffset;
  log.append(batch(2, { valueBytes: 30 }), 1);
  assert.ok(log.tailCacheBytes > 0);
  const disk = log.stats.diskReads;
  const tail = log.read(end, 1 << 20, false);
  assert.is(log.stats.diskReads, disk, 'the new append is read from the cache');
  assert.is(log.stats.cacheReads, 1);
  assert.is(tail.bytes, log.tailCacheBytes);
  await log.close();
  assert.is(budget.memberCount, 0, 'a closed log leaves the budget');
});

test('a cache nobody reads for idleMs is emptied and switched off (by the next append or by retention)', async () => {
  const budget = new TailCacheBudget(1 << 20, 30);
  const config = testConfig({ segmentBytes: 1 << 20, tailCacheBytes: 4096 });
  const appended = await PartitionLog.open(tempDir(), config, Date.now(), {}, budget);
  const idle = await PartitionLog.open(tempDir(), config, Date.now(), {}, budget);
  for (const log of [appended, idle]) {
    log.read(0, 1 << 20, false);
    log.append(batch(2, { valueBytes: 30 }), 1);
    assert.ok(log.tailCacheBytes > 0);
  }
  assert.is(budget.memberCount, 2);
  await sleep(60);

  appended.append(batch(2, { valueBytes: 30 }), 1);
  assert.is(appended.tailCacheBytes, 0);
  assert.is(budget.memberCount, 1);
  idle.applyRetention(Date.now());
  assert.is(idle.tailCacheBytes, 0);
  assert.is(budget.memberCount, 0);

  // Read again: cached again.
  appended.read(appended.logEndOffset, 1 << 20, false);
  appended.append(batch(2, { valueBytes: 30 }), 1);
  assert.ok(appended.tailCacheBytes > 0);
  await appended.close();
  await idle.close();
});

test('partitions that are read share the budget: each cache stays within its share', async () => {
  const budget = new TailCacheBudget(3000);
  const config = testConfig({ segmentBytes: 1 << 20, tailCacheBytes: 2500 });
  const logs = [];
  for (let i = 0; i < 3; i++) {
    const log = await PartitionLog.open(tempDir(), config, Date.now(), {}, budget);
    log.read(0, 1 << 20, false);
    logs.push(log);
  }
  for (let i = 0; i < 40; i++) for (const log of logs) log.append(batch(2, { valueBytes: 30 }), 1);
  for (const log of logs) assert.ok(log.tailCacheBytes > 0 && log.tailCacheBytes <= 1000, `cache ${log.tailCacheBytes} over its 1000-byte share`);

  // One leaves: the other two get 1500 bytes each.
  await logs[2]!.close();
  for (let i = 0; i < 40; i++) for (const log of logs.slice(0, 2)) log.append(batch(2, { valueBytes: 30 }), 1);
  for (const log of logs.slice(0, 2)) assert.ok(log.tailCacheBytes > 1000 && log.tailCacheBytes <= 1500, `cache ${log.tailCacheBytes}`);
  for (const log of logs.slice(0, 2)) await log.close();
});

test.after.each(() => removeTempDirs());

test.run();
