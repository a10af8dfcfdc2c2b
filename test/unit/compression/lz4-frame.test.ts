import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { compressBlock, lz4BlockDecompressedSize } from '../../../src/compression/lz4-block.js';
import {
  LZ4_PRODUCER_PRESETS, Lz4Error, decodeLz4Frame, encodeLz4Frame, lz4FrameBound, parseLz4FrameHeader, xxh32,
  type Lz4FrameEncodeOptions,
} from '../../../src/compression/lz4-frame.js';
import { randomBytes, recordBytes } from './data.js';
import { LZ4_FIXTURES, fixtureInput, haveLz4Cli, lz4Cli, readFixture } from './lz4-fixtures.js';

const KiB = 1024;
const MiB = 1024 * KiB;

// ------------------------------------------------------------------ helpers --

interface HandBlock { data: Uint8Array; stored?: boolean; checksum?: number }

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

/**
 * Builds a frame byte by byte, independently of encodeLz4Frame: descriptor,
 * HC, blocks as given (compressed with compressBlock unless stored), end mark,
 * optional content checksum.
 */
function handFrame(opts: {
  flg: number; bd: number; content: Uint8Array; blocks: number[]; storedBlocks?: number[];
  contentSize?: number; contentChecksum?: number | 'correct'; hc?: number;
}): Buffer {
  const desc = [Buffer.from([opts.flg, opts.bd])];
  if (opts.contentSize !== undefined) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(BigInt(opts.contentSize));
    desc.push(cs);
  }
  const d = Buffer.concat(desc);
  const hc = opts.hc ?? (xxh32(d) >>> 8) & 0xff;
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), d, Buffer.from([hc])];
  let off = 0;
  opts.blocks.forEach((len, i) => {
    const raw = opts.content.subarray(off, off + len);
    off += len;
    const stored = opts.storedBlocks?.includes(i) ?? false;
    const data = stored ? raw : compressBlock(raw);
    const blk: HandBlock = { data, stored };
    parts.push(u32(data.length | (blk.stored ? 0x80000000 : 0)), Buffer.from(data));
    if (opts.flg & 0x10) parts.push(u32(xxh32(data)));
  });
  assert.is(off, opts.content.length, 'handFrame: blocks must cover the content');
  parts.push(u32(0));
  if (opts.contentChecksum !== undefined) {
    parts.push(u32(opts.contentChecksum === 'correct' ? xxh32(opts.content) : opts.contentChecksum));
  }
  return Buffer.concat(parts);
}

function throwsLz4(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, Lz4Error);
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable(`expected an Lz4Error matching ${re}`);
}

const records1M = recordBytes(MiB, 1);

// --------------------------------------------------------------- round trips --

test('round trips: empty, small, 1 MiB of records, incompressible, exact block multiples', () => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['1 byte', Buffer.from([42])],
    ['small', Buffer.from('hello, kafka')],
    ['1 MiB records', records1M],
    ['incompressible 200 KB', randomBytes(200_000, 9)],
    ['exactly 64 KiB', recordBytes(64 * KiB, 2)],
    ['exactly 128 KiB', recordBytes(128 * KiB, 3)],
    ['zeros 300 KB', Buffer.alloc(300_000)],
  ];
  const settings: Array<Lz4FrameEncodeOptions> = [
    {}, ...Object.values(LZ4_PRODUCER_PRESETS),
    { blockChecksum: true, contentChecksum: true, contentSize: true },
    { blockSizeId: 6 },
  ];
  for (const [name, input] of inputs) {
    for (const o of settings) {
      const frame = encodeLz4Frame(input, o);
      assert.ok(frame.length <= lz4FrameBound(input.length, o), `${name} ${JSON.stringify(o)} within bound`);
      assert.ok(decodeLz4Frame(frame).equals(input), `${name} ${JSON.stringify(o)}`);
    }
  }
});

