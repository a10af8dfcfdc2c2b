/**
 * Crash safety against a broker child process (`millrace start`):
 * - kill -9 in the middle of an acks=-1 load (many produce requests in
 *   flight): after a restart on the same data dir every acknowledged record
 *   is there, in order, once, at the offset it was acknowledged with, and the
 *   log is a prefix of what was sent (unacknowledged records may or may not
 *   have made it, but nothing is reordered, duplicated or invented);
 * - a clean SIGTERM stop and restart keeps topics, topic configs and data;
 * - a torn tail appended to the last segment while the broker is down is
 *   truncated on restart, the good data before it intact.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { buildBatch } from '../../src/protocol/record-batch/index.js';
import { spawnBroker, tempDir, type ChildBroker } from '../helpers/broker.js';
import { fetchAll, openConnection, produce, waitForTopics, within } from '../helpers/wire.js';

const dirs: string[] = [];
const children: ChildBroker[] = [];

function newDir(): string {
  const d = tempDir('millrace-durability-');
  dirs.push(d);
  return d;
}

async function start(dir: string, extra: string[] = []): Promise<ChildBroker> {
  const child = await spawnBroker(['--data-dir', dir, '--num-partitions', '3', ...extra]);
  children.push(child);
  return child;
}

async function stop(child: ChildBroker, signal: NodeJS.Signals): Promise<number | null> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
  return within(child.kill(signal), 15_000, `broker exit on ${signal}`);
}

test.after(async () => {
  for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) await c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function createByMetadata(conn: KafkaConnection, topic: string, partitions: number): Promise<void> {
  assert.equal(await waitForTopics(conn, [topic]), [partitions]);
}

interface Acked { baseOffset: number; values: string[] }

/**
 * Produces batches of `perBatch` records to one partition with up to
 * `inFlight` requests pipelined on one connection until the connection
 * fails. Values are `<tag>-<seq>`; `sent` lists every value in send order.
 */
function loadPartition(conn: KafkaConnection, topic: string, partition: number, tag: string, state: { sent: string[]; acked: Acked[]; errors: number[] }, inFlight = 8, perBatch = 5): Promise<void> {
  let seq = 0;
  return new Promise((resolve) => {
    let outstanding = 0;
    let done = false;
    const pump = (): void => {
      while (!done && !conn.closed && outstanding < inFlight) {
        const values = Array.from({ length: perBatch }, () => `${tag}-${seq++}`);
        state.sent.push(...values);
        outstanding++;
        conn.send('Produce', 7, {
          acks: -1, timeoutMs: 10_000,
          topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(values.map((value) => ({ key: tag, value }))) }] }],
        }).then((res) => {
          outstanding--;
          const p = res.responses[0]!.partitionResponses[0]!;
          if (p.errorCode === ErrorCode.NONE) state.acked.push({ baseOffset: p.baseOffset, values });
          else state.errors.push(p.errorCode);
          pump();
        }, () => {
          outstanding--;
          done = true;
          if (outstanding === 0) resolve();
        });
      }
      if ((done || conn.closed) && outstanding === 0) resolve();
    };
    pump();
  });
}

