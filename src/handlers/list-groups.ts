import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** ListGroups: every group but Dead ones; v4 filters by state (case-insensitive) and reports it. */
export function listGroupsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.ListGroups,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const r = s.groups.listGroups(ctx.apiVersion >= 4 ? req.statesFilter : []);
      return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
    },
  });
}