test('default frame header is byte-for-byte what Java and librdkafka write (04 22 4D 18 60 40 82)', () => {
  const frame = encodeLz4Frame(Buffer.from('x'));
  assert.is(frame.subarray(0, 7).toString('hex'), '04224d18604082');
  const kafkajs = encodeLz4Frame(Buffer.from('x'), LZ4_PRODUCER_PRESETS.kafkajs);
  assert.is(kafkajs.subarray(4, 6).toString('hex'), '6470');
  const platformatic = encodeLz4Frame(Buffer.from('x'), LZ4_PRODUCER_PRESETS.platformatic);
  assert.is(platformatic.subarray(4, 6).toString('hex'), '6050');
});

test('encoder: 64 KiB independent blocks; an incompressible block is stored uncompressed', () => {
  const input = randomBytes(100_000, 5);
  const frame = encodeLz4Frame(input);
  const h = parseLz4FrameHeader(frame);
  assert.is(h.blockMaxBytes, 64 * KiB);
  let p = h.headerBytes;
  const sizes: number[] = [];
  for (;;) {
    const w = frame.readUInt32LE(p);
    p += 4;
    if (w === 0) break;
    assert.ok(w & 0x80000000, 'stored flag set on random data');
    sizes.push(w & 0x7fffffff);
    p += w & 0x7fffffff;
  }
  assert.equal(sizes, [65536, 100_000 - 65536]);
  assert.is(p, frame.length); // no content checksum by default
  // Compressible data is not stored.
  const c = encodeLz4Frame(recordBytes(100_000, 5));
  assert.is(c.readUInt32LE(7) & 0x80000000, 0);
});

// ------------------------------------------------------- hand-built frames ---

test('hand-built: 4 MiB blocks with content checksum (kafkajs-lz4 settings), full block then partial', () => {
  const content = recordBytes(4 * MiB + 123_457, 21);
  const frame = handFrame({ flg: 0x64, bd: 0x70, content, blocks: [4 * MiB, 123_457], contentChecksum: 'correct' });
  assert.ok(decodeLz4Frame(frame).equals(content));
});

test('hand-built: 256 KiB blocks (platformatic settings), including a short block in the middle', () => {
  const content = recordBytes(600_000, 22);
  // The middle block is not full: the decoder's "max block size" guess is wrong there and must recover.
  const frame = handFrame({ flg: 0x60, bd: 0x50, content, blocks: [256 * KiB, 100_000, 600_000 - 256 * KiB - 100_000] });
  assert.ok(decodeLz4Frame(frame).equals(content));
});

test('hand-built: stored blocks mixed with compressed ones', () => {
  const content = Buffer.concat([recordBytes(70_000, 23), randomBytes(30_000, 24), recordBytes(5_000, 25)]);
  const frame = handFrame({ flg: 0x60, bd: 0x40, content, blocks: [65536, 34464, 5000], storedBlocks: [1, 2] });
  assert.ok(decodeLz4Frame(frame).equals(content));
});

test('hand-built: block checksums and content size are verified', () => {
  const content = recordBytes(150_000, 26);
  const frame = handFrame({ flg: 0x7c, bd: 0x40, content, blocks: [65536, 65536, 150_000 - 131072], contentSize: content.length, contentChecksum: 'correct' });
  const h = parseLz4FrameHeader(frame);
  assert.is(h.contentSize, content.length);
  assert.ok(h.blockChecksum && h.contentChecksum);
  assert.ok(decodeLz4Frame(frame).equals(content));

  // Flip a byte inside the first block's data: the block checksum catches it.
  const bad = Buffer.from(frame);
  bad[h.headerBytes + 4 + 10]! ^= 0xff;
  throwsLz4(() => decodeLz4Frame(bad), /block 0 checksum mismatch/);

  // Wrong declared content size.
  const wrongSize = handFrame({ flg: 0x68, bd: 0x40, content, blocks: [65536, 65536, 150_000 - 131072], contentSize: content.length - 1 });
  throwsLz4(() => decodeLz4Frame(wrongSize), /content size|more than the maximum/);
  const shortSize = handFrame({ flg: 0x68, bd: 0x40, content, blocks: [65536, 65536, 150_000 - 131072], contentSize: content.length + 1 });
  throwsLz4(() => decodeLz4Frame(shortSize), /content size mismatch/);
});

