import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface Answer {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: ErrorCode;
  errorMessage: string | null;
}

/**
 * FindCoordinator: this broker coordinates every group (key type 0). The
 * first group lookup creates `__consumer_offsets`, as Kafka does; until it
 * exists the answer is COORDINATOR_NOT_AVAILABLE, which clients retry.
 * Transactions (key type 1) have no coordinator yet. v4+ batches keys.
 */
export function findCoordinatorHandler(s: BrokerServices) {
  const log = logger.child({ component: 'find-coordinator' });
  const noNode = (key: string, errorCode: ErrorCode, errorMessage: string): Answer => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  const answer = async (key: string, keyType: number): Promise<Answer> => {
    if (keyType === KEY_TYPE_TRANSACTION) return noNode(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The transaction coordinator is not available.');
    if (keyType !== KEY_TYPE_GROUP) return noNode(key, ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
    try {
      await s.groups.prepare();
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'offsets topic not available');
      return noNode(key, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    }
    return { key, nodeId: s.metadata.nodeId, host: s.config.advertisedHost, port: s.config.advertisedPort, errorCode: ErrorCode.NONE, errorMessage: null };
  };
  return defineHandler({
    api: Apis.FindCoordinator,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      if (ctx.apiVersion >= 4) {
        const coordinators = await Promise.all(req.coordinatorKeys.map((k) => answer(k, req.keyType)));
        return { throttleTimeMs: 0, coordinators };
      }
      const a = await answer(req.key, ctx.apiVersion >= 1 ? req.keyType : KEY_TYPE_GROUP);
      return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
    },
  });
}
