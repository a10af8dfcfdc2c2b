/**
 * Test helpers speaking the Kafka protocol directly: a raw socket client that
 * can send malformed bytes and still decode proper answers, and small
 * produce / fetch helpers over KafkaConnection. Every wait has a timeout.
 */
import { connect, type Socket } from 'node:net';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { requestHeaderVersion, responseHeaderVersion } from '../../src/protocol/header.js';
import { Apis, readResponseHeader, writeRequestHeader, type ApiName } from '../../src/protocol/generated/index.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import { buildBatch, decodeRecords, type RecordInput } from '../../src/protocol/record-batch/index.js';
import { batchSize } from '../../src/protocol/record-batch/record-batch-header.js';

type Req<N extends ApiName> = Parameters<(typeof Apis)[N]['writeRequest']>[2];
type Res<N extends ApiName> = ReturnType<(typeof Apis)[N]['readResponse']>;

/** Rejects with `what` if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Encodes a whole request frame (size prefix included) with the generated codecs. */
export function encodeRequest<N extends ApiName>(api: N, version: number, body: Req<N>, correlationId: number, clientId: string | null = 'millrace-test'): Buffer {
  const schema = Apis[api];
  const w = new Writer(256);
  w.int32(0);
  writeRequestHeader(w, requestHeaderVersion(schema.apiKey, version), {
    requestApiKey: schema.apiKey, requestApiVersion: version, correlationId, clientId,
  });
  (schema.writeRequest as (w: Writer, v: number, m: unknown) => void)(w, version, body);
  w.patchInt32(0, w.length - 4);
  return w.toBuffer();
}

/** Size-prefixes a frame body. */
export function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/**
 * A client on a plain socket: sends any bytes, collects response frames in
 * order, and notices when the broker closes the connection.
 */
