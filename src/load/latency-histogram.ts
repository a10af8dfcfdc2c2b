/**
 * Latency histograms: HdrHistogram (hdr-histogram-js, pure-JS build) in
 * microseconds, 3 significant digits, 1 µs to 1 hour. Values outside are
 * clamped (a latency above an hour is a stuck run, reported as an hour).
 *
 * Recording costs ~85 ns in the JS build, so the hot paths record once per
 * batch with a count where all records share a latency (open loop: one send
 * time per batch; consumer: equal embedded send times coalesced).
 *
 * Histograms cross threads and land in JSON as HdrHistogram's standard
 * compressed base64 encoding (the same as Java's HistogramLogWriter), so
 * they can be merged later or read by other HdrHistogram tools.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export const HIGHEST_TRACKABLE_US = 3_600_000_000;

/**
 * 64-bit counts for run totals; 32-bit (half the ~190 KB) for one-second
 * intervals, which cannot overflow them.
 */
export function newHistogram(bits: 32 | 64 = 64): Histogram {
  return hdr.build({
    useWebAssembly: false,
    bitBucketSize: bits,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** Record `count` occurrences of latency `us` (clamped to the trackable range). */
export function recordUs(h: Histogram, us: number, count = 1): void {
  const v = us < 0 ? 0 : us > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : Math.round(us);
  if (count === 1) h.recordValue(v);
  else h.recordValueWithCount(v, count);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  // Decoded histograms are sized to their content; copy into the standard shape so adds never overflow.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/**
 * The non-empty buckets of a histogram, ascending: what one producer or
 * consumer recorded in one second. A few hundred pairs instead of the ~24,000
 * buckets of a full histogram, so cutting a second, posting it to the main
 * thread and adding seconds up costs microseconds. (Full-histogram adds,
 * percentile scans and the compressed encoding cost 0.3-0.8 ms each; done
 * once a second on the threads that measure latency, they showed up as
 * stalls of several ms in the end-to-end tail.)
 */
export interface BucketCounts {
  /** Lowest equivalent value of each non-empty bucket, µs, ascending. */
  values: number[];
  counts: number[];
  total: number;
  /** Largest value recorded, µs (0 if none). */
  max: number;
}

type Buckets = Histogram & Pick<hdr.JsHistogram, 'getCountAtIndex' | 'valueFromIndex' | 'highestEquivalentValue' | 'countsArrayLength'>;

/** The buckets of `h`, then `h` reset for the next interval (no allocation of a new histogram). */
export function takeBuckets(h: Histogram): BucketCounts {
  const b = h as Buckets;
  const out: BucketCounts = { values: [], counts: [], total: b.totalCount, max: b.totalCount > 0 ? b.maxValue : 0 };
  let seen = 0;
  for (let i = 0; seen < out.total && i < b.countsArrayLength; i++) {
    const n = b.getCountAtIndex(i);
    if (n === 0) continue;
    out.values.push(b.valueFromIndex(i));
    out.counts.push(n);
    seen += n;
  }
  if (out.total > 0) b.reset();
  return out;
}

export function emptyBuckets(): BucketCounts {
  return { values: [], counts: [], total: 0, max: 0 };
}

/** Add `b` into a histogram (the run totals). */
export function addBuckets(h: Histogram, b: BucketCounts): void {
  for (let i = 0; i < b.values.length; i++) h.recordValueWithCount(b.values[i]!, b.counts[i]!);
}

/** One ascending list from several (same bucket boundaries: equal values are the same bucket). */
export function mergeBuckets(parts: BucketCounts[]): BucketCounts {
  const live = parts.filter((p) => p.total > 0);
  if (live.length <= 1) return live[0] ?? emptyBuckets();
  const byValue = new Map<number, number>();
  let max = 0;
  for (const p of live) {
    for (let i = 0; i < p.values.length; i++) byValue.set(p.values[i]!, (byValue.get(p.values[i]!) ?? 0) + p.counts[i]!);
    max = Math.max(max, p.max);
  }
  const values = [...byValue.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => byValue.get(v)!), total: live.reduce((n, p) => n + p.total, 0), max };
}

const SHAPE = newHistogram(32) as Buckets;

/** The value at `percentile` (0 < p ≤ 100), µs, as HdrHistogram's getValueAtPercentile computes it. */
export function bucketPercentile(b: BucketCounts, percentile: number): number {
  if (b.total === 0) return 0;
  const fp = (Math.min(percentile, 100) / 100) * b.total;
  const rank = Math.max(Math.ceil(fp - fp * Number.EPSILON), 1); // minus ~1 ulp, as HdrHistogram does
  let seen = 0;
  for (let i = 0; i < b.values.length; i++) {
    seen += b.counts[i]!;
    if (seen >= rank) return SHAPE.highestEquivalentValue(b.values[i]!);
  }
  return SHAPE.highestEquivalentValue(b.values[b.values.length - 1]!);
}

/** The percentiles every report carries, in milliseconds. */
export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p75Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const ms = (us: number): number => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p75Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    minMs: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    meanMs: Math.round(h.mean) / 1000,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p75Ms: ms(h.getValueAtPercentile(75)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}

/** Points of the percentile distribution for charts: percentile → ms. */
export const SPECTRUM_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

export function percentileSpectrum(h: Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  return SPECTRUM_PERCENTILES.map((p) => ({ percentile: p, ms: ms(p === 100 ? h.maxValue : h.getValueAtPercentile(p)) }));
}
