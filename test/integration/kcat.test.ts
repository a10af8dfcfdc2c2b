/**
 * librdkafka through Debian's kcat: metadata listing, and 100,000 keyed
 * messages produced from a file and consumed back identical, for every
 * compression codec (the broker stores the batches as they came).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { hasKcat, kcat } from '../helpers/kcat.js';

let tb: TestBroker;
const COUNT = 100_000;
// kcat-inline.test.ts runs this file again with MILLRACE_TEST_SHARDS=0 (startTestBroker applies it).

test.before(async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  tb = await startTestBroker({ numPartitions: 3 });
});
test.after(async () => { await tb?.close(); });

test('kcat -L lists the broker and topics', async () => {
  await kcat(['-b', tb.bootstrap, '-P', '-t', 'listed', '-p', '0'], { input: 'hello\n' });
  const r = await kcat(['-b', tb.bootstrap, '-L']);
  const text = r.stdout.toString();
  assert.is(r.code, 0, r.stderr);
  assert.match(text, `broker 0 at 127.0.0.1:${tb.broker.port} (controller)`);
  assert.match(text, 'topic "listed" with 3 partitions');
});

function keyedLines(n: number, tag: string): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`key-${i % 997}:${tag} value ${i} ${'x'.repeat(i % 50)}`);
  return lines.join('\n') + '\n';
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`kcat produces and consumes ${COUNT} keyed messages with compression ${codec}`, async () => {
    const topic = `kcat-${codec}`;
    const input = keyedLines(COUNT, codec);
    const p = await kcat(['-b', tb.bootstrap, '-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'linger.ms=5'], { input, timeoutMs: 120_000 });
    assert.is(p.code, 0, p.stderr);
    const c = await kcat(['-b', tb.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k:%s\\n'], { timeoutMs: 120_000 });
    assert.is(c.code, 0, c.stderr);
    const got = c.stdout.toString().split('\n').filter(Boolean);
    assert.is(got.length, COUNT);
    // Partitions interleave on consume; compare as sorted multisets.
    assert.ok(got.sort().join('\n') === input.trim().split('\n').sort().join('\n'), 'consumed messages equal produced');
  });
}

test.run();