export class RawClient {
  private readonly frames: Buffer[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly decoder = new FrameDecoder(1 << 30);
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;
  nextCorrelationId = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk, (body) => { this.frames.push(Buffer.from(body)); this.notify(); });
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => socket.on('close', () => { this.closedFlag = true; this.notify(); resolve(); }));
  }

  static open(port: number, timeoutMs = 5000): Promise<RawClient> {
    return within(new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('error', reject);
      s.once('connect', () => { s.off('error', reject); resolve(new RawClient(s)); });
    }), timeoutMs, `connect to 127.0.0.1:${port}`);
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next response frame body (correlation id first), or throws on close / timeout. */
  async nextFrame(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closedFlag) throw new Error('connection closed by the broker');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Sends a well-formed request and decodes its response. */
  async request<N extends ApiName>(api: N, version: number, body: Req<N>, timeoutMs = 5000): Promise<Res<N>> {
    const id = this.nextCorrelationId++;
    this.write(encodeRequest(api, version, body, id));
    return this.readResponse(api, version, id, timeoutMs);
  }

  /** Reads the next frame as the response to (api, version) with correlation id `id`. */
  async readResponse<N extends ApiName>(api: N, version: number, id: number, timeoutMs = 5000): Promise<Res<N>> {
    const f = await this.nextFrame(timeoutMs);
    const r = new Reader(f);
    const h = readResponseHeader(r, responseHeaderVersion(Apis[api].apiKey, version));
    if (h.correlationId !== id) throw new Error(`correlation id ${h.correlationId}, expected ${id}`);
    const res = Apis[api].readResponse(r, version) as Res<N>;
    if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after the ${api} v${version} response`);
    return res;
  }

  /** True if the broker closes the connection within `timeoutMs` (any unread responses are dropped). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    if (this.closedFlag) return true;
    let timer: NodeJS.Timeout;
    const closed = await Promise.race([
      this.closedPromise.then(() => true),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); }),
    ]);
    clearTimeout(timer!);
    return closed;
  }

  /** Responses received and not yet read. */
  get buffered(): number {
    return this.frames.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Opens a KafkaConnection and negotiates versions, with a timeout. */
export async function openConnection(port: number, clientId = 'millrace-test'): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', port, clientId, 5000);
  await within(c.negotiate(), 5000, 'ApiVersions');
  return c;
}

export interface ProduceResult { errorCode: number; baseOffset: number }

/** Produces one batch to one partition (Produce v7 unless given) and returns that partition's result. */
export async function produce(
  conn: KafkaConnection, topic: string, partition: number, records: Buffer | RecordInput[],
  opts: { acks?: number; version?: number; timeoutMs?: number } = {},
): Promise<ProduceResult> {
  const batch = Buffer.isBuffer(records) ? records : buildBatch(records);
  const res = await within(conn.send('Produce', opts.version ?? 7, {
    acks: opts.acks ?? -1, timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  }), opts.timeoutMs ?? 10_000, `produce to ${topic}-${partition}`);
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

export interface FetchedRecord { offset: number; key: string | null; value: string | null }

/** Splits a Records blob into its whole batches (a trailing partial batch is ignored, as clients do). */
export function splitBatches(records: Buffer | null): Buffer[] {
  const out: Buffer[] = [];
  if (!records) return out;
  let pos = 0;
  while (records.length - pos >= 12) {
    const size = batchSize(records, pos);
    if (pos + size > records.length) break;
    out.push(records.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

export function decodeBatches(records: Buffer | null): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  for (const b of splitBatches(records)) {
    for (const r of decodeRecords(b)) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
  }
  return out;
}

/** One Fetch (v11, no wait) of one partition; returns the partition's answer. */
export async function fetchOnce(conn: KafkaConnection, topic: string, partition: number, fetchOffset: number,
  opts: { maxBytes?: number; partitionMaxBytes?: number; maxWaitMs?: number; minBytes?: number; version?: number } = {}) {
  const res = await within(conn.send('Fetch', opts.version ?? 11, {
    replicaId: -1, maxWaitMs: opts.maxWaitMs ?? 0, minBytes: opts.minBytes ?? 0, maxBytes: opts.maxBytes ?? 64 << 20,
    isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset, partitionMaxBytes: opts.partitionMaxBytes ?? 8 << 20 }] }],
  }), (opts.maxWaitMs ?? 0) + 10_000, `fetch ${topic}-${partition}@${fetchOffset}`);
  return res.responses[0]!.partitions[0]!;
}

/** Reads a partition from `from` to its high watermark; records before `from` (batch starts) are dropped. */
export async function fetchAll(conn: KafkaConnection, topic: string, partition: number, from = 0): Promise<{ records: FetchedRecord[]; highWatermark: number; errorCode: number }> {
  const records: FetchedRecord[] = [];
  let offset = from;
  for (let i = 0; i < 10_000; i++) {
    const p = await fetchOnce(conn, topic, partition, offset);
    if (p.errorCode !== 0) return { records, highWatermark: p.highWatermark, errorCode: p.errorCode };
    const got = decodeBatches(p.records).filter((r) => r.offset >= offset);
    records.push(...got);
    if (got.length > 0) offset = got[got.length - 1]!.offset + 1;
    if (offset >= p.highWatermark || got.length === 0) return { records, highWatermark: p.highWatermark, errorCode: 0 };
  }
  throw new Error('fetchAll did not reach the high watermark');
}

/**
 * Requests Metadata for `topics` (auto-creating them when the broker allows)
 * until every partition has a leader, as clients do after creating a topic.
 * Returns the partition count of each topic.
 */
export async function waitForTopics(conn: KafkaConnection, topics: string[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const md = await within(conn.send('Metadata', 1, { topics: topics.map((name) => ({ name })) }), 5000, 'metadata');
    const ready = md.topics.every((t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0));
    if (ready) return topics.map((name) => md.topics.find((t) => t.name === name)!.partitions.length);
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} not ready: ${JSON.stringify(md.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.errorCode)]))}`);
    await sleep(20);
  }
}
