/**
 * Histograms kept as plain bucket counts, exposed through prom-client.
 *
 * prom-client's own Histogram hashes its label object on every observe; the
 * broker's per-request timing instead increments one slot of a Float64Array
 * (BucketHistogram) and the registry reads the counts at scrape time
 * (BucketHistogramMetric). The same metric type also carries histograms
 * measured on other threads (fsync latency from the shard workers), which
 * arrive as bucket counts and could not be replayed into prom-client.
 */
import type { Metric } from 'prom-client';

/** Counts per bucket (not cumulative); the last slot is +Inf. */
export interface BucketCounts {
  counts: ArrayLike<number>;
  count: number;
  sumSeconds: number;
}

export class BucketHistogram implements BucketCounts {
  readonly counts: Float64Array;
  count = 0;
  sumSeconds = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sumSeconds += seconds;
  }
}

type Labels = Record<string, string>;

interface Value { metricName: string; labels: Record<string, string | number>; value: number }

/**
 * A histogram metric for a prom-client Registry whose series are produced at
 * scrape time by `series()`: label set → bucket counts over `bounds`.
 */
export class BucketHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    private readonly series: () => Iterable<[Labels, BucketCounts]>,
  ) {}

  collect(): void {}

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] }> {
    const values: Value[] = [];
    for (const [labels, h] of this.series()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += h.counts[i] ?? 0;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: this.bounds[i]! }, value: cumulative });
      }
      cumulative += h.counts[this.bounds.length] ?? 0;
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
      values.push({ metricName: `${this.name}_sum`, labels, value: h.sumSeconds });
      values.push({ metricName: `${this.name}_count`, labels, value: h.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** For Registry.registerMetric, which is typed for prom-client's own classes but only uses name and get(). */
  asMetric(): Metric {
    return this as unknown as Metric;
  }
}
