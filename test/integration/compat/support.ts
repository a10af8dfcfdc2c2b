/**
 * Shared pieces of the client-compatibility tests (test/integration/compat/):
 * raw batch fetching and decoding with OUR codecs, building batches compressed
 * by OUR codecs, a binary-safe kcat consumer, and the records each test sends.
 */
import { compress, decompress, type CompressionType, type CompressOptions } from '../../../src/compression/codec.js';
import type { KafkaConnection } from '../../../src/client/kafka-connection.js';
import {
  ATTRIBUTES_OFFSET, COMPRESSION_MASK, CRC_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_OFFSET,
} from '../../../src/protocol/record-batch/record-batch-header.js';
import { batchCrc32c, buildBatch, decodeRecords, type DecodedRecord, type RecordInput } from '../../../src/protocol/record-batch/index.js';
import { kcat } from '../../helpers/kcat.js';
export { fetchRawBatches } from '../../helpers/produce.js';

/** One record as every client can send and read it back: string key, Buffer value, string headers. */
export interface TestRecord {
  key: string | null;
  value: Buffer;
  headers: [string, string][];
}

/** What a consumer saw, normalized for comparison. */
export interface SeenRecord {
  /** -1 where the reader does not say. */
  partition?: number;
  offset: number;
  key: string | null;
  value: Buffer;
  headers: [string, string][];
}

/** Deterministic pseudo-random generator (tests must be reproducible). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const WORDS = ['millrace', 'kafka', 'batch', 'record', 'offset', 'partition', 'leader', 'segment', 'fetch', 'produce', 'codec', 'frame'];

/**
 * `n` records tagged with `label`: compressible text values of 10-600 bytes
 * (no newline, tab or \x01/\x02, so kcat's line input and our output format
 * can carry them), every third one with a null key, every fifth with headers.
 */
export function textRecords(label: string, n: number, seed = 1): TestRecord[] {
  const r = rng(seed);
  const out: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [`${label} #${i}`];
    const len = 10 + Math.floor(r() * 600);
    while (words.join(' ').length < len) words.push(WORDS[Math.floor(r() * WORDS.length)]!);
    out.push({
      key: i % 3 === 2 ? null : `key-${i % 50}`,
      value: Buffer.from(words.join(' ')),
      headers: i % 5 === 0 ? [['src', label], ['i', String(i)]] : [],
    });
  }
  return out;
}

