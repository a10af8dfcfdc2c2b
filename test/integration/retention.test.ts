/** Time retention trims delete-policy topics by whole segments; compact-only topics are never trimmed. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestBroker } from '../helpers/broker.js';
import { connect, produce } from '../helpers/produce.js';

test('retention.ms deletes old segments of a delete topic but not of a compact topic', async () => {
  const tb = await startTestBroker({ retentionCheckIntervalMs: 100 });
  try {
    const c = await connect(tb.broker.port);
    const configs = (policy: string) => [
      { name: 'cleanup.policy', value: policy }, { name: 'retention.ms', value: '200' }, { name: 'segment.bytes', value: '1024' },
    ];
    const res = await c.send('CreateTopics', 5, {
      topics: [
        { name: 'trimmed', numPartitions: 1, replicationFactor: 1, assignments: [], configs: configs('delete') },
        { name: 'compacted', numPartitions: 1, replicationFactor: 1, assignments: [], configs: configs('compact') },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(res.topics.map((t) => t.errorCode), [0, 0]);
    const old = Date.now() - 60_000;
    for (const topic of ['trimmed', 'compacted']) {
      for (let i = 0; i < 20; i++) {
        const r = await produce(c, topic, 0, [{ value: `old-${i}-${'x'.repeat(200)}`, timestamp: old }], 1);
        assert.is(r.errorCode, 0);
      }
    }
    const startOffset = async (topic: string): Promise<number> => {
      const r = await c.send('ListOffsets', 1, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2 }] }] });
      return r.topics[0]!.partitions[0]!.offset;
    };
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await startOffset('trimmed')) === 0) await new Promise((r) => setTimeout(r, 100));
    assert.ok((await startOffset('trimmed')) > 0, 'old segments of the delete topic were removed');
    assert.is(await startOffset('compacted'), 0, 'the compact topic kept everything');
    c.close();
  } finally {
    await tb.close();
  }
});

test.run();
