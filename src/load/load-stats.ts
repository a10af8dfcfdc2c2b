/**
 * Counting what a run did, once a second, and adding it up.
 *
 * Every producer and consumer owns a `Meter` (single thread, no locks). Each
 * second on the run clock (t0 + k s) it cuts an `IntervalSample`: the counts
 * and the latency buckets of records completed in that second, split into
 * records of the warm-up and records of the measured phase. Samples are plain
 * data (they cross from worker threads by structured clone), and cutting and
 * adding them is cheap: it runs once a second on the threads whose latency
 * is being measured.
 *
 * The `RunAggregator` on the main thread adds samples into per-second points
 * (the time series for progress and charts) and into run totals (measured
 * phase only), so totals are exactly the sum of the series.
 *
 *   producer/consumer ──sample(second k)──▶ RunAggregator ──▶ series[k], totals
 */
import { addBuckets, bucketPercentile, mergeBuckets, newHistogram, takeBuckets, type BucketCounts, type Histogram } from './latency-histogram.js';

export interface Counts {
  records: number;
  /** Value bytes (what producer-perf-test's MB/sec counts). */
  bytes: number;
  /** Records that failed (produce errors) or failed verification (consume). */
  errors: number;
  requests: number;
}

export function zeroCounts(): Counts {
  return { records: 0, bytes: 0, errors: 0, requests: 0 };
}

function addCounts(a: Counts, b: Counts): void {
  a.records += b.records;
  a.bytes += b.bytes;
  a.errors += b.errors;
  a.requests += b.requests;
}

export type SampleKind = 'produce' | 'consume';

export interface IntervalSample {
  kind: SampleKind;
  /** Which producer or consumer (for debugging). */
  source: string;
  /** Interval index on the run clock: covers (t0 + (second - 1) s, t0 + second s]. */
  second: number;
  measured: Counts;
  /** Publish latency (produce) or end-to-end latency (consume) of measured records, µs. */
  latency: BucketCounts;
  warmup: Counts;
  warmupLatency: BucketCounts;
  /** Produce requests in flight (produce), or fetches in flight (consume), at the end of the interval. */
  inFlight: number;
  /** Consume: records behind the high watermark at the end of the interval; null if unknown. */
  backlog: number | null;
}

/** Per-source counters for the current interval. Owned by one producer or consumer. */
export class Meter {
  measured = zeroCounts();
  warmup = zeroCounts();
  /** Recording histograms, reused every interval (takeBuckets resets them). */
  private readonly latency = newHistogram(32);
  private readonly warmupLatency = newHistogram(32);

  constructor(readonly kind: SampleKind, readonly source: string) {}

  /** Counts for a record completed now: measured unless `inWarmup`. */
  counts(inWarmup: boolean): Counts {
    return inWarmup ? this.warmup : this.measured;
  }

  histogram(inWarmup: boolean): Histogram {
    return inWarmup ? this.warmupLatency : this.latency;
  }

  /** Cut the sample of interval `second` and start a new interval. */
  take(second: number, inFlight: number, backlog: number | null): IntervalSample {
    const s: IntervalSample = {
      kind: this.kind, source: this.source, second, inFlight, backlog,
      measured: this.measured, latency: takeBuckets(this.latency), warmup: this.warmup, warmupLatency: takeBuckets(this.warmupLatency),
    };
    this.measured = zeroCounts();
    this.warmup = zeroCounts();
    return s;
  }
}

/** One second of the run, for progress lines, JSON and charts. Rates are per second. */
export interface SeriesPoint {
  /** Seconds since t0 at the end of this interval. */
  second: number;
  warmup: boolean;
  produced: { records: number; mb: number; errors: number };
  publishLatency: { p50Ms: number; p99Ms: number; maxMs: number } | null;
  consumed: { records: number; mb: number; errors: number };
  e2eLatency: { p50Ms: number; p99Ms: number; maxMs: number } | null;
  inFlight: number;
  backlog: number | null;
}

