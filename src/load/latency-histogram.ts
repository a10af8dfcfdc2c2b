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

export function decodeHistogram(encoded: string, bits: 32 | 64 = 64): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  // Decoded histograms are sized to their content; copy into the standard shape so adds never overflow.
  const h = newHistogram(bits);
  h.add(decoded);
  return h;
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
