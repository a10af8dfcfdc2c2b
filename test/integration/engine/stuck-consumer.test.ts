/**
 * A client that stops reading its fetch responses must not stall the shard
 * for anyone else. Fetch replies are written to the socket as views of
 * shared-memory fetch slots, freed when the write completes: a stuck client
 * holds only its own slots, never ring space (the ring is reclaimed in
 * order, so a reply held there would block every completion behind it), and
 * once the slots are taken replies go through the ring, copied out at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as tcpConnect } from 'node:net';
import { startTestBroker } from '../../helpers/broker.js';
import { ensureTopic } from '../../helpers/produce.js';
import { decodeBatches, encodeRequest, fetchOnce, openConnection, produce, sleep, within } from '../../helpers/wire.js';
import type { WorkerShard } from '../../../src/shard/worker-shard.js';

test('a client that never reads its fetch responses does not stall other clients of the same shard', async () => {
  const tb = await startTestBroker({ shards: 1, numPartitions: 1 });
  const shard = tb.broker.engine.shards[0] as WorkerShard;
  try {
    const c = await openConnection(tb.broker.port);
    await ensureTopic(c, 'big');
    await ensureTopic(c, 'other');
    // 12 MiB in 'big': 48 batches of 256 KiB.
    const value = 'v'.repeat(1000);
    for (let b = 0; b < 48; b++) {
      const r = await produce(c, 'big', 0, Array.from({ length: 256 }, (_, i) => ({ value: `${b}-${i}-${value}` })), { acks: 1 });
      assert.is(r.errorCode, 0);
    }
    // A client that reads: every slot is free again once its responses are written.
    for (let i = 0; i < 5; i++) assert.ok((await fetchOnce(c, 'big', 0, i * 2000, { partitionMaxBytes: 1 << 20 })).records!.length > 500_000);
    await sleep(100);
    assert.is(shard.queueStats().fetchSlotsInUse, 0, 'slots are freed when the socket write completes');
    // The stuck client: 40 pipelined fetches of 1 MiB each from the start, and it never reads.
    const stuck = tcpConnect(tb.broker.port, '127.0.0.1');
    await new Promise<void>((r) => stuck.once('connect', () => r()));
    stuck.pause();
    for (let i = 0; i < 40; i++) {
      stuck.write(encodeRequest('Fetch', 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: (i % 4) * 2000, partitionMaxBytes: 1 << 20 }] }],
      }, i + 1));
    }
    await sleep(1500);
    const stuckStats = shard.queueStats();
    assert.is(stuckStats.outboundUsedBytes, 0, 'the stuck client holds no ring space');
    assert.ok(stuckStats.fetchSlotsInUse > 0, 'its replies wait in fetch slots (zero-copy)');

    // Everyone else still gets served by the same shard: produce and read back another topic.
    const other = await openConnection(tb.broker.port);
    const p = await within(produce(other, 'other', 0, [{ value: 'still here' }], { acks: 1 }), 5000, 'produce while a client is stuck');
    assert.is(p.errorCode, 0);
    const f = await within(fetchOnce(other, 'other', 0, 0), 5000, 'fetch while a client is stuck');
    assert.equal(decodeBatches(f.records).map((r) => r.value), ['still here']);
    // Reads of the big topic (replies copied or held, whichever) are whole and correct.
    const big = await within(fetchOnce(other, 'big', 0, 256 * 10, { partitionMaxBytes: 300_000 }), 5000, 'fetch big');
    assert.ok(decodeBatches(big.records)[0]!.value!.startsWith('10-0-'));

    // Closing the stuck connection frees its slots.
    stuck.destroy();
    const deadline = Date.now() + 5000;
    while (shard.queueStats().fetchSlotsInUse > 0 && Date.now() < deadline) await sleep(50);
    assert.is(shard.queueStats().fetchSlotsInUse, 0, 'no slot is left behind once the stuck client is gone');
    c.close();
    other.close();
  } finally {
    await tb.close();
  }
});

test.run();
