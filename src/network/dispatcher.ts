/**
 * Dispatcher (dispatcher thread only): frame body → header → handler → response frame.
 *
 * Malformed headers, unknown API keys and unsupported versions close the
 * connection, as Kafka does (a differently-versioned answer would desync the
 * client). The one exception is ApiVersions: an unknown ApiVersions version is
 * answered as v0 with UNSUPPORTED_VERSION and our range, so clients retry with
 * a version we speak (KIP-511).
 */
import { ErrorCode } from '../common/error-codes.js';
import { API_VERSIONS_KEY, finishFrame, readHeader, startResponseFrame } from '../protocol/header.js';
import { Apis } from '../protocol/generated/index.js';
import { Reader } from '../protocol/primitives/index.js';
import { NO_RESPONSE, type HandlerResult, type RequestContext } from '../handlers/handler.js';
import type { HandlerRegistry } from '../handlers/registry.js';

/**
 * Metrics hooks (the broker passes one only when metrics are on, so a broker
 * without metrics does no timing at all). `requestDone` is called once per
 * answered request with the time from dispatch to the encoded response.
 */
export interface RequestObserver {
  requestDone(apiKey: number, durationMs: number): void;
  /** A request that closed its connection (malformed, unsupported, or its handler failed). */
  requestFailed(apiKey: number | undefined, expected: boolean): void;
}

export class RequestRejectedError extends Error {
  override name = 'RequestRejectedError';
}

export interface ConnectionHooks {
  readonly connectionId: number;
  readonly remoteAddress: string;
  closeConnection(reason: string): void;
}

/** The response frame for a request, or null when none is sent; a promise when the handler is asynchronous. */
export type DispatchResult = Buffer[] | null | Promise<Buffer[] | null>;

export class Dispatcher {
  constructor(private readonly registry: HandlerRegistry, readonly observer: RequestObserver | null = null) {}

  /** `defer` takes the request's deferred work (RequestContext.defer); the connection runs it. */
  dispatch(body: Buffer, conn: ConnectionHooks, defer: (fn: () => void) => void): DispatchResult {
    if (body.length < 8) throw new RequestRejectedError(`request of ${body.length} bytes is shorter than a header`);
    const r = new Reader(body);
    const apiKey = body.readInt16BE(0);
    const apiVersion = body.readInt16BE(2);
    const handler = this.registry.get(apiKey);
    if (!handler) throw new RequestRejectedError(`unknown api key ${apiKey}`);
    const header = readHeader(r);
    const supported = apiVersion >= handler.minVersion && apiVersion <= handler.maxVersion;
    if (!supported) {
      if (apiKey === API_VERSIONS_KEY) return this.unsupportedApiVersions(header.correlationId);
      throw new RequestRejectedError(`${handler.api.name} v${apiVersion} is not supported (${handler.minVersion}-${handler.maxVersion})`);
    }
    const request = handler.api.readRequest(r, apiVersion);
    const ctx: RequestContext = {
      apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connectionId: conn.connectionId,
      remoteAddress: conn.remoteAddress,
      closeConnection: (reason) => conn.closeConnection(reason),
      defer,
    };
    const encode = (result: HandlerResult<unknown>): Buffer[] | null => {
      if (result === NO_RESPONSE) return null;
      const w = startResponseFrame(apiKey, apiVersion, header.correlationId);
      handler.api.writeResponse(w, apiVersion, result);
      return finishFrame(w);
    };
    const obs = this.observer;
    const startedMs = obs ? performance.now() : 0;
    const result = handler.handle(request, ctx);
    if (!obs) return result instanceof Promise ? result.then(encode) : encode(result);
    const done = (r: HandlerResult<unknown>): Buffer[] | null => {
      const frame = encode(r);
      obs.requestDone(apiKey, performance.now() - startedMs);
      return frame;
    };
    return result instanceof Promise ? result.then(done) : done(result);
  }

  private unsupportedApiVersions(correlationId: number): Buffer[] {
    const h = this.registry.get(API_VERSIONS_KEY)!;
    const w = startResponseFrame(API_VERSIONS_KEY, 0, correlationId);
    Apis.ApiVersions.writeResponse(w, 0, {
      errorCode: ErrorCode.UNSUPPORTED_VERSION,
      apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: h.minVersion, maxVersion: h.maxVersion }],
    });
    return finishFrame(w);
  }
}
