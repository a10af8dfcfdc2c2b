/**
 * `millrace produce` and `millrace consume` end to end against a broker this
 * test starts: text and JSON formats, partitioning, compression, the two
 * commands piped into each other, kcat-written data read by the CLI (and
 * CLI-written data read by kcat), start positions, and bad input that must
 * leave the topic untouched.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { cli, jsonLines, shell, startCli, waitForOutput } from '../../helpers/cli.js';
import { hasKcat, kcat } from '../../helpers/kcat.js';
import { partitionForKey } from '../../../src/load/key-distribution.js';

let tb: TestBroker;
let B: string[];

interface Rec { topic: string; partition: number; offset: number; timestamp: number; key: string | null; value: string | null; headers: { key: string; value: string | null }[] }

test.before(async () => {
  tb = await startTestBroker({ shards: 2, numPartitions: 3 });
  B = ['--bootstrap', tb.bootstrap];
});
test.after(async () => { await tb?.close(); });

async function create(topic: string, partitions = 3): Promise<void> {
  const r = await cli(['topics', 'create', topic, '--partitions', String(partitions), ...B]);
  assert.is(r.code, 0, r.stderr);
}

async function endOffsets(topic: string): Promise<number[]> {
  const r = await cli(['topics', 'describe', topic, '--json', ...B]);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { partitions: { logEndOffset: number }[] }).partitions.map((p) => p.logEndOffset);
}

async function consumeAll(topic: string, extra: string[] = []): Promise<Rec[]> {
  const r = await cli(['consume', topic, '--format', 'json', '--from-beginning', ...extra, ...B]);
  assert.is(r.code, 0, r.stderr);
  return jsonLines<Rec>(r.stdout);
}

const byPartitionOffset = (a: Rec, b: Rec): number => a.partition - b.partition || a.offset - b.offset;

test('text lines with --key-separator go to the murmur2 partition of their key; consume prints them all', async () => {
  await create('text');
  const input = Array.from({ length: 30 }, (_, i) => `k${i % 7}:value ${i}`).join('\n') + '\n';
  const p = await cli(['produce', 'text', '-K', ':', '--json', ...B], { input });
  assert.is(p.code, 0, p.stderr);
  const report = JSON.parse(p.stdout) as { records: number; partitions: { partition: number; records: number; firstOffset: number; lastOffset: number }[] };
  assert.is(report.records, 30);
  assert.is(report.partitions.reduce((n, x) => n + x.records, 0), 30);
  for (const x of report.partitions) assert.is(x.lastOffset - x.firstOffset + 1, x.records);

  const got = await consumeAll('text');
  assert.is(got.length, 30);
  for (const r of got) {
    assert.is(r.partition, partitionForKey(Buffer.from(r.key!), 3), `key ${r.key} in its murmur2 partition`);
    assert.is(r.topic, 'text');
  }
  // Within a partition the input order is kept.
  for (const part of [0, 1, 2]) {
    const values = got.filter((r) => r.partition === part).sort(byPartitionOffset).map((r) => Number(r.value!.split(' ')[1]));
    assert.equal(values, [...values].sort((a, b) => a - b));
  }

  const text = await cli(['consume', 'text', '--partition', String(got[0]!.partition), '--max', '1', ...B]);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^\d+:0 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z key=k\d value \d+\n$/);
  assert.match(text.stderr, 'consumed 1 record from text');
});

test('JSON lines: key, value, headers, partition and timestamp round-trip', async () => {
  await create('json');
  const lines = [
    { key: 'a', value: 'first', headers: { trace: 't1', empty: null }, partition: 2, timestamp: 1_700_000_000_000 },
    { value: { nested: [1, 2] }, partition: 0 },
    { key: null, value: null, headers: [{ key: 'dup', value: '1' }, { key: 'dup', value: '2' }], partition: 0, timestamp: '2024-05-01T12:00:00Z' },
  ];
  const p = await cli(['produce', 'json', '--format', 'json', ...B], { input: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' });
  assert.is(p.code, 0, p.stderr);
  assert.match(p.stdout, 'wrote 3 records');
  const got = (await consumeAll('json')).sort(byPartitionOffset);
  assert.equal(got.map((r) => [r.partition, r.offset, r.key, r.value]), [[0, 0, null, '{"nested":[1,2]}'], [0, 1, null, null], [2, 0, 'a', 'first']]);
  assert.equal(got[2]!.headers, [{ key: 'trace', value: 't1' }, { key: 'empty', value: null }]);
  assert.is(got[2]!.timestamp, 1_700_000_000_000);
  assert.equal(got[1]!.headers, [{ key: 'dup', value: '1' }, { key: 'dup', value: '2' }]);
  assert.is(got[1]!.timestamp, Date.parse('2024-05-01T12:00:00Z'));
});

test('a malformed JSON line fails the whole input: exit 2, the line named, nothing written', async () => {
  await create('strict');
  const input = '{"value":"ok 1"}\n{"value":"ok 2"}\n{"value": oops}\n{"value":"ok 4"}\n';
  const r = await cli(['produce', 'strict', '--format', 'json', ...B], { input });
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^error millrace produce: line 3: not valid JSON .*nothing was written\n$/);
  assert.equal(await endOffsets('strict'), [0, 0, 0]);

  const typo = await cli(['produce', 'strict', '--format', 'json', ...B], { input: '{"value":"a"}\n{"valeu":"b"}\n' });
  assert.is(typo.code, 2);
  assert.match(typo.stderr, 'line 2: unknown field "valeu"');
  const part = await cli(['produce', 'strict', '--format', 'json', ...B], { input: '{"value":"a"}\n{"value":"b","partition":7}\n' });
  assert.is(part.code, 2);
  assert.match(part.stderr, 'line 2: partition 7 does not exist');
  const sep = await cli(['produce', 'strict', '-K', '\t', ...B], { input: 'k\tv\nno separator\n' });
  assert.is(sep.code, 2);
  assert.match(sep.stderr, 'line 2: no key separator');
  const b64 = await cli(['produce', 'strict', '--format', 'json', '--encoding', 'base64', ...B], { input: '{"value":"aGk="}\n{"value":"not base64!"}\n' });
  assert.is(b64.code, 2);
  assert.match(b64.stderr, 'line 2: "value" is not valid base64');
  assert.equal(await endOffsets('strict'), [0, 0, 0], 'still nothing written');
});

test('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION for produce and consume, and is not auto-created', async () => {
  const p = await cli(['produce', 'nosuch', ...B], { input: 'x\n' });
  assert.is(p.code, 1);
  assert.match(p.stderr, /^error millrace produce: UNKNOWN_TOPIC_OR_PARTITION: topic 'nosuch' does not exist; .*millrace topics create/);
  const c = await cli(['consume', 'nosuch', ...B]);
  assert.is(c.code, 1);
  assert.match(c.stderr, 'UNKNOWN_TOPIC_OR_PARTITION');
  const l = await cli(['topics', 'list', '--json', ...B]);
  assert.not.ok(l.stdout.includes('"nosuch"'));
});

test('a record over the topic\'s max.message.bytes is refused before anything is written', async () => {
  const r0 = await cli(['topics', 'create', 'small', '--partitions', '1', '--config', 'max.message.bytes=2000', ...B]);
  assert.is(r0.code, 0, r0.stderr);
  const r = await cli(['produce', 'small', ...B], { input: `fine\n${'x'.repeat(5000)}\n` });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, "line 2: the record is");
  assert.match(r.stderr, "max.message.bytes 2000");
  assert.equal(await endOffsets('small'), [0]);
});

test('millrace consume | millrace produce: a topic copied through a pipe, headers and keys intact', async () => {
  await create('pipe-src');
  await create('pipe-dst');
  const input = Array.from({ length: 200 }, (_, i) => JSON.stringify({ key: `k${i % 13}`, value: `v${i}`, headers: { n: String(i) } })).join('\n');
  const p = await cli(['produce', 'pipe-src', '--format', 'json', '--compression', 'lz4', ...B], { input });
  assert.is(p.code, 0, p.stderr);
  const bs = tb.bootstrap;
  const r = await shell(`millrace consume pipe-src --from-beginning --max 200 --format json -q --bootstrap ${bs} | millrace produce pipe-dst --format json --compression gzip --bootstrap ${bs}`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'wrote 200 records');
  const src = (await consumeAll('pipe-src')).sort(byPartitionOffset);
  const dst = (await consumeAll('pipe-dst')).sort(byPartitionOffset);
  const strip = (x: Rec): unknown => [x.partition, x.offset, x.key, x.value, x.headers, x.timestamp];
  assert.equal(dst.map(strip), src.map(strip));
});

test('produce | consume --follow --max N: the consumer waits for records written after it started', async () => {
  await create('follow', 1);
  const child = startCli(['consume', 'follow', '--follow', '--max', '5', '--format', 'json', '-q', ...B]);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  await new Promise((r) => setTimeout(r, 1000));
  const p = await shell(`seq 1 8 | millrace produce follow --bootstrap ${tb.bootstrap}`);
  assert.is(p.code, 0, p.stderr);
  assert.is(await exited, 0);
  assert.equal(jsonLines<Rec>(out).map((r) => r.value), ['1', '2', '3', '4', '5']);
});

test('start positions: --offset, negative --offset, --from-time, --partition', async () => {
  await create('pos', 1);
  const t0 = Date.now();
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ value: `r${i}`, timestamp: t0 + i * 1000 })).join('\n');
  assert.is((await cli(['produce', 'pos', '--format', 'json', ...B], { input: lines })).code, 0);
  const values = async (args: string[]): Promise<string[]> => {
    const r = await cli(['consume', 'pos', '--format', 'json', ...args, ...B]);
    assert.is(r.code, 0, r.stderr);
    return jsonLines<Rec>(r.stdout).map((x) => x.value!);
  };
  assert.equal(await values(['--offset', '7']), ['r7', 'r8', 'r9']);
  assert.equal(await values(['--offset', '-2']), ['r8', 'r9']);
  assert.equal(await values(['--from-time', new Date(t0 + 5500).toISOString()]), ['r6', 'r7', 'r8', 'r9']);
  assert.equal(await values(['--from-beginning', '--max', '2', '--partition', '0']), ['r0', 'r1']);
  const bad = await cli(['consume', 'pos', '--offset', '99', ...B]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^error millrace consume: OFFSET_OUT_OF_RANGE: --offset 99 is outside partition 0 \(offsets 0\.\.10\)/);
  const both = await cli(['consume', 'pos', '--offset', '1', '--from-beginning', ...B]);
  assert.is(both.code, 2);
  const noPart = await cli(['consume', 'pos', '--partition', '3', ...B]);
  assert.is(noPart.code, 1);
  assert.match(noPart.stderr, 'UNKNOWN_TOPIC_OR_PARTITION: partition 3');
});

test('binary values round-trip with --encoding base64; zstd batches are decompressed', async () => {
  await create('bin', 1);
  const payloads = [Buffer.from([0, 1, 2, 255, 254]), Buffer.from('héllo'), Buffer.alloc(3000, 0xab)];
  const input = payloads.map((b) => JSON.stringify({ key: b.subarray(0, 2).toString('base64'), value: b.toString('base64') })).join('\n');
  const p = await cli(['produce', 'bin', '--format', 'json', '--encoding', 'base64', '--compression', 'zstd', ...B], { input });
  assert.is(p.code, 0, p.stderr);
  const got = await consumeAll('bin', ['--encoding', 'base64']);
  assert.equal(got.map((r) => Buffer.from(r.value!, 'base64')), payloads);
  const hex = await consumeAll('bin', ['--encoding', 'hex', '--max', '1']);
  assert.is(hex[0]!.value, '000102fffe');
});

if (hasKcat) {
  test('consume reads kcat-written data in every codec; kcat reads what produce wrote', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `kc-${codec}`;
      await create(topic);
      const input = Array.from({ length: 500 }, (_, i) => `key${i % 11}:${codec} value ${i}`).join('\n') + '\n';
      const k = await kcat(['-b', tb.bootstrap, '-P', '-t', topic, '-K', ':', '-z', codec, '-H', 'src=kcat', '-X', 'linger.ms=5'], { input });
      assert.is(k.code, 0, k.stderr);
      const got = await consumeAll(topic);
      assert.is(got.length, 500, codec);
      assert.equal(got.map((r) => `${r.key}:${r.value}`).sort(), input.trim().split('\n').sort());
      assert.ok(got.every((r) => r.headers.length === 1 && r.headers[0]!.key === 'src' && r.headers[0]!.value === 'kcat'));
    }
    await create('to-kcat');
    const mine = Array.from({ length: 300 }, (_, i) => `m${i % 5}\tline ${i}`).join('\n') + '\n';
    const p = await cli(['produce', 'to-kcat', '-K', '\t', '--compression', 'snappy', '-H', 'via=millrace', ...B], { input: mine });
    assert.is(p.code, 0, p.stderr);
    const c = await kcat(['-b', tb.bootstrap, '-C', '-t', 'to-kcat', '-o', 'beginning', '-e', '-f', '%k\t%s\t%h\\n']);
    assert.is(c.code, 0, c.stderr);
    const lines = c.stdout.toString().trim().split('\n');
    assert.equal(lines.map((l) => l.split('\t').slice(0, 2).join('\t')).sort(), mine.trim().split('\n').sort());
    assert.ok(lines.every((l) => l.endsWith('\tvia=millrace')));
  });
}

// Consumer groups last: they depend on the group coordinator (FindCoordinator, OffsetFetch, OffsetCommit).
test('--group starts at the committed offsets and commits what it printed', async () => {
  await create('grp', 2);
  assert.is((await cli(['produce', 'grp', ...B], { input: Array.from({ length: 20 }, (_, i) => `v${i}`).join('\n') })).code, 0);
  const first = await cli(['consume', 'grp', '--group', 'g1', '--max', '6', '--format', 'json', ...B]);
  assert.is(first.code, 0, first.stderr);
  const a = jsonLines<Rec>(first.stdout);
  assert.is(a.length, 6);
  const second = await cli(['consume', 'grp', '--group', 'g1', '--format', 'json', ...B]);
  assert.is(second.code, 0, second.stderr);
  const b = jsonLines<Rec>(second.stdout);
  assert.is(a.length + b.length, 20, 'the second run continues where the first stopped');
  const seen = new Set([...a, ...b].map((r) => `${r.partition}:${r.offset}`));
  assert.is(seen.size, 20, 'no record twice');
  const third = await cli(['consume', 'grp', '--group', 'g1', '--format', 'json', ...B]);
  assert.is(third.stdout, '', 'everything committed');
  const noCommit = await cli(['consume', 'grp', '--group', 'g2', '--max', '3', '--no-commit', '--format', 'json', ...B]);
  assert.is(jsonLines(noCommit.stdout).length, 3);
  const again = await cli(['consume', 'grp', '--group', 'g2', '--format', 'json', ...B]);
  assert.is(jsonLines(again.stdout).length, 20, '--no-commit left the group without offsets');
  const explicit = await cli(['consume', 'grp', '--group', 'g1', '--from-beginning', '--max', '1', '--no-commit', '--format', 'json', ...B]);
  assert.is(jsonLines<Rec>(explicit.stdout)[0]!.offset, 0, 'an explicit start position wins over the committed offset');
});

test('Ctrl-C while following exits cleanly (code 0) and commits the position', async () => {
  await create('ctrlc', 1);
  assert.is((await cli(['produce', 'ctrlc', ...B], { input: 'a\nb\nc\n' })).code, 0);
  const child = startCli(['consume', 'ctrlc', '--group', 'gc', '--follow', ...B]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitForOutput(child, /key=null c\n/);
  child.kill('SIGINT');
  assert.is(await exited, 0, stderr);
  assert.match(stderr, 'consumed 3 records from ctrlc; committed for group gc (interrupted)');
  assert.is((await cli(['produce', 'ctrlc', ...B], { input: 'd\n' })).code, 0);
  const next = await cli(['consume', 'ctrlc', '--group', 'gc', '--format', 'json', ...B]);
  assert.equal(jsonLines<Rec>(next.stdout).map((r) => r.value), ['d']);
});

test.run();