/** Random bytes: incompressible, so LZ4 stores its blocks uncompressed and every codec's worst case runs. */
export function randomBytes(n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

// ------------------------------------------------------------- raw fetch ---

export interface DecodedBatch {
  /** Attributes bits 0-2. */
  codec: number;
  /** The records section as stored (compressed bytes for a compressed batch). */
  stored: Buffer;
  /** The records section after OUR decompress. */
  plain: Buffer;
  records: DecodedRecord[];
}

/**
 * Decode one stored batch with OUR codec: `decompress(codec, bytes after the
 * 61-byte header)`, then the records of the equivalent uncompressed batch.
 */
export function decodeBatch(batch: Buffer): DecodedBatch {
  const attrs = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const codec = attrs & COMPRESSION_MASK;
  const stored = batch.subarray(RECORDS_OFFSET);
  const plain = decompress(codec as CompressionType, stored);
  const flat = Buffer.allocUnsafe(RECORDS_OFFSET + plain.length);
  batch.copy(flat, 0, 0, RECORDS_OFFSET);
  plain.copy(flat, RECORDS_OFFSET);
  flat.writeInt16BE(attrs & ~COMPRESSION_MASK, ATTRIBUTES_OFFSET);
  flat.writeInt32BE(flat.length - LOG_OVERHEAD, LENGTH_OFFSET);
  return { codec, stored, plain, records: decodeRecords(flat) };
}

export function normalizeDecoded(r: DecodedRecord): SeenRecord {
  return {
    offset: r.offset,
    key: r.key === null ? null : r.key.toString(),
    value: Buffer.from(r.value ?? Buffer.alloc(0)),
    headers: r.headers.map((h) => [h.key, h.value === null ? '' : h.value.toString()]),
  };
}

// ------------------------------------------------------- our batches out ---

/** A v2 batch of `records` whose records section is compressed by OUR `compress(codec, …)`. */
export function buildCompressedBatch(records: readonly TestRecord[], codec: CompressionType, opts: CompressOptions = {}): Buffer {
  const inputs: RecordInput[] = records.map((r) => ({ key: r.key, value: r.value, headers: r.headers.map(([key, value]) => ({ key, value })) }));
  const plain = buildBatch(inputs);
  const body = compress(codec, plain.subarray(RECORDS_OFFSET), opts);
  const batch = Buffer.allocUnsafe(RECORDS_OFFSET + body.length);
  plain.copy(batch, 0, 0, RECORDS_OFFSET);
  body.copy(batch, RECORDS_OFFSET);
  batch.writeInt16BE((plain.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_MASK) | codec, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, LENGTH_OFFSET);
  batch.writeUInt32BE(batchCrc32c(batch, 0, batch.length), CRC_OFFSET);
  return batch;
}

/** Produce one ready-made batch (Produce v7, acks -1) and fail on any error. */
export async function produceBatch(c: KafkaConnection, topic: string, batch: Buffer, partition = 0): Promise<number> {
  const res = await c.send('Produce', 7, {
    acks: -1, timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== 0) throw new Error(`Produce to ${topic}/${partition}: error ${p.errorCode}`);
  return p.baseOffset;
}

// ------------------------------------------------------------------ kcat ---

/**
 * Everything in `topic` as librdkafka reads it, binary-safe: kcat prints
 * `partition offset keylen valuelen\n` then the key and value bytes, then the
 * headers (`k=v,k=v`) up to \x02.
 */
export async function kcatConsume(bootstrap: string, topic: string, extra: string[] = []): Promise<SeenRecord[]> {
  const r = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', ...extra, '-f', '%p %o %K %S\n%k%s%h\x02'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kcat -C ${topic} exited ${r.code}: ${r.stderr}`);
  const out: SeenRecord[] = [];
  const b = r.stdout;
  let pos = 0;
  while (pos < b.length) {
    const nl = b.indexOf(0x0a, pos);
    const [partition, offset, klen, vlen] = b.subarray(pos, nl).toString().split(' ').map(Number) as [number, number, number, number];
    pos = nl + 1;
    const key = klen >= 0 ? b.subarray(pos, pos + klen).toString() : null;
    pos += Math.max(0, klen);
    const value = Buffer.from(b.subarray(pos, pos + Math.max(0, vlen)));
    pos += Math.max(0, vlen);
    const end = b.indexOf(0x02, pos);
    const h = b.subarray(pos, end).toString();
    pos = end + 1;
    const headers = h === '' ? [] : h.split(',').map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
    out.push({ partition, offset, key, value, headers });
  }
  return out;
}

// ------------------------------------------------------------- compare ---

/** Compares what a consumer saw with what was sent, in order; a short, precise message on the first difference. */
export function sameRecords(seen: readonly Omit<SeenRecord, 'offset'>[], sent: readonly TestRecord[], what: string): string | null {
  if (seen.length !== sent.length) return `${what}: ${seen.length} records, expected ${sent.length}`;
  for (let i = 0; i < sent.length; i++) {
    const a = seen[i]!;
    const e = sent[i]!;
    if (a.key !== e.key) return `${what}: record ${i} key ${JSON.stringify(a.key)}, expected ${JSON.stringify(e.key)}`;
    if (!a.value.equals(e.value)) return `${what}: record ${i} value differs (${a.value.length} bytes, expected ${e.value.length})`;
    if (JSON.stringify(a.headers) !== JSON.stringify(e.headers)) return `${what}: record ${i} headers ${JSON.stringify(a.headers)}, expected ${JSON.stringify(e.headers)}`;
  }
  return null;
}

/** Resolves when `cond()` holds, polling every 20 ms; rejects after `ms` with `what`. */
export async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
