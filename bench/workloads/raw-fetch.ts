/**
 * A raw Fetch client: the broker's fetch path measured with as little client
 * work as possible, next to the load generator's verifying consumer (which
 * parses and checksums every record and is the bottleneck of workload (3) on
 * 2 cores). Fetch v12 by topic name from offset 0 of every partition, one
 * request in flight per connection, until every partition reaches the high
 * watermark its responses report; records are counted from the 61-byte batch
 * headers only (no per-record parsing, no decompression). Only 127.0.0.1.
 */
import { performance } from 'node:perf_hooks';
import { KafkaConnection } from '../../src/client/kafka-connection.js';

export interface RawFetchResult { records: number; bytes: number; ms: number; requests: number }

export async function rawFetch(bootstrap: string, topic: string, partitions: number, connections: number, partitionMaxBytes: number, maxMs: number): Promise<RawFetchResult> {
  const [host, port] = bootstrap.split(':') as [string, string];
  let records = 0;
  let bytes = 0;
  let requests = 0;
  const t0 = performance.now();
  const one = async (mine: number[]): Promise<void> => {
    const conn = await KafkaConnection.open(host, Number(port), 'millrace-bench-raw-fetch');
    try {
      await conn.negotiate();
      const v = conn.version('Fetch', 12);
      const offsets = new Map(mine.map((p) => [p, 0]));
      const open = new Set(mine);
      while (open.size > 0 && performance.now() - t0 < maxMs) {
        const res = await conn.send('Fetch', v, {
          replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [...open].map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: offsets.get(p)!, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes })) }],
          forgottenTopicsData: [], rackId: '',
        });
        requests++;
        if (res.errorCode !== 0) throw new Error(`fetch error ${res.errorCode}`);
        for (const t of res.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new Error(`fetch partition ${p.partitionIndex} error ${p.errorCode}`);
            const buf = p.records;
            let next = offsets.get(p.partitionIndex)!;
            if (buf) {
              for (let pos = 0; pos + 61 <= buf.length;) {
                const size = buf.readInt32BE(pos + 8) + 12;
                if (pos + size > buf.length) break; // a partial batch at the end of the response
                next = buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4) + buf.readInt32BE(pos + 23) + 1;
                records += buf.readInt32BE(pos + 57);
                bytes += size;
                pos += size;
              }
            }
            offsets.set(p.partitionIndex, next);
            if (next >= p.highWatermark) open.delete(p.partitionIndex);
          }
        }
      }
    } finally {
      conn.close();
    }
  };
  const all = Array.from({ length: partitions }, (_, p) => p);
  await Promise.all(Array.from({ length: Math.min(connections, partitions) }, (_, c) => one(all.filter((p) => p % connections === c))));
  return { records, bytes, ms: performance.now() - t0, requests };
}
