/** A small protocol-level producer/reader for tests (no client library in between). */
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { buildBatch, decodeAllRecords, type RecordInput } from '../../src/protocol/record-batch/index.js';
import { batchSize, lastOffset, LOG_OVERHEAD } from '../../src/protocol/record-batch/record-batch-header.js';

export async function connect(port: number): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', port, 'millrace-test');
  await c.negotiate();
  return c;
}

/** Auto-creates a topic through Metadata (with the broker's default partition count) and returns its partition count. */
export async function ensureTopic(c: KafkaConnection, name: string): Promise<number> {
  const res = await c.send('Metadata', 4, { topics: [{ name }], allowAutoTopicCreation: true });
  const t = res.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`Metadata for ${name}: error ${t.errorCode}`);
  return t.partitions.length;
}

/** Produces one batch; resolves with the partition's error code and base offset. */
export async function produce(c: KafkaConnection, topic: string, partition: number, records: RecordInput[], acks = -1): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await c.send('Produce', 7, {
    acks, timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(records) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

/** Reads a whole partition from offset 0 (values as strings, with offsets). */
export async function readAll(c: KafkaConnection, topic: string, partition: number): Promise<{ offset: number; value: string }[]> {
  const batches = await fetchRawBatches(c, topic, partition);
  if (batches.length === 0) return [];
  return decodeAllRecords(Buffer.concat(batches)).map((r) => ({ offset: r.offset, value: r.value ? Buffer.from(r.value).toString() : '' }));
}

/** Every whole batch of a partition from offset 0 to the high watermark, as stored (compressed ones stay compressed). */
export async function fetchRawBatches(c: KafkaConnection, topic: string, partition = 0): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const res = await c.send('Fetch', 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 16 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 << 20, logStartOffset: -1, currentLeaderEpoch: -1 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = res.responses[0]!.partitions[0]!;
    if (p.errorCode !== 0) throw new Error(`Fetch ${topic}/${partition} at ${offset}: error ${p.errorCode}`);
    const buf = p.records ?? Buffer.alloc(0);
    let progressed = false;
    for (let pos = 0; pos + LOG_OVERHEAD <= buf.length;) {
      const size = batchSize(buf, pos);
      if (pos + size > buf.length) break; // partial batch at the end of the response
      const last = lastOffset(buf, pos);
      if (last >= offset) {
        out.push(Buffer.from(buf.subarray(pos, pos + size)));
        offset = last + 1;
        progressed = true;
      }
      pos += size;
    }
    if (!progressed || offset >= p.highWatermark) return out;
  }
}

