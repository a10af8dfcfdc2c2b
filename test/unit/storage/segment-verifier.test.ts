/** The background CRC pre-scan and the recovery that trusts it. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/broker.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { segmentsToVerify, verifySegmentFile } from '../../../src/storage/segment-verifier.js';
import { verifyPartitionsInParallel } from '../../../src/shard/recovery-pool.js';
import { buildBatch } from '../../../src/protocol/record-batch/index.js';

const config = { ...DEFAULT_LOG_CONFIG, flush: { kind: 'os' as const } };

async function writeLog(dir: string, batches: number): Promise<string> {
  const log = await PartitionLog.open(dir, config);
  for (let i = 0; i < batches; i++) log.append(buildBatch(Array.from({ length: 50 }, (_, j) => ({ value: `v-${i}-${j}` }))), Date.now());
  // Neither flush nor close: as after a kill -9, the recovery point stays at 0.
  return join(dir, `${'0'.repeat(20)}.log`);
}

test('verifies a whole intact segment and stops at a corrupt batch', async () => {
  const dir = tempDir();
  try {
    const path = await writeLog(dir, 40);
    const size = readFileSync(path).length;
    assert.is(verifySegmentFile(path), size);
    const bytes = readFileSync(path);
    const corruptAt = Math.floor(size / 2);
    bytes[corruptAt] = bytes[corruptAt]! ^ 0xff;
    writeFileSync(path, bytes);
    const verified = verifySegmentFile(path);
    assert.ok(verified < size && verified <= corruptAt, `stops before the corrupt byte (${verified} ≤ ${corruptAt})`);
    assert.ok(verified > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('segmentsToVerify lists segments from the recovery point on', async () => {
  const dir = tempDir();
  try {
    await writeLog(dir, 5);
    const segs = segmentsToVerify(dir);
    assert.is(segs.length, 1);
    assert.is(segs[0]!.baseOffset, 0);
    assert.ok(segs[0]!.bytes > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pool-verified recovery truncates at the same place as a plain recovery', async () => {
  const dirs = [tempDir(), tempDir()];
  try {
    for (const d of dirs) {
      const path = await writeLog(d, 60);
      const bytes = readFileSync(path);
      bytes[Math.floor(bytes.length * 0.7)] ^= 0x55;
      writeFileSync(path, bytes);
    }
    const hints = await verifyPartitionsInParallel([dirs[0]!], 0);
    assert.ok(hints.get(dirs[0]!)?.verifiedBytes?.get(0) !== undefined, 'the pool verified the segment');
    const withPool = await PartitionLog.open(dirs[0]!, config, Date.now(), hints.get(dirs[0]!));
    const plain = await PartitionLog.open(dirs[1]!, config);
    assert.is(withPool.logEndOffset, plain.logEndOffset);
    assert.ok(withPool.logEndOffset > 0 && withPool.logEndOffset < 60 * 50);
    await withPool.close();
    await plain.close();
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test.run();
