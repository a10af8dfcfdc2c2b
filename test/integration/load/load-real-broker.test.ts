/**
 * `millrace load` against a real Millrace broker (in-process, temp data dir):
 * the same checks as the fake-broker unit tests, on the real produce and
 * fetch paths.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLoad } from '../../../src/load/load-runner.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

let tb: TestBroker;
test.before(async () => { tb = await startTestBroker(); });
test.after(async () => { await tb.close(); });

test('e2e --records: exact counts, every record verified', async () => {
  const r = await runLoad({ quiet: true, workers: 1, mode: 'e2e', bootstrap: tb.bootstrap, topic: 'lr-e2e', createTopic: true, partitions: 3, records: 50_000, keys: 'uniform:1000' });
  assert.ok(r.ok, r.problems.join('; '));
  assert.is(r.produce!.records, 50_000);
  assert.equal(r.consume!.verification.countCheck, { expected: 50_000, consumed: 50_000, perPartitionMismatches: 0 });
});

test('fixed rate: pacing within 10%, latencies from intended send times', async () => {
  const r = await runLoad({ quiet: true, workers: 0, mode: 'e2e', bootstrap: tb.bootstrap, topic: 'lr-rate', createTopic: true, rate: 5000, durationMs: '2s' });
  assert.ok(r.ok, r.problems.join('; '));
  assert.ok(Math.abs(r.produce!.recordsPerSec - 5000) / 5000 < 0.1, `${r.produce!.recordsPerSec}`);
  assert.ok(r.produce!.sendLag !== null);
});

test('compressed batches, acks=-1, then consume --to-end verifies the topic', async () => {
  const w = await runLoad({ quiet: true, workers: 0, mode: 'produce', bootstrap: tb.bootstrap, topic: 'lr-z', createTopic: true, partitions: 2, records: 20_000, compression: 'zstd', acks: -1 });
  assert.ok(w.ok, w.problems.join('; '));
  const r = await runLoad({ quiet: true, mode: 'consume', bootstrap: tb.bootstrap, topic: 'lr-z', toEnd: true });
  assert.ok(r.ok, r.problems.join('; '));
  assert.is(r.consume!.records, 20_000);
});

test.run();
