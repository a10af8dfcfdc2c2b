/**
 * The load generator against the in-memory fake broker: exact counts, and the
 * consumer's verification catching corruption, duplicates and gaps.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runLoad } from '../../../src/load/load-runner.js';
import { startFakeBroker } from './fake-broker.js';

const quiet = { quiet: true, workers: 0 } as const;

test('produce --records N sends exactly N records (inline, several partitions and connections)', async () => {
  const b = await startFakeBroker('t', 4);
  try {
    const r = await runLoad({ ...quiet, mode: 'produce', bootstrap: b.bootstrap, topic: 't', records: 12_345, connections: 3 });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.produce!.records, 12_345);
    assert.is(b.producedRecords, 12_345);
    assert.is(r.produce!.errors, 0);
    assert.ok(r.produce!.latency.count === 12_345);
    // Several partitions were used (sticky partitioning moves on after each batch).
    const used = [0, 1, 2, 3].filter((p) => b.recordCount('t', p) > 0).length;
    assert.ok(used >= 2, `partitions used: ${used}`);
  } finally { await b.stop(); }
});

test('produce on a worker thread, with keys: exact count, keys land where murmur2 says', async () => {
  const b = await startFakeBroker('k', 3);
  try {
    const r = await runLoad({ quiet: true, workers: 1, mode: 'produce', bootstrap: b.bootstrap, topic: 'k', records: 5000, keys: 'uniform:100' });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(b.producedRecords, 5000);
    assert.is(r.produce!.records, 5000);
  } finally { await b.stop(); }
});

test('e2e: every record consumed once, in order, verified; exact counts', async () => {
  const b = await startFakeBroker('e', 2);
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'e', records: 20_000, keys: 'zipf:50' });
    assert.ok(r.ok, r.problems.join('; '));
    const v = r.consume!.verification;
    assert.ok(v.ok);
    assert.is(v.records, 20_000);
    assert.equal(v.countCheck, { expected: 20_000, consumed: 20_000, perPartitionMismatches: 0 });
    assert.is(r.consume!.records, 20_000);
    assert.is(r.consume!.latency.count, 20_000);
    assert.is(r.consume!.backlog, 0);
  } finally { await b.stop(); }
});

test('e2e with compression: verified through decompression', async () => {
  const b = await startFakeBroker('z', 1);
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'z', records: 3000, compression: 'lz4' });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.consume!.verification.records, 3000);
  } finally { await b.stop(); }
});

test('a flipped payload byte (batch CRC fixed up) is caught by the record checksum', async () => {
  const b = await startFakeBroker('c', 1);
  b.faults.corruptRecord = { topic: 'c', partition: 0, offset: 777 };
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'c', records: 2000 });
    assert.not.ok(r.ok);
    const v = r.consume!.verification;
    assert.not.ok(v.ok);
    assert.is(v.checksumFailures, 1);
    assert.is(v.corruptBatches, 0);
    assert.ok(v.problems.some((p) => p.includes('c-0@777') && p.includes('checksum')), v.problems.join('\n'));
    assert.ok(r.problems.some((p) => p.includes('checksum')));
  } finally { await b.stop(); }
});

test('a flipped byte with the batch CRC left stale fails the batch CRC check', async () => {
  const b = await startFakeBroker('x', 1);
  b.faults.corruptRecord = { topic: 'x', partition: 0, offset: 10, keepCrc: true };
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'x', records: 1000 });
    assert.not.ok(r.ok);
    const v = r.consume!.verification;
    assert.is(v.corruptBatches, 1);
    assert.ok(v.problems.some((p) => p.includes('CRC-32C')));
    assert.ok(v.countCheck!.consumed < 1000);
  } finally { await b.stop(); }
});

test('two worker threads: histograms merged, counts exact', async () => {
  const b = await startFakeBroker('w', 4);
  try {
    const r = await runLoad({ quiet: true, workers: 2, connections: 2, mode: 'e2e', bootstrap: b.bootstrap, topic: 'w', records: 30_000 });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.produce!.producers, 2);
    assert.is(r.produce!.records, 30_000);
    assert.is(r.produce!.latency.count, 30_000);
    assert.is(r.consume!.latency.count, 30_000);
  } finally { await b.stop(); }
});

test('a duplicated batch (fresh offsets, same records) is caught as duplicated sequences and a count mismatch', async () => {
  const b = await startFakeBroker('d', 1);
  b.faults.duplicateBatches = 1;
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'd', records: 2000 });
    assert.not.ok(r.ok);
    const v = r.consume!.verification;
    assert.ok(v.sequenceDuplicates > 0, JSON.stringify(v));
    assert.is(v.offsetGaps, 0);
    assert.ok(v.countCheck!.consumed > v.countCheck!.expected);
  } finally { await b.stop(); }
});

test('a lost batch (acknowledged, not stored) is caught as a sequence gap and a count mismatch', async () => {
  const b = await startFakeBroker('g', 1);
  b.faults.dropBatches = 1;
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'g', records: 2000 });
    assert.not.ok(r.ok);
    const v = r.consume!.verification;
    assert.ok(v.sequenceGaps > 0, JSON.stringify(v));
    assert.ok(v.countCheck!.consumed < v.countCheck!.expected);
  } finally { await b.stop(); }
});

test('a hole in the offsets is caught as an offset gap', async () => {
  const b = await startFakeBroker('h', 1);
  b.faults.offsetGapBatches = 1;
  try {
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 'h', records: 1000 });
    assert.not.ok(r.ok);
    assert.ok(r.consume!.verification.offsetGaps >= 1);
  } finally { await b.stop(); }
});

test('consume mode reads a pre-filled topic to its end and verifies it', async () => {
  const b = await startFakeBroker('f', 3);
  try {
    const w = await runLoad({ ...quiet, mode: 'produce', bootstrap: b.bootstrap, topic: 'f', records: 9000 });
    assert.ok(w.ok);
    const r = await runLoad({ ...quiet, mode: 'consume', bootstrap: b.bootstrap, topic: 'f', toEnd: true, consumers: 2 });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.consume!.records, 9000);
    assert.is(r.consume!.verification.records, 9000);
    assert.is(r.consume!.backlog, 0);
    const n = await runLoad({ ...quiet, mode: 'consume', bootstrap: b.bootstrap, topic: 'f', records: 4000 });
    assert.is(n.consume!.records, 4000);
  } finally { await b.stop(); }
});

test('--create-topic creates the topic; an unknown topic without it is a setup error', async () => {
  const b = await startFakeBroker();
  try {
    const r = await runLoad({ ...quiet, mode: 'produce', bootstrap: b.bootstrap, topic: 'new', createTopic: true, partitions: 5, records: 100 });
    assert.ok(r.ok);
    assert.is(b.topics.get('new')!.partitions.length, 5);
    try {
      await runLoad({ ...quiet, mode: 'produce', bootstrap: b.bootstrap, topic: 'missing', records: 10 });
      assert.unreachable();
    } catch (err) {
      assert.match((err as Error).message, /UNKNOWN_TOPIC_OR_PARTITION.*--create-topic/);
    }
  } finally { await b.stop(); }
});

test('acks=0 sends exactly N records with no responses', async () => {
  const b = await startFakeBroker('a', 1);
  try {
    const r = await runLoad({ ...quiet, mode: 'produce', bootstrap: b.bootstrap, topic: 'a', records: 7000, acks: 0 });
    assert.ok(r.ok);
    assert.is(r.produce!.records, 7000);
    for (let i = 0; i < 50 && b.producedRecords < 7000; i++) await new Promise((res) => setTimeout(res, 20));
    assert.is(b.producedRecords, 7000);
  } finally { await b.stop(); }
});

test('stop() (as Ctrl-C) ends an open-loop run early and still reports', async () => {
  const b = await startFakeBroker('s', 1);
  try {
    const started = Date.now();
    const r = await runLoad({ ...quiet, mode: 'e2e', bootstrap: b.bootstrap, topic: 's', durationMs: '60s' }, {
      onStart: (stop) => setTimeout(stop, 700),
    });
    assert.ok(Date.now() - started < 10_000);
    assert.ok(r.interrupted);
    assert.ok(r.produce!.records > 0);
    assert.ok(r.consume!.verification.ok, r.consume!.verification.problems.join('\n'));
  } finally { await b.stop(); }
});

test.run();
