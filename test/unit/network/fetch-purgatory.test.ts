import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FetchPurgatory } from '../../../src/network/fetch-purgatory.js';

const within = async (p: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);

test('a parked fetch is woken by data for one of its partitions', async () => {
  const pg = new FetchPurgatory();
  const w = pg.wait(['a-0', 'b-1'], 5000);
  pg.wake('c-0');
  assert.not.ok(await within(w, 20), 'other partitions do not wake it');
  pg.wake('b-1');
  assert.ok(await within(w, 100));
  assert.is(pg.parkedCount, 0);
});

test('data that arrived between the read and the park is not slept through', async () => {
  const pg = new FetchPurgatory();
  const mark = pg.mark();
  pg.wake('a-0'); // e.g. a worker shard's DATA signal processed before the handler parks
  assert.ok(await within(pg.wait(['a-0'], 5000, mark), 20), 'returns at once');
  const later = pg.mark();
  assert.not.ok(await within(pg.wait(['a-0'], 50, later), 20), 'an older signal does not count for a newer mark');
});

test('max wait expires', async () => {
  const pg = new FetchPurgatory();
  const t = Date.now();
  await pg.wait(['x-0'], 60);
  assert.ok(Date.now() - t >= 55);
});

test.run();
