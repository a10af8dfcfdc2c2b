/**
 * A bare produce loop that speaks just enough Kafka for a client to produce
 * to it (a separate process): ApiVersions, Metadata, CreateTopics and
 * Produce. Used to measure a client alone — the load generator, and kcat —
 * with the server doing only the unavoidable work: frame (FrameDecoder), decode
 * the Produce request (generated codec), CRC-32C every batch (WASM), one
 * fs.writevSync of the request's batches to a file (page cache), answer.
 * No validation beyond the magic byte and the CRC, no offsets kept beyond a counter per
 * partition, no index, no threads. Topics exist once created or asked for.
 *
 *   argv: <log file path>
 */
import * as fs from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { finishFrame, readHeader, startResponseFrame } from '../../src/protocol/header.js';
import { Apis, type ApiName } from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/primitives/index.js';
import { batchCrc32c } from '../../src/protocol/record-batch/index.js';
import { serveHelper } from '../lib/proc.js';

const path = process.argv[2];
if (!path) throw new Error('usage: kafka-sink-server <log file>');
const fd = fs.openSync(path, 'w');
let fileBytes = 0;
let records = 0;
let badBatches = 0;
const TRUNCATE_AT = 1 << 30;

// Fetch is advertised but never served: librdkafka enables record batch v2
// (MsgVersion 2) only when the broker lists both Produce v3+ and Fetch v4+;
// otherwise it sends legacy v0 message sets.
const SUPPORTED: [ApiName, number, number][] = [
  ['Produce', 3, 9], ['Fetch', 4, 12], ['Metadata', 1, 12], ['ApiVersions', 0, 3], ['CreateTopics', 0, 7],
];
const byKey = new Map(Object.values(Apis).map((a) => [a.apiKey, a]));
const topics = new Map<string, { id: string; ends: number[] }>();
let port = 0;

function topicId(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return (h.toString(16).padStart(8, '0') + '0'.repeat(24)).slice(0, 32);
}

function ensureTopic(name: string, partitions: number): void {
  if (!topics.has(name)) topics.set(name, { id: topicId(name), ends: new Array<number>(Math.max(1, partitions)).fill(0) });
}

type Req = Record<string, unknown>;

function handle(apiKey: number, v: number, req: Req): unknown | null {
  switch (apiKey) {
    case 18: // ApiVersions
      return { errorCode: 0, apiKeys: SUPPORTED.map(([n, min, max]) => ({ apiKey: Apis[n].apiKey, minVersion: min, maxVersion: max })), throttleTimeMs: 0 };
    case 3: { // Metadata
      const asked = req.topics as { name: string | null }[] | null;
      const names = asked === null ? [...topics.keys()] : asked.map((t) => t.name ?? '');
      for (const n of names) ensureTopic(n, 1); // auto-create, as a default broker does
      return {
        throttleTimeMs: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }], clusterId: 'kafka-sink', controllerId: 0,
        topics: names.map((name) => ({
          errorCode: 0, name, topicId: topics.get(name)!.id, isInternal: false,
          partitions: topics.get(name)!.ends.map((_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] })),
        })),
      };
    }
    case 19: { // CreateTopics
      const ts = req.topics as { name: string; numPartitions: number }[];
      return {
        throttleTimeMs: 0,
        topics: ts.map((t) => {
          const exists = topics.has(t.name);
          ensureTopic(t.name, t.numPartitions > 0 ? t.numPartitions : 1);
          return { name: t.name, topicId: topics.get(t.name)!.id, errorCode: exists ? 36 : 0, errorMessage: null, numPartitions: t.numPartitions, replicationFactor: 1, configs: [] };
        }),
      };
    }
    case 0: { // Produce
      const data = req.topicData as { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
      const batches: Buffer[] = [];
      const responses = data.map((td) => ({
        name: td.name,
        partitionResponses: td.partitionData.map((pd) => {
          const t = topics.get(td.name);
          const base = { index: pd.index, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null };
          if (!t || pd.index >= t.ends.length || !pd.records) return { ...base, errorCode: 3, baseOffset: -1 };
          const buf = pd.records;
          const first = t.ends[pd.index]!;
          for (let pos = 0; pos + 61 <= buf.length;) {
            const size = buf.readInt32BE(pos + 8) + 12;
            if (buf[pos + 16] !== 2) { badBatches++; break; } // only record batch v2
            if (batchCrc32c(buf, pos, size) !== buf.readUInt32BE(pos + 17)) badBatches++;
            const n = buf.readInt32BE(pos + 57);
            t.ends[pd.index]! += n;
            records += n;
            pos += size;
          }
          batches.push(buf);
          return { ...base, errorCode: 0, baseOffset: first };
        }),
      }));
      if (batches.length > 0) {
        fs.writevSync(fd, batches);
        for (const b of batches) fileBytes += b.length;
        if (fileBytes > TRUNCATE_AT) { fs.ftruncateSync(fd, 0); fileBytes = 0; }
      }
      if ((req.acks as number) === 0) return null;
      return { responses, throttleTimeMs: 0 };
    }
    default:
      throw new Error(`kafka sink: api key ${apiKey} v${v} not supported`);
  }
}

const sockets = new Set<Socket>();
const server = createServer((s) => {
  sockets.add(s);
  s.setNoDelay(true);
  const decoder = new FrameDecoder(128 << 20);
  s.on('data', (chunk: Buffer) => {
    const out: Buffer[] = [];
    decoder.push(chunk, (body) => {
      const r = new Reader(body);
      const h = readHeader(r);
      const api = byKey.get(h.requestApiKey);
      if (!api) throw new Error(`kafka sink: unknown api key ${h.requestApiKey}`);
      const v = h.requestApiVersion;
      const req = (api.readRequest as unknown as (r: Reader, v: number) => Req)(r, v);
      const body2 = handle(h.requestApiKey, v, req);
      if (body2 === null) return;
      const w = startResponseFrame(h.requestApiKey, v, h.correlationId);
      (api.writeResponse as (w: unknown, v: number, m: unknown) => void)(w, v, body2);
      out.push(...finishFrame(w));
    });
    if (out.length > 0) {
      s.cork();
      for (const b of out) s.write(b);
      s.uncork();
    }
  });
  s.on('error', () => undefined);
  s.on('close', () => sockets.delete(s));
});
server.listen(0, '127.0.0.1', () => {
  port = (server.address() as { port: number }).port;
  serveHelper({ port }, {
    stats: () => ({ type: 'stats', records, badBatches }),
  }, () => {
    for (const s of sockets) s.destroy();
    server.close();
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  });
});
