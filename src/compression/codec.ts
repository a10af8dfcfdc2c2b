/**
 * Kafka's compression codecs behind one synchronous interface. Record batch v2
 * attributes bits 0-2 name the codec of the batch's records section:
 *
 *   0 none   1 gzip   2 snappy   3 lz4   4 zstd   (5-7 unused: UNSUPPORTED_COMPRESSION_TYPE)
 *
 * The broker does not (de)compress on the produce or fetch path (DESIGN.md):
 * this is for the load generator, tests, compaction and recompression, which
 * run off the hot path, so sync calls are fine there.
 *
 * Wire formats, and what interoperates:
 * - gzip: RFC 1952 (node:zlib). Decoding accepts concatenated members.
 * - snappy: two framings exist. librdkafka and kafkajs-snappy write *raw*
 *   snappy; the Java client writes snappy-java's *xerial* framing
 *   (82 'SNAPPY' 00, u32 BE version 1, u32 BE compat 1, then
 *   [u32 BE length][raw snappy block] chunks of 32 KiB input). decompress
 *   accepts both (detected by the magic, as librdkafka, kafkajs-snappy and
 *   kafka-python do). compress writes *raw* by default because every reader
 *   takes it: librdkafka and kafkajs-snappy detect the framing, Java's
 *   SnappyInputStream falls back to raw when the magic is absent, and
 *   @platformatic/kafka calls snappy's raw uncompress only, so it cannot read
 *   xerial at all. `snappyFraming: 'xerial'` writes what the Java producer does.
 * - lz4: the LZ4 frame format (./lz4-frame.ts), independent 64 KiB blocks.
 * - zstd: zstd frames (zstd-napi). Decoding does not need a content size in the
 *   frame header (librdkafka's streaming compressor omits it) and accepts
 *   concatenated frames.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import snappy from 'snappy';
import zstd from 'zstd-napi';
import zstdBinding from 'zstd-napi/binding.js';
import { decodeLz4Frame, encodeLz4Frame, type Lz4FrameEncodeOptions } from './lz4-frame.js';

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Codec names as Kafka's compression.type config spells them. */
export const COMPRESSION_NAMES: Readonly<Record<CompressionType, CompressionName>> = {
  [CompressionType.None]: 'none',
  [CompressionType.Gzip]: 'gzip',
  [CompressionType.Snappy]: 'snappy',
  [CompressionType.Lz4]: 'lz4',
  [CompressionType.Zstd]: 'zstd',
};

const TYPES_BY_NAME: ReadonlyMap<string, CompressionType> = new Map(
  Object.entries(COMPRESSION_NAMES).map(([type, name]) => [name, Number(type) as CompressionType]),
);

/** The codec called `name` ("none", "gzip", "snappy", "lz4", "zstd"), or undefined. */
export function compressionTypeFromName(name: string): CompressionType | undefined {
  return TYPES_BY_NAME.get(name);
}

/** The name of a codec id, or undefined for ids 5-7 and anything else. */
export function compressionName(type: number): CompressionName | undefined {
  return COMPRESSION_NAMES[type as CompressionType];
}

/** The codec named by record batch attributes (bits 0-2). May be 5-7, which no codec has. */
export function compressionTypeOfAttributes(attributes: number): number {
  return attributes & 0x07;
}

