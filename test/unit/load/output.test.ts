/** --json schema, --html page, the text report, the CLI command and workload files. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeHistogram } from '../../../src/load/latency-histogram.js';
import { registerLoadCommand } from '../../../src/load/load-command.js';
import type { LoadResult } from '../../../src/load/load-result.js';
import { runLoad } from '../../../src/load/load-runner.js';
import { formatReport } from '../../../src/load/report.js';
import { parseWorkload } from '../../../src/load/workload.js';
import { startFakeBroker } from './fake-broker.js';

const dir = mkdtempSync(join(tmpdir(), 'millrace-load-test-'));
let result: LoadResult;

test.before(async () => {
  const b = await startFakeBroker('o', 2);
  try {
    result = await runLoad({
      quiet: true, workers: 0, mode: 'e2e', bootstrap: b.bootstrap, topic: 'o', rate: 3000, durationMs: '1500ms', warmupMs: '1s',
      json: join(dir, 'r.json'), html: join(dir, 'sub', 'r.html'),
    });
  } finally { await b.stop(); }
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const isNum = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;

test('JSON: required keys present, numbers sane, histograms decode to the counts', () => {
  const j = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as LoadResult;
  for (const k of ['tool', 'schemaVersion', 'mode', 'options', 'topics', 'startedAt', 'warmupMs', 'interrupted', 'produce', 'consume', 'series', 'ok', 'problems']) {
    assert.ok(k in j, `missing ${k}`);
  }
  assert.is(j.tool, 'millrace load');
  assert.is(j.schemaVersion, 1);
  assert.ok(j.ok, j.problems.join('; '));
  assert.is(j.warmupMs, 1000);
  assert.is(j.options.rate, 3000);
  const p = j.produce!;
  const c = j.consume!;
  for (const k of ['records', 'bytes', 'errors', 'requests', 'durationMs', 'recordsPerSec', 'mbPerSec', 'recordsPerBatch', 'warmupRecords'] as const) assert.ok(isNum(p[k]), `produce.${k} = ${p[k]}`);
  for (const k of ['records', 'bytes', 'durationMs', 'recordsPerSec', 'mbPerSec', 'backlog'] as const) assert.ok(isNum(c[k]), `consume.${k} = ${c[k]}`);
  for (const l of [p.latency, c.latency]) {
    for (const k of ['count', 'minMs', 'meanMs', 'p50Ms', 'p75Ms', 'p95Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const) assert.ok(isNum(l[k]), `${k}`);
    assert.ok(l.p50Ms <= l.p75Ms && l.p75Ms <= l.p95Ms && l.p95Ms <= l.p99Ms && l.p99Ms <= l.p999Ms && l.p999Ms <= l.maxMs + 0.001);
  }
  // 1.5 s at 3000/s measured, plus a 1 s warm-up excluded from the totals.
  assert.ok(p.records > 3500 && p.records < 5500, `measured records ${p.records}`);
  assert.ok(p.warmupRecords > 2000, `warm-up records ${p.warmupRecords}`);
  assert.is(p.bytes, p.records * 100);
  assert.ok(Math.abs(p.recordsPerSec - 3000) < 300, `rate ${p.recordsPerSec}`);
  assert.is(decodeHistogram(p.histogram).totalCount, p.records);
  assert.is(decodeHistogram(c.histogram).totalCount, c.records);
  assert.is(c.verification.countCheck!.expected, p.records + p.warmupRecords);
  // The series: one point per second, warm-up flagged, sums match the totals.
  assert.ok(j.series.length >= 3);
  j.series.forEach((s, i) => assert.is(s.second, i + 1));
  assert.ok(j.series[0]!.warmup);
  assert.not.ok(j.series[2]!.warmup);
  const sum = j.series.reduce((a, s) => a + s.produced.records, 0);
  assert.is(sum, p.records + p.warmupRecords);
  assert.ok(j.series.some((s) => s.publishLatency && s.e2eLatency));
});

test('HTML: a complete self-contained document with three charts and the data embedded', () => {
  const html = readFileSync(join(dir, 'sub', 'r.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.trimEnd().endsWith('</html>'));
  const outside = html.replace(/<svg[\s\S]*?<\/svg>/g, '');
  for (const tag of ['html', 'head', 'body', 'title', 'style']) {
    assert.is(outside.split(`<${tag}`).length - 1, 1, `<${tag}>`);
    assert.is(outside.split(`</${tag}>`).length - 1, 1, `</${tag}>`);
  }
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.is(svgs.length, 3);
  for (const s of svgs) assert.ok(/<path d="M[\d.]+,[\d.]+( L[\d.]+,[\d.]+)+"/.test(s), 'each chart has a drawn line');
  // Nothing fetched from anywhere.
  assert.not.ok(/\s(src|href)=/.test(html));
  assert.not.ok(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html));
  const m = /<script type="application\/json" id="millrace-load-result">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m);
  const embedded = JSON.parse(m![1]!) as LoadResult;
  assert.equal(embedded.produce!.records, result.produce!.records);
  assert.equal(embedded.series.length, result.series.length);
});

test('text report: producer-perf-test shaped line, consume line, verification', () => {
  const text = formatReport(result);
  assert.match(text, /^\d+ records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, [\d.]+ ms 50th, [\d.]+ ms 95th, [\d.]+ ms 99th, [\d.]+ ms 99\.9th\.$/m);
  assert.match(text, /^\d+ records consumed, [\d.]+ records\/sec \([\d.]+ MB\/sec\), backlog \d+ records\.$/m);
  assert.match(text, /^end-to-end latency: .* 99\.9th\.$/m);
  assert.match(text, /^verification: OK/m);
});

test('CLI: millrace load produce ... writes its JSON; bad options exit 2', async () => {
  const b = await startFakeBroker('cli', 1);
  const saved = process.exitCode;
  try {
    const program = new Command('millrace').exitOverride();
    registerLoadCommand(program);
    const file = join(dir, 'cli.json');
    await program.parseAsync(['load', 'produce', '--bootstrap', b.bootstrap, '--topic', 'cli', '--records', '2k', '--workers', '0', '--quiet', '--json', file], { from: 'user' });
    assert.ok(!process.exitCode);
    const j = JSON.parse(readFileSync(file, 'utf8')) as LoadResult;
    assert.is(j.produce!.records, 2000);
    assert.is(b.producedRecords, 2000);
    const program2 = new Command('millrace').exitOverride();
    registerLoadCommand(program2);
    const err = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      await program2.parseAsync(['load', 'produce', '--bootstrap', b.bootstrap, '--topic', 'cli', '--record-size', '10', '--quiet'], { from: 'user' });
    } finally { process.stderr.write = err; }
    assert.is(process.exitCode, 2);
  } finally {
    process.exitCode = saved;
    await b.stop();
  }
});

test('workload file: OpenMessaging Benchmark fields, seconds variants, e2e over several topics', async () => {
  const w = parseWorkload(JSON.stringify({ name: 'x', topics: 2, partitionsPerTopic: 3, messageSize: 64, producersPerTopic: 1, consumerPerSubscription: 1, producerRate: 2000, warmupDurationMinutes: 0, testDurationSeconds: 1 }));
  assert.is(w.testMs, 1000);
  assert.is(w.warmupMs, 0);
  assert.throws(() => parseWorkload('{"messageSize": 8}'), /messageSize/);
  assert.throws(() => parseWorkload('{"subscriptionsPerTopic": 2}'), /subscriptionsPerTopic/);
  const b = await startFakeBroker();
  try {
    const file = join(dir, 'w.json');
    writeFileSync(file, JSON.stringify({ name: 'small', topics: 2, partitionsPerTopic: 3, messageSize: 64, producersPerTopic: 1, consumerPerSubscription: 1, producerRate: 2000, warmupDurationSeconds: 0, testDurationSeconds: 1 }));
    const r = await runLoad({ quiet: true, workers: 0, mode: 'workload', workloadFile: file, bootstrap: b.bootstrap, topic: 'wl' });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.mode, 'workload');
    assert.equal(r.topics, ['wl-0', 'wl-1']);
    assert.is(b.topics.get('wl-1')!.partitions.length, 3);
    assert.ok(Math.abs(r.produce!.recordsPerSec - 2000) < 200, `${r.produce!.recordsPerSec}`);
    assert.ok(r.consume!.verification.ok);
    assert.is(r.consume!.verification.countCheck!.consumed, r.produce!.records);
  } finally { await b.stop(); }
});

test.run();
