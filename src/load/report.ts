/**
 * Text output: the live progress line (stderr) and the final report (stdout).
 *
 * The first report line has the shape of Kafka's producer-perf-test so the
 * figures can be compared by eye; like that tool it counts MB/sec as record
 * value bytes / 2^20. Percentiles carry three decimals because loopback
 * latencies are sub-millisecond (producer-perf-test prints whole ms).
 */
import type { LoadResult } from './load-result.js';
import type { SeriesPoint } from './load-stats.js';

const MIB = 1024 * 1024;

function f(n: number, digits: number): string {
  return n.toFixed(digits);
}

function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatReport(r: LoadResult): string {
  const lines: string[] = [];
  const p = r.produce;
  if (p) {
    const secs = p.durationMs / 1000;
    const mibPerSec = secs > 0 ? p.bytes / MIB / secs : 0;
    const l = p.latency;
    lines.push(
      `${p.records} records sent, ${f(p.recordsPerSec, 1)} records/sec (${f(mibPerSec, 2)} MB/sec), ` +
      `${f(l.meanMs, 2)} ms avg latency, ${f(l.maxMs, 2)} ms max latency, ` +
      `${f(l.p50Ms, 3)} ms 50th, ${f(l.p95Ms, 3)} ms 95th, ${f(l.p99Ms, 3)} ms 99th, ${f(l.p999Ms, 3)} ms 99.9th.`,
    );
    if (p.sendLag && p.sendLag.count > 0) {
      lines.push(`send lag (generator pacing, fixed rate): ${f(p.sendLag.p50Ms, 3)} ms 50th, ${f(p.sendLag.p99Ms, 3)} ms 99th, ${f(p.sendLag.maxMs, 3)} ms max.`);
    }
    if (p.errors > 0) {
      lines.push(`PRODUCE ERRORS: ${p.errors} records failed (${Object.entries(p.errorCodes).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    }
  }
  const c = r.consume;
  if (c) {
    const secs = c.durationMs / 1000;
    lines.push(
      `${c.records} records consumed, ${f(c.recordsPerSec, 1)} records/sec (${f(secs > 0 ? c.bytes / MIB / secs : 0, 2)} MB/sec), backlog ${c.backlog} records.`,
    );
    const l = c.latency;
    if (l.count > 0) {
      lines.push(
        `end-to-end latency: ${f(l.meanMs, 2)} ms avg, ${f(l.maxMs, 2)} ms max, ${f(l.p50Ms, 3)} ms 50th, ${f(l.p75Ms, 3)} ms 75th, ` +
        `${f(l.p95Ms, 3)} ms 95th, ${f(l.p99Ms, 3)} ms 99th, ${f(l.p999Ms, 3)} ms 99.9th.`,
      );
    }
    const v = c.verification;
    const issues: [string, number][] = [
      ['corrupt batches', v.corruptBatches], ['payload checksum failures', v.checksumFailures],
      ['foreign records', v.foreignRecords], ['missing offsets', v.offsetGaps], ['repeated offsets', v.offsetDuplicates],
      ['missing records (sequence gaps)', v.sequenceGaps], ['duplicated records', v.sequenceDuplicates],
    ];
    const found = issues.filter(([, n]) => n > 0);
    const counted = v.countCheck ? `, ${v.countCheck.consumed} of ${v.countCheck.expected} acknowledged records consumed` : '';
    if (v.ok) {
      lines.push(`verification: OK (${v.records} records checked${counted}).`);
    } else {
      lines.push(`VERIFICATION FAILED: ${found.map(([k, n]) => `${n} ${k}`).join(', ') || 'see problems'}${counted}.`);
    }
    if (v.unknownProducerRecords > 0) lines.push(`note: ${v.unknownProducerRecords} records from producers outside this run.`);
  }
  if (r.interrupted) lines.push('(interrupted: figures cover the run until Ctrl-C)');
  if (r.problems.length > 0) {
    lines.push('problems:');
    for (const pr of r.problems) lines.push(`  - ${pr}`);
  }
  return lines.join('\n') + '\n';
}

/** One progress line for second `p` of the run. `expected`: records the run will produce (for the bar), if known. */
export function formatProgress(p: SeriesPoint, totals: { produced: number; consumed: number }, expected: number | null, mode: string): string {
  const parts: string[] = [`[${String(p.second).padStart(4)}s${p.warmup ? ' warmup' : ''}]`];
  if (mode !== 'consume') {
    const lat = p.publishLatency;
    parts.push(
      `produced ${count(p.produced.records)} rec/s ${f(p.produced.mb, 1)} MB/s in-flight ${p.inFlight}` +
      (lat ? ` p50 ${f(lat.p50Ms, 2)} ms p99 ${f(lat.p99Ms, 2)} ms` : '') +
      (p.produced.errors ? ` ERRORS ${p.produced.errors}` : ''),
    );
  }
  if (mode !== 'produce') {
    const lat = p.e2eLatency;
    parts.push(
      `consumed ${count(p.consumed.records)} rec/s ${f(p.consumed.mb, 1)} MB/s` +
      (p.backlog !== null ? ` backlog ${count(p.backlog)}` : '') +
      (lat ? ` e2e p50 ${f(lat.p50Ms, 2)} ms p99 ${f(lat.p99Ms, 2)} ms` : '') +
      (p.consumed.errors ? ` ERRORS ${p.consumed.errors}` : ''),
    );
  }
  if (expected !== null && expected > 0) {
    const done = mode === 'consume' ? totals.consumed : totals.produced;
    const frac = Math.min(1, done / expected);
    const width = 20;
    const filled = Math.round(frac * width);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${f(frac * 100, 0)}%`);
  }
  return `${parts[0]} ${parts.slice(1).join(' | ')}`;
}
