import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import snappy from 'snappy';
import zstd from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import {
  COMPRESSION_NAMES, CompressionError, CompressionType, compress, compressionName, compressionTypeFromName,
  compressionTypeOfAttributes, decompress, isXerialSnappy,
} from '../../../src/compression/codec.js';
import { randomBytes, recordBytes } from './data.js';

const MiB = 1024 * 1024;
const ALL = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function throwsCompression(fn: () => unknown, re: RegExp, unsupported = false): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, CompressionError);
    assert.match((err as Error).message, re);
    assert.is((err as CompressionError).unsupported, unsupported);
    return;
  }
  assert.unreachable(`expected a CompressionError matching ${re}`);
}

test('names and ids follow Kafka (attributes bits 0-2)', () => {
  assert.equal(COMPRESSION_NAMES, { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' });
  for (const t of ALL) assert.is(compressionTypeFromName(compressionName(t)!), t);
  assert.is(compressionTypeFromName('brotli'), undefined);
  assert.is(compressionName(5), undefined);
  assert.is(compressionTypeOfAttributes(0b0001_0011), CompressionType.Lz4); // transactional bit + lz4
});

test('round trips for every codec: empty, small, 1 MiB of records, incompressible', () => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['small', Buffer.from('{"k":"v"}')],
    ['1 MiB records', recordBytes(MiB, 3)],
    ['incompressible 300 KB', randomBytes(300_000, 4)],
  ];
  for (const t of ALL) {
    for (const [name, input] of inputs) {
      const packed = compress(t, input);
      if (t !== CompressionType.None && name === '1 MiB records') assert.ok(packed.length < input.length / 2, `${compressionName(t)} compresses records`);
      assert.ok(decompress(t, packed).equals(input), `${compressionName(t)} ${name}`);
    }
  }
  // Uint8Array (not Buffer) inputs and subarray views work too.
  const view = new Uint8Array(recordBytes(50_000, 5)).subarray(7, 40_007);
  for (const t of ALL) assert.ok(decompress(t, compress(t, view)).equals(view), `${compressionName(t)} view`);
});

test('levels are honoured for gzip and zstd', () => {
  const input = recordBytes(500_000, 6);
  assert.ok(compress(CompressionType.Gzip, input, { level: 9 }).length < compress(CompressionType.Gzip, input, { level: 1 }).length);
  assert.ok(compress(CompressionType.Zstd, input, { level: 19 }).length < compress(CompressionType.Zstd, input, { level: 1 }).length);
});

// ------------------------------------------------------------------ snappy --

/** A snappy-java (xerial) stream built by hand: header, then [u32 BE length][raw snappy] per 32 KiB chunk. */
function xerialByHand(input: Buffer, chunkBytes = 32 * 1024): Buffer {
  const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
  for (let off = 0; off < input.length; off += chunkBytes) {
    const blk = snappy.compressSync(input.subarray(off, off + chunkBytes));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(blk.length);
    parts.push(len, blk);
  }
  return Buffer.concat(parts);
}

test('snappy: decodes xerial (Java producer) and raw (librdkafka, kafkajs-snappy) payloads', () => {
  const input = recordBytes(200_000, 7);
  const xerial = xerialByHand(input);
  assert.ok(isXerialSnappy(xerial));
  assert.ok(decompress(CompressionType.Snappy, xerial).equals(input));
  const raw = snappy.compressSync(input);
  assert.not.ok(isXerialSnappy(raw));
  assert.ok(decompress(CompressionType.Snappy, raw).equals(input));
  // Java's SnappyOutputStream with a non-default block size still decodes.
  assert.ok(decompress(CompressionType.Snappy, xerialByHand(input, 8000)).equals(input));
});

test('snappy: writes raw by default, xerial on request (Java framing, 32 KiB chunks)', () => {
  const input = recordBytes(100_000, 8);
  const raw = compress(CompressionType.Snappy, input);
  assert.ok((snappy.uncompressSync(raw, { asBuffer: true }) as Buffer).equals(input), 'raw snappy readable by plain snappy');
  const xerial = compress(CompressionType.Snappy, input, { snappyFraming: 'xerial' });
  assert.ok(xerial.equals(xerialByHand(input)), 'xerial bytes as the Java producer lays them out');
  assert.ok(decompress(CompressionType.Snappy, xerial).equals(input));
  // Empty input still yields a stream librdkafka recognises as xerial (longer than header + 4).
  const empty = compress(CompressionType.Snappy, Buffer.alloc(0), { snappyFraming: 'xerial' });
  assert.ok(empty.length > 20);
  assert.is(decompress(CompressionType.Snappy, empty).length, 0);
});

