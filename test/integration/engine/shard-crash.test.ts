/**
 * A shard worker that dies is restarted by the dispatcher and recovers its
 * partitions; requests meanwhile get retriable errors, and no acknowledged
 * record is lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestBroker } from '../../helpers/broker.js';
import { connect, ensureTopic, produce, readAll } from '../../helpers/produce.js';
import { WorkerShard } from '../../../src/shard/worker-shard.js';
import { ErrorCode } from '../../../src/common/error-codes.js';

test('killing a shard worker mid-load loses no acknowledged record', async () => {
  const tb = await startTestBroker({ shards: 2, numPartitions: 2 });
  try {
    const c = await connect(tb.broker.port);
    assert.is(await ensureTopic(c, 'crash'), 2);
    const acked: string[][] = [[], []];
    let retriable = 0;
    const shard0 = tb.broker.engine.shards[0] as WorkerShard;
    const producer = async (partition: number): Promise<void> => {
      for (let i = 0; i < 300; i++) {
        const value = `p${partition}-${i}`;
        for (let attempt = 0; ; attempt++) {
          const r = await produce(c, 'crash', partition, [{ value }], 1);
          if (r.errorCode === ErrorCode.NONE) { acked[partition]!.push(value); break; }
          assert.ok([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.REQUEST_TIMED_OUT].includes(r.errorCode as never), `retriable error, got ${r.errorCode}`);
          retriable++;
          assert.ok(attempt < 200, 'the shard comes back');
          await new Promise((res) => setTimeout(res, 10));
        }
        if (i === 100 && partition === 0) void shard0.crashForTest();
      }
    };
    await Promise.all([producer(0), producer(1)]);
    assert.is(shard0.restarts + (tb.broker.engine.shards[1] as WorkerShard).restarts, 1, 'exactly one worker restarted');
    for (const p of [0, 1]) {
      const values = (await readAll(c, 'crash', p)).map((r) => r.value);
      // Every acknowledged record is there, in acknowledgement order (a retried
      // record may appear twice if its first append completed but its ack was lost).
      let i = 0;
      for (const v of values) if (v === acked[p]![i]) i++;
      assert.is(i, acked[p]!.length, `partition ${p}: all acknowledged records present in order`);
    }
    assert.ok(retriable >= 0);
    c.close();
    // The batches the dead worker held were given back with its failed requests, and the closed connection's chunk.
    const arena = tb.broker.receiveArena!;
    for (let i = 0; i < 100 && arena.chunksInUse > 0; i++) await new Promise((res) => setTimeout(res, 20));
    assert.is(arena.chunksInUse, 0, 'no receive-arena chunk leaked');
  } finally {
    await tb.close();
  }
});

test.run();
