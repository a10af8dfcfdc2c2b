import { ErrorCode } from '../common/error-codes.js';
import { Apis, type FetchRequest, type FetchResponse } from '../protocol/generated/index.js';
import type { Init } from '../protocol/primitives/index.js';
import { LENGTH_OFFSET, LOG_OVERHEAD } from '../protocol/record-batch/record-batch-header.js';
import type { Route } from '../shard/engine.js';
import type { FetchOutcome, MaybePromise, PartitionKey } from '../shard/shard.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

type PartitionData = Init<FetchResponse['responses'][number]['partitions'][number]>;

/**
 * Fetch (no sessions: SessionId 0, so clients send full fetches). Topics by
 * name in v4-12, by topic id in v13+ (an unknown id gets UNKNOWN_TOPIC_ID per
 * partition). v13 is served because @platformatic/kafka 1.x always puts the
 * topic *id* in the topic field: at v12 it writes the id as the topic name
 * (apis/consumer/fetch-v12.js), so its consumer only works with v13+.
 * Answers at once when there is at least min_bytes, on error, or when
 * max_wait_ms is 0; otherwise parks in the purgatory until a shard
 * signals new data for one of the partitions or the wait expires. Every
 * requested partition appears in the response (Java discards it otherwise).
 */
export function fetchHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.Fetch,
    minVersion: 4,
    maxVersion: 13,
    async handle(req, ctx) {
      const deadline = Date.now() + req.maxWaitMs;
      const limit = responseLimit(s, req);
      // min_bytes is capped by the response limit, as Kafka does, so it can be met.
      const minBytes = Math.max(1, Math.min(req.minBytes, limit));
      for (;;) {
        const mark = s.purgatory.mark();
        // Records from worker shards are views of their fetch slots, leased until the response is written.
        const leased: (() => void)[] = [];
        let failed = false;
        let read;
        try {
          read = await readAll(s, req, limit, ctx.apiVersion >= 13, (release) => { if (failed) release(); else leased.push(release); });
        } catch (err) {
          failed = true; // reads still in flight release theirs as they land
          for (const release of leased) release();
          throw err;
        }
        const { responses, bytes, error, keys } = read;
        const remainingMs = deadline - Date.now();
        if (bytes >= minBytes || error || remainingMs <= 0 || keys.length === 0) {
          if (s.traffic && bytes > 0) {
            for (const t of responses) for (const p of t.partitions) if (p.records) s.traffic.fetched(t.name, p.records);
          }
          for (const release of leased) ctx.defer(release);
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
        }
        for (const release of leased) release(); // not enough yet: nothing of this read is sent
        await s.purgatory.wait(keys, remainingMs, mark);
      }
    },
  });
}

/** The request's max_bytes within the broker's fetch.max.bytes: what one response may hold (KIP-74 aside). */
function responseLimit(s: BrokerServices, req: FetchRequest): number {
  return Math.min(req.maxBytes > 0 ? req.maxBytes : 0x7fffffff, s.config.fetchMaxBytes);
}

/**
 * Reads every requested partition. With worker shards each read is a thread
 * round trip, so the reads are all issued before any is awaited (one round
 * trip per fetch, not one per partition). The response budget (`limit`:
 * max_bytes capped by the broker's fetch.max.bytes, so that no client can
 * make one response hold gigabytes of reads) is reserved up front in
 * request order; partitions beyond it are read after the first pass only if
 * it left budget over. Only the first partition with data may exceed the
 * budget (by one batch, KIP-74); later ones are trimmed to whole batches
 * that fit.
 */
async function readAll(s: BrokerServices, req: FetchRequest, limit: number, byTopicId: boolean, lease: (release: () => void) => void) {
  let error = false;
  const keys: PartitionKey[] = [];
  const abortedTransactions = req.isolationLevel === 1 ? [] : null;
  /** `name` is the topic's name whichever way it was asked for (for the traffic metrics). */
  const responses: { topic: string; topicId: string; name: string; partitions: PartitionData[] }[] = [];
  const reads: { out: PartitionData; route: Route; fetchOffset: number; partitionMaxBytes: number; result?: MaybePromise<FetchOutcome> }[] = [];
  let reserved = 0;
  for (const t of req.topics) {
    const partitions: PartitionData[] = [];
    const name = byTopicId ? s.metadata.topicById(t.topicId)?.name : t.topic;
    for (const p of t.partitions) {
      const route = name === undefined ? undefined : s.engine.route(name, p.partition);
      const out: PartitionData = {
        partitionIndex: p.partition, errorCode: ErrorCode.NONE, highWatermark: -1, lastStableOffset: -1,
        logStartOffset: -1, abortedTransactions, preferredReadReplica: -1, records: [],
      };
      partitions.push(out);
      if (!route) {
        out.errorCode = name === undefined ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        error = true;
        continue;
      }
      keys.push(route.key);
      const read: (typeof reads)[number] = { out, route, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes };
      const maxBytes = Math.min(limit - reserved, p.partitionMaxBytes);
      if (maxBytes > 0) {
        read.result = route.shard.fetch({ key: route.key, fetchOffset: p.fetchOffset, maxBytes, minOneBatch: true, lease });
        reserved += maxBytes;
      }
      reads.push(read);
    }
    responses.push({ topic: t.topic, topicId: t.topicId, name: name ?? t.topic, partitions });
  }
  let bytes = 0;
  for (const r of reads) {
    const budget = limit - bytes;
    if (!r.result) {
      if (budget <= 0) continue;
      r.result = r.route.shard.fetch({ key: r.route.key, fetchOffset: r.fetchOffset, maxBytes: Math.min(budget, r.partitionMaxBytes), minOneBatch: bytes === 0, lease });
    }
    const o = await r.result;
    const kept = bytes === 0 ? o : takeWhole(o, budget);
    r.out.errorCode = o.errorCode;
    r.out.highWatermark = o.highWatermark;
    r.out.lastStableOffset = o.highWatermark;
    r.out.logStartOffset = o.logStartOffset;
    r.out.records = kept.records;
    if (o.errorCode !== ErrorCode.NONE) error = true;
    bytes += kept.bytes;
  }
  return { responses, bytes, error, keys };
}

/** The leading whole batches of `o` that fit in `budget` bytes. */
function takeWhole(o: FetchOutcome, budget: number): { records: Buffer[]; bytes: number } {
  if (o.bytes <= budget) return o;
  const records: Buffer[] = [];
  let bytes = 0;
  for (const chunk of o.records) {
    let end = 0;
    while (end + LOG_OVERHEAD <= chunk.length) {
      const size = LOG_OVERHEAD + chunk.readInt32BE(end + LENGTH_OFFSET);
      if (bytes + end + size > budget) break;
      end += size;
    }
    if (end > 0) records.push(chunk.subarray(0, end));
    bytes += end;
    if (end < chunk.length) break;
  }
  return { records, bytes };
}