for (const [mode, engineArgs] of [['worker shards', []], ['inline shards', ['--shards', '0']]] as const) test(`kill -9 mid-load (${mode}): every acks=-1 record is read back after restart, in order, once, offsets contiguous`, async () => {
  const dir = newDir();
  const topic = 'durable';
  const partitions = 3;
  const b1 = await start(dir, [...engineArgs]);
  const admin = await openConnection(b1.port);
  await createByMetadata(admin, topic, partitions);
  admin.close();

  const conns = await Promise.all(Array.from({ length: partitions }, () => openConnection(b1.port)));
  const states = conns.map(() => ({ sent: [] as string[], acked: [] as Acked[], errors: [] as number[] }));
  const loads = conns.map((c, p) => loadPartition(c, topic, p, `p${p}`, states[p]!));

  // Let the load run until a fair amount is acknowledged, then pull the plug with requests in flight.
  const deadline = Date.now() + 20_000;
  while (states.reduce((n, s) => n + s.acked.length, 0) < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const inFlightAtKill = conns.reduce((n, c) => n + c.inFlight, 0);
  await stop(b1, 'SIGKILL');
  await within(Promise.all(loads), 10_000, 'producers notice the dead broker');
  const ackedAtKill = states.map((s) => s.acked.reduce((n, a) => n + a.values.length, 0));
  assert.ok(ackedAtKill.every((n) => n >= 100), `each partition got acknowledged records before the kill: ${ackedAtKill}`);
  assert.ok(inFlightAtKill > 0, 'requests were in flight when the broker was killed');
  for (const s of states) assert.equal(s.errors, [], 'no produce errors before the kill');

  const b2 = await start(dir, [...engineArgs]);
  const c = await openConnection(b2.port);
  for (let p = 0; p < partitions; p++) {
    const s = states[p]!;
    const { records, highWatermark, errorCode } = await fetchAll(c, topic, p);
    assert.is(errorCode, ErrorCode.NONE);
    // Contiguous offsets from 0 up to the high watermark.
    assert.is(records.length, highWatermark, `partition ${p}: records up to the high watermark`);
    records.forEach((r, i) => { if (r.offset !== i) assert.unreachable(`partition ${p}: offset ${r.offset} at position ${i}`); });
    // The log is a prefix of what was sent: ordered, no duplicates, nothing invented.
    const values = records.map((r) => r.value);
    assert.equal(values, s.sent.slice(0, values.length), `partition ${p}: log is a prefix of the sent sequence`);
    // Every acknowledged record is there, at the offset it was acknowledged with.
    for (const a of s.acked) {
      a.values.forEach((v, i) => {
        if (values[a.baseOffset + i] !== v) assert.unreachable(`partition ${p}: acknowledged ${v} at ${a.baseOffset + i}, found ${values[a.baseOffset + i]}`);
      });
    }
    if (process.env.TEST_VERBOSE) console.log(`${mode} partition ${p}: sent ${s.sent.length}, acknowledged ${ackedAtKill[p]}, recovered ${values.length}, in flight at kill ${inFlightAtKill}`);
    assert.ok(values.length >= ackedAtKill[p]!, `partition ${p}: ${values.length} records, ${ackedAtKill[p]} acknowledged`);
    // The partition takes new writes right after the recovered end.
    const r = await produce(c, topic, p, [{ value: 'after restart' }]);
    assert.is(r.errorCode, ErrorCode.NONE);
    assert.is(r.baseOffset, highWatermark);
  }
  c.close();
  assert.is(await stop(b2, 'SIGTERM'), 0);
});

test('clean SIGTERM stop and restart keeps topics, topic configs and data', async () => {
  const dir = newDir();
  const b1 = await start(dir);
  const c1 = await openConnection(b1.port);
  assert.ok(c1.brokerVersions.has(19), 'CreateTopics (key 19) must be advertised');
  const created = await within(c1.send('CreateTopics', 4, {
    timeoutMs: 5000, validateOnly: false,
    topics: [{
      name: 'configured', numPartitions: 2, replicationFactor: 1, assignments: [],
      configs: [{ name: 'max.message.bytes', value: '2000' }, { name: 'retention.ms', value: '123456789' }],
    }],
  }), 10_000, 'CreateTopics');
  assert.is(created.topics[0]!.errorCode, ErrorCode.NONE);
  await createByMetadata(c1, 'auto', 3);
  const before = await within(c1.send('Metadata', 10, { topics: null }), 5000, 'metadata');
  const expected = new Map<string, string[]>();
  for (const [topic, partition] of [['configured', 0], ['configured', 1], ['auto', 0], ['auto', 2]] as const) {
    const values: string[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = [{ value: `${topic}-${partition}-${i}a` }, { value: `${topic}-${partition}-${i}b` }];
      assert.is((await produce(c1, topic, partition, batch, { acks: i % 2 === 0 ? 1 : -1 })).errorCode, ErrorCode.NONE);
      values.push(...batch.map((b) => b.value));
    }
    expected.set(`${topic}-${partition}`, values);
  }
  c1.close();
  assert.is(await stop(b1, 'SIGTERM'), 0, 'clean exit');

  const b2 = await start(dir);
  const c2 = await openConnection(b2.port);
  const after = await within(c2.send('Metadata', 10, { topics: null }), 5000, 'metadata');
  const summary = (md: typeof before) => md.topics.map((t) => ({ name: t.name, id: t.topicId, partitions: t.partitions.length })).sort((a, b) => a.name!.localeCompare(b.name!));
  assert.equal(summary(after), summary(before), 'same topics, ids and partition counts');
  for (const [key, values] of expected) {
    const [topic, partition] = [key.slice(0, key.lastIndexOf('-')), Number(key.slice(key.lastIndexOf('-') + 1))];
    const got = await fetchAll(c2, topic, partition);
    assert.equal(got.records.map((r) => r.value), values, key);
    assert.equal(got.records.map((r) => r.offset), values.map((_, i) => i), key);
  }
  // The topic's max.message.bytes survived: enforced for 'configured', not for 'auto'.
  const big = [{ value: 'x'.repeat(3000) }];
  assert.is((await produce(c2, 'configured', 0, big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  assert.is((await produce(c2, 'auto', 0, big)).errorCode, ErrorCode.NONE);
  if (c2.brokerVersions.has(32)) {
    const dc = await within(c2.send('DescribeConfigs', 1, {
      resources: [{ resourceType: 2, resourceName: 'configured', configurationKeys: ['retention.ms', 'max.message.bytes'] }],
      includeSynonyms: false,
    }), 5000, 'DescribeConfigs');
    const entries = new Map(dc.results[0]!.configs.map((e) => [e.name, e.value]));
    assert.is(entries.get('retention.ms'), '123456789');
    assert.is(entries.get('max.message.bytes'), '2000');
  }
  c2.close();
  assert.is(await stop(b2, 'SIGTERM'), 0);
});

function lastLogFile(partitionDir: string): string {
  const logs = readdirSync(partitionDir).filter((f) => f.endsWith('.log')).sort();
  assert.ok(logs.length > 0, `no .log file in ${partitionDir}`);
  return join(partitionDir, logs[logs.length - 1]!);
}

test('a torn tail on the last segment is truncated on restart; the good data before it is intact', async () => {
  const dir = newDir();
  const topic = 'torn';
  // Small segments so the tail is not in the first segment.
  let b = await start(dir, ['--segment-bytes', '4096']);
  let c = await openConnection(b.port);
  await createByMetadata(c, topic, 3);
  const values: string[] = [];
  for (let i = 0; i < 40; i++) {
    const batch = [{ value: `r${i}-a ${'.'.repeat(100)}` }, { value: `r${i}-b` }];
    assert.is((await produce(c, topic, 0, batch)).errorCode, ErrorCode.NONE);
    values.push(...batch.map((x) => x.value));
  }
  c.close();
  assert.is(await stop(b, 'SIGTERM'), 0);

  const partitionDir = join(dir, `${topic}-0`);
  assert.ok(readdirSync(partitionDir).filter((f) => f.endsWith('.log')).length > 1, 'several segments');
  const tail = lastLogFile(partitionDir);
  const goodSize = statSync(tail).size;

  const damages: [string, Buffer][] = [];
  // 1. Half a batch: a real batch cut in the middle, as a crash mid-write leaves it.
  const next = buildBatch([{ value: 'torn write' }], { baseOffset: values.length });
  damages.push(['half a batch', next.subarray(0, Math.floor(next.length / 2))]);
  // 2. A whole batch whose CRC does not match (a torn page inside it).
  const bad = buildBatch([{ value: 'bit rot' }], { baseOffset: values.length });
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x55;
  damages.push(['bad CRC', bad]);
  // 3. Garbage: zeros (a preallocated, never-written tail) then random-looking bytes.
  damages.push(['garbage', Buffer.concat([Buffer.alloc(300), Buffer.from('ffeeddccbbaa99887766554433221100'.repeat(8), 'hex')])]);

  let expectedValues = values;
  for (const [what, bytes] of damages) {
    appendFileSync(tail, bytes);
    b = await start(dir, ['--segment-bytes', '4096']);
    c = await openConnection(b.port);
    const got = await fetchAll(c, topic, 0);
    assert.is(got.errorCode, ErrorCode.NONE, what);
    assert.equal(got.records.map((r) => r.value), expectedValues, `${what}: good data intact`);
    assert.is(got.highWatermark, expectedValues.length, `${what}: high watermark`);
    // New writes continue right after the good data.
    const r = await produce(c, topic, 0, [{ value: `after ${what}` }]);
    assert.is(r.errorCode, ErrorCode.NONE);
    assert.is(r.baseOffset, expectedValues.length, `${what}: next offset`);
    expectedValues = [...expectedValues, `after ${what}`];
    const again = await fetchAll(c, topic, 0);
    assert.equal(again.records.map((x) => x.value), expectedValues);
    c.close();
    assert.is(await stop(b, 'SIGTERM'), 0);
    assert.ok(statSync(tail).size > goodSize, 'the new write went to the same segment');
  }
  void goodSize;
});

test('kill -9 right after a torn tail was truncated and new data written: still consistent', async () => {
  const dir = newDir();
  let b = await start(dir);
  let c = await openConnection(b.port);
  await createByMetadata(c, 'k', 3);
  for (let i = 0; i < 5; i++) assert.is((await produce(c, 'k', 1, [{ value: `v${i}` }])).errorCode, ErrorCode.NONE);
  c.close();
  await stop(b, 'SIGKILL');
  appendFileSync(lastLogFile(join(dir, 'k-1')), Buffer.from('torn'));
  b = await start(dir);
  c = await openConnection(b.port);
  assert.is((await produce(c, 'k', 1, [{ value: 'v5' }])).errorCode, ErrorCode.NONE);
  c.close();
  await stop(b, 'SIGKILL');
  b = await start(dir);
  c = await openConnection(b.port);
  const got = await fetchAll(c, 'k', 1);
  assert.equal(got.records.map((r) => r.value), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
  assert.equal(got.records.map((r) => r.offset), [0, 1, 2, 3, 4, 5]);
  c.close();
  assert.is(await stop(b, 'SIGTERM'), 0);
});

test.run();
