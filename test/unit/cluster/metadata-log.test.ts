import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import { ClusterMetadata } from '../../../src/cluster/cluster-metadata.js';
import { encodeFrame, MetadataLog, METADATA_DIR_NAME, type MetadataRecord } from '../../../src/cluster/metadata-log.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'millrace-mdlog-'));
  dirs.push(d);
  return d;
}

const rec = (i: number): MetadataRecord => ({ type: 'BrokerConfig', version: 0, scope: 'cluster', nodeId: 0, name: `k${i}`, value: String(i) });

test('append, reopen and replay batches in order', async () => {
  const dir = await tempDir();
  const { log, records } = await MetadataLog.open(dir);
  assert.equal(records, []);
  assert.is(log.nextSequence, 0);
  await log.append([rec(0), rec(1)]);
  await log.append([rec(2)]);
  assert.is(log.nextSequence, 2);
  await log.close();
  const again = await MetadataLog.open(dir);
  assert.equal(again.records, [rec(0), rec(1), rec(2)]);
  assert.is(again.log.nextSequence, 2);
  await again.log.close();
});

test('records of a newer format version are refused, not misread', async () => {
  const dir = await tempDir();
  const { log } = await MetadataLog.open(dir);
  await log.append([{ ...rec(0), version: 99 }]);
  await log.close();
  try {
    await MetadataLog.open(dir);
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /version 99/);
  }
});

test('damage in a log file that is not the last one is an error, not a silent truncation', async () => {
  const dir = await tempDir();
  const mdir = join(dir, METADATA_DIR_NAME);
  const { log } = await MetadataLog.open(dir);
  await log.append([rec(0)]);
  await log.append([rec(1)]);
  await log.close();
  const first = (await readdir(mdir)).find((f) => f.endsWith('.log'))!;
  const buf = await readFile(join(mdir, first));
  buf[buf.length - 1] ^= 0x55;
  await writeFile(join(mdir, first), buf);
  await writeFile(join(mdir, '00000000000000000002.log'), encodeFrame(2, [rec(2)]));
  try {
    await MetadataLog.open(dir);
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /not the last log file/);
  }
});

test('a gap in the sequence is an error', async () => {
  const dir = await tempDir();
  const mdir = join(dir, METADATA_DIR_NAME);
  const { log } = await MetadataLog.open(dir);
  await log.append([rec(0)]);
  await log.close();
  await writeFile(join(mdir, '00000000000000000005.log'), encodeFrame(5, [rec(5)]));
  try {
    await MetadataLog.open(dir);
    assert.unreachable('expected an error');
  } catch (e) {
    assert.match((e as Error).message, /missing/);
  }
});

test('kill -9 while creating topics: every acknowledged topic survives, state replays cleanly', async () => {
  const dir = await tempDir();
  const child = fileURLToPath(new URL('./metadata-kill-child.js', import.meta.url));
  for (let round = 0; round < 3; round++) {
    const acked: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MILLRACE_LOG_LEVEL: 'silent' } });
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.split('\n');
        out = lines.pop()!;
        acked.push(...lines);
        if (acked.length >= 15 + round * 5) p.kill('SIGKILL');
      });
      p.on('error', reject);
      p.on('close', () => resolve());
    });
    assert.ok(acked.length >= 15 + round * 5, `child stopped early in round ${round} after ${acked.length} topics`);
    const md = await ClusterMetadata.open(dir, defaultBrokerConfig({ dataDir: dir, shards: 2 }));
    const names = new Set(md.topics().map((t) => t.name));
    for (const a of acked) assert.ok(names.has(a), `acknowledged ${a} lost in round ${round}`);
    for (const t of md.topics()) {
      const i = Number(t.name.slice(1));
      assert.is(t.partitions, 1 + (i % 3));
      assert.is(t.configs.get('retention.ms'), String(1000 + i));
    }
    // The child restarts from k0 each round; existing names fail there, so clear them for the next round.
    for (const t of md.topics()) await md.deleteTopic(t.name);
    await md.close();
  }
});

test.after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test.run();
