/**
 * Consumer groups with the Python clients Debian ships, run with
 * /usr/bin/python3: confluent-kafka-python 1.7 on librdkafka 2.0.2 with the
 * range (eager) and cooperative-sticky (incremental) assignors, and
 * kafka-python 2.0.2. Each script (./python/groups_*.py) runs a member
 * alone, adds a second one while messages keep coming, drains, leaves, and
 * checks with a third member that every offset was committed. The test then
 * compares the committed total with the log end offsets the broker reports.
 * A last script restarts a static member (group.instance.id) and checks that
 * the group does not rebalance.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openConnection, waitForTopics } from '../helpers/wire.js';

const PYTHON = '/usr/bin/python3';
const scriptDir = fileURLToPath(new URL('../../../test/integration/python/', import.meta.url));
const PARTITIONS = 6;

let tb: TestBroker;
let conn: KafkaConnection;

test.before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} must exist (apt-get install python3-kafka python3-confluent-kafka)`);
  tb = await startTestBroker({ numPartitions: 1, shards: 2 });
  conn = await openConnection(tb.broker.port);
});
test.after(async () => {
  conn?.close();
  await tb?.close();
});

interface Summary {
  errors: string[];
  produced: number;
  phase1_consumed: number;
  rebalance_ms: number | null;
  consumed_unique: number;
  consumed_total: number;
  all_consumed: boolean;
  a_partitions: number[];
  b_partitions: number[];
  a_revoked?: number[][];
  c_consumed_after_close: number;
  committed_total: number;
  c_partitions: number[];
}

function runPython(script: string, args: string[], timeoutMs = 60_000): Promise<Summary> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [scriptDir + script, ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (err) return reject(new Error(`${script} failed (${err.message})\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`));
      try {
        resolve(JSON.parse(last) as Summary);
      } catch {
        reject(new Error(`${script}: no JSON summary\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`));
      }
    });
  });
}

async function createTopic(name: string): Promise<void> {
  const r = await conn.send('CreateTopics', 4, { topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  assert.is(r.topics[0]!.errorCode, 0, `create ${name}`);
  await waitForTopics(conn, [name]);
}

async function logEnd(topic: string): Promise<number> {
  const r = await conn.send('ListOffsets', 1, {
    replicaId: -1,
    topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, timestamp: -1 })) }],
  });
  return r.topics[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
}

async function check(s: Summary, topic: string, what: string): Promise<void> {
  const detail = `${what}: ${JSON.stringify(s).slice(0, 2000)}`;
  assert.equal(s.errors, [], detail);
  assert.is(s.phase1_consumed, 1000, detail);
  assert.ok(s.rebalance_ms !== null, `the second member never got partitions: ${detail}`);
  assert.ok(s.all_consumed, `every message consumed: ${detail}`);
  assert.is(s.consumed_unique, s.produced, detail);
  assert.is(s.a_partitions.length + s.b_partitions.length, PARTITIONS, `both members share all partitions: ${detail}`);
  assert.ok(s.a_partitions.length > 0 && s.b_partitions.length > 0, detail);
  assert.is(s.c_consumed_after_close, 0, `a new member finds everything committed: ${detail}`);
  assert.is(s.c_partitions.length, PARTITIONS, detail);
  assert.is(s.committed_total, await logEnd(topic), `committed offsets equal the log end: ${detail}`);
  console.log(`  ${what}: ${s.produced} messages, ${s.consumed_total - s.consumed_unique} redelivered, rebalance ${s.rebalance_ms} ms (second member subscribes → both consume again)`);
}

test('confluent-kafka (librdkafka) group with the range assignor: eager rebalance, commits, resume', async () => {
  await createTopic('py-groups-range');
  const s = await runPython('groups_confluent.py', [tb.bootstrap, 'py-groups-range', 'py-range', 'range', '45']);
  await check(s, 'py-groups-range', 'confluent-kafka range');
  assert.is(s.a_revoked![0]!.length, PARTITIONS, 'eager: the first member gives up everything at the rebalance');
});

test('confluent-kafka (librdkafka) group with cooperative-sticky: incremental rebalance, commits, resume', async () => {
  await createTopic('py-groups-coop');
  const s = await runPython('groups_confluent.py', [tb.bootstrap, 'py-groups-coop', 'py-coop', 'cooperative-sticky', '45']);
  await check(s, 'py-groups-coop', 'confluent-kafka cooperative-sticky');
  assert.is(s.a_revoked![0]!.length, PARTITIONS / 2, 'incremental: the first member gives up only what moves');
});

test('kafka-python group: join (v2, no MEMBER_ID_REQUIRED), commits, resume', async () => {
  await createTopic('py-groups-kp');
  const s = await runPython('groups_kafka_python.py', [tb.bootstrap, 'py-groups-kp', 'py-kp', '45']);
  await check(s, 'py-groups-kp', 'kafka-python');
});

test('confluent-kafka static membership: a member restarted with its group.instance.id takes its partitions back without a rebalance', async () => {
  await createTopic('py-groups-static');
  const s = await runPython('groups_static.py', [tb.bootstrap, 'py-groups-static', 'py-static', '45']) as unknown as {
    errors: string[]; before: { a: number[]; b: number[] }; a_partitions: number[]; a2_partitions: number[]; b_assigns_after: number; all_consumed: boolean; a2_replayed: number; restart_ms: number;
  };
  const detail = JSON.stringify(s);
  assert.equal(s.errors, [], detail);
  assert.is(s.before.a.length + s.before.b.length, PARTITIONS, detail);
  assert.equal(s.a2_partitions, s.a_partitions, `the restarted instance gets its old partitions: ${detail}`);
  assert.is(s.b_assigns_after, 0, `the other member saw no rebalance: ${detail}`);
  assert.ok(s.all_consumed, detail);
  assert.is(s.a2_replayed, 0, `it resumed from the committed offsets: ${detail}`);
});

test.run();
