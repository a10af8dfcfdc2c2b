/** After a kill -9, the broker's parallel pre-scan (piscina) verifies unflushed segments and recovery keeps every acknowledged record. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { spawnBroker, tempDir } from '../../helpers/broker.js';
import { connect, ensureTopic, produce, readAll } from '../../helpers/produce.js';

test('restart after kill -9 recovers through the pool with no acknowledged record lost', async () => {
  const dir = tempDir();
  try {
    const first = await spawnBroker(['--data-dir', dir, '--num-partitions', '2', '--flush', 'os']);
    const c = await connect(first.port);
    await ensureTopic(c, 'pool');
    const acked: string[][] = [[], []];
    for (let i = 0; i < 200; i++) {
      const p = i % 2;
      const value = `v${i}`;
      const r = await produce(c, 'pool', p, [{ value }, { value: value + '-b' }], 1);
      assert.is(r.errorCode, 0);
      acked[p]!.push(value, value + '-b');
    }
    c.close();
    await first.kill('SIGKILL');

    const second = await spawnBroker(['--data-dir', dir], 20_000, { MILLRACE_RECOVERY_POOL_MIN_BYTES: '0', MILLRACE_LOG_LEVEL: 'info' });
    try {
      assert.match(second.output(), 'verified unflushed segments in parallel');
      const c2 = await connect(second.port);
      for (const p of [0, 1]) assert.equal((await readAll(c2, 'pool', p)).map((r) => r.value), acked[p]);
      c2.close();
    } finally {
      await second.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
