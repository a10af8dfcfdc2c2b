import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** DeleteGroups: only Empty groups (NON_EMPTY_GROUP otherwise); their offsets go too. */
export function deleteGroupsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      return { throttleTimeMs: 0, results: await s.groups.deleteGroups(req.groupsNames) };
    },
  });
}
