import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** SyncGroup: followers wait for the leader's assignments; v5 checks the protocol type and name. */
export function syncGroupHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = await s.groups.sync({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        protocolType: v >= 5 ? req.protocolType : null,
        protocolName: v >= 5 ? req.protocolName : null,
        assignments: req.assignments,
      });
      return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
    },
  });
}
