/**
 * A minimal Kafka protocol client connection, built on the generated codecs.
 * Used by the load generator, the CLI and the tests; it speaks to any
 * Kafka-compatible broker. Requests are pipelined; responses are matched to
 * requests in order (and checked by correlation id).
 */
import { connect, type Socket } from 'node:net';
import { Apis, readResponseHeader, writeRequestHeader, type ApiName, type ApiVersionsResponse } from '../protocol/generated/index.js';
import { Reader, Writer, type Init } from '../protocol/primitives/index.js';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/header.js';
import { ResponseReader } from './response-reader.js';

type Req<N extends ApiName> = Parameters<(typeof Apis)[N]['writeRequest']>[2];
type Res<N extends ApiName> = ReturnType<(typeof Apis)[N]['readResponse']>;

interface Pending {
  correlationId: number;
  decode: (r: Reader) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class KafkaConnectionError extends Error {
  override name = 'KafkaConnectionError';
}

export class KafkaConnection {
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private closedError: Error | null = null;
  /** Highest version the broker supports per API key (after `negotiate()`). */
  readonly brokerVersions = new Map<number, { min: number; max: number }>();

  private constructor(private readonly socket: Socket, readonly clientId: string) {
    socket.setNoDelay(true);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new KafkaConnectionError('connection closed')));
  }

  static open(host: string, port: number, clientId = 'millrace', timeoutMs = 10_000): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const reader = new ResponseReader(1 << 30);
      const onRead = (n: number): boolean => {
        try {
          reader.received(n, (body) => conn.onResponse(body));
        } catch (err) {
          conn.fail(err as Error);
        }
        return true;
      };
      const socket = connect({ host, port, onread: { buffer: () => reader.nextReadBuffer(), callback: onRead } });
      const conn = new KafkaConnection(socket, clientId);
      const timer = setTimeout(() => { socket.destroy(); reject(new KafkaConnectionError(`connect to ${host}:${port} timed out`)); }, timeoutMs);
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
      socket.once('connect', () => { clearTimeout(timer); resolve(conn); });
    });
  }

  /** Sends ApiVersions v0 and remembers the broker's ranges. */
  async negotiate(): Promise<ApiVersionsResponse> {
    const res = await this.send('ApiVersions', 0, {});
    for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    return res;
  }

  /** The highest version both sides support, or throws. */
  version(api: ApiName, ourMax: number = Apis[api].maxVersion, ourMin = 0): number {
    const b = this.brokerVersions.get(Apis[api].apiKey);
    if (!b) throw new KafkaConnectionError(`broker does not support ${api}`);
    const v = Math.min(ourMax, b.max);
    if (v < Math.max(ourMin, b.min)) throw new KafkaConnectionError(`no common version for ${api}`);
    return v;
  }

  /** Encodes a request frame without sending it (the load generator pre-encodes). */
  encode<N extends ApiName>(api: N, version: number, body: Req<N>, correlationId = this.nextCorrelationId++): Buffer[] {
    const schema = Apis[api];
    const w = new Writer(256);
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(schema.apiKey, version), {
      requestApiKey: schema.apiKey, requestApiVersion: version, correlationId, clientId: this.clientId,
    });
    (schema.writeRequest as (w: Writer, v: number, m: unknown) => void)(w, version, body);
    w.patchInt32(0, w.length - 4);
    return w.finish();
  }

  /** Sends a request and resolves with its decoded response. */
  send<N extends ApiName>(api: N, version: number, body: Req<N>): Promise<Res<N>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const schema = Apis[api];
    const correlationId = this.nextCorrelationId++;
    const frame = this.encode(api, version, body, correlationId);
    const headerVersion = responseHeaderVersion(schema.apiKey, version);
    return new Promise((resolve, reject) => {
      this.pending.push({
        correlationId,
        decode: (r) => { readResponseHeader(r, headerVersion); return schema.readResponse(r, version); },
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      this.write(frame);
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendNoResponse<N extends ApiName>(api: N, version: number, body: Req<N>): void {
    this.write(this.encode(api, version, body));
  }

  /** Writes raw bytes (tests use this to send malformed frames). */
  write(parts: Buffer | Buffer[]): boolean {
    if (!Array.isArray(parts)) return this.socket.write(parts);
    this.socket.cork();
    let ok = true;
    for (const p of parts) ok = this.socket.write(p);
    this.socket.uncork();
    return ok;
  }

  get inFlight(): number {
    return this.pending.length;
  }

  /** Resolves when the socket's write buffer has drained (or the socket closed). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.socket.destroyed) return Promise.resolve();
    // A socket that closes instead never drains: settle on either.
    return new Promise((r) => {
      const done = (): void => { this.socket.off('drain', done); this.socket.off('close', done); r(); };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  private onResponse(body: Buffer): void {
    const p = this.pending.shift();
    if (!p) return this.fail(new KafkaConnectionError('response without a request'));
    const got = body.readInt32BE(0);
    if (got !== p.correlationId) return this.fail(new KafkaConnectionError(`correlation id ${got}, expected ${p.correlationId}`));
    try {
      p.resolve(p.decode(new Reader(body)));
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err;
    for (const p of this.pending.splice(0)) p.reject(err);
    this.socket.destroy();
  }
}
