/**
 * The idempotent producer against a real broker:
 * - librdkafka 2.0.2 (Debian python3-confluent-kafka, run with /usr/bin/python3)
 *   with enable.idempotence=true produces 50,000 records (value = index) to one
 *   partition while the broker destroys the producer's connection at random
 *   points (Broker.testHooks.dropConnections, every 30-250 ms); the partition
 *   then holds each record exactly once, in order. Run with the inline engine
 *   (where the test also sees the log's duplicate counter, to show retries of
 *   appended batches did happen) and with worker shards.
 * - kafkajs with idempotent: true (maxInFlightRequests 1), under the same drops.
 * - A retry after kill -9 and restart is answered with the original offset
 *   (the producer state is rebuilt from the log), at the wire level.
 * IDEM_DEBUG=1 prints the drop counts and the logs' duplicate counters.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/common/error-codes.js';
import { buildBatch } from '../../src/protocol/record-batch/record-batch-builder.js';
import { InlineShard } from '../../src/shard/inline-shard.js';
import { spawnBroker, startTestBroker, tempDir, type ChildBroker, type TestBroker } from '../helpers/broker.js';
import { connect, ensureTopic, readAll } from '../helpers/produce.js';

const PYTHON = '/usr/bin/python3';
const script = fileURLToPath(new URL('../../../test/integration/python/idempotent_producer.py', import.meta.url));
const N = 50_000;

interface Summary {
  delivered: number;
  errors: string[];
  fatal: string | null;
  offsets_in_order: boolean;
  unflushed: number;
  txretries: number;
  disconnects: number;
  seconds: number;
  [k: string]: unknown;
}

function runPython(args: string[], timeoutMs: number): Promise<Summary> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [script, ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (err) return reject(new Error(`idempotent_producer.py failed (${err.message})\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`));
      try {
        resolve(JSON.parse(last) as Summary);
      } catch {
        reject(new Error(`no JSON summary\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`));
      }
    });
  });
}

/** Drops every connection at random intervals in [minMs, maxMs) until `until` settles; returns how many drops hit a connection. */
async function dropWhile(tb: TestBroker, until: Promise<unknown>, minMs = 30, maxMs = 250): Promise<number> {
  let done = false;
  void until.then(() => { done = true; }, () => { done = true; });
  let drops = 0;
  while (!done) {
    await sleep(minMs + Math.random() * (maxMs - minMs));
    if (!done && tb.broker.testHooks.dropConnections() > 0) drops++;
  }
  return drops;
}

/** The partition holds exactly the values 0..n-1, once each, in order, at consecutive offsets. */
async function checkExactlyOnce(tb: TestBroker, topic: string, n: number): Promise<void> {
  const c = await connect(tb.broker.port);
  try {
    const recs = await readAll(c, topic, 0);
    const values = recs.map((r) => r.value);
    const firstBad = values.findIndex((v, i) => v !== String(i));
    const near = firstBad >= 0 ? values.slice(Math.max(0, firstBad - 3), firstBad + 3).join(',') : '';
    assert.is(firstBad, -1, `first out-of-place value at position ${firstBad}: …${near}…`);
    assert.is(values.length, n, 'no record lost, none duplicated');
    assert.ok(recs.every((r, i) => r.offset === i), 'consecutive offsets');
  } finally {
    c.close();
  }
}

async function createTopic(tb: TestBroker, topic: string): Promise<void> {
  const c = await connect(tb.broker.port);
  try {
    assert.is(await ensureTopic(c, topic), 1);
  } finally {
    c.close();
  }
}

