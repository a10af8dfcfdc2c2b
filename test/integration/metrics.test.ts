/**
 * Observability against brokers this test starts: /metrics parses as
 * Prometheus text (parse-prometheus-text-format) and its counters move as
 * records flow; /health is 503 while a broker child recovers its partitions
 * and 200 once it serves; the structured log lines operators rely on
 * (start-up config, recovery, topics, segment roll and retention, slow
 * fsyncs, bad requests with client id and address) appear as JSON lines.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { buildBatch } from '../../src/protocol/record-batch/index.js';
import { spawnBroker, startTestBroker, tempDir, type ChildBroker, type TestBroker } from '../helpers/broker.js';
import { cli } from '../helpers/cli.js';
import { fetchAll, frame, openConnection, produce, sleep, waitForTopics, within } from '../helpers/wire.js';

const cleanup: (() => Promise<void> | void)[] = [];
test.after(async () => { for (const c of cleanup.reverse()) await c(); });

async function get(port: number, path: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** One sample's value from the exposition text (exact label match; labels in any order). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]!] = kv[2]!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(port: number): Promise<string> {
  const r = await get(port, '/metrics');
  assert.is(r.status, 200);
  assert.match(r.type ?? '', 'text/plain; version=0.0.4');
  return r.body;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const port = (s.address() as { port: number }).port; s.close(() => resolve(port)); });
  });
}

test('metrics are off unless --metrics-port is set', async () => {
  const tb = await startTestBroker({ shards: 0 });
  cleanup.push(() => tb.close());
  assert.is(tb.broker.metricsPort, null);
  assert.is(tb.broker.metrics, null);
});

test('/metrics parses as Prometheus text and its counters move as records flow', async () => {
  const tb = await startTestBroker({ shards: 2, metricsPort: 0 });
  cleanup.push(() => tb.close());
  const port = tb.broker.metricsPort!;
  assert.ok(port > 0);

  const health = await get(port, '/health');
  assert.is(health.status, 200);
  assert.is(JSON.parse(health.body).status, 'serving');
  assert.is((await get(port, '/nope')).status, 404);

  const before = await scrape(port);
  const families = new Map(parsePrometheus(before).map((f) => [f.name, f]));
  const expectTypes: [string, string][] = [
    ['millrace_topic_bytes_in_total', 'COUNTER'], ['millrace_topic_records_in_total', 'COUNTER'],
    ['millrace_topic_bytes_out_total', 'COUNTER'], ['millrace_topic_records_out_total', 'COUNTER'],
    ['millrace_request_duration_seconds', 'HISTOGRAM'], ['millrace_requests_failed_total', 'COUNTER'],
    ['millrace_connections', 'GAUGE'], ['millrace_connections_accepted_total', 'COUNTER'],
    ['millrace_shard_queue_depth', 'GAUGE'], ['millrace_shard_ring_used_bytes', 'GAUGE'], ['millrace_shard_ring_capacity_bytes', 'GAUGE'],
    ['millrace_shard_overflow_bytes', 'GAUGE'], ['millrace_shard_partitions', 'GAUGE'], ['millrace_shard_log_size_bytes', 'GAUGE'], ['millrace_shard_tail_cache_bytes', 'GAUGE'],
    ['millrace_topic_log_size_bytes', 'GAUGE'], ['millrace_fsync_duration_seconds', 'HISTOGRAM'], ['millrace_consumer_group_lag', 'GAUGE'],
    ['millrace_broker_state', 'GAUGE'], ['millrace_fetch_purgatory_waiting', 'GAUGE'], ['millrace_receive_arena_chunks', 'GAUGE'],
    ['process_resident_memory_bytes', 'GAUGE'], ['nodejs_eventloop_lag_seconds', 'GAUGE'], ['nodejs_heap_size_used_bytes', 'GAUGE'],
  ];
  for (const [name, type] of expectTypes) assert.is(families.get(name)?.type, type, name);
  assert.is(sample(before, 'millrace_broker_state', { state: 'serving' }), 1);
  assert.is(sample(before, 'millrace_shard_ring_capacity_bytes', { shard: '1', ring: 'inbound' }), 32 * 1024 * 1024);
  assert.is(sample(before, 'millrace_receive_arena_chunks', { state: 'total' }), tb.broker.receiveArena!.chunks);
  assert.is(sample(before, 'millrace_receive_arena_chunks', { state: 'in_use' }), 0, 'idle connections hold no chunk');

  // Produce 50 records in 2 batches, then read them back.
  const conn = await openConnection(tb.broker.port, 'metrics-test');
  cleanup.push(() => conn.close());
  assert.equal(await waitForTopics(conn, ['flow']), [1]);
  const b1 = buildBatch(Array.from({ length: 20 }, (_, i) => ({ value: `a${i}` })));
  const b2 = buildBatch(Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: `b${i}` })));
  assert.is((await produce(conn, 'flow', 0, b1)).errorCode, 0);
  assert.is((await produce(conn, 'flow', 0, b2)).errorCode, 0);
  const mid = await scrape(port);
  assert.is(sample(mid, 'millrace_topic_records_in_total', { topic: 'flow' }), 50);
  assert.is(sample(mid, 'millrace_topic_bytes_in_total', { topic: 'flow' }), b1.length + b2.length);
  assert.is((sample(mid, 'millrace_request_duration_seconds_count', { api: 'Produce' }) ?? 0) - (sample(before, 'millrace_request_duration_seconds_count', { api: 'Produce' }) ?? 0), 2);
  assert.ok(sample(mid, 'millrace_request_duration_seconds_count', { api: 'ApiVersions' })! >= 1);
  assert.ok(sample(mid, 'millrace_connections')! >= 1);
  assert.ok(sample(mid, 'millrace_topic_log_size_bytes', { topic: 'flow' })! >= b1.length + b2.length);
  const fsyncs = (s: string): number => (sample(s, 'millrace_fsync_duration_seconds_count', { shard: '0' }) ?? 0) + (sample(s, 'millrace_fsync_duration_seconds_count', { shard: '1' }) ?? 0);
  assert.ok(fsyncs(mid) > fsyncs(before), 'acks=-1 appends were fsynced and timed');
  const partitions = (sample(mid, 'millrace_shard_partitions', { shard: '0' }) ?? 0) + (sample(mid, 'millrace_shard_partitions', { shard: '1' }) ?? 0);
  assert.ok(partitions >= 1);

  const read = await fetchAll(conn, 'flow', 0);
  assert.is(read.records.length, 50);
  const after = await scrape(port);
  assert.is(sample(after, 'millrace_topic_records_out_total', { topic: 'flow' }), 50);
  assert.is(sample(after, 'millrace_topic_bytes_out_total', { topic: 'flow' }), b1.length + b2.length);
  assert.not.throws(() => parsePrometheus(after));

  // Consumer group lag: commit 20 of 50 with the CLI.
  const c = await cli(['consume', 'flow', '--group', 'lagging', '--max', '20', '-q', '--bootstrap', tb.bootstrap]);
  assert.is(c.code, 0, c.stderr);
  const lag = await scrape(port);
  assert.is(sample(lag, 'millrace_consumer_group_lag', { group: 'lagging', topic: 'flow', partition: '0' }), 30);

  // A request the broker cannot parse closes its connection and is counted.
  const raw = await openConnection(tb.broker.port, 'raw');
  const bogus = Buffer.alloc(8 + 2 + 11);
  bogus.writeInt16BE(999, 0); bogus.writeInt16BE(0, 2); bogus.writeInt32BE(7, 4); bogus.writeInt16BE(11, 8); bogus.write('evil-client', 10);
  raw.write(frame(bogus));
  await within(new Promise<void>((r) => { const t = setInterval(() => { if (raw.closed) { clearInterval(t); r(); } }, 10); }), 5000, 'connection closed');
  const failed = await scrape(port);
  assert.is(sample(failed, 'millrace_requests_failed_total', { api: '999', kind: 'bad_request' }), 1);
});

test('/health is 503 while a broker recovers its partitions, 200 once it serves; recovery is logged', async () => {
  const dir = tempDir('millrace-health-');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  // A data dir with 4 topics (8 partitions) and data.
  const seed = await startTestBroker({ shards: 2, dataDir: dir, numPartitions: 2 });
  const conn = await openConnection(seed.broker.port);
  const topics = ['h0', 'h1', 'h2', 'h3'];
  await waitForTopics(conn, topics);
  for (const t of topics) for (const p of [0, 1]) assert.is((await produce(conn, t, p, [{ value: `${t}-${p}` }])).errorCode, 0);
  conn.close();
  await seed.close();
  // A torn tail in one segment: recovery truncates it and says how many bytes.
  const h0 = join(dir, 'h0-0');
  const log = readdirSync(h0).find((f) => f.endsWith('.log'))!;
  appendFileSync(join(h0, log), Buffer.alloc(37, 0x5a));

  const metricsPort = await freePort();
  const states: { status: number; body: { status: string; partitionsOpened: number; partitionsTotal: number } }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const r = await get(metricsPort, '/health');
        states.push({ status: r.status, body: JSON.parse(r.body) });
      } catch { /* not listening yet */ }
      await sleep(25);
    }
  })();
  let child: ChildBroker;
  try {
    child = await spawnBroker(['--data-dir', dir, '--shards', '2', '--metrics-port', String(metricsPort)], 30_000,
      { MILLRACE_TEST_OPEN_DELAY_MS: '300', MILLRACE_LOG_LEVEL: 'info' });
  } finally {
    await sleep(100);
    polling = false;
    await poller;
  }
  cleanup.push(async () => { await child.kill('SIGKILL'); });

  const recovering = states.filter((s) => s.status === 503 && s.body.status === 'recovering');
  assert.ok(recovering.length > 0, `saw 503 recovering: ${JSON.stringify(states.slice(0, 3))}`);
  assert.is(recovering[0]!.body.partitionsTotal, 8);
  assert.ok(recovering.some((s) => s.body.partitionsOpened < 8));
  const last = states[states.length - 1]!;
  assert.is(last.status, 200);
  assert.equal(last.body.status, 'serving');
  assert.is(last.body.partitionsOpened, 8);
  // Once a state is serving it stays serving.
  const firstServing = states.findIndex((s) => s.status === 200);
  assert.ok(states.slice(firstServing).every((s) => s.status === 200));

  const lines = child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const starting = lines.find((l) => l.msg === 'starting broker') as { config: { metricsPort: number; shards: number } } | undefined;
  assert.is(starting?.config.metricsPort, metricsPort);
  assert.is(starting?.config.shards, 2);
  const truncated = lines.find((l) => l.msg === 'truncated invalid log tail');
  assert.is(truncated?.truncatedBytes, 37);
  assert.match(String(truncated?.dir), 'h0-0');
  const opened = lines.find((l) => l.msg === 'partitions opened');
  assert.is(opened?.partitions, 8);
  assert.ok((opened?.durationMs as number) >= 4 * 300);
});

