/**
 * LZ4 *frame* format, the one Kafka uses for compression.type=lz4 (record
 * batch attributes codec 3). Blocks are compressed by lz4-wasm-nodejs
 * (./lz4-block.ts); checksums are xxh32 from xxhash-wasm.
 *
 * Frame layout (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md),
 * all integers little-endian:
 *
 *   magic        u32   0x184D2204 (bytes 04 22 4D 18)
 *   FLG          u8    bits 7-6 version (must be 01), 5 B.Indep, 4 B.Checksum,
 *                      3 C.Size, 2 C.Checksum, 1 reserved (0), 0 DictID
 *   BD           u8    bits 6-4 block max size: 4 = 64 KiB, 5 = 256 KiB,
 *                      6 = 1 MiB, 7 = 4 MiB; other bits reserved (0)
 *   [content size u64] if C.Size
 *   [dict id     u32]  if DictID (rejected here: Kafka never uses one)
 *   HC           u8    (xxh32(FLG .. end of descriptor, seed 0) >> 8) & 0xFF
 *   blocks:      u32 size (bit 31 set = stored uncompressed), then `size` bytes,
 *                      then [u32 xxh32 of those bytes] if B.Checksum
 *   end mark     u32   0
 *   [content checksum u32] xxh32(all decompressed bytes, seed 0) if C.Checksum
 *
 * What Kafka producers write (research/protocol.md §P6): Java and librdkafka
 * 64 KiB blocks, no checksums (FLG 0x60, BD 0x40); kafkajs-lz4 4 MiB blocks +
 * content checksum (FLG 0x64, BD 0x70); @platformatic/kafka no checksums
 * (FLG 0x60) with the block size following the input: 64 KiB blocks for up to
 * 64 KiB, 256 KiB up to 256 KiB, 4 MiB above (BD 0x40 / 0x50 / 0x70; measured
 * in test/integration/compat/codec-crossclient.test.ts). All use independent
 * blocks; Java's reader rejects dependent ones, and so does this decoder
 * (lz4-wasm has no dictionary input).
 *
 * The encoder's default matches Java and librdkafka exactly (independent 64 KiB
 * blocks, no block or content checksum). Why no content checksum by default:
 * Java skips it without verifying and librdkafka verifies it only if present,
 * so leaving it out interoperates with every reader, costs nothing, and the
 * record batch's CRC-32C already covers the compressed bytes end to end. Pass
 * `contentChecksum: true` (or the kafkajs-lz4 preset) to write one.
 */
import xxhash from 'xxhash-wasm';
import { Lz4Error, compressBlock, decompressBlock } from './lz4-block.js';

export { Lz4Error } from './lz4-block.js';

const { h32Raw, create32 } = await xxhash();

/** xxh32 with seed 0, as every LZ4 frame checksum uses. Exported for tests and fixtures. */
export function xxh32(bytes: Uint8Array): number {
  return h32Raw(bytes, 0) >>> 0;
}

export const LZ4_FRAME_MAGIC = 0x184d2204;
/** Legacy LZ4 frame (lz4 -l, Linux kernel): not what Kafka uses. */
const LZ4_LEGACY_MAGIC = 0x184c2102;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, u32 size, payload. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

/** Block max size ids (BD bits 6-4) and their sizes. */
export const LZ4_BLOCK_SIZES = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 } as const;
export type Lz4BlockSizeId = keyof typeof LZ4_BLOCK_SIZES;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;

export interface Lz4FrameEncodeOptions {
  /** Block max size id: 4 = 64 KiB (default, as Java and librdkafka), 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB. */
  blockSizeId?: Lz4BlockSizeId;
  /** Write an xxh32 of the whole content after the end mark (default false; see the file comment). */
  contentChecksum?: boolean;
  /** Write an xxh32 after every block (default false; no Kafka producer does). */
  blockChecksum?: boolean;
  /** Write the content size in the frame descriptor (default false; no Kafka producer does). */
  contentSize?: boolean;
}

/** Frame settings of each Kafka producer, so the load generator can produce what they produce. */
export const LZ4_PRODUCER_PRESETS = {
  java: { blockSizeId: 4 },
  librdkafka: { blockSizeId: 4 },
  kafkajs: { blockSizeId: 7, contentChecksum: true },
  platformatic: { blockSizeId: 5 }, // what it writes for 64-256 KiB inputs (4 below, 7 above)
} as const satisfies Record<string, Lz4FrameEncodeOptions>;

