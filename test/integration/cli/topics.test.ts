/**
 * `millrace topics` end to end: the CLI runs as a child process against a
 * broker this test starts, over the Kafka protocol only. Bad input gives one
 * error line naming the Kafka error, a non-zero exit, and changes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { cli, type CliResult } from '../../helpers/cli.js';

let tb: TestBroker;
let B: string[];

test.before(async () => {
  tb = await startTestBroker({ shards: 2, numPartitions: 2 });
  B = ['--bootstrap', tb.bootstrap];
});
test.after(async () => { await tb?.close(); });

/** Exactly one line on stderr, starting with the Kafka error name. */
function assertOneLineError(r: CliResult, code: number, kafkaError: string): void {
  assert.is(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^error millrace [a-z ]+: ${kafkaError}`));
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
}

async function topicNames(): Promise<string[]> {
  const r = await cli(['topics', 'list', '--json', ...B]);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { topics: { name: string }[] }).topics.map((t) => t.name);
}

async function describeJson(topic: string): Promise<{ partitions: { partition: number; logStartOffset: number; logEndOffset: number; leader: number; sizeBytes: number | null }[]; configs: { name: string; value: string | null; source: string }[]; sizeBytes: number | null }> {
  const r = await cli(['topics', 'describe', topic, '--json', ...B]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('create, list (table and --json), describe', async () => {
  const c = await cli(['topics', 'create', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', '--config', 'segment.bytes=1048576', ...B]);
  assert.is(c.code, 0, c.stderr);
  assert.is(c.stdout, 'created topic orders (3 partitions, replication factor 1)\n');

  const l = await cli(['topics', 'list', ...B]);
  assert.is(l.code, 0, l.stderr);
  assert.match(l.stdout, /^TOPIC\s+PARTITIONS\s+REPLICATION\s+INTERNAL\n/);
  assert.match(l.stdout, /\norders\s+3\s+1\n/);
  const lj = JSON.parse((await cli(['topics', 'list', '--json', ...B])).stdout) as { topics: { name: string; partitions: number; topicId: string }[] };
  const orders = lj.topics.find((t) => t.name === 'orders')!;
  assert.is(orders.partitions, 3);
  assert.match(orders.topicId, /^[0-9a-f]{32}$/);

  const p = await cli(['produce', 'orders', '--partition', '1', ...B], { input: 'a\nb\nc\n' });
  assert.is(p.code, 0, p.stderr);
  const d = await describeJson('orders');
  assert.equal(d.partitions.map((x) => [x.partition, x.logStartOffset, x.logEndOffset, x.leader]), [[0, 0, 0, 0], [1, 0, 3, 0], [2, 0, 0, 0]]);
  // Sizes from DescribeLogDirs: partition 1 holds the three records, the others nothing.
  assert.equal(d.partitions.map((x) => x.sizeBytes === 0), [true, false, true]);
  assert.ok(d.partitions[1]!.sizeBytes! > 61, `a batch is more than its 61-byte header (${d.partitions[1]!.sizeBytes})`);
  assert.is(d.sizeBytes, d.partitions[1]!.sizeBytes);
  const overrides = d.configs.filter((e) => e.source === 'topic').map((e) => `${e.name}=${e.value}`).sort();
  assert.equal(overrides, ['retention.ms=3600000', 'segment.bytes=1048576']);

  const text = await cli(['topics', 'describe', 'orders', ...B]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+START\s+END\s+SIZE/);
  assert.match(text.stdout, new RegExp(`\\n1\\s+0\\s+0\\s+0\\s+0\\s+3\\s+${d.sizeBytes}\\n`));
  assert.match(text.stdout, `size on disk ${d.sizeBytes} bytes`);
  assert.match(text.stdout, /retention\.ms\s+3600000\s+topic/);
});

test('create: an existing topic is TOPIC_ALREADY_EXISTS unless --if-not-exists', async () => {
  await cli(['topics', 'create', 'dup', ...B]);
  assertOneLineError(await cli(['topics', 'create', 'dup', ...B]), 1, 'TOPIC_ALREADY_EXISTS');
  const again = await cli(['topics', 'create', 'dup', '--if-not-exists', '--json', ...B]);
  assert.is(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout), { topic: 'dup', created: false, reason: 'exists' });
});

test('create: a bad config key is INVALID_CONFIG and creates nothing', async () => {
  const r = await cli(['topics', 'create', 'badcfg', '--config', 'retention.msec=5', ...B]);
  assertOneLineError(r, 1, 'INVALID_CONFIG');
  assert.match(r.stderr, 'retention.msec');
  assert.not.ok((await topicNames()).includes('badcfg'));
  const v = await cli(['topics', 'create', 'badcfg', '--config', 'retention.ms=abc', ...B]);
  assertOneLineError(v, 1, 'INVALID_CONFIG');
  assert.not.ok((await topicNames()).includes('badcfg'));
});

test('create --validate-only checks without creating', async () => {
  const r = await cli(['topics', 'create', 'dry', '--partitions', '4', '--validate-only', ...B]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'would create topic dry (4 partitions');
  assert.not.ok((await topicNames()).includes('dry'));
});

test('describe an unknown topic: UNKNOWN_TOPIC_OR_PARTITION, and it is not auto-created', async () => {
  assertOneLineError(await cli(['topics', 'describe', 'ghost', ...B]), 1, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.not.ok((await topicNames()).includes('ghost'));
});

test('alter grows partitions; shrinking is INVALID_PARTITIONS', async () => {
  await cli(['topics', 'create', 'grow', '--partitions', '2', ...B]);
  const r = await cli(['topics', 'alter', 'grow', '--partitions', '5', ...B]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'grew topic grow from 2 to 5 partitions\n');
  assert.is((await describeJson('grow')).partitions.length, 5);
  assertOneLineError(await cli(['topics', 'alter', 'grow', '--partitions', '3', ...B]), 1, 'INVALID_PARTITIONS');
  assert.is((await describeJson('grow')).partitions.length, 5);
  assertOneLineError(await cli(['topics', 'alter', 'ghost', '--partitions', '3', ...B]), 1, 'UNKNOWN_TOPIC_OR_PARTITION');
});

test('config --set/--delete change overrides; a bad key changes nothing', async () => {
  await cli(['topics', 'create', 'cfg', ...B]);
  const s = await cli(['topics', 'config', 'cfg', '--set', 'retention.ms=60000', '--set', 'max.message.bytes=2000000', ...B]);
  assert.is(s.code, 0, s.stderr);
  const overrides = async (): Promise<string[]> => (await describeJson('cfg')).configs.filter((e) => e.source === 'topic').map((e) => `${e.name}=${e.value}`).sort();
  assert.equal(await overrides(), ['max.message.bytes=2000000', 'retention.ms=60000']);
  const d = await cli(['topics', 'config', 'cfg', '--delete', 'max.message.bytes', '--json', ...B]);
  assert.is(d.code, 0, d.stderr);
  assert.equal(JSON.parse(d.stdout), { topic: 'cfg', set: {}, deleted: ['max.message.bytes'], validateOnly: false });
  assert.equal(await overrides(), ['retention.ms=60000']);

  const bad = await cli(['topics', 'config', 'cfg', '--set', 'retention.ms=1000', '--set', 'no.such.config=1', ...B]);
  assertOneLineError(bad, 1, 'INVALID_CONFIG');
  assert.equal(await overrides(), ['retention.ms=60000'], 'nothing partial: retention.ms unchanged');

  const show = await cli(['topics', 'config', 'cfg', ...B]);
  assert.is(show.code, 0, show.stderr);
  assert.match(show.stdout, /retention\.ms\s+60000\s+topic/);
  assert.match(show.stdout, /cleanup\.policy\s+delete\s+\S+/);
  assertOneLineError(await cli(['topics', 'config', 'cfg', '--set', 'a=1', '--delete', 'a', ...B]), 2, 'a is both set and deleted');
});

test('delete removes topics; unknown is UNKNOWN_TOPIC_OR_PARTITION unless --if-exists', async () => {
  await cli(['topics', 'create', 'gone1', ...B]);
  await cli(['topics', 'create', 'gone2', ...B]);
  const r = await cli(['topics', 'delete', 'gone1', 'gone2', ...B]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'deleted topic gone1\ndeleted topic gone2\n');
  const names = await topicNames();
  assert.not.ok(names.includes('gone1') || names.includes('gone2'));
  assertOneLineError(await cli(['topics', 'delete', 'gone1', ...B]), 1, 'UNKNOWN_TOPIC_OR_PARTITION');
  const ok = await cli(['topics', 'delete', 'gone1', '--if-exists', ...B]);
  assert.is(ok.code, 0, ok.stderr);
});

test('usage errors exit 2; an unreachable broker is one NETWORK_EXCEPTION line', async () => {
  const missing = await cli(['topics', 'create', ...B]);
  assert.is(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, "missing required argument 'topic'");
  assertOneLineError(await cli(['topics', 'create', 'x', '--partitions', 'many', ...B]), 2, '--partitions "many" must be an integer');
  assertOneLineError(await cli(['topics', 'create', 'x', '--config', 'novalue', ...B]), 2, '--config "novalue" is not name=value');
  const unknownFlag = await cli(['topics', 'list', '--frobnicate', ...B]);
  assert.is(unknownFlag.code, 2);
  assertOneLineError(await cli(['topics', 'list', '--bootstrap', 'nohostport']), 2, '--bootstrap "nohostport" is not host:port');

  const free = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const port = (s.address() as { port: number }).port; s.close(() => resolve(port)); });
  });
  const down = await cli(['topics', 'list', '--bootstrap', `127.0.0.1:${free}`]);
  assertOneLineError(down, 1, 'NETWORK_EXCEPTION');
  assert.match(down.stderr, 'ECONNREFUSED');
  const json = await cli(['topics', 'describe', 'ghost', '--json', ...B]);
  assert.is(json.code, 1);
  assert.equal(Object.keys(JSON.parse(json.stderr).error).sort(), ['code', 'command', 'message']);
  assert.is(JSON.parse(json.stderr).error.code, 'UNKNOWN_TOPIC_OR_PARTITION');
});

test('generated help lists every command and flag', async () => {
  const top = await cli(['--help']);
  for (const c of ['topics', 'produce', 'consume']) assert.match(top.stdout, new RegExp(`\\n  ${c}\\b`));
  const topics = await cli(['topics', '--help']);
  for (const c of ['list', 'describe', 'create', 'delete', 'alter', 'config']) assert.match(topics.stdout, new RegExp(`\\n  ${c}\\b`));
  const create = await cli(['topics', 'create', '--help']);
  assert.is(create.code, 0);
  for (const f of ['--partitions', '--replication-factor', '--config', '--if-not-exists', '--validate-only', '--bootstrap', '--json', '--timeout', '--client-id']) assert.match(create.stdout, f);
  const produce = await cli(['produce', '--help']);
  for (const f of ['--format', '--key-separator', '--partition', '--header', '--encoding', '--acks', '--compression', '--batch-bytes', '--json']) assert.match(produce.stdout, f);
  const consume = await cli(['consume', '--help']);
  for (const f of ['--group', '--from-beginning', '--offset', '--from-time', '--max', '--format', '--follow', '--idle-timeout', '--encoding', '--no-commit', '--json']) assert.match(consume.stdout, f);
});

test.run();