/** A codec failure. `unsupported` is true for codec ids with no codec (map to UNSUPPORTED_COMPRESSION_TYPE), false for bad data (CORRUPT_MESSAGE). */
export class CompressionError extends Error {
  override name = 'CompressionError';
  constructor(message: string, readonly type: number, readonly unsupported = false, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface CompressOptions {
  /**
   * Codec level: gzip 1-9 (default 6, as Java and librdkafka), zstd 1-22
   * (default 3, as both). Ignored by snappy and lz4 (lz4-wasm has one level).
   */
  level?: number;
  /** Snappy framing to write: 'raw' (default; see the file comment) or 'xerial' (the Java producer's). */
  snappyFraming?: 'raw' | 'xerial';
  /** LZ4 frame settings (default: independent 64 KiB blocks, no checksums). */
  lz4?: Lz4FrameEncodeOptions;
}

export interface DecompressOptions {
  /** Refuse to produce more than this many bytes (decompression bombs). Default 256 MiB. */
  maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// ---------------------------------------------------------------- snappy ---

/** snappy-java stream header: 0x82 "SNAPPY" 0x00. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16; // magic, u32 BE version, u32 BE min compatible version
/** snappy-java's default block size, which Kafka's Java producer uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

/** True if `bytes` start with the snappy-java (xerial) stream header. */
export function isXerialSnappy(bytes: Uint8Array): boolean {
  return bytes.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.equals(bytes.subarray(0, 8));
}

/** Uncompressed length a raw snappy block declares (its leading varint), or -1 if unreadable. */
function snappyDeclaredLength(bytes: Uint8Array, start: number, end: number): number {
  let n = 0;
  for (let i = 0, shift = 0; i < 5 && start + i < end; i++, shift += 7) {
    const b = bytes[start + i]!;
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return n;
  }
  return -1;
}

function snappyRawDecompress(bytes: Uint8Array, budget: number): Buffer {
  const declared = snappyDeclaredLength(bytes, 0, bytes.length);
  if (declared < 0) throw new Error('raw snappy: unreadable length header');
  if (declared > budget) throw new Error(`raw snappy: declares ${declared} bytes, over maxOutputBytes ${budget}`);
  return snappy.uncompressSync(bytes, { asBuffer: true }) as Buffer;
}

function snappyXerialDecompress(bytes: Uint8Array, budget: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let p = XERIAL_HEADER_BYTES;
  while (p < bytes.length) {
    if (bytes.length - p < 4) throw new Error(`xerial snappy: truncated chunk length at ${p}`);
    const len = ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0;
    p += 4;
    if (len > bytes.length - p) throw new Error(`xerial snappy: chunk of ${len} bytes at ${p - 4} runs past the end (${bytes.length - p} left)`);
    const chunk = snappyRawDecompress(bytes.subarray(p, p + len), budget - total);
    chunks.push(chunk);
    total += chunk.length;
    p += len;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function snappyXerialCompress(bytes: Uint8Array): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  // An empty input still gets one (empty) chunk: librdkafka only recognises
  // the framing when the payload is longer than header + 4 bytes.
  for (let off = 0; off < bytes.length || off === 0; off += XERIAL_BLOCK_BYTES) {
    const block = snappy.compressSync(bytes.subarray(off, off + XERIAL_BLOCK_BYTES));
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(block.length, 0);
    parts.push(len, block);
    if (bytes.length === 0) break;
  }
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------ zstd ---

let dctx: InstanceType<typeof zstdBinding.DCtx> | undefined;
const ZSTD_STREAM_OUT = zstdBinding.dStreamOutSize();

function zstdDecompress(bytes: Uint8Array, budget: number): Buffer {
  // Fast path: one frame that records its content size.
  const size = zstdBinding.getFrameContentSize(bytes);
  if (size !== null && zstdBinding.findFrameCompressedSize(bytes) === bytes.length) {
    if (size > budget) throw new Error(`zstd: frame declares ${size} bytes, over maxOutputBytes ${budget}`);
    return zstd.decompress(asBuffer(bytes));
  }
  // Streaming: frames without a content size, or several frames. Loop until
  // the input is consumed *and* the decoder has flushed everything (ret 0);
  // stopping when the input runs out can drop the decoder's buffered tail.
  dctx ??= new zstdBinding.DCtx();
  dctx.reset(zstdBinding.ResetDirective.sessionOnly);
  const chunks: Buffer[] = [];
  let total = 0;
  let src = bytes;
  for (;;) {
    const room = Math.min(budget - total + 1, Math.max(ZSTD_STREAM_OUT, Math.min(src.length * 4, 8 << 20)));
    const out = Buffer.allocUnsafe(Math.max(1, room));
    const [ret, produced, consumed] = dctx.decompressStream(out, src);
    src = src.subarray(consumed);
    if (produced > 0) chunks.push(out.subarray(0, produced));
    total += produced;
    if (total > budget) throw new Error(`zstd: output exceeds maxOutputBytes ${budget}`);
    if (ret === 0 && src.length === 0) break;
    if (produced < out.length && src.length === 0) throw new Error('zstd: truncated frame');
    if (produced === 0 && consumed === 0) throw new Error('zstd: decoder made no progress (corrupt input)');
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

// ---------------------------------------------------------------- public ---

/** Compresses `bytes` with codec `type` into a new Buffer (for None: the same bytes as a Buffer view). */
export function compress(type: CompressionType, bytes: Uint8Array, opts: CompressOptions = {}): Buffer {
  try {
    switch (type) {
      case CompressionType.None:
        return asBuffer(bytes);
      case CompressionType.Gzip:
        return gzipSync(bytes, { level: opts.level ?? 6 });
      case CompressionType.Snappy:
        return opts.snappyFraming === 'xerial' ? snappyXerialCompress(bytes) : snappy.compressSync(bytes);
      case CompressionType.Lz4:
        return encodeLz4Frame(bytes, opts.lz4);
      case CompressionType.Zstd:
        return zstd.compress(asBuffer(bytes), { compressionLevel: opts.level ?? 3 });
    }
  } catch (err) {
    throw new CompressionError(`${compressionName(type)} compress failed: ${(err as Error).message}`, type, false, { cause: err });
  }
  throw new CompressionError(`unsupported compression type ${String(type)}`, type, true);
}

/**
 * Decompresses `bytes` written with codec `type` into a new Buffer (for None:
 * the same bytes as a Buffer view). Throws CompressionError on corrupt input,
 * on output over `maxOutputBytes`, and (with `unsupported` set) on codec ids 5-7.
 */
export function decompress(type: CompressionType, bytes: Uint8Array, opts: DecompressOptions = {}): Buffer {
  const budget = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  try {
    switch (type) {
      case CompressionType.None:
        return asBuffer(bytes);
      case CompressionType.Gzip:
        return gunzipSync(bytes, { maxOutputLength: budget });
      case CompressionType.Snappy:
        return isXerialSnappy(bytes) ? snappyXerialDecompress(bytes, budget) : snappyRawDecompress(bytes, budget);
      case CompressionType.Lz4:
        return decodeLz4Frame(bytes, { maxOutputBytes: budget });
      case CompressionType.Zstd:
        return zstdDecompress(bytes, budget);
    }
  } catch (err) {
    throw new CompressionError(`${compressionName(type)} decompress failed: ${(err as Error).message}`, type, false, { cause: err });
  }
  throw new CompressionError(`unsupported compression type ${String(type)}`, type, true);
}
