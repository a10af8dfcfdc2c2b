import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProducerIdManager, PRODUCER_IDS_FILE } from '../../../src/coordinator/producer-id-manager.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'millrace-pid-'));
  dirs.push(d);
  return d;
}
test.after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function allocateN(m: ProducerIdManager, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await m.allocate());
  return out;
}

test('a fresh data dir hands out consecutive ids from 0 and records the reserved block', async () => {
  const dir = await tempDir();
  const m = await ProducerIdManager.open(dir, { blockSize: 10 });
  assert.equal(await allocateN(m, 4), [0, 1, 2, 3]);
  assert.match(await readFile(join(dir, PRODUCER_IDS_FILE), 'utf8'), /^version: 1\nnext_block_start: 10\n$/);
  await m.close();
});

test('ids are not reused after a reopen, with or without close', async () => {
  const dir = await tempDir();
  const seen = new Set<number>();
  let max = -1;
  for (let round = 0; round < 5; round++) {
    const m = await ProducerIdManager.open(dir, { blockSize: 7 });
    for (const id of await allocateN(m, round * 3 + 1)) {
      assert.not.ok(seen.has(id), `id ${id} reused in round ${round}`);
      assert.ok(id > max, `id ${id} should exceed every earlier id (${max})`);
      seen.add(id);
      max = id;
    }
    if (round % 2 === 0) await m.close(); // odd rounds: dropped as if the process died
  }
});

test('a reopen starts at the next block: a partly used block is skipped', async () => {
  const dir = await tempDir();
  const a = await ProducerIdManager.open(dir, { blockSize: 100 });
  assert.equal(await allocateN(a, 3), [0, 1, 2]);
  const b = await ProducerIdManager.open(dir, { blockSize: 100 });
  assert.is(await b.allocate(), 100);
});

test('one durable write per block; concurrent allocations share it and are all distinct', async () => {
  const dir = await tempDir();
  const m = await ProducerIdManager.open(dir, { blockSize: 16 });
  const ids = await Promise.all(Array.from({ length: 200 }, () => m.allocate()));
  assert.is(new Set(ids).size, 200);
  assert.equal([...ids].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i));
  assert.match(await readFile(join(dir, PRODUCER_IDS_FILE), 'utf8'), /next_block_start: 208\n/);
});

test('a failed reservation rejects, hands out nothing, and a later call succeeds', async () => {
  const parent = await tempDir();
  const dir = join(parent, 'data');
  await mkdir(dir);
  const m = await ProducerIdManager.open(dir, { blockSize: 2 });
  assert.equal(await allocateN(m, 2), [0, 1]);
  await rm(dir, { recursive: true });
  let failed = false;
  try {
    await m.allocate();
  } catch {
    failed = true;
  }
  assert.ok(failed, 'allocate must reject when the high-water mark cannot be written');
  await mkdir(dir);
  assert.is(await m.allocate(), 2);
  assert.match(await readFile(join(dir, PRODUCER_IDS_FILE), 'utf8'), /next_block_start: 4\n/);
});

test('a damaged file refuses to open instead of restarting from 0', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, PRODUCER_IDS_FILE), 'version: 1\nnext_block_st');
  try {
    await ProducerIdManager.open(dir);
    assert.unreachable('open should fail');
  } catch (e) {
    assert.match((e as Error).message, /damaged/);
  }
  await writeFile(join(dir, PRODUCER_IDS_FILE), 'version: 9\nnext_block_start: 5\n');
  try {
    await ProducerIdManager.open(dir);
    assert.unreachable('open should fail');
  } catch (e) {
    assert.match((e as Error).message, /version 9/);
  }
});

test('a leftover temp file from an interrupted reservation is ignored and removed', async () => {
  const dir = await tempDir();
  const m = await ProducerIdManager.open(dir, { blockSize: 5 });
  await allocateN(m, 1);
  await writeFile(join(dir, `${PRODUCER_IDS_FILE}.tmp`), 'version: 1\nnext_block_start: 99999\n');
  const r = await ProducerIdManager.open(dir, { blockSize: 5 });
  assert.not.ok(existsSync(join(dir, `${PRODUCER_IDS_FILE}.tmp`)));
  assert.is(await r.allocate(), 5);
});

const child = fileURLToPath(new URL('./producer-id-child.js', import.meta.url));

function runChildAndKill(dir: string, count: number, blockSize: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(count), String(blockSize)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`child timed out: ${err}`)); }, 20_000);
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ids ([\d,]*)\n/.exec(out);
      if (m) {
        p.kill('SIGKILL');
        p.once('exit', () => { clearTimeout(timer); resolve(m[1]!.split(',').filter(Boolean).map(Number)); });
      }
    });
    p.on('error', reject);
  });
}

test('kill -9 after handing out ids: the next process never reuses them', async () => {
  const dir = await tempDir();
  const seen = new Set<number>();
  for (let round = 0; round < 3; round++) {
    const ids = await runChildAndKill(dir, 25, 10);
    assert.is(ids.length, 25);
    for (const id of ids) {
      assert.not.ok(seen.has(id), `id ${id} reused after kill -9`);
      seen.add(id);
    }
  }
  const m = await ProducerIdManager.open(dir, { blockSize: 10 });
  const next = await m.allocate();
  assert.ok(next > Math.max(...seen), `${next} must exceed ${Math.max(...seen)}`);
});

test.run();
