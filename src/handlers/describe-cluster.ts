import { ErrorCode } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** DescribeCluster v1 EndpointType. */
const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

/** Kafka's "operations not requested" value of the authorized-operations bit field. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/**
 * Without an authorizer every operation on the CLUSTER resource is allowed
 * (Kafka then reports all supported ones): CREATE 5, ALTER 7, DESCRIBE 8,
 * CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11,
 * IDEMPOTENT_WRITE 12, CREATE_TOKENS 13, DESCRIBE_TOKENS 14 (AclOperation codes).
 */
const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);

/**
 * DescribeCluster: the single broker, which is also the controller. This
 * listener serves brokers' endpoints only; v1 asking for controller
 * endpoints → MISMATCHED_ENDPOINT_TYPE, as a Kafka broker answers.
 */
export function describeClusterHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(req, ctx) {
      const { nodeId, advertisedHost, advertisedPort } = s.config;
      const endpointType = ctx.apiVersion >= 1 ? req.endpointType : EndpointType.BROKER;
      const base = { throttleTimeMs: 0, endpointType, clusterId: s.metadata.clusterId };
      if (endpointType !== EndpointType.BROKER) {
        const known = endpointType === EndpointType.CONTROLLER;
        return {
          ...base,
          errorCode: known ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: known
            ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
            : `Unknown endpoint type ${endpointType}`,
          controllerId: -1,
          brokers: [],
        };
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        controllerId: nodeId,
        brokers: [{ brokerId: nodeId, host: advertisedHost, port: advertisedPort, rack: null }],
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  });
}
