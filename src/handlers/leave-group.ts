import { ErrorCode } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** LeaveGroup: one member (v0-2) or a batch with per-member errors (v3+, static members by instance id). */
export function leaveGroupHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    handle(req, ctx) {
      if (ctx.apiVersion < 3) {
        const r = s.groups.leave(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
        return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE) };
      }
      const r = s.groups.leave(req.groupId, req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })));
      return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    },
  });
}