test('structured logs: topics, segment roll and retention, slow fsync, bad request with client id', async () => {
  const dir = tempDir('millrace-logs-');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const child = await spawnBroker(['--data-dir', dir, '--shards', '1', '--retention-check-interval-ms', '200'], 30_000,
    { MILLRACE_SLOW_FSYNC_MS: '0', MILLRACE_LOG_LEVEL: 'info' });
  cleanup.push(async () => { await child.kill('SIGKILL'); });
  const B = ['--bootstrap', `127.0.0.1:${child.port}`];
  assert.is((await cli(['topics', 'create', 'logs', '--partitions', '1', '--config', 'segment.bytes=1024', '--config', 'retention.bytes=1024', ...B])).code, 0);
  const input = Array.from({ length: 60 }, (_, i) => `${i} ${'x'.repeat(90)}`).join('\n');
  const p = await cli(['produce', 'logs', '--batch-bytes', '400', ...B], { input });
  assert.is(p.code, 0, p.stderr);

  const raw = await openConnection(child.port, 'raw');
  const bogus = Buffer.alloc(8 + 2 + 11);
  bogus.writeInt16BE(999, 0); bogus.writeInt16BE(0, 2); bogus.writeInt32BE(7, 4); bogus.writeInt16BE(11, 8); bogus.write('evil-client', 10);
  raw.write(frame(bogus));
  assert.is((await cli(['topics', 'delete', 'logs', ...B])).code, 0);

  const lines = async (): Promise<Record<string, unknown>[]> => child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const deadline = Date.now() + 10_000;
  const want = ['topic created', 'rolled segment', 'deleted segment', 'slow fsync', 'closing connection: bad request', 'topic deleted'];
  let got: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    got = await lines();
    if (want.every((m) => got.some((l) => l.msg === m))) break;
    await sleep(100);
  }
  for (const m of want) assert.ok(got.some((l) => l.msg === m), `log line "${m}"`);
  const deleted = got.find((l) => l.msg === 'deleted segment')!;
  assert.is(deleted.reason, 'retention.bytes');
  assert.ok((deleted.bytes as number) > 0);
  const slow = got.find((l) => l.msg === 'slow fsync')!;
  assert.is(typeof slow.durationMs, 'number');
  assert.match(String(slow.file), /\.log$/);
  const bad = got.find((l) => l.msg === 'closing connection: bad request')!;
  assert.is(bad.clientId, 'evil-client');
  assert.match(String(bad.conn), /^127\.0\.0\.1:\d+$/);
  assert.is(bad.level, 40);
  raw.close();
});

test.run();
