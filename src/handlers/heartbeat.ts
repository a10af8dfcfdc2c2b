import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** Heartbeat: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin. */
export function heartbeatHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const errorCode = s.groups.heartbeat(req.groupId, req.memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, req.generationId);
      return { throttleTimeMs: 0, errorCode };
    },
  });
}