test('snappy: corrupt and truncated input is rejected', () => {
  const input = recordBytes(100_000, 9);
  throwsCompression(() => decompress(CompressionType.Snappy, Buffer.from('definitely not snappy data')), /snappy decompress failed/);
  const xerial = xerialByHand(input);
  throwsCompression(() => decompress(CompressionType.Snappy, xerial.subarray(0, xerial.length - 10)), /runs past the end/);
  throwsCompression(() => decompress(CompressionType.Snappy, compress(CompressionType.Snappy, input), { maxOutputBytes: 1000 }), /over maxOutputBytes/);
});

// -------------------------------------------------------------------- zstd --

test('zstd: frames without a content size (librdkafka streaming) decode, including very compressible ones', () => {
  const c = new zstd.Compressor();
  c.setParameters({ contentSizeFlag: false, compressionLevel: 3 });
  for (const input of [Buffer.alloc(0), recordBytes(300_000, 10), Buffer.alloc(20 * MiB, 0x61), randomBytes(200_000, 11)]) {
    const frame = c.compress(input);
    assert.is(zstdBinding.getFrameContentSize(frame), null);
    assert.ok(decompress(CompressionType.Zstd, frame).equals(input), `${input.length} bytes`);
  }
});

test('zstd: concatenated frames decode as one payload', () => {
  const a = recordBytes(100_000, 12);
  const b = recordBytes(50_000, 13);
  const both = Buffer.concat([compress(CompressionType.Zstd, a), compress(CompressionType.Zstd, b)]);
  assert.ok(decompress(CompressionType.Zstd, both).equals(Buffer.concat([a, b])));
});

test('zstd: a stream written by the zstd CLI from a pipe (no content size) decodes', () => {
  if (spawnSync('zstd', ['--version']).status !== 0) {
    process.stdout.write('SKIP: zstd CLI not installed: CLI-written stream not checked\n');
    return;
  }
  const input = recordBytes(2 * MiB, 14);
  const r = spawnSync('zstd', ['-c', '-q', '-'], { input, maxBuffer: 64 << 20 });
  assert.is(r.status, 0);
  assert.is(zstdBinding.getFrameContentSize(r.stdout), null);
  assert.ok(decompress(CompressionType.Zstd, r.stdout).equals(input));
});

test('zstd: corrupt, truncated and oversized input is rejected', () => {
  const input = recordBytes(300_000, 15);
  const frame = compress(CompressionType.Zstd, input);
  throwsCompression(() => decompress(CompressionType.Zstd, Buffer.from('not a zstd frame at all')), /zstd decompress failed/);
  throwsCompression(() => decompress(CompressionType.Zstd, frame.subarray(0, frame.length - 20)), /zstd decompress failed/);
  throwsCompression(() => decompress(CompressionType.Zstd, frame, { maxOutputBytes: 1000 }), /maxOutputBytes/);
  const c = new zstd.Compressor();
  c.setParameters({ contentSizeFlag: false });
  throwsCompression(() => decompress(CompressionType.Zstd, c.compress(input), { maxOutputBytes: 100_000 }), /maxOutputBytes/);
  assert.is(decompress(CompressionType.Zstd, c.compress(input), { maxOutputBytes: 300_000 }).length, 300_000);
});

// -------------------------------------------------------------------- gzip --

test('gzip: multi-member streams decode; corrupt and oversized input is rejected', () => {
  const a = recordBytes(10_000, 16);
  const b = recordBytes(20_000, 17);
  assert.ok(decompress(CompressionType.Gzip, Buffer.concat([gzipSync(a), gzipSync(b)])).equals(Buffer.concat([a, b])));
  throwsCompression(() => decompress(CompressionType.Gzip, Buffer.from('not gzip')), /gzip decompress failed/);
  throwsCompression(() => decompress(CompressionType.Gzip, compress(CompressionType.Gzip, a), { maxOutputBytes: 1000 }), /gzip decompress failed/);
});

// --------------------------------------------------------------------- lz4 --

test('lz4: corrupt input is a CompressionError naming the cause', () => {
  throwsCompression(() => decompress(CompressionType.Lz4, Buffer.from('no frame here')), /lz4 decompress failed: LZ4 frame: bad magic/);
});

test('codec ids 5-7 are unsupported (UNSUPPORTED_COMPRESSION_TYPE), not corrupt', () => {
  for (const t of [5, 6, 7]) {
    throwsCompression(() => decompress(t as CompressionType, Buffer.from('x')), /unsupported compression type/, true);
    throwsCompression(() => compress(t as CompressionType, Buffer.from('x')), /unsupported compression type/, true);
  }
});

test.run();
