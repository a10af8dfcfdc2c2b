import { ErrorCode } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** ApiVersions: the ranges come from the handler registry, never from a second list. */
export function apiVersionsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.ApiVersions,
    minVersion: 0,
    maxVersion: 3,
    handle: () => ({ errorCode: ErrorCode.NONE, apiKeys: s.apiVersionRanges(), throttleTimeMs: 0 }),
  });
}
