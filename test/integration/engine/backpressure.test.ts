/**
 * Backpressure end to end: an artificially slowed shard and producers that
 * flood it (acks=0, as fast as their sockets accept). The broker must stop
 * reading from their sockets rather than buffer without bound — its RSS
 * stays bounded — and every request sent is eventually appended.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { spawnBroker, tempDir } from '../../helpers/broker.js';
import { connect, ensureTopic } from '../../helpers/produce.js';
import { buildBatch } from '../../../src/protocol/record-batch/index.js';

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

test('a slow shard under a produce flood keeps RSS bounded and loses no request', async () => {
  const dir = tempDir();
  const child = await spawnBroker(['--data-dir', dir, '--shards', '1', '--num-partitions', '1', '--flush', 'os'], 20_000, { MILLRACE_TEST_SHARD_DELAY_MS: '4' });
  try {
    const admin = await connect(child.port);
    await ensureTopic(admin, 'flood');
    // Batches of different record counts, sent in turn: a queued request whose bytes were
    // overwritten by the next one (the connection's receive buffer is reused) changes the total.
    const batches = Array.from({ length: 7 }, (_, b) =>
      buildBatch(Array.from({ length: 2000 + b }, (_, i) => ({ value: `record-${b}-${i}-${'x'.repeat(100)}` }))));
    const producers = await Promise.all(Array.from({ length: 6 }, () => connect(child.port)));
    let sentBatches = 0;
    let sentBytes = 0;
    let expected = 0;
    let maxRss = rssMiB(child.process.pid!);
    const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMiB(child.process.pid!)); }, 100);
    const floodUntil = Date.now() + 5000;
    await Promise.all(producers.map(async (c) => {
      for (let k = 0; Date.now() < floodUntil; k++) {
        const b = k % batches.length;
        c.sendNoResponse('Produce', 7, { acks: 0, timeoutMs: 10_000, topicData: [{ name: 'flood', partitionData: [{ index: 0, records: batches[b]! }] }] });
        sentBatches++;
        sentBytes += batches[b]!.length;
        expected += 2000 + b;
        await c.drained();
      }
    }));
    const sentMiB = sentBytes / (1 << 20);
    // Wait for the backlog to drain: the high watermark must reach every record sent.
    let hw = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const res = await admin.send('ListOffsets', 1, { replicaId: -1, topics: [{ name: 'flood', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
      hw = res.topics[0]!.partitions[0]!.offset;
      if (hw >= expected) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(sampler);
    for (const c of producers) c.close();
    admin.close();
    console.log(`backpressure: sent ${sentMiB.toFixed(0)} MiB in 5 s to a slowed shard; broker max RSS ${maxRss.toFixed(0)} MiB`);
    assert.is(hw, expected, `all ${sentBatches} batches (${sentMiB.toFixed(0)} MiB) appended`);
    // Rings (2 × 32 MiB) + overflow limit (64 MiB) + Node's baseline; far below what unbounded buffering would take.
    assert.ok(maxRss < 450, `broker RSS stayed bounded: max ${maxRss.toFixed(0)} MiB while receiving ${sentMiB.toFixed(0)} MiB`);
  } finally {
    await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
