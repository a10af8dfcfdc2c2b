/**
 * The one mapping from subsystem errors to the per-resource error code and
 * message of the admin APIs (CreateTopics, DeleteTopics, CreatePartitions,
 * DescribeConfigs, AlterConfigs, IncrementalAlterConfigs). A KafkaError
 * carries its code and a message meant for the client; anything else is a
 * Millrace bug or an I/O failure: logged, and answered UNKNOWN_SERVER_ERROR.
 */
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';

export interface ErrorResult {
  errorCode: number;
  errorMessage: string | null;
}

export const NO_ERROR: ErrorResult = Object.freeze({ errorCode: ErrorCode.NONE, errorMessage: null });

/**
 * The ACL APIs' answer on a broker without an authorizer, as Kafka gives it:
 * every operation is allowed, so there are no ACLs to describe, create or
 * delete (admin tools show "security disabled" instead of failing on an
 * unsupported API).
 */
export const SECURITY_DISABLED: ErrorResult = Object.freeze({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker' });

export function errorResult(err: unknown, api: string): ErrorResult {
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  logger.error({ api, err: e.message, stack: e.stack }, 'admin request failed unexpectedly');
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `Unexpected error: ${e.message}` };
}

/** Names that occur more than once in a request (Kafka answers each such entry INVALID_REQUEST). */
export function duplicates<T>(items: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const i of items) (seen.has(i) ? dup : seen).add(i);
  return dup;
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Attaches the outcome handler at once, so operations issued together (in
 * request order) and awaited one by one never leave a rejection unhandled.
 */
export function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return run().then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
  } catch (error) {
    return Promise.resolve({ ok: false as const, error });
  }
}
