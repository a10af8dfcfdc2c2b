import type { ApiSchema } from '../protocol/generated/index.js';
import type { Init } from '../protocol/primitives/index.js';

/** Returned by a handler when the request gets no response (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

/** What a handler knows about the request it serves (dispatcher thread). */
export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connectionId: number;
  readonly remoteAddress: string;
  /** Closes this client's connection after pending responses (Kafka does this on a failed acks=0 produce). */
  closeConnection(reason: string): void;
  /**
   * Runs `fn` once this request's response has been written to the socket
   * (or the request failed, or the connection closed): for memory the
   * response refers to without a copy (fetch replies in a shard's slots).
   */
  defer(fn: () => void): void;
}

export type HandlerResult<Res> = Init<Res> | typeof NO_RESPONSE;

/**
 * One Kafka API. `minVersion`/`maxVersion` are what Millrace implements and
 * advertises in ApiVersions, so the advertised ranges cannot drift from the code.
 */
export interface Handler<Req = any, Res = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly api: ApiSchema<Req, Res>;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  if (h.minVersion < h.api.minVersion || h.maxVersion > h.api.maxVersion) {
    throw new Error(`${h.api.name} handler range ${h.minVersion}-${h.maxVersion} is outside the spec's ${h.api.minVersion}-${h.api.maxVersion}`);
  }
  return h;
}
