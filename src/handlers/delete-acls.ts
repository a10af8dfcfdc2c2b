import { Apis } from '../protocol/generated/index.js';
import { SECURITY_DISABLED } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** DeleteAcls: SECURITY_DISABLED for every filter, as Kafka answers without an authorizer (admin-errors.ts). */
export function deleteAclsHandler(_s: BrokerServices) {
  return defineHandler({
    api: Apis.DeleteAcls,
    minVersion: 0,
    maxVersion: 3,
    handle(req) {
      return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ ...SECURITY_DISABLED, matchingAcls: [] })) };
    },
  });
}
