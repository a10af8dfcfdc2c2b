/**
 * Batches larger than a ring message (half the ring) cross the thread
 * boundary too: produce in PRODUCE_PART pieces joined by the shard, in order
 * with the partition's other appends; a fetch reply that large by
 * postMessage. First against a WorkerShard with 256 KiB rings, then through
 * a broker with the default rings (16 MiB messages): librdkafka (kcat)
 * produces a 20 MB record to a topic that allows it and reads it back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { buildBatch } from '../../../src/protocol/record-batch/index.js';
import { decodeAllRecords } from '../../../src/protocol/record-batch/records.js';
import { DEFAULT_WORKER_SHARD_OPTIONS, WorkerShard } from '../../../src/shard/worker-shard.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { startTestBroker } from '../../helpers/broker.js';
import { cli } from '../../helpers/cli.js';
import { hasKcat, kcat } from '../../helpers/kcat.js';

test('a WorkerShard with 256 KiB rings appends and returns a 600 KB batch in order with small ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-large-'));
  const shard = new WorkerShard(0, { ...DEFAULT_WORKER_SHARD_OPTIONS, inboundBytes: 256 * 1024, outboundBytes: 256 * 1024, fetchSlotBytes: 64 * 1024 });
  try {
    await shard.openPartition('big-0', join(dir, 'big-0'), { ...DEFAULT_LOG_CONFIG, flush: { kind: 'os' }, maxMessageBytes: 4 << 20 });
    const big = buildBatch(Array.from({ length: 3 }, (_, i) => ({ key: `k${i}`, value: randomBytes(200_000) })));
    const small = (tag: string) => buildBatch([{ key: tag, value: Buffer.from(tag) }]);
    // Sent together, without awaiting: the pieces of the big one must not let the small ones overtake it.
    const results = await Promise.all([
      shard.produce({ key: 'big-0', records: small('a'), acks: 1 }),
      shard.produce({ key: 'big-0', records: big, acks: 1 }),
      shard.produce({ key: 'big-0', records: small('b'), acks: -1 }),
    ]);
    assert.equal(results.map((r) => [r.errorCode, r.baseOffset]), [[ErrorCode.NONE, 0], [ErrorCode.NONE, 1], [ErrorCode.NONE, 4]]);

    // Offset 1: the big batch alone is more than a ring message can carry (KIP-74 returns it anyway).
    const fetched = await shard.fetch({ key: 'big-0', fetchOffset: 1, maxBytes: 1000, minOneBatch: true });
    assert.is(fetched.errorCode, ErrorCode.NONE);
    const records = decodeAllRecords(Buffer.concat(fetched.records));
    assert.equal(records.map((r) => r.offset), [1, 2, 3]);
    assert.ok(Buffer.from(records[2]!.value!).equals(decodeAllRecords(big)[2]!.value!), 'the bytes come back as produced');
    const tail = await shard.fetch({ key: 'big-0', fetchOffset: 4, maxBytes: 1 << 20, minOneBatch: true });
    assert.equal(decodeAllRecords(Buffer.concat(tail.records)).map((r) => Buffer.from(r.value!).toString()), ['b']);
  } finally {
    await shard.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kcat produces and consumes a 20 MB record through the default engine', async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  const tb = await startTestBroker({ shards: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'millrace-large-kcat-'));
  try {
    const file = join(dir, 'value.bin');
    const value = randomBytes(20_000_000);
    writeFileSync(file, value);
    const created = await cli(['topics', 'create', 'large', '--partitions', '1', '--config', 'max.message.bytes=41943040', '--bootstrap', tb.bootstrap]);
    assert.is(created.code, 0, created.stderr);
    // kcat sends a file given as an argument as one message.
    const produced = await kcat(['-b', tb.bootstrap, '-P', '-t', 'large', '-p', '0', '-X', 'message.max.bytes=30000000', file], { timeoutMs: 60_000 });
    assert.is(produced.code, 0, produced.stderr);
    const consumed = await kcat(['-b', tb.bootstrap, '-C', '-t', 'large', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s',
      '-X', 'fetch.message.max.bytes=30000000', '-X', 'fetch.max.bytes=30000000', '-X', 'receive.message.max.bytes=40000000'], { timeoutMs: 60_000 });
    assert.is(consumed.code, 0, consumed.stderr);
    assert.is(consumed.stdout.length, value.length);
    assert.ok(consumed.stdout.equals(value), 'the record comes back byte for byte');
  } finally {
    await tb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
