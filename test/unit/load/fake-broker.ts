/**
 * A tiny in-memory Kafka broker for load generator tests: one node, speaks
 * ApiVersions, Metadata, CreateTopics, Produce, Fetch (with long polling) and
 * ListOffsets through the generated codecs, and keeps record batches as
 * received (base offsets assigned). Requests on a connection are answered in
 * order.
 *
 * Faults, to prove the consumer's verification catches them:
 * - corruptRecord: serve the record at an offset with one payload byte
 *   flipped and the batch CRC recomputed (only the payload checksum can tell);
 * - duplicateBatches: store the next N produced batches twice (new offsets);
 * - dropBatches: acknowledge the next N batches without storing them;
 * - offsetGapBatches: leave a hole of one offset before the next N batches;
 * - stallOnceMs: hold one Produce request (a broker pause, for coordinated omission).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { Apis, type ApiName } from '../../../src/protocol/generated/index.js';
import { finishFrame, readHeader, startResponseFrame } from '../../../src/protocol/header.js';
import { Reader } from '../../../src/protocol/primitives/index.js';
import { decodeRecords, validateBatches } from '../../../src/protocol/record-batch/index.js';
import { CRC_OFFSET, CRC_START, batchSize, lastOffsetDelta, setBaseOffset } from '../../../src/protocol/record-batch/record-batch-header.js';
import { crc32c } from '../../../src/wasm/crc32c.js';

interface StoredBatch { base: number; last: number; bytes: Buffer }
interface Partition { batches: StoredBatch[]; end: number }

export interface FakeFaults {
  /** keepCrc: leave the batch CRC stale, as a bit flip on disk or on the wire would. */
  corruptRecord?: { topic: string; partition: number; offset: number; keepCrc?: boolean };
  duplicateBatches?: number;
  dropBatches?: number;
  offsetGapBatches?: number;
  /** Hold the next Produce request this long before answering (the connection's later requests wait behind it). */
  stallOnceMs?: number;
}

const SUPPORTED: [ApiName, number, number][] = [
  ['Produce', 3, 11], ['Fetch', 4, 12], ['ListOffsets', 1, 7], ['Metadata', 1, 12], ['ApiVersions', 0, 3], ['CreateTopics', 0, 7],
];

export class FakeBroker {
  /**
   * Sink mode, for measuring the load generator itself: Produce is answered
   * at once without validating or storing (only record counts are read).
   */
  discard = false;
  readonly topics = new Map<string, { id: string; partitions: Partition[] }>();
  faults: FakeFaults = {};
  produceRequests = 0;
  producedRecords = 0;
  fetchRequests = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private waiters: (() => void)[] = [];
  port = 0;
  readonly host = '127.0.0.1';

