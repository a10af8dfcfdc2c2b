import { ErrorCode } from '../common/error-codes.js';
import { Apis, type FetchRequest, type FetchResponse } from '../protocol/generated/index.js';
import type { Init } from '../protocol/primitives/index.js';
import type { PartitionKey } from '../shard/shard.js';
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
      for (;;) {
        const mark = s.purgatory.mark();
        const { responses, bytes, error, keys } = await readAll(s, req, ctx.apiVersion >= 13);
        const remainingMs = deadline - Date.now();
        if (bytes >= Math.max(1, req.minBytes) || error || remainingMs <= 0 || keys.length === 0) {
          if (s.traffic && bytes > 0) {
            for (const t of responses) for (const p of t.partitions) if (p.records) s.traffic.fetched(t.name, p.records);
          }
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
        }
        await s.purgatory.wait(keys, remainingMs, mark);
      }
    },
  });
}

async function readAll(s: BrokerServices, req: FetchRequest, byTopicId: boolean) {
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let error = false;
  const keys: PartitionKey[] = [];
  const abortedTransactions = req.isolationLevel === 1 ? [] : null;
  /** `name` is the topic's name whichever way it was asked for (for the traffic metrics). */
  const responses: { topic: string; topicId: string; name: string; partitions: PartitionData[] }[] = [];
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
      const maxBytes = Math.min(budget, p.partitionMaxBytes);
      const r = await route.shard.fetch({ key: route.key, fetchOffset: p.fetchOffset, maxBytes, minOneBatch: bytes === 0 });
      out.errorCode = r.errorCode;
      out.highWatermark = r.highWatermark;
      out.lastStableOffset = r.highWatermark;
      out.logStartOffset = r.logStartOffset;
      out.records = r.records;
      if (r.errorCode !== ErrorCode.NONE) error = true;
      bytes += r.bytes;
      budget = Math.max(0, budget - r.bytes);
    }
    responses.push({ topic: t.topic, topicId: t.topicId, name: name ?? t.topic, partitions });
  }
  return { responses, bytes, error, keys };
}
