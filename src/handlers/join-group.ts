import { Apis } from '../protocol/generated/index.js';
import { defineHandler, type RequestContext } from './handler.js';
import type { BrokerServices } from './services.js';

/** Kafka reports a member's host as "/<ip>". */
export function clientHostOf(ctx: RequestContext): string {
  const i = ctx.remoteAddress.lastIndexOf(':');
  return `/${i > 0 ? ctx.remoteAddress.slice(0, i) : ctx.remoteAddress}`;
}

/**
 * JoinGroup: parked until the rebalance completes (see coordinator/group-coordinator.ts).
 * v0 has no rebalance timeout (the session timeout is used); v4+ gets
 * MEMBER_ID_REQUIRED first; v5+ carries group.instance.id; v7+ returns the protocol type.
 */
export function joinGroupHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = await s.groups.join({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: v >= 5 ? req.groupInstanceId : null,
        clientId: ctx.clientId ?? '',
        clientHost: clientHostOf(ctx),
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
        protocolType: req.protocolType,
        protocols: req.protocols,
        requireKnownMemberId: v >= 4,
        reason: req.reason,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        // Before v7 the field is not nullable.
        protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
        leader: r.leader,
        skipAssignment: r.skipAssignment,
        memberId: r.memberId,
        members: r.members,
      };
    },
  });
}
