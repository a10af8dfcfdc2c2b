import { ErrorCode } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

const LATEST = -1;
const EARLIEST = -2;

/**
 * ListOffsets: -1 latest (the high watermark; equal to the last stable offset
 * while there are no transactions), -2 earliest (log start offset), -3 the
 * record with the largest timestamp (v7+), otherwise the first offset whose
 * timestamp is ≥ the given one, or -1 if there is none.
 */
export function listOffsetsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.ListOffsets,
    minVersion: 1,
    maxVersion: 7,
    async handle(req) {
      const topics = [];
      for (const t of req.topics) {
        const partitions = [];
        for (const p of t.partitions) {
          const out = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as number, timestamp: -1, offset: -1, leaderEpoch: 0 };
          partitions.push(out);
          const route = s.engine.route(t.name, p.partitionIndex);
          if (!route) { out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION; continue; }
          if (p.timestamp === LATEST || p.timestamp === EARLIEST) {
            const o = await route.shard.offsets(route.key);
            if (!o) { out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION; continue; }
            out.offset = p.timestamp === LATEST ? o.highWatermark : o.logStartOffset;
          } else {
            const found = await route.shard.offsetForTimestamp(route.key, p.timestamp);
            if (found) { out.offset = found.offset; out.timestamp = found.timestamp; }
          }
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