test('concatenated frames and skippable frames decode as one stream', () => {
  const a = recordBytes(70_000, 30);
  const b = Buffer.from('second frame');
  const skippable = Buffer.concat([u32(0x184d2a53), u32(5), Buffer.from('skip!')]);
  const out = decodeLz4Frame(Buffer.concat([encodeLz4Frame(a), skippable, encodeLz4Frame(b, { contentChecksum: true })]));
  assert.ok(out.equals(Buffer.concat([a, b])));
});

// --------------------------------------------------------------- rejection ---

test('rejects bad magic, legacy format, bad header checksum, bad content checksum, with clear errors', () => {
  const content = recordBytes(10_000, 40);
  const good = encodeLz4Frame(content, { contentChecksum: true });

  const badMagic = Buffer.from(good);
  badMagic[0] = 0x05;
  throwsLz4(() => decodeLz4Frame(badMagic), /bad magic 0x184d2205/);
  throwsLz4(() => decodeLz4Frame(Buffer.from([0x02, 0x21, 0x4c, 0x18, 1, 2, 3, 4])), /legacy LZ4 format/);

  const badHc = Buffer.from(good);
  badHc[6]! ^= 0x01;
  throwsLz4(() => decodeLz4Frame(badHc), /header checksum mismatch/);

  const badContent = Buffer.from(good);
  badContent[badContent.length - 1]! ^= 0x80;
  throwsLz4(() => decodeLz4Frame(badContent), /content checksum mismatch/);

  throwsLz4(() => decodeLz4Frame(Buffer.alloc(0)), /truncated header/);
  throwsLz4(() => decodeLz4Frame(good.subarray(0, good.length - 6)), /truncated/);
  throwsLz4(() => decodeLz4Frame(good.subarray(0, 20)), /truncated/);
});

test('rejects dependent blocks, reserved bits, bad version, dictionary ids, invalid block sizes', () => {
  const content = Buffer.from('abc');
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x40, bd: 0x40, content, blocks: [3] })), /dependent blocks .* not supported; Kafka requires independent blocks/);
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x62, bd: 0x40, content, blocks: [3] })), /reserved FLG bit/);
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x20, bd: 0x40, content, blocks: [3] })), /unsupported version 0/);
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x61, bd: 0x40, content, blocks: [3] })), /dictionary id/);
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x60, bd: 0x30, content, blocks: [3] })), /block max size id 3/);
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x60, bd: 0x41, content, blocks: [3] })), /reserved BD bits/);
});

test('rejects a block larger than the max block size, corrupt block data and output over maxOutputBytes', () => {
  const content = recordBytes(70_000, 41);
  // A 70,000-byte stored block in a 64 KiB frame.
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x60, bd: 0x40, content, blocks: [70_000], storedBlocks: [0] })), /over the frame's max block size 65536/);
  // A compressed block that decompresses to more than 64 KiB.
  throwsLz4(() => decodeLz4Frame(handFrame({ flg: 0x60, bd: 0x40, content, blocks: [70_000] })), /more than the maximum 65536/);

  const frame = encodeLz4Frame(recordBytes(20_000, 42));
  const corrupt = Buffer.from(frame);
  for (let i = 20; i < 60; i++) corrupt[i] = 0xff;
  throwsLz4(() => decodeLz4Frame(corrupt), /block 0/);

  throwsLz4(() => decodeLz4Frame(encodeLz4Frame(records1M), { maxOutputBytes: 500_000 }), /more than the maximum|maxOutputBytes/);
  assert.is(decodeLz4Frame(encodeLz4Frame(records1M), { maxOutputBytes: MiB }).length, MiB);
});

