import { Apis } from '../protocol/generated/index.js';
import { SECURITY_DISABLED } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** DescribeAcls: SECURITY_DISABLED, as Kafka answers without an authorizer (admin-errors.ts). */
export function describeAclsHandler(_s: BrokerServices) {
  return defineHandler({
    api: Apis.DescribeAcls,
    minVersion: 0,
    maxVersion: 3,
    handle() {
      return { throttleTimeMs: 0, ...SECURITY_DISABLED, resources: [] };
    },
  });
}
