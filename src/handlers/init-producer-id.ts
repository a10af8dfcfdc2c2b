import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;

/**
 * InitProducerId for idempotent (non-transactional) producers: every call
 * gets a fresh producer id with epoch 0, as Kafka does when the
 * transactional id is null (KIP-360's id/epoch in v3+ is then only checked
 * for consistency, a new id is handed out regardless).
 *
 * A transactional id → TRANSACTIONAL_ID_AUTHORIZATION_FAILED until Millrace
 * has a transaction coordinator. It is the one code every client treats as
 * fatal at once: Java (TransactionalIdAuthorizationException from
 * initTransactions), librdkafka (fatal error) and kafkajs (not in its retry
 * list). COORDINATOR_NOT_AVAILABLE would be retried by Java and librdkafka
 * until max.block.ms / the init timeout. Redpanda answers transactional
 * requests the same way when transactions are disabled.
 */
export function initProducerIdHandler(s: BrokerServices) {
  const log = logger.child({ component: 'init-producer-id' });
  return defineHandler({
    api: Apis.InitProducerId,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
      if (req.transactionalId !== null) {
        // Kafka: an empty transactional id is a malformed request, not a transactional one.
        if (req.transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
        log.warn({ transactionalId: req.transactionalId, clientId: ctx.clientId }, 'transactional producer refused: transactions are not supported yet');
        return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      }
      if (ctx.apiVersion >= 3 && (req.producerId === NO_PRODUCER_ID) !== (req.producerEpoch === NO_PRODUCER_EPOCH)) {
        return fail(ErrorCode.INVALID_REQUEST);
      }
      try {
        const producerId = await s.producerIds.allocate();
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
      } catch (err) {
        // Kafka answers this when no id block is available; every client retries it.
        log.error({ err: (err as Error).message }, 'producer id block could not be reserved');
        return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      }
    },
  });
}