export interface Lz4FrameDecodeOptions {
  /** Refuse to produce more than this many bytes (decompression bombs). Default 256 MiB. */
  maxOutputBytes?: number;
  /**
   * Also accept the header checksum that Kafka 0.8-era clients wrote for
   * message format v0 (xxh32 over magic + descriptor instead of descriptor
   * only). Only for magic-0 message sets; default false.
   */
  acceptLegacyHeaderChecksum?: boolean;
}

/** A parsed frame descriptor. */
export interface Lz4FrameHeader {
  flg: number;
  bd: number;
  blockIndependence: boolean;
  blockChecksum: boolean;
  contentChecksum: boolean;
  /** Declared content size, if C.Size is set. */
  contentSize?: number;
  blockMaxBytes: number;
  /** Bytes from the magic to the end of HC. */
  headerBytes: number;
}

const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;

function readU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = (v >>> 24) & 0xff;
}

function hex(v: number, digits = 8): string {
  return '0x' + (v >>> 0).toString(16).padStart(digits, '0');
}

/**
 * Parses and validates the frame header at src[pos]. Throws Lz4Error with a
 * message naming the problem (bad magic, version, reserved bits, dependent
 * blocks, dictionary, header checksum).
 */
export function parseLz4FrameHeader(src: Uint8Array, pos = 0, opts: Lz4FrameDecodeOptions = {}): Lz4FrameHeader {
  if (src.length - pos < 7) throw new Lz4Error(`LZ4 frame: truncated header (${src.length - pos} bytes, need at least 7)`);
  const magic = readU32(src, pos);
  if (magic !== LZ4_FRAME_MAGIC) {
    if (magic === LZ4_LEGACY_MAGIC) throw new Lz4Error('LZ4 frame: legacy LZ4 format (magic 0x184C2102) is not supported; Kafka uses the LZ4 frame format');
    throw new Lz4Error(`LZ4 frame: bad magic ${hex(magic)} (expected ${hex(LZ4_FRAME_MAGIC)}, bytes 04 22 4D 18)`);
  }
  const flg = src[pos + 4]!;
  const bd = src[pos + 5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw new Lz4Error(`LZ4 frame: unsupported version ${(flg >>> 6) & 3} in FLG ${hex(flg, 2)} (expected 1)`);
  if (flg & FLG_RESERVED) throw new Lz4Error(`LZ4 frame: reserved FLG bit set (FLG ${hex(flg, 2)})`);
  if (!(flg & FLG_BLOCK_INDEPENDENCE)) {
    throw new Lz4Error(`LZ4 frame: dependent blocks (FLG ${hex(flg, 2)}, B.Indep = 0) are not supported; Kafka requires independent blocks`);
  }
  if (flg & FLG_DICT_ID) throw new Lz4Error(`LZ4 frame: dictionary id set (FLG ${hex(flg, 2)}); preset dictionaries are not supported`);
  if (bd & 0x8f) throw new Lz4Error(`LZ4 frame: reserved BD bits set (BD ${hex(bd, 2)})`);
  const sizeId = (bd >>> 4) & 7;
  const blockMaxBytes = LZ4_BLOCK_SIZES[sizeId as Lz4BlockSizeId];
  if (blockMaxBytes === undefined) throw new Lz4Error(`LZ4 frame: invalid block max size id ${sizeId} in BD ${hex(bd, 2)} (expected 4-7)`);

  let p = pos + 6;
  let contentSize: number | undefined;
  if (flg & FLG_CONTENT_SIZE) {
    if (src.length - p < 9) throw new Lz4Error('LZ4 frame: truncated header (content size)');
    const lo = readU32(src, p);
    const hi = readU32(src, p + 4);
    if (hi > 0x1fffff) throw new Lz4Error(`LZ4 frame: content size ${hi} * 2^32 + ${lo} is too large`);
    contentSize = hi * 0x100000000 + lo;
    p += 8;
  }
  const hc = src[p]!;
  const expected = (xxh32(src.subarray(pos + 4, p)) >>> 8) & 0xff;
  if (hc !== expected) {
    const legacy = (xxh32(src.subarray(pos, p)) >>> 8) & 0xff;
    if (!(opts.acceptLegacyHeaderChecksum && hc === legacy)) {
      throw new Lz4Error(`LZ4 frame: header checksum mismatch (HC ${hex(hc, 2)}, expected ${hex(expected, 2)})`);
    }
  }
  const header: Lz4FrameHeader = {
    flg, bd,
    blockIndependence: true,
    blockChecksum: (flg & FLG_BLOCK_CHECKSUM) !== 0,
    contentChecksum: (flg & FLG_CONTENT_CHECKSUM) !== 0,
    blockMaxBytes,
    headerBytes: p + 1 - pos,
  };
  if (contentSize !== undefined) header.contentSize = contentSize;
  return header;
}

/**
 * Decodes one frame starting at src[pos]. Returns the decompressed chunks and
 * the position after the frame.
 */
function decodeFrame(src: Uint8Array, pos: number, budget: number, opts: Lz4FrameDecodeOptions): { chunks: Uint8Array[]; bytes: number; end: number } {
  const h = parseLz4FrameHeader(src, pos, opts);
  let p = pos + h.headerBytes;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const limit = Math.min(budget, h.contentSize ?? Infinity);
  for (let block = 0; ; block++) {
    if (src.length - p < 4) throw new Lz4Error(`LZ4 frame: truncated at block ${block} (no block size or end mark)`);
    const word = readU32(src, p);
    p += 4;
    if (word === 0) break; // end mark
    const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (size > h.blockMaxBytes) throw new Lz4Error(`LZ4 frame: block ${block} is ${size} bytes, over the frame's max block size ${h.blockMaxBytes}`);
    const dataEnd = p + size;
    const next = dataEnd + (h.blockChecksum ? 4 : 0);
    if (next > src.length) throw new Lz4Error(`LZ4 frame: truncated in block ${block} (${size} bytes declared, ${src.length - p} left)`);
    if (h.blockChecksum) {
      const want = readU32(src, dataEnd);
      const got = xxh32(src.subarray(p, dataEnd));
      if (got !== want) throw new Lz4Error(`LZ4 frame: block ${block} checksum mismatch (stored ${hex(want)}, computed ${hex(got)})`);
    }
    const room = Math.min(h.blockMaxBytes, limit - bytes);
    let out: Uint8Array;
    if (stored) {
      if (size > room) throw new Lz4Error(`LZ4 frame: output exceeds ${limit === budget ? `maxOutputBytes ${budget}` : `declared content size ${limit}`}`);
      out = src.subarray(p, dataEnd);
    } else {
      // Producers fill every block but the last, so a block followed by another
      // one most likely decompresses to exactly the max block size.
      const followed = next + 4 <= src.length && readU32(src, next) !== 0;
      const hint = followed && h.blockMaxBytes <= room ? h.blockMaxBytes : undefined;
      try {
        out = decompressBlock(src, p, dataEnd, room, hint);
      } catch (err) {
        throw new Lz4Error(`LZ4 frame: block ${block}: ${(err as Error).message}`);
      }
    }
    chunks.push(out);
    bytes += out.length;
    p = next;
  }
  if (h.contentSize !== undefined && bytes !== h.contentSize) {
    throw new Lz4Error(`LZ4 frame: content size mismatch (descriptor says ${h.contentSize}, blocks hold ${bytes})`);
  }
  if (h.contentChecksum) {
    if (src.length - p < 4) throw new Lz4Error('LZ4 frame: truncated (missing content checksum)');
    const want = readU32(src, p);
    p += 4;
    let got: number;
    if (chunks.length === 1) got = xxh32(chunks[0]!);
    else {
      const hasher = create32(0);
      for (const c of chunks) hasher.update(c);
      got = hasher.digest() >>> 0;
    }
    if (got !== want) throw new Lz4Error(`LZ4 frame: content checksum mismatch (stored ${hex(want)}, computed ${hex(got)})`);
  }
  return { chunks, bytes, end: p };
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * Decodes an LZ4 frame (or several concatenated ones, with skippable frames
 * ignored, as the lz4 CLI and LZ4F_decompress accept) into a new Buffer.
 * Verifies the header checksum, block checksums, content size and content
 * checksum when present. Throws Lz4Error with a clear message otherwise.
 */
export function decodeLz4Frame(src: Uint8Array, opts: Lz4FrameDecodeOptions = {}): Buffer {
  const budget = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let pos = 0;
  let frames = 0;
  while (pos < src.length || frames === 0) {
    if (src.length - pos >= 8 && (readU32(src, pos) & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      const size = readU32(src, pos + 4);
      if (src.length - pos - 8 < size) throw new Lz4Error('LZ4 frame: truncated skippable frame');
      pos += 8 + size;
      frames++;
      continue;
    }
    const f = decodeFrame(src, pos, budget - bytes, opts);
    for (const c of f.chunks) chunks.push(c);
    bytes += f.bytes;
    pos = f.end;
    frames++;
  }
  if (chunks.length === 1 && chunks[0]!.buffer !== src.buffer) return asBuffer(chunks[0]!); // WASM output is already a fresh copy
  return Buffer.concat(chunks, bytes);
}

/** Upper bound of the frame size for `n` input bytes (stored blocks are never larger than their input). */
export function lz4FrameBound(n: number, opts: Lz4FrameEncodeOptions = {}): number {
  const blockBytes = LZ4_BLOCK_SIZES[opts.blockSizeId ?? 4];
  const blocks = Math.ceil(n / blockBytes);
  return 15 + n + blocks * (4 + (opts.blockChecksum ? 4 : 0)) + 4 + (opts.contentChecksum ? 4 : 0);
}

/**
 * Encodes `input` as one LZ4 frame with independent blocks (64 KiB unless
 * `blockSizeId` says otherwise). A block that does not shrink is stored
 * uncompressed (size word bit 31 set), as LZ4F does.
 */
export function encodeLz4Frame(input: Uint8Array, opts: Lz4FrameEncodeOptions = {}): Buffer {
  const sizeId = opts.blockSizeId ?? 4;
  const blockBytes = LZ4_BLOCK_SIZES[sizeId];
  if (blockBytes === undefined) throw new RangeError(`LZ4 block size id must be 4-7, got ${String(sizeId)}`);
  const flg = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE
    | (opts.blockChecksum ? FLG_BLOCK_CHECKSUM : 0)
    | (opts.contentSize ? FLG_CONTENT_SIZE : 0)
    | (opts.contentChecksum ? FLG_CONTENT_CHECKSUM : 0);

  // Compress every block first (each result is a fresh view), then copy them
  // once into an exactly sized frame.
  const blocks: Array<{ data: Uint8Array; stored: boolean }> = [];
  let total = 4 + 2 + (opts.contentSize ? 8 : 0) + 1 + 4 + (opts.contentChecksum ? 4 : 0);
  for (let off = 0; off < input.length; off += blockBytes) {
    const raw = input.subarray(off, Math.min(off + blockBytes, input.length));
    const packed = compressBlock(raw);
    const stored = packed.length >= raw.length;
    const data = stored ? raw : packed;
    blocks.push({ data, stored });
    total += 4 + data.length + (opts.blockChecksum ? 4 : 0);
  }

  const out = Buffer.allocUnsafe(total);
  writeU32(out, 0, LZ4_FRAME_MAGIC);
  out[4] = flg;
  out[5] = sizeId << 4;
  let p = 6;
  if (opts.contentSize) {
    writeU32(out, p, input.length >>> 0);
    writeU32(out, p + 4, Math.floor(input.length / 0x100000000));
    p += 8;
  }
  out[p] = (xxh32(out.subarray(4, p)) >>> 8) & 0xff;
  p += 1;
  for (const b of blocks) {
    writeU32(out, p, (b.data.length | (b.stored ? BLOCK_UNCOMPRESSED : 0)) >>> 0);
    out.set(b.data, p + 4);
    p += 4 + b.data.length;
    if (opts.blockChecksum) {
      writeU32(out, p, xxh32(b.data));
      p += 4;
    }
  }
  writeU32(out, p, 0);
  p += 4;
  if (opts.contentChecksum) {
    writeU32(out, p, xxh32(input));
    p += 4;
  }
  if (p !== total) throw new Error(`encodeLz4Frame: wrote ${p} bytes, sized ${total}`); // a bug, never input-dependent
  return out;
}