for (const shards of [0, 2]) {
  test(`librdkafka enable.idempotence=true: ${N} records under random connection drops, each stored once in order (shards=${shards})`, async () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} must exist (apt-get install python3-confluent-kafka)`);
    const tb = await startTestBroker({ shards, numPartitions: 1 });
    try {
      const topic = 'idempotent-librdkafka';
      await createTopic(tb, topic);
      const run = runPython([tb.bootstrap, topic, '0', String(N), '12000', '100'], 150_000);
      const drops = await dropWhile(tb, run);
      const s = await run;
      const detail = `drops=${drops} ${JSON.stringify(s).slice(0, 2500)}`;
      assert.is(s.fatal, null, detail);
      assert.equal(s.errors, [], detail);
      assert.is(s.delivered, N, detail);
      assert.is(s.unflushed, 0, detail);
      assert.ok(s.offsets_in_order, `delivery reports in offset order: ${detail}`);
      assert.ok(drops >= 5, `the producer's connection was dropped (${detail})`);
      await checkExactlyOnce(tb, topic, N);
      if (process.env.IDEM_DEBUG) console.log(detail);
      const shard = tb.broker.engine.shards[0];
      if (shard instanceof InlineShard) {
        const stats = shard.partitionLog(`${topic}-0`)!.stats;
        assert.ok(stats.duplicateAppends > 0, `retries of appended batches were answered as duplicates: ${JSON.stringify(stats)} ${detail}`);
        assert.is(stats.producerRejections, 0, `no sequence errors: ${JSON.stringify(stats)}`);
        if (process.env.IDEM_DEBUG) console.log(JSON.stringify(stats));
      }
    } finally {
      await tb.close();
    }
  });
}

test('kafkajs idempotent: true (maxInFlightRequests 1) under random connection drops: each record once, in order', async () => {
  const tb = await startTestBroker({ shards: 0, numPartitions: 1 });
  const topic = 'idempotent-kafkajs';
  const kafka = new Kafka({
    clientId: 'idem', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 20, maxRetryTime: 200 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await createTopic(tb, topic);
    await producer.connect();
    // At least 5,000 records and at least 10 drops: sends of 50 records go on until both.
    let drops = 0;
    let sent = 0;
    const work = (async () => {
      while (sent < 5_000 || drops < 10) {
        const messages = Array.from({ length: 50 }, (_, k) => ({ value: String(sent + k), partition: 0 }));
        await producer.send({ topic, messages, acks: -1 });
        sent += 50;
      }
    })();
    let done = false;
    void work.then(() => { done = true; }, () => { done = true; });
    while (!done) {
      await sleep(20 + Math.random() * 100);
      if (!done && tb.broker.testHooks.dropConnections() > 0) drops++;
    }
    await work;
    await checkExactlyOnce(tb, topic, sent);
    const stats = (tb.broker.engine.shards[0] as InlineShard).partitionLog(`${topic}-0`)!.stats;
    assert.is(stats.producerRejections, 0, JSON.stringify(stats));
    if (process.env.IDEM_DEBUG) console.log(`kafkajs sent=${sent} drops=${drops}`, JSON.stringify(stats));
  } finally {
    await producer.disconnect().catch(() => {});
    await tb.close();
  }
});

test('a retry after kill -9 and restart is answered with the original offset and not stored again', async () => {
  const dir = tempDir('millrace-idem-');
  let child: ChildBroker | null = null;
  try {
    child = await spawnBroker(['--data-dir', dir, '--num-partitions', '1']);
    let c = await connect(child.port);
    const topic = 'idem-restart';
    await ensureTopic(c, topic);
    const init = await c.send('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.is(init.errorCode, 0);
    const pid = init.producerId;
    const batchAt = (seq: number, count: number): Buffer => buildBatch(
      Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}` })), { producerId: pid, producerEpoch: 0, baseSequence: seq },
    );
    const send = async (records: Buffer): Promise<{ errorCode: number; baseOffset: number }> => {
      const res = await c.send('Produce', 7, { acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const p = res.responses[0]!.partitionResponses[0]!;
      return { errorCode: p.errorCode, baseOffset: p.baseOffset };
    };
    const offsets: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await send(batchAt(i * 4, 4));
      assert.is(r.errorCode, 0);
      offsets.push(r.baseOffset);
    }
    c.close();
    await child.kill('SIGKILL');
    child = await spawnBroker(['--data-dir', dir, '--num-partitions', '1']);
    c = await connect(child.port);
    for (let k = 1; k <= 5; k++) {
      const r = await send(batchAt((8 - k) * 4, 4));
      assert.equal(r, { errorCode: 0, baseOffset: offsets[8 - k]! }, `retry of batch ${8 - k} after kill -9`);
    }
    assert.is((await send(batchAt(40, 1))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap');
    assert.equal(await send(batchAt(32, 1)), { errorCode: 0, baseOffset: 32 }, 'the next sequence is appended');
    const values = (await readAll(c, topic, 0)).map((r) => r.value);
    assert.equal(values, Array.from({ length: 33 }, (_, i) => `v${i}`));
    c.close();
  } finally {
    if (child) await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