interface PointAcc {
  produced: Counts;
  consumed: Counts;
  /** The samples' buckets; dropped (null) once the point is finalized, to bound memory on long runs. */
  publish: BucketCounts[] | null;
  e2e: BucketCounts[] | null;
  publishSummary: SeriesPoint['publishLatency'];
  e2eSummary: SeriesPoint['e2eLatency'];
  inFlight: number;
  backlog: number | null;
}

/** A second's buckets are summarized and dropped once samples this many seconds newer arrive. */
const FINALIZE_AFTER_SECONDS = 3;

function latencyOf(parts: BucketCounts[]): SeriesPoint['publishLatency'] {
  const b = mergeBuckets(parts);
  if (b.total === 0) return null;
  const ms = (us: number): number => Math.round(us) / 1000;
  return { p50Ms: ms(bucketPercentile(b, 50)), p99Ms: ms(bucketPercentile(b, 99)), maxMs: ms(b.max) };
}

export interface Totals {
  measured: Counts;
  warmup: Counts;
  latency: Histogram;
}

function newTotals(): Totals {
  return { measured: zeroCounts(), warmup: zeroCounts(), latency: newHistogram() };
}

export class RunAggregator {
  private readonly points = new Map<number, PointAcc>();
  readonly produce: Totals = newTotals();
  readonly consume: Totals = newTotals();
  /** Last second for which a sample arrived. */
  lastSecond = 0;

  constructor(readonly warmupSeconds: number) {}

  add(s: IntervalSample): void {
    let p = this.points.get(s.second);
    if (!p) {
      p = { produced: zeroCounts(), consumed: zeroCounts(), publish: [], e2e: [], publishSummary: null, e2eSummary: null, inFlight: 0, backlog: null };
      this.points.set(s.second, p);
    }
    if (s.second > this.lastSecond) {
      this.lastSecond = s.second;
      const old = this.points.get(s.second - FINALIZE_AFTER_SECONDS);
      if (old) this.finalize(old);
    }
    const totals = s.kind === 'produce' ? this.produce : this.consume;
    addCounts(totals.measured, s.measured);
    addCounts(totals.warmup, s.warmup);
    addBuckets(totals.latency, s.latency);
    const counts = s.kind === 'produce' ? p.produced : p.consumed;
    addCounts(counts, s.measured);
    addCounts(counts, s.warmup);
    // A sample arriving after its second was finalized still counts, but not in that second's percentiles.
    const h = s.kind === 'produce' ? p.publish : p.e2e;
    if (h) h.push(s.latency, s.warmupLatency);
    if (s.kind === 'produce') p.inFlight += s.inFlight;
    if (s.backlog !== null) p.backlog = (p.backlog ?? 0) + s.backlog;
  }

  private finalize(p: PointAcc): void {
    if (p.publish) p.publishSummary = latencyOf(p.publish);
    if (p.e2e) p.e2eSummary = latencyOf(p.e2e);
    p.publish = null;
    p.e2e = null;
  }

  point(second: number): SeriesPoint | null {
    const p = this.points.get(second);
    if (!p) return null;
    return {
      second,
      warmup: second <= this.warmupSeconds,
      produced: { records: p.produced.records, mb: p.produced.bytes / 1e6, errors: p.produced.errors },
      publishLatency: p.publish ? latencyOf(p.publish) : p.publishSummary,
      consumed: { records: p.consumed.records, mb: p.consumed.bytes / 1e6, errors: p.consumed.errors },
      e2eLatency: p.e2e ? latencyOf(p.e2e) : p.e2eSummary,
      inFlight: p.inFlight,
      backlog: p.backlog,
    };
  }

  /** Every second from 1 to the last one seen (empty seconds as zero points). */
  series(): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let k = 1; k <= this.lastSecond; k++) {
      out.push(this.point(k) ?? {
        second: k, warmup: k <= this.warmupSeconds,
        produced: { records: 0, mb: 0, errors: 0 }, publishLatency: null,
        consumed: { records: 0, mb: 0, errors: 0 }, e2eLatency: null, inFlight: 0, backlog: null,
      });
    }
    return out;
  }
}
