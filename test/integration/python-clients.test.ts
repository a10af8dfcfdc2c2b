/**
 * The Python clients Debian ships, run with /usr/bin/python3 (the python3
 * first on PATH may be another interpreter without them): kafka-python 2.0.2
 * (python3-kafka) and confluent-kafka-python 1.7 on librdkafka 2.0.2
 * (python3-confluent-kafka). Each script in ./python produces N keyed
 * messages and consumes them back with assigned partitions (consumer groups
 * are not served yet), printing a JSON summary; the test also reads the
 * topic itself and checks what the broker stored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { compression, recordCount } from '../../src/protocol/record-batch/record-batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fetchOnce, openConnection, splitBatches, waitForTopics } from '../helpers/wire.js';

const PYTHON = '/usr/bin/python3';
const scriptDir = fileURLToPath(new URL('../../../test/integration/python/', import.meta.url));
const N = 2000;

let tb: TestBroker;
let conn: KafkaConnection;

test.before(async () => {
  assert.ok(existsSync(PYTHON), `${PYTHON} must exist (apt-get install python3-kafka python3-confluent-kafka)`);
  tb = await startTestBroker({ numPartitions: 3 });
  conn = await openConnection(tb.broker.port);
});
test.after(async () => {
  conn?.close();
  await tb?.close();
});

interface Summary {
  client: string;
  produced: number;
  consumed: number;
  errors: string[];
  partitions: number;
  values_match: boolean;
  keys_match: boolean;
  key_partition_stable: boolean;
  ordered: boolean;
  [k: string]: unknown;
}

/** Runs a script asynchronously (the broker shares this process's event loop) with a hard time limit. */
function runPython(script: string, args: string[], timeoutMs = 45_000): Promise<Summary> {
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

function checkSummary(s: Summary, what: string): void {
  const detail = `${what}: ${JSON.stringify(s).slice(0, 1500)}`;
  assert.equal(s.errors, [], detail);
  assert.is(s.produced, N, detail);
  assert.is(s.consumed, N, detail);
  assert.is(s.partitions, 3, detail);
  assert.ok(s.values_match, `values: ${detail}`);
  assert.ok(s.keys_match, `keys: ${detail}`);
  assert.ok(s.key_partition_stable, `one partition per key: ${detail}`);
  assert.ok(s.ordered, `offsets in order: ${detail}`);
}

/** What the broker stored: record count and the set of compression codecs of the batches, over all partitions. */
async function stored(topic: string): Promise<{ records: number; codecs: Set<number> }> {
  let records = 0;
  const codecs = new Set<number>();
  for (let p = 0; p < 3; p++) {
    let offset = 0;
    for (;;) {
      const part = await fetchOnce(conn, topic, p, offset);
      assert.is(part.errorCode, 0);
      const batches = splitBatches(part.records);
      for (const b of batches) {
        codecs.add(compression(b, 0));
        records += recordCount(b, 0);
        offset = Number(b.readBigInt64BE(0)) + recordCount(b, 0);
      }
      if (batches.length === 0 || offset >= part.highWatermark) break;
    }
  }
  return { records, codecs };
}

test('kafka-python 2.0.2: api_version auto-detection, produce with acks=all, consume with assign()', async () => {
  const topic = 'kafka-python';
  const s = await runPython('kafka_python_roundtrip.py', [tb.bootstrap, topic, String(N), '35']);
  checkSummary(s, 'kafka-python');
  // The version probe must infer a broker new enough for record batch v2 (magic 2 needs ≥ 0.11).
  const v = s.api_version as number[];
  assert.ok(v[0]! > 0 || v[1]! >= 11, `inferred api_version ${v}`);
  assert.ok(s.offsets_contiguous, 'acknowledged offsets are contiguous per partition');
  const st = await stored(topic);
  assert.is(st.records, N);
});

const CODEC_ID: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`confluent-kafka 1.7 (librdkafka 2.0.2), compression ${codec}: produce acks=all, consume with assign()`, async () => {
    const topic = `confluent-${codec}`;
    await waitForTopics(conn, [topic]);
    const s = await runPython('confluent_kafka_roundtrip.py', [tb.bootstrap, topic, String(N), codec, '35']);
    checkSummary(s, `confluent-kafka ${codec}`);
    const st = await stored(topic);
    assert.is(st.records, N);
    const findCoordinator = conn.brokerVersions.get(10);
    if (codec === 'lz4' && !(findCoordinator && findCoordinator.min === 0)) {
      // librdkafka 2.0.2 enables LZ4 only when FindCoordinator v0 is advertised (protocol.md §1.3);
      // without it LZ4 batches go out uncompressed. Either way they are stored as sent.
      for (const c of st.codecs) assert.ok(c === 0 || c === 3, `lz4 topic holds codec ${c}`);
    } else {
      // Stored as sent: librdkafka compressed every batch (gzip/snappy/lz4 need Produce v0 advertised).
      assert.equal([...st.codecs], [CODEC_ID[codec]], `batches stored as sent (codec ${codec}): found codecs ${[...st.codecs]}`);
    }
  });
}

test('kafka-python 2.0.2: describe / create / delete ACLs answer SECURITY_DISABLED (no authorizer), as Kafka does', async () => {
  const r = await runPython('acls_kafka_python.py', [tb.bootstrap]) as unknown as { describe: string; create: string[]; create_succeeded: number; delete: string[] };
  assert.equal(r, { describe: 'SecurityDisabledError', create: ['SecurityDisabledError'], create_succeeded: 0, delete: ['SecurityDisabledError'] });
});

test.run();
