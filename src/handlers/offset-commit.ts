import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * OffsetCommit: generation -1 commits from consumers that assign partitions
 * themselves are accepted for Empty groups; v2-4 RetentionTimeMs (-1 =
 * broker default) sets an explicit expiry; errors per partition.
 */
export function offsetCommitHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.OffsetCommit,
    minVersion: 0,
    maxVersion: 8,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const topics = await s.groups.commitOffsets({
        groupId: req.groupId,
        generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: v >= 1 ? req.memberId : '',
        groupInstanceId: v >= 7 ? req.groupInstanceId : null,
        retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
            committedMetadata: p.committedMetadata,
          })),
        })),
      });
      return { throttleTimeMs: 0, topics };
    },
  });
}
