/**
 * Generated protocol codecs (src/protocol/generated/): encode and decode of a
 * Produce request v9 (the version kafkajs-era and librdkafka 2.x clients
 * negotiate as flexible) and a Fetch response v12, for two shapes:
 *
 * - 1 partition carrying one 16 KiB batch (the common high-throughput case);
 * - 100 partitions over 10 topics, 1 KiB batch each (per-partition overhead).
 *
 * Record batches are opaque byte fields: the Writer keeps batches of 1 KiB
 * and more as separate chunks (no copy) and the Reader returns views, so
 * these figures measure the framing work per request, not per byte.
 *
 *   node dist/bench/micro/codec.bench.js [--quick]
 */
import { readFetchResponse, readProduceRequest, writeFetchResponse, writeProduceRequest, type FetchResponse, type ProduceRequest } from '../../src/protocol/generated/index.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import { buildBatch } from '../../src/protocol/record-batch/index.js';
import { measureOps, type OpsCase } from '../lib/ops.js';
import { recordLikeBytes } from './data.js';
import { isMain, runStandalone } from './harness.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

/** A batch of 100-byte record values adding up to about `bytes`. */
export function batchOf(bytes: number, seed = 1): Buffer {
  const n = Math.max(1, Math.floor((bytes - 61) / 108));
  const data = recordLikeBytes(n * 100, seed);
  const records = Array.from({ length: n }, (_, i) => ({ value: data.subarray(i * 100, (i + 1) * 100) }));
  return buildBatch(records, { timestampMs: 1_700_000_000_000 });
}

function produceRequest(topics: number, partitions: number, batch: Buffer): ProduceRequest {
  return {
    transactionalId: null, acks: 1, timeoutMs: 30_000,
    topicData: Array.from({ length: topics }, (_, t) => ({
      name: `bench-topic-${t}`,
      partitionData: Array.from({ length: partitions }, (_, p) => ({ index: p, records: batch })),
    })),
  };
}

function fetchResponse(topics: number, partitions: number, batch: Buffer): FetchResponse {
  return {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: Array.from({ length: topics }, (_, t) => ({
      topic: `bench-topic-${t}`,
      topicId: '00000000000000000000000000000000',
      partitions: Array.from({ length: partitions }, (_, p) => ({
        partitionIndex: p, errorCode: 0, highWatermark: 123_456 + p, lastStableOffset: 123_456 + p, logStartOffset: 0,
        abortedTransactions: null, preferredReadReplica: -1, records: batch,
      })),
    })),
  } as FetchResponse;
}

/** Encoded size, chunks joined (what a socket would receive after the frame header). */
function encode(write: (w: Writer) => void): Buffer {
  const w = new Writer(4096);
  write(w);
  return w.toBuffer();
}

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const cases: OpsCase[] = [];
  const shapes: [string, number, number, Buffer][] = [
    ['1 partition × 16 KiB', 1, 1, batchOf(16 * 1024)],
    ['10 topics × 10 partitions × 1 KiB', 10, 10, batchOf(1024)],
  ];
  for (const [label, topics, partitions, batch] of shapes) {
    const pr = produceRequest(topics, partitions, batch);
    const prBytes = encode((w) => writeProduceRequest(w, 9, pr));
    const fr = fetchResponse(topics, partitions, batch);
    const frBytes = encode((w) => writeFetchResponse(w, 12, fr));
    // Sanity: the codecs round-trip these shapes.
    const back = readProduceRequest(new Reader(prBytes), 9);
    if (back.topicData.length !== topics || back.topicData[0]!.partitionData[0]!.records!.length !== batch.length) throw new Error('produce v9 round trip failed');
    if (readFetchResponse(new Reader(frBytes), 12).responses[0]!.partitions.length !== partitions) throw new Error('fetch v12 round trip failed');
    const reps = topics * partitions > 1 ? 4 : 64;
    cases.push(
      { name: `produce request v9 encode, ${label}`, reps, fn: () => { const w = new Writer(1024); writeProduceRequest(w, 9, pr); return w.finish().length; } },
      { name: `produce request v9 decode, ${label}`, reps, fn: () => readProduceRequest(new Reader(prBytes), 9).topicData.length },
      { name: `fetch response v12 encode, ${label}`, reps, fn: () => { const w = new Writer(1024); writeFetchResponse(w, 12, fr); return w.finish().length; } },
      { name: `fetch response v12 decode, ${label}`, reps, fn: () => readFetchResponse(new Reader(frBytes), 12).responses.length },
    );
  }
  return measureOps(cases, opts);
}

if (isMain(import.meta.url)) await runStandalone('Protocol codecs (generated)', run);
