/**
 * A broker under a low file-descriptor limit (`ulimit -n 256`, a child
 * process) serves a topic of 150 partitions: each partition holds one
 * descriptor (its active .log; index files are opened only to be written),
 * and directory fsyncs are coalesced and bounded, so creating the topic
 * does not run out either. Held open, the index files made it three per
 * partition, and creating 200 partitions under 512 descriptors left some
 * without a leader. A broker whose partitions come near its limit warns at
 * start-up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync } from 'node:fs';
import { spawnBroker, tempDir } from '../../helpers/broker.js';
import { connect, ensureTopic, produce, readAll } from '../../helpers/produce.js';
import { ErrorCode } from '../../../src/common/error-codes.js';

const PARTITIONS = 150;

test(`${PARTITIONS} partitions under a 256-descriptor limit: created, written and read back`, async () => {
  const dataDir = tempDir();
  const broker = await spawnBroker(['--data-dir', dataDir, '--num-partitions', String(PARTITIONS)], 20_000, {}, 256);
  try {
    const c = await connect(broker.port);
    assert.is(await ensureTopic(c, 'many'), PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await produce(c, 'many', p, [{ value: `v${p}` }], 1);
      assert.is(r.errorCode, ErrorCode.NONE, `partition ${p}`);
    }
    for (const p of [0, 74, PARTITIONS - 1]) assert.equal((await readAll(c, 'many', p)).map((r) => r.value), [`v${p}`]);
    const fds = readdirSync(`/proc/${broker.process.pid}/fd`).length;
    assert.ok(fds < 256, `${fds} descriptors open`);
    assert.not.match(broker.output(), /EMFILE/);
    c.close();
  } finally {
    await broker.kill();
  }
  // Restarted with that many partitions under that limit, it says the limit is low (and serves).
  const again = await spawnBroker(['--data-dir', dataDir], 20_000, { MILLRACE_LOG_LEVEL: 'warn' }, 256);
  try {
    assert.match(again.output(), 'the file descriptor limit is low for this many partitions');
    const c = await connect(again.port);
    assert.equal((await readAll(c, 'many', 7)).map((r) => r.value), ['v7']);
    c.close();
  } finally {
    await again.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
