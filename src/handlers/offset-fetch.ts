import { ErrorCode } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * OffsetFetch: -1 with no error where nothing is committed; a null topic list
 * (v2+) asks for every committed partition; v7+ RequireStable; v8 asks for
 * several groups at once. v0-1 have no group-level error field, so a group
 * error is reported on every partition.
 */
export function offsetFetchHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.OffsetFetch,
    minVersion: 0,
    maxVersion: 8,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const requireStable = v >= 7 && req.requireStable;
      if (v >= 8) {
        const groups = req.groups.map((g) => {
          const r = s.groups.fetchOffsets(g.groupId, g.topics, requireStable);
          return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
        });
        return { throttleTimeMs: 0, groups };
      }
      const topics = v >= 2 ? req.topics : (req.topics ?? []);
      const r = s.groups.fetchOffsets(req.groupId, topics, requireStable);
      if (v < 2 && r.errorCode !== ErrorCode.NONE) {
        return {
          throttleTimeMs: 0,
          topics: (topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, metadata: '', errorCode: r.errorCode })),
          })),
        };
      }
      return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics };
    },
  });
}
