/** Model tests: the offset and time indexes against a sorted array with linear search. */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OffsetIndex } from '../../../src/storage/offset-index.js';
import { TimeIndex } from '../../../src/storage/time-index.js';
import { removeTempDirs, rng, tempDir } from './helpers.js';

test('offset index: floor lookups match a linear search over a sorted array', () => {
  const dir = tempDir('idx');
  const base = 1_000_000;
  const idx = new OffsetIndex(join(dir, 'a.index'), base);
  idx.create();
  const rand = rng(1);
  const model: { offset: number; position: number }[] = [];
  let off = base;
  let pos = 0;
  for (let i = 0; i < 700; i++) {
    off += 1 + Math.floor(rand() * 50);
    pos += 61 + Math.floor(rand() * 5000);
    idx.append(off, pos);
    model.push({ offset: off, position: pos });
  }
  assert.is(idx.entries, 700);
  const floorModel = (o: number): number => {
    let p = 0;
    for (const e of model) if (e.offset <= o) p = e.position;
    return p;
  };
  for (let i = 0; i < 2000; i++) {
    const q = base - 10 + Math.floor(rand() * (off - base + 100));
    assert.is(idx.lookupPosition(q), floorModel(q), `lookup ${q}`);
  }
  // Exact hits, and one below / one above every entry.
  for (const e of model) {
    assert.is(idx.lookupPosition(e.offset), e.position);
    assert.is(idx.lookupPosition(e.offset - 1), floorModel(e.offset - 1));
  }
  // Appends must strictly increase.
  assert.throws(() => idx.append(off, pos + 100));
  assert.throws(() => idx.append(off + 1, pos));
  idx.closeFile();
});

test('offset index: file layout, reload, truncation, sanity check', () => {
  const dir = tempDir('idx');
  const path = join(dir, '00000000000000000100.index');
  const idx = new OffsetIndex(path, 100);
  idx.create();
  idx.append(105, 0x1234);
  idx.append(300, 0x20000);
  idx.flush();
  const bytes = fs.readFileSync(path);
  assert.equal([...bytes], [0, 0, 0, 5, 0, 0, 0x12, 0x34, 0, 0, 0, 200, 0, 2, 0, 0], 'relative offset u32 BE, position u32 BE');
  for (let i = 0; i < 300; i++) idx.append(301 + i, 0x20000 + 100 * (i + 1)); // crosses the auto-flush threshold
  idx.flush();
  idx.closeFile();

  const again = new OffsetIndex(path, 100);
  assert.is(again.load(), 'ok');
  assert.is(again.entries, 302);
  assert.is(again.lookupPosition(104), 0);
  assert.is(again.lookupPosition(299), 0x1234);
  assert.is(again.lookupPosition(10_000), 0x20000 + 100 * 300);
  assert.is(again.sanityCheck(0x20000 + 100 * 300 + 1, Infinity), null);
  assert.ok(again.sanityCheck(0x20000 + 100 * 300, Infinity), 'entry pointing at the end of the log');
  assert.ok(again.sanityCheck(1 << 30, 400), 'entry beyond the next segment');

  again.truncateToPosition(0x20000 + 1);
  assert.is(again.entries, 2);
  assert.is(fs.statSync(path).size, 16, 'truncation reaches the file');
  again.closeFile();

  fs.writeFileSync(path, Buffer.alloc(13));
  assert.is(new OffsetIndex(path, 100).load(), 'bad-size');
  fs.writeFileSync(path, Buffer.alloc(24)); // zeros: not increasing
  const zeros = new OffsetIndex(path, 100);
  assert.is(zeros.load(), 'ok');
  assert.ok(zeros.sanityCheck(1000, Infinity));
  fs.rmSync(path);
  assert.is(new OffsetIndex(path, 100).load(), 'missing');
});

test('time index: floor lookups against a model; only increasing timestamps are kept', () => {
  const dir = tempDir('tidx');
  const path = join(dir, '00000000000000000050.timeindex');
  const idx = new TimeIndex(path, 50);
  idx.create();
  const rand = rng(2);
  const model: { ts: number; offset: number }[] = [];
  let ts = 1_700_000_000_000;
  let off = 50;
  for (let i = 0; i < 500; i++) {
    off += Math.floor(rand() * 10);
    const t = ts + Math.floor(rand() * 2000) - 500; // sometimes not larger: ignored
    idx.maybeAppend(t, off);
    if (model.length === 0 || t > model[model.length - 1]!.ts) model.push({ ts: t, offset: off });
    ts = Math.max(ts, t);
  }
  assert.is(idx.entries, model.length);
  assert.is(idx.lastTimestamp, model[model.length - 1]!.ts);
  const floorModel = (t: number): number => {
    let o = 50;
    for (const e of model) if (e.ts <= t) o = e.offset;
    return o;
  };
  for (let i = 0; i < 2000; i++) {
    const q = 1_699_999_999_000 + Math.floor(rand() * (ts - 1_699_999_999_000 + 2000));
    assert.is(idx.lookupOffset(q), floorModel(q), `lookup ${q}`);
  }
  idx.flush();
  const raw = fs.readFileSync(path);
  assert.is(raw.length, model.length * 12);
  assert.is(Number(raw.readBigInt64BE(0)), model[0]!.ts, 'timestamp int64 BE');
  assert.is(raw.readUInt32BE(8), model[0]!.offset - 50, 'relative offset u32 BE');

  const again = new TimeIndex(path, 50);
  assert.is(again.load(), 'ok');
  assert.is(again.sanityCheck(Infinity), null);
  const cut = model[10]!.offset;
  again.truncateToOffset(cut);
  assert.ok(again.entries >= 10 && again.lastOffset <= cut);
  idx.closeFile();
  again.closeFile();
});

test.after(removeTempDirs);
test.run();
