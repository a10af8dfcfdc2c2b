/**
 * Counting what a run did, once a second, and adding it up.
 *
 * Every producer and consumer owns a `Meter` (single thread, no locks). Each
 * second on the run clock (t0 + k s) it cuts an `IntervalSample`: the counts
 * and the latency histogram of records completed in that second, split into
 * records of the warm-up and records of the measured phase. Samples from
 * worker threads travel with their histograms encoded (`encodeSample`).
 *
 * The `RunAggregator` on the main thread adds samples into per-second points
 * (the time series for progress and charts) and into run totals (measured
 * phase only), so totals are exactly the sum of the series.
 *
 *   producer/consumer ──sample(second k)──▶ RunAggregator ──▶ series[k], totals
 */
import { decodeHistogram, encodeHistogram, newHistogram, summarize, type Histogram, type LatencySummary } from './latency-histogram.js';

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

export interface IntervalSample<H = Histogram> {
  kind: SampleKind;
  /** Which producer or consumer (for debugging). */
  source: string;
  /** Interval index on the run clock: covers (t0 + (second - 1) s, t0 + second s]. */
  second: number;
  measured: Counts;
  /** Publish latency (produce) or end-to-end latency (consume) of measured records, µs. */
  latency: H;
  warmup: Counts;
  warmupLatency: H;
  /** Produce requests in flight (produce), or fetches in flight (consume), at the end of the interval. */
  inFlight: number;
  /** Consume: records behind the high watermark at the end of the interval; null if unknown. */
  backlog: number | null;
}

export type EncodedSample = IntervalSample<string>;

export function encodeSample(s: IntervalSample): EncodedSample {
  return { ...s, latency: encodeHistogram(s.latency), warmupLatency: encodeHistogram(s.warmupLatency) };
}

export function decodeSample(s: EncodedSample): IntervalSample {
  return { ...s, latency: decodeHistogram(s.latency, 32), warmupLatency: decodeHistogram(s.warmupLatency, 32) };
}

/** Per-source counters for the current interval. Owned by one producer or consumer. */
export class Meter {
  measured = zeroCounts();
  warmup = zeroCounts();
  latency = newHistogram(32);
  warmupLatency = newHistogram(32);

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
      measured: this.measured, latency: this.latency, warmup: this.warmup, warmupLatency: this.warmupLatency,
    };
    this.measured = zeroCounts();
    this.warmup = zeroCounts();
    this.latency = newHistogram(32);
    this.warmupLatency = newHistogram(32);
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
  /** Dropped (null) once the point is finalized, to bound memory on long runs. */
  publish: Histogram | null;
  e2e: Histogram | null;
  publishSummary: SeriesPoint['publishLatency'];
  e2eSummary: SeriesPoint['e2eLatency'];
  inFlight: number;
  backlog: number | null;
}

/** A second's histograms are summarized and dropped once samples this many seconds newer arrive. */
const FINALIZE_AFTER_SECONDS = 3;

function latencyOf(h: Histogram): SeriesPoint['publishLatency'] {
  if (h.totalCount === 0) return null;
  const s = summarize(h);
  return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
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
      p = { produced: zeroCounts(), consumed: zeroCounts(), publish: newHistogram(32), e2e: newHistogram(32), publishSummary: null, e2eSummary: null, inFlight: 0, backlog: null };
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
    totals.latency.add(s.latency);
    const counts = s.kind === 'produce' ? p.produced : p.consumed;
    addCounts(counts, s.measured);
    addCounts(counts, s.warmup);
    // A sample arriving after its second was finalized still counts, but not in that second's percentiles.
    const h = s.kind === 'produce' ? p.publish : p.e2e;
    if (h) {
      h.add(s.latency);
      h.add(s.warmupLatency);
    }
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

  /** Measured records and latency so far, for progress lines. */
  summary(kind: SampleKind): { counts: Counts; latency: LatencySummary } {
    const t = kind === 'produce' ? this.produce : this.consume;
    return { counts: t.measured, latency: summarize(t.latency) };
  }
}
