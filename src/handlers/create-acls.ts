import { Apis } from '../protocol/generated/index.js';
import { SECURITY_DISABLED } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** CreateAcls: SECURITY_DISABLED for every creation, as Kafka answers without an authorizer (admin-errors.ts). */
export function createAclsHandler(_s: BrokerServices) {
  return defineHandler({
    api: Apis.CreateAcls,
    minVersion: 0,
    maxVersion: 3,
    handle(req) {
      return { throttleTimeMs: 0, results: req.creations.map(() => ({ ...SECURITY_DISABLED })) };
    },
  });
}
