import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** Kafka's "not requested" value for AuthorizedOperations. */
const NOT_REQUESTED = -2147483648;
/** Bit set of the operations a group allows: READ (3), DELETE (6), DESCRIBE (8); no ACLs here, so all of them. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/**
 * DescribeGroups: state, protocol and members; member metadata and
 * assignment bytes only while Stable (as Kafka). An unknown group is
 * reported as Dead with no error.
 */
export function describeGroupsHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(req, ctx) {
      const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
      const groups = req.groups.map((id) => ({ ...s.groups.describeGroup(id), authorizedOperations: ops }));
      return { throttleTimeMs: 0, groups };
    },
  });
}
