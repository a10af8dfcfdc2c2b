/** Interval samples as bucket lists: the same percentiles as the full HdrHistogram, and adding them up loses nothing. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addBuckets, bucketPercentile, mergeBuckets, newHistogram, recordUs, takeBuckets } from '../../../src/load/latency-histogram.js';
import { Meter, RunAggregator } from '../../../src/load/load-stats.js';

/** Deterministic latencies with a long tail (µs). */
function latencies(seed: number, n: number): number[] {
  let x = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const u = x / 2 ** 31;
    out.push(Math.round(80 + 300 * u + (u > 0.97 ? 20_000 * (u - 0.97) * 100 : 0)));
  }
  return out;
}

const PERCENTILES = [1, 25, 50, 75, 90, 95, 99, 99.9, 100];

test('takeBuckets: percentiles, count and max match the histogram; the histogram is reset for the next interval', () => {
  const h = newHistogram(32);
  const reference = newHistogram(32);
  for (const us of latencies(7, 20_000)) { recordUs(h, us); recordUs(reference, us); }
  recordUs(h, 5, 3); recordUs(reference, 5, 3);
  const b = takeBuckets(h);
  assert.is(b.total, reference.totalCount);
  assert.is(b.max, reference.maxValue);
  for (const p of PERCENTILES) assert.is(bucketPercentile(b, p), reference.getValueAtPercentile(p), `p${p}`);
  assert.ok(b.values.length < 2000, `${b.values.length} buckets`);
  for (let i = 1; i < b.values.length; i++) assert.ok(b.values[i]! > b.values[i - 1]!, 'ascending');
  assert.is(h.totalCount, 0);
  assert.is(takeBuckets(h).total, 0);
});

test('mergeBuckets and addBuckets: the sum of intervals equals one histogram of everything', () => {
  const all = newHistogram();
  const parts = [3, 11, 19].map((seed) => {
    const h = newHistogram(32);
    for (const us of latencies(seed, 5000 + seed)) { recordUs(h, us); recordUs(all, us); }
    return takeBuckets(h);
  });
  const merged = mergeBuckets([...parts, takeBuckets(newHistogram(32))]);
  assert.is(merged.total, all.totalCount);
  assert.is(merged.max, all.maxValue);
  for (const p of PERCENTILES) assert.is(bucketPercentile(merged, p), all.getValueAtPercentile(p), `p${p}`);
  const totals = newHistogram();
  for (const b of parts) addBuckets(totals, b);
  assert.is(totals.totalCount, all.totalCount);
  for (const p of PERCENTILES) assert.is(totals.getValueAtPercentile(p), all.getValueAtPercentile(p), `p${p}`);
});

test('RunAggregator: per-second points and totals from Meter samples (warm-up kept out of the totals)', () => {
  const agg = new RunAggregator(1);
  const meters = [new Meter('consume', 'a'), new Meter('consume', 'b')];
  for (const second of [1, 2]) {
    meters.forEach((m, i) => {
      for (const us of latencies(second * 10 + i, 1000)) {
        m.counts(second === 1).records++;
        recordUs(m.histogram(second === 1), us);
      }
      agg.add(m.take(second, 0, 0));
    });
  }
  const p2 = agg.point(2)!;
  const reference = newHistogram();
  for (const i of [0, 1]) for (const us of latencies(20 + i, 1000)) recordUs(reference, us);
  assert.is(p2.consumed.records, 2000);
  assert.is(p2.e2eLatency!.p99Ms, Math.round(reference.getValueAtPercentile(99)) / 1000);
  assert.is(p2.e2eLatency!.maxMs, Math.round(reference.maxValue) / 1000);
  assert.is(agg.consume.measured.records, 2000);
  assert.is(agg.consume.warmup.records, 2000);
  assert.is(agg.consume.latency.totalCount, 2000);
  assert.is(agg.consume.latency.getValueAtPercentile(50), reference.getValueAtPercentile(50));
  assert.is(agg.point(1)!.e2eLatency!.p50Ms > 0, true, 'warm-up seconds still have their own percentiles');
});

test.run();
