/**
 * Pure helpers of the benchmark suite: verdicts, ceilings, number and summary
 * formatting, statistics, argument parsing, CPU profile summaries. No figure
 * is measured here (performance targets are never asserted in tests).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatConsole, formatMarkdownReport, formatNumber, formatTarget, percentOfCeiling, verdict, verdictCounts, type Figure,
} from '../../../bench/lib/figures.js';
import { LatencySample, median, percentile, roundSig } from '../../../bench/lib/stats.js';
import { parseArgs, PARTS, selected } from '../../../bench/run.js';
import { cpuOverWindow, processCpuSeconds } from '../../../bench/lib/process-cpu.js';
import { summarizeProfile } from '../../../bench/profile-produce.js';

const figs: Figure[] = [
  { section: 'ceiling', name: 'bare loop', value: 3_000_000, unit: 'rec/s' },
  { section: 'workload', name: 'produce', value: 1_500_000, unit: 'rec/s', ceiling: 'bare loop', target: { op: '>=', value: 2_000_000 } },
  { section: 'workload', name: 'e2e p99', value: 1.234, unit: 'ms', target: { op: '<=', value: 2 }, note: 'aim ≤ 1 ms' },
  { section: 'workload', name: 'e2e p99.9', value: 7.5, unit: 'ms', target: { op: '<=', value: 5 } },
  { section: 'workload', name: 'odd unit', value: 10, unit: 'MB/s', ceiling: 'bare loop' },
];

test('verdicts: OK, BELOW a floor, ABOVE a limit, none without a target', () => {
  assert.is(verdict(figs[0]!), '');
  assert.is(verdict(figs[1]!), 'BELOW');
  assert.is(verdict(figs[2]!), 'OK');
  assert.is(verdict(figs[3]!), 'ABOVE');
  assert.is(verdict({ name: 'x', value: NaN, unit: 'ms', target: { op: '<=', value: 1 } }), '');
  assert.equal(verdictCounts(figs), { ok: 1, below: 1, above: 1, untargeted: 2 });
});

test('a share of the ceiling needs the ceiling figure in the same unit', () => {
  assert.is(percentOfCeiling(figs[1]!, figs), 50);
  assert.is(percentOfCeiling(figs[4]!, figs), null);
  assert.is(percentOfCeiling(figs[0]!, figs), null);
  assert.is(percentOfCeiling({ ...figs[1]!, ceiling: 'missing' }, figs), null);
});

test('numbers: whole numbers from 1,000 up, three significant digits below', () => {
  assert.is(formatNumber(1_823_979.9), '1,823,980');
  assert.is(formatNumber(0.45678), '0.457');
  assert.is(formatNumber(12.345), '12.3');
  assert.is(formatNumber(999.6), '1,000');
  assert.is(formatNumber(NaN), 'n/a');
  assert.is(formatTarget(figs[1]!), '≥ 2,000,000');
  assert.is(formatTarget(figs[2]!), '≤ 2');
  assert.is(roundSig(0.0012345), 0.00123);
});

test('console summary: sections, aligned columns, verdicts and ceilings', () => {
  const out = formatConsole(figs);
  assert.ok(out.includes('Ceilings of this machine'));
  assert.ok(out.includes('End-to-end workloads'));
  const line = out.split('\n').find((l) => l.startsWith('produce '))!;
  assert.match(line, /1,500,000\s+rec\/s\s+50% of bare loop\s+≥ 2,000,000\s+BELOW/);
  assert.match(out.split('\n').find((l) => l.startsWith('e2e p99.9'))!, /ABOVE/);
  const header = out.split('\n').filter((l) => l.startsWith('benchmark'));
  assert.is(header.length, 2);
  assert.is(header[0], header[1]);
});

test('markdown summary: run info, one table per section, escaped pipes, perf lines', () => {
  const md = formatMarkdownReport({
    startedAt: '2026-11-22T06:00:00.000Z', durationS: 412.3, quick: false, only: [], command: 'npm run bench', commit: 'abc1234',
    machine: '2 × CPU', loadAvgStart: [0.5, 0.4, 0.3], loadAvgEnd: [1.5, 1, 0.5],
  }, [...figs, { section: 'micro', name: 'a | b', value: 1, unit: 'x' }], ['p: 10 records sent'], ['a note']);
  assert.ok(md.startsWith('# Millrace benchmark summary\n'));
  assert.ok(md.includes('- Targets: 1 OK, 1 BELOW, 1 ABOVE'));
  assert.ok(md.includes('| produce | 1,500,000 | rec/s | 50% of bare loop | ≥ 2,000,000 | **BELOW** |  |'));
  assert.ok(md.includes('| e2e p99 | 1.23 | ms |  | ≤ 2 | OK | aim ≤ 1 ms |'));
  assert.ok(md.includes('| a \\| b |'));
  assert.ok(md.includes('```\np: 10 records sent\n```'));
  assert.ok(md.includes('- a note'));
  assert.is((md.match(/\| Benchmark \|/g) ?? []).length, 3);
});

test('statistics: median, nearest-rank percentiles, bounded latency sample', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(percentile(xs, 50), 50);
  assert.is(percentile(xs, 99), 99);
  assert.is(percentile(xs, 100), 100);
  const s = new LatencySample(1000);
  for (let i = 0; i < 100_000; i++) s.add(i % 1000);
  assert.is(s.count, 100_000);
  const [p50] = s.percentiles([50]);
  assert.ok(p50! > 400 && p50! < 600, `p50 ${p50}`);
});

test('arguments: --quick, --only lists, --reps; unknown options fail', () => {
  assert.equal(parseArgs(['--quick', '--only', 'engine,micro.ring', '--only=kcat']), { quick: true, only: ['engine', 'micro.ring', 'kcat'], list: false, reps: null });
  assert.is(parseArgs(['--reps', '3']).reps, 3);
  assert.throws(() => parseArgs(['--fast']));
  assert.throws(() => parseArgs(['--only']));
  assert.throws(() => parseArgs(['--reps', '9']));
  assert.ok(selected('micro.ring', []));
  assert.ok(selected('micro.ring', ['micro']));
  assert.not.ok(selected('engine', ['micro']));
  assert.ok(PARTS.filter((p) => selected(p, ['workload'])).length >= 5);
});

test('CPU profile summary: self time from samples and deltas, idle and GC apart', () => {
  const cf = (functionName: string, url = '', lineNumber = 0): { functionName: string; url: string; lineNumber: number; columnNumber: number } => ({ functionName, url, lineNumber, columnNumber: 0 });
  const s = summarizeProfile({
    startTime: 0, endTime: 100,
    nodes: [
      { id: 1, callFrame: cf('(root)') }, { id: 2, callFrame: cf('(idle)') }, { id: 3, callFrame: cf('writeBuffer') },
      { id: 4, callFrame: cf('(garbage collector)') }, { id: 5, callFrame: cf('append', 'file:///x/log.js', 9) },
    ],
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [10, 20, 20, 10, 30, 10],
  }, 10);
  assert.is(s.totalMs, 0.1);
  assert.is(s.idleShare, 0.2);
  assert.is(s.gcShare, 0.1);
  assert.is(s.top[0]!.name, 'writeBuffer');
  assert.is(s.top[0]!.share, 0.4);
  assert.is(s.top[1]!.name, 'append');
  assert.is(s.top[1]!.where, '/x/log.js:10');
});

test('process CPU time: read from /proc, and per record over a run\'s measured window', async () => {
  const before = processCpuSeconds(process.pid);
  assert.ok(before !== null && before > 0);
  // Busy until this process has used `seconds` more CPU (at most 3 s of wall time).
  const spin = (seconds: number): void => {
    const from = processCpuSeconds(process.pid)!;
    const until = performance.now() + 3000;
    while (processCpuSeconds(process.pid)! - from < seconds && performance.now() < until);
  };
  spin(0.06);
  assert.ok(processCpuSeconds(process.pid)! >= before! + 0.06, 'a busy loop shows');
  assert.is(processCpuSeconds(2 ** 22 + 12345), null, 'no such process');

  const w = cpuOverWindow(process.pid, { warmupMs: 10, durationMs: 200 });
  w.hooks.onStart!(() => undefined);
  await new Promise((r) => setTimeout(r, 20));
  spin(0.15);
  await new Promise((r) => setTimeout(r, 80));
  const ns = w.perRecordNs(1_000_000)!;
  // 150 ms of CPU over a window of ≥ 200 ms at 1 M records/s: ≤ ~750 ns per record (10 ms ticks; the window
  // stretches if the machine deschedules the loop).
  assert.ok(ns > 100 && ns < 1000, `${ns} ns per record`);
  assert.is(cpuOverWindow(process.pid, { warmupMs: 10, durationMs: 20 }).perRecordNs(1000), null, 'the window never started');
});

test.run();