test('legacy (Kafka 0.8 magic-v0) header checksum is accepted only when asked', () => {
  const frame = encodeLz4Frame(Buffer.from('legacy'));
  const legacy = Buffer.from(frame);
  legacy[6] = (xxh32(frame.subarray(0, 6)) >>> 8) & 0xff; // HC over magic + descriptor
  throwsLz4(() => decodeLz4Frame(legacy), /header checksum mismatch/);
  assert.is(decodeLz4Frame(legacy, { acceptLegacyHeaderChecksum: true }).toString(), 'legacy');
});

test('lz4BlockDecompressedSize agrees with the data and rejects malformed blocks', () => {
  for (const n of [0, 1, 15, 16, 300, 65536]) {
    const raw = recordBytes(n, n + 1);
    const blk = compressBlock(raw);
    assert.is(lz4BlockDecompressedSize(blk, 0, blk.length), n);
    // A block ends with at least 5 literals (n >= 13), so dropping its last byte leaves a literal run past the end.
    if (n >= 13) assert.is(lz4BlockDecompressedSize(blk, 0, blk.length - 1), -1);
  }
  // Offset 0 and offset before the start of the output are invalid.
  assert.is(lz4BlockDecompressedSize(Uint8Array.from([0x10, 0x61, 0x00, 0x00, 0x00]), 0, 5), -1);
  assert.is(lz4BlockDecompressedSize(Uint8Array.from([0x10, 0x61, 0x05, 0x00, 0x00]), 0, 5), -1);
  // Literal length that runs past the end.
  assert.is(lz4BlockDecompressedSize(Uint8Array.from([0xf0, 0xff]), 0, 2), -1);
});

// ---------------------------------------------- reference lz4 CLI fixtures ---

test('fixtures written by the lz4 CLI decode to their inputs (or are rejected as documented)', () => {
  for (const f of LZ4_FIXTURES) {
    const frame = readFixture(f.file);
    if (f.rejects) {
      throwsLz4(() => decodeLz4Frame(frame), f.rejects);
      continue;
    }
    assert.is(frame[4], f.flg, `${f.file} FLG`);
    assert.is(frame[5], f.bd, `${f.file} BD`);
    assert.ok(decodeLz4Frame(frame).equals(fixtureInput(f.input)), f.file);
  }
});

const cli = haveLz4Cli();
if (!cli) {
  process.stdout.write('SKIP: lz4 CLI not installed (apt-get install -y lz4): the cross-checks against the reference implementation did not run\n');
}

test('the lz4 CLI decodes our frames, for every producer preset and option', () => {
  if (!cli) return;
  const inputs = [Buffer.alloc(0), Buffer.from('tiny'), recordBytes(300_000, 50), randomBytes(70_000, 51)];
  const settings: Lz4FrameEncodeOptions[] = [
    {}, ...Object.values(LZ4_PRODUCER_PRESETS), { blockChecksum: true, contentChecksum: true, contentSize: true }, { blockSizeId: 6 },
  ];
  for (const input of inputs) {
    for (const o of settings) {
      const frame = encodeLz4Frame(input, o);
      const r = spawnSync('lz4', ['-d', '-c'], { input: frame, maxBuffer: 64 << 20 });
      assert.is(r.status, 0, `lz4 -d failed on ${JSON.stringify(o)}: ${r.stderr}`);
      assert.ok(r.stdout.equals(input), `lz4 -d output differs for ${input.length} bytes ${JSON.stringify(o)}`);
    }
  }
});

test('we decode what the lz4 CLI writes now, at every block size and option', () => {
  if (!cli) return;
  const input = Buffer.concat([recordBytes(200_000, 60), randomBytes(50_000, 61)]);
  for (const args of [['-B4'], ['-B5'], ['-B6'], ['-B7'], ['-B4', '-BX'], ['-B4', '--no-frame-crc'], ['-B4', '--content-size'], ['-9', '-B5'], ['--fast=3', '-B4']]) {
    assert.ok(decodeLz4Frame(lz4Cli(['-BI', ...args], input)).equals(input), args.join(' '));
  }
});

test.run();
