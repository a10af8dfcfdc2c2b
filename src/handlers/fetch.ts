import { ErrorCode } from '../common/error-codes.js';
import { Apis, type FetchRequest, type FetchResponse } from '../protocol/generated/index.js';
import type { Init } from '../protocol/primitives/index.js';
import type { PartitionKey } from '../shard/shard.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

type PartitionData = Init<FetchResponse['responses'][number]['partitions'][number]>;

/**
 * Fetch (no sessions: SessionId 0, so clients send full fetches; topics by
 * name, v4-12). Answers at once when there is at least min_bytes, on error,
 * or when max_wait_ms is 0; otherwise parks in the purgatory until a shard
 * signals new data for one of the partitions or the wait expires. Every
 * requested partition appears in the response (Java discards it otherwise).
 */
export function fetchHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.Fetch,
    minVersion: 4,
    maxVersion: 12,
    async handle(req) {
      const deadline = Date.now() + req.maxWaitMs;
      for (;;) {
        const { responses, bytes, error, keys } = await readAll(s, req);
        const remainingMs = deadline - Date.now();
        if (bytes >= Math.max(1, req.minBytes) || error || remainingMs <= 0 || keys.length === 0) {
          if (s.traffic && bytes > 0) {
            for (const t of responses) for (const p of t.partitions) if (p.records) s.traffic.fetched(t.topic, p.records);
          }
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
        }
        await s.purgatory.wait(keys, remainingMs);
      }
    },
  });
}

async function readAll(s: BrokerServices, req: FetchRequest) {
  let budget = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let error = false;
  const keys: PartitionKey[] = [];
  const abortedTransactions = req.isolationLevel === 1 ? [] : null;
  const responses: { topic: string; partitions: PartitionData[] }[] = [];
  for (const t of req.topics) {
    const partitions: PartitionData[] = [];
    for (const p of t.partitions) {
      const route = s.engine.route(t.topic, p.partition);
      const out: PartitionData = {
        partitionIndex: p.partition, errorCode: ErrorCode.NONE, highWatermark: -1, lastStableOffset: -1,
        logStartOffset: -1, abortedTransactions, preferredReadReplica: -1, records: [],
      };
      partitions.push(out);
      if (!route) {
        out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
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
    responses.push({ topic: t.topic, partitions });
  }
  return { responses, bytes, error, keys };
}