  async start(): Promise<this> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((r) => this.server!.listen(0, this.host, r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const w of this.waiters.splice(0)) w();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  createTopic(name: string, partitions: number): void {
    if (this.topics.has(name)) return;
    const id = Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
    this.topics.set(name, { id, partitions: Array.from({ length: partitions }, () => ({ batches: [], end: 0 })) });
  }

  /** Records stored in a partition. */
  recordCount(topic: string, partition: number): number {
    const p = this.topics.get(topic)?.partitions[partition];
    return p ? p.batches.reduce((a, b) => a + (b.last - b.base + 1), 0) : 0;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(1 << 30);
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, (body) => {
        const frame = Buffer.from(body); // the socket chunk may be reused
        chain = chain.then(async () => {
          const out = await this.handle(frame);
          if (out && !socket.destroyed) { socket.cork(); for (const b of out) socket.write(b); socket.uncork(); }
        }).catch((err: Error) => { process.stderr.write(`fake broker: ${err.stack}\n`); socket.destroy(); });
      });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(frame: Buffer): Promise<Buffer[] | null> {
    const r = new Reader(frame);
    const h = readHeader(r);
    const entry = Object.entries(Apis).find(([, a]) => a.apiKey === h.requestApiKey);
    if (!entry) throw new Error(`fake broker: api key ${h.requestApiKey}`);
    const [name, schema] = entry as [ApiName, (typeof Apis)[ApiName]];
    const v = h.requestApiVersion;
    const req = schema.readRequest(r, v) as never;
    let body: unknown;
    switch (name) {
      case 'ApiVersions':
        body = { errorCode: 0, apiKeys: SUPPORTED.map(([n, min, max]) => ({ apiKey: Apis[n].apiKey, minVersion: min, maxVersion: max })), throttleTimeMs: 0 };
        break;
      case 'Metadata': body = this.metadata(req); break;
      case 'CreateTopics': body = this.createTopics(req); break;
      case 'Produce': {
        if (this.faults.stallOnceMs) {
          const ms = this.faults.stallOnceMs;
          this.faults.stallOnceMs = 0;
          await new Promise((r) => setTimeout(r, ms));
        }
        const res = this.produce(req);
        if ((req as { acks: number }).acks === 0) return null;
        body = res;
        break;
      }
      case 'Fetch': body = await this.fetch(req); break;
      case 'ListOffsets': body = this.listOffsets(req); break;
      default: throw new Error(`fake broker: ${name} not implemented`);
    }
    const w = startResponseFrame(h.requestApiKey, v, h.correlationId);
    (schema.writeResponse as (w: unknown, v: number, m: unknown) => void)(w, v, body);
    return finishFrame(w);
  }

  private metadata(req: { topics: { name: string | null }[] | null }): unknown {
    const names = req.topics === null ? [...this.topics.keys()] : req.topics.map((t) => t.name ?? '');
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 0, host: this.host, port: this.port, rack: null }],
      clusterId: 'fake', controllerId: 0,
      topics: names.map((name) => {
        const t = this.topics.get(name);
        if (!t) return { errorCode: 3, name, topicId: '0'.repeat(32), isInternal: false, partitions: [] };
        return {
          errorCode: 0, name, topicId: t.id, isInternal: false,
          partitions: t.partitions.map((_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] })),
        };
      }),
    };
  }

  private createTopics(req: { topics: { name: string; numPartitions: number }[] }): unknown {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const exists = this.topics.has(t.name);
        this.createTopic(t.name, t.numPartitions > 0 ? t.numPartitions : 1);
        return { name: t.name, topicId: this.topics.get(t.name)!.id, errorCode: exists ? 36 : 0, errorMessage: null, numPartitions: t.numPartitions, replicationFactor: 1, configs: [] };
      }),
    };
  }

  private append(p: Partition, bytes: Buffer): number {
    const f = this.faults;
    if (f.dropBatches) { f.dropBatches--; return p.end; }
    if (f.offsetGapBatches) { f.offsetGapBatches--; p.end++; }
    const copies = f.duplicateBatches ? (f.duplicateBatches--, 2) : 1;
    const first = p.end;
    for (let i = 0; i < copies; i++) {
      const b = Buffer.from(bytes);
      setBaseOffset(b, 0, p.end);
      const last = p.end + lastOffsetDelta(b, 0);
      p.batches.push({ base: p.end, last, bytes: b });
      p.end = last + 1;
    }
    return first;
  }

  private produce(req: { topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[] }): unknown {
    this.produceRequests++;
    const responses = req.topicData.map((td) => ({
      name: td.name,
      partitionResponses: td.partitionData.map((pd) => {
        const p = this.topics.get(td.name)?.partitions[pd.index];
        const base = { index: pd.index, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null };
        if (!p) return { ...base, errorCode: 3 };
        if (this.discard && pd.records) {
          const n = pd.records.readInt32BE(57);
          this.producedRecords += n;
          p.end += n;
          return { ...base, errorCode: 0, baseOffset: p.end - n };
        }
        const check = validateBatches(pd.records ?? Buffer.alloc(0), { maxMessageBytes: 16 << 20, singleBatch: true });
        if (!check.ok) return { ...base, errorCode: check.error };
        const offset = this.append(p, pd.records!.subarray(0, check.bytes));
        this.producedRecords += check.recordCount;
        return { ...base, errorCode: 0, baseOffset: offset };
      }),
    }));
    for (const w of this.waiters.splice(0)) w();
    return { responses, throttleTimeMs: 0 };
  }

  private collect(topic: string, partition: number, fetchOffset: number, maxBytes: number): { code: number; hw: number; records: Buffer | null } {
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p) return { code: 3, hw: -1, records: null };
    if (fetchOffset > p.end || fetchOffset < 0) return { code: 1, hw: p.end, records: null };
    const out: Buffer[] = [];
    let bytes = 0;
    for (const b of p.batches) {
      if (b.last < fetchOffset) continue;
      if (out.length > 0 && bytes + b.bytes.length > maxBytes) break;
      out.push(this.maybeCorrupt(topic, partition, b));
      bytes += b.bytes.length;
    }
    return { code: 0, hw: p.end, records: out.length ? Buffer.concat(out) : null };
  }

  private maybeCorrupt(topic: string, partition: number, b: StoredBatch): Buffer {
    const c = this.faults.corruptRecord;
    if (!c || c.topic !== topic || c.partition !== partition || c.offset < b.base || c.offset > b.last) return b.bytes;
    const copy = Buffer.from(b.bytes);
    const rec = decodeRecords(copy).find((x) => x.offset === c.offset)!;
    const v = rec.value!;
    const at = v.byteOffset - copy.byteOffset + v.length - 1; // last filler byte
    copy[at] = copy[at]! ^ 0x01;
    if (!c.keepCrc) copy.writeUInt32BE(crc32c(copy, CRC_START, batchSize(copy, 0)), CRC_OFFSET);
    return copy;
  }

  private async fetch(req: { maxWaitMs: number; maxBytes: number; topics: { topic: string; partitions: { partition: number; fetchOffset: number; partitionMaxBytes: number }[] }[] }): Promise<unknown> {
    this.fetchRequests++;
    const build = (): { any: boolean; body: unknown } => {
      let any = false;
      const responses = req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((pp) => {
          const got = this.collect(t.topic, pp.partition, pp.fetchOffset, pp.partitionMaxBytes);
          if (got.records || got.code !== 0) any = true;
          return {
            partitionIndex: pp.partition, errorCode: got.code, highWatermark: got.hw, lastStableOffset: got.hw, logStartOffset: 0,
            abortedTransactions: null, preferredReadReplica: -1, records: got.records,
          };
        }),
      }));
      return { any, body: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses } };
    };
    let res = build();
    if (!res.any && req.maxWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, req.maxWaitMs);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
      res = build();
    }
    return res.body;
  }

  private listOffsets(req: { topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[] }): unknown {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((pp) => {
          const p = this.topics.get(t.name)?.partitions[pp.partitionIndex];
          if (!p) return { partitionIndex: pp.partitionIndex, errorCode: 3, timestamp: -1, offset: -1, leaderEpoch: -1 };
          return { partitionIndex: pp.partitionIndex, errorCode: 0, timestamp: -1, offset: pp.timestamp === -2 ? 0 : p.end, leaderEpoch: 0 };
        }),
      })),
    };
  }
}

/** Start a fake broker (with `topic` created if given). */
export async function startFakeBroker(topic?: string, partitions = 1): Promise<FakeBroker> {
  const b = await new FakeBroker().start();
  if (topic) b.createTopic(topic, partitions);
  return b;
}
