/** Fixed-rate mode: pacing accuracy, and latency measured from intended send times (coordinated omission). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeHistogram } from '../../../src/load/latency-histogram.js';
import { runLoad } from '../../../src/load/load-runner.js';
import { startFakeBroker } from './fake-broker.js';

test('--rate 5000 for 2 s: achieved rate within 10%, steady per second', async () => {
  const b = await startFakeBroker('r', 2);
  try {
    const r = await runLoad({ quiet: true, workers: 0, mode: 'e2e', bootstrap: b.bootstrap, topic: 'r', rate: 5000, durationMs: '2s' });
    assert.ok(r.ok, r.problems.join('; '));
    const p = r.produce!;
    const achieved = (p.records * 1000) / 2000;
    assert.ok(Math.abs(achieved - 5000) / 5000 < 0.1, `achieved ${achieved} rec/s over the 2 s window (records ${p.records})`);
    assert.ok(Math.abs(p.recordsPerSec - 5000) / 5000 < 0.1, `recordsPerSec ${p.recordsPerSec}`);
    const full = r.series.filter((s) => s.second <= 2);
    for (const s of full) assert.ok(Math.abs(s.produced.records - 5000) < 500, `second ${s.second}: ${s.produced.records}`);
    assert.is(r.consume!.verification.countCheck!.consumed, p.records);
  } finally { await b.stop(); }
});

test('--rate with --records: exact count at the requested pace', async () => {
  const b = await startFakeBroker('n', 1);
  try {
    const started = Date.now();
    const r = await runLoad({ quiet: true, workers: 0, mode: 'produce', bootstrap: b.bootstrap, topic: 'n', rate: 4000, records: 4000 });
    const ms = Date.now() - started;
    assert.ok(r.ok);
    assert.is(r.produce!.records, 4000);
    assert.ok(ms > 850 && ms < 2500, `took ${ms} ms for 1 s of records`);
  } finally { await b.stop(); }
});

test('--pacing-tick-us: the records due within a tick go out together, at the same rate', async () => {
  const b = await startFakeBroker('t', 1);
  try {
    const run = (pacingTickUs: number): Promise<Awaited<ReturnType<typeof runLoad>>> =>
      runLoad({ quiet: true, workers: 1, mode: 'produce', bootstrap: b.bootstrap, topic: 't', rate: 8000, durationMs: '1s', pacingTickUs });
    const ticked = await run(1000);
    const perRecord = await run(0);
    for (const r of [ticked, perRecord]) {
      assert.ok(r.ok, r.problems.join('; '));
      assert.ok(Math.abs(r.produce!.recordsPerSec - 8000) / 8000 < 0.1, `recordsPerSec ${r.produce!.recordsPerSec}`);
    }
    // 8 records fall due per 1 ms tick (the producer on a worker thread: its naps must not stall this broker).
    const perRequest = (r: typeof ticked): number => r.produce!.records / r.produce!.requests;
    assert.ok(perRequest(ticked) >= 4, `${perRequest(ticked)} records per request with a 1 ms tick`);
    assert.ok(perRequest(perRecord) < perRequest(ticked), `${perRequest(perRecord)} records per request without a tick`);
  } finally { await b.stop(); }
});

test('a 300 ms broker stall shows in fixed-rate latencies (from intended send times), not just in the requests in flight', async () => {
  const b = await startFakeBroker('co', 1);
  try {
    // Warm up the connection, then stall once.
    const run = (rate: number): Promise<Awaited<ReturnType<typeof runLoad>>> => {
      b.faults.stallOnceMs = 300;
      return runLoad({ quiet: true, workers: 0, mode: 'produce', bootstrap: b.bootstrap, topic: 'co', rate, records: 3000 });
    };
    const fixed = await run(2000);
    assert.ok(fixed.ok);
    const h = decodeHistogram(fixed.produce!.histogram);
    assert.is(h.totalCount, 3000);
    // ~600 records were due during the stall; each waited up to 300 ms.
    assert.ok(fixed.produce!.latency.p95Ms >= 100, `p95 ${fixed.produce!.latency.p95Ms} ms`);
    assert.ok(fixed.produce!.latency.maxMs >= 280, `max ${fixed.produce!.latency.maxMs} ms`);
  } finally { await b.stop(); }
});

test.run();
