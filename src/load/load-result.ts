/**
 * The result of a load run: what `runLoad` returns and `--json` writes.
 * Schema version 1. Latencies are milliseconds in summaries, microseconds in
 * the encoded HdrHistograms (standard compressed base64, decodable with
 * hdr-histogram-js `decodeFromCompressedBase64` or Java's HistogramLogReader
 * tooling). Byte figures count record values, as Kafka's perf tools do;
 * mbPerSec is 10^6 bytes per second.
 */
import type { LatencySummary } from './latency-histogram.js';
import type { LoadMode } from './load-options.js';
import type { SeriesPoint } from './load-stats.js';
import type { VerificationReport } from './verifier.js';

export interface ProduceResult {
  producers: number;
  /** Records acknowledged in the measured phase. */
  records: number;
  bytes: number;
  /** Records whose produce failed. */
  errors: number;
  errorCodes: Record<string, number>;
  requests: number;
  warmupRecords: number;
  durationMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  recordsPerBatch: number;
  /** Publish latency (send → ack; from the intended send time in fixed-rate mode). Absent with acks=0. */
  latency: LatencySummary;
  /** Encoded HdrHistogram of publish latency, µs. */
  histogram: string;
  /**
   * Fixed rate only: how late the generator sent each batch relative to the
   * intended time of its first record (its own pacing error plus waiting for
   * a free in-flight slot). Small send lag with high latency = the broker.
   */
  sendLag: LatencySummary | null;
}

export interface ConsumeResult {
  consumers: number;
  /** Records consumed in the measured phase. */
  records: number;
  bytes: number;
  warmupRecords: number;
  durationMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Records behind the high watermark when the run ended. */
  backlog: number;
  /** End-to-end latency (embedded send time → consumed). */
  latency: LatencySummary;
  histogram: string;
  verification: VerificationReport;
}

export interface LoadResult {
  tool: 'millrace load';
  schemaVersion: 1;
  mode: LoadMode;
  /** The options as run (normalized). */
  options: Record<string, unknown>;
  topics: string[];
  startedAt: string;
  warmupMs: number;
  /** The run ended early (Ctrl-C). */
  interrupted: boolean;
  produce: ProduceResult | null;
  consume: ConsumeResult | null;
  /** One point per second of the run, warm-up included (flagged). */
  series: SeriesPoint[];
  /** false when anything went wrong: produce errors, a fatal error, or any verification discrepancy. */
  ok: boolean;
  problems: string[];
  /** Workload runs: the steps of a producerRate = 0 search. */
  rateSearch?: { rate: number; achieved: number; p99Ms: number }[];
  workload?: Record<string, unknown>;
}
