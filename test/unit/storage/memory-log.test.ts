/** MemoryLog behaviour outside the conformance suite: per-batch retention. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryLog } from '../../../src/storage/memory-log.js';
import { batch, testConfig } from './helpers.js';

test('retention works per batch, never drops the last batch, and moves the start offset', () => {
  const log = new MemoryLog(testConfig({ retentionMs: 100 }));
  for (let i = 0; i < 5; i++) log.append(batch(2, { ts: 1000 + i * 100 }), 1); // batches end at 1001, 1101, ...
  assert.equal(log.applyRetention(1150), { deletedSegments: 1, deletedBytes: batch(2).length });
  assert.is(log.logStartOffset, 2);
  assert.is(log.applyRetention(1_000_000).deletedSegments, 3);
  assert.is(log.logStartOffset, 8);
  assert.is(log.logEndOffset, 10);
  const bySize = new MemoryLog(testConfig({ retentionBytes: batch(2).length * 2 }));
  for (let i = 0; i < 5; i++) bySize.append(batch(2), 1);
  assert.is(bySize.applyRetention(0).deletedSegments, 3);
  assert.is(bySize.sizeBytes, batch(2).length * 2);
});

test.run();
