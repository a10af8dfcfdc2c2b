/**
 * One client connection (dispatcher thread only).
 *
 *   socket ──read──▶ ReceiveBuffer ──frame──▶ Dispatcher ──▶ slot in `inFlight`
 *                                                            │ (sync or async)
 *   socket ◀──write── flush(): head slots, in request order ◀┘
 *
 * Requests are dispatched as soon as they arrive (so produce requests can be
 * pipelined and long polls do not stall the decoder), but responses leave
 * strictly in request order, as every Kafka client requires. Frames are views
 * of the connection's ReceiveBuffer, valid while they are dispatched: every
 * request but Produce is copied first (they are small, and handlers may keep
 * their bytes); a Produce's batches are consumed synchronously by the shards
 * (appended inline, or copied into a worker's ring, or, when read into the
 * ReceiveArena, passed by reference to a worker that retains it). Backpressure:
 * reading pauses while too many requests are in flight or the socket's write
 * buffer is full, so memory stays bounded under overload.
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from '../common/logger.js';
import { ProtocolDecodeError } from '../protocol/primitives/index.js';
import { Apis } from '../protocol/generated/index.js';
import { FrameTooLargeError } from './frame-decoder.js';
import { RequestRejectedError, type Dispatcher, type ConnectionHooks } from './dispatcher.js';
import { adoptWithReceiveBuffer, ReceiveBuffer } from './receive-buffer.js';
import type { ReceiveArena } from '../shard/receive-arena.js';

/** Request header bytes kept for the log line of a request whose handler fails later (key, version, id, client id). */
const HEADER_COPY_BYTES = 64;

interface Slot {
  done: boolean;
  frame: Buffer[] | null;
  /** RequestContext.defer work: run once the response is written, or the request or connection ends without it. */
  deferred: (() => void)[] | null;
  /** The deferred work ran: anything deferred later runs at once. */
  finished: boolean;
}

function runDeferred(slot: Slot): void {
  slot.finished = true;
  const fns = slot.deferred;
  slot.deferred = null;
  if (fns) for (const fn of fns) fn();
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxInFlightRequests: number;
  maxPendingWriteBytes: number;
  /** connections.max.idle.ms: a connection with nothing in flight that has read and written nothing for this long is closed. */
  maxIdleMs: number;
}

/**
 * Global admission control: while the engine is congested (shard rings full
 * and their overflow over its limit), connections stop reading new requests
 * and resume when told the congestion is over.
 */
export interface Admission {
  congested(): boolean;
  whenRelieved(resume: () => void): void;
}

/** The client id of a request header (v1+: int16 length, UTF-8), if the bytes hold one; for error logs. */
function clientIdOf(body: Buffer | undefined): string | undefined {
  if (!body || body.length < 10) return undefined;
  const n = body.readInt16BE(8);
  return n >= 0 && 10 + n <= body.length ? body.toString('utf8', 10, 10 + n) : undefined;
}

export class Connection implements ConnectionHooks {
  readonly remoteAddress: string;
  private readonly input: ReceiveBuffer;
  private readonly socket: Socket;
  private readonly inFlight: Slot[] = [];
  private closing = false;
  private paused = false;
  /** performance.now() of the last read or response written. */
  private lastActiveMs = performance.now();

  constructor(
    readonly connectionId: number,
    accepted: Socket,
    server: Server,
    private readonly dispatcher: Dispatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClosed: (c: Connection) => void,
    private readonly admission: Admission | null = null,
    arena: ReceiveArena | null = null,
  ) {
    this.remoteAddress = `${accepted.remoteAddress}:${accepted.remotePort}`;
    this.input = new ReceiveBuffer(limits.maxFrameBytes, undefined, arena);
    const socket = (this.socket = adoptWithReceiveBuffer(accepted, server, this.input, (n) => this.onRead(n)));
    socket.setNoDelay(true);
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug({ conn: this.remoteAddress, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closing = true;
      this.input.dispose();
      for (const slot of this.inFlight.splice(0)) runDeferred(slot);
      this.onClosed(this);
    });
  }

  /** Starts reading (the server accepts sockets paused, so nothing was read before the handlers were in place). */
  start(): void {
    this.socket.resume();
  }

  private onRead(n: number): void {
    if (this.closing) return;
    this.lastActiveMs = performance.now();
    try {
      this.input.received(n, (body) => this.onFrame(body));
    } catch (err) {
      this.reject(err);
    }
  }

  private readonly onFrame = (view: Buffer): void => {
    if (this.closing) return;
    // The view is read into again once this returns; only Produce is consumed synchronously.
    const isProduce = view.length >= 2 && view.readInt16BE(0) === Apis.Produce.apiKey;
    if (isProduce) this.input.useArena();
    const body = isProduce ? view : Buffer.from(view);
    const slot: Slot = { done: false, frame: null, deferred: null, finished: false };
    const defer = (fn: () => void): void => {
      if (slot.finished) fn();
      else (slot.deferred ??= []).push(fn);
    };
    let result;
    try {
      result = this.dispatcher.dispatch(body, this, defer);
    } catch (err) {
      runDeferred(slot);
      this.reject(err, body);
      return;
    }
    this.inFlight.push(slot);
    if (this.admission?.congested()) {
      this.pause();
      this.admission.whenRelieved(() => this.maybeResume());
    }
    if (result instanceof Promise) {
      const header = body === view ? Buffer.from(view.subarray(0, HEADER_COPY_BYTES)) : body;
      result.then(
        (frame) => this.complete(slot, frame),
        (err: unknown) => { runDeferred(slot); this.reject(err, header); },
      );
      if (this.inFlight.length >= this.limits.maxInFlightRequests) this.pause();
    } else this.complete(slot, result);
  };

  private complete(slot: Slot, frame: Buffer[] | null): void {
    slot.done = true;
    slot.frame = frame;
    if (this.closing) runDeferred(slot);
    else this.flush();
  }

  /** Writes every completed response at the head of the queue, in order. */
  private flush(): void {
    if (this.closing) return;
    const head = this.inFlight[0];
    if (!head?.done) return;
    this.lastActiveMs = performance.now();
    this.socket.cork();
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) {
      const slot = this.inFlight.shift()!;
      const frame = slot.frame;
      if (!frame || frame.length === 0 || !slot.deferred) {
        if (frame) for (const part of frame) this.socket.write(part);
        runDeferred(slot);
        continue;
      }
      // Writes complete in order: the last part's callback (also called on error or destroy) means all are out.
      for (let i = 0; i < frame.length - 1; i++) this.socket.write(frame[i]!);
      this.socket.write(frame[frame.length - 1]!, () => runDeferred(slot));
    }
    this.socket.uncork();
    if (this.socket.writableLength > this.limits.maxPendingWriteBytes) this.pause();
    else this.maybeResume();
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.closing && this.inFlight.length < this.limits.maxInFlightRequests / 2 &&
        this.socket.writableLength <= this.limits.maxPendingWriteBytes && !this.admission?.congested()) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** A request we cannot answer: log it and close this connection only. */
  private reject(err: unknown, body?: Buffer): void {
    const expected = err instanceof ProtocolDecodeError || err instanceof RequestRejectedError || err instanceof FrameTooLargeError || err instanceof RangeError;
    const apiKey = body && body.length >= 4 ? body.readInt16BE(0) : undefined;
    const apiVersion = body && body.length >= 4 ? body.readInt16BE(2) : undefined;
    const fields = { conn: this.remoteAddress, clientId: clientIdOf(body), apiKey, apiVersion, err: err instanceof Error ? err.message : String(err) };
    this.dispatcher.observer?.requestFailed(apiKey, expected);
    if (expected) this.log.warn(fields, 'closing connection: bad request');
    else this.log.error({ ...fields, stack: err instanceof Error ? err.stack : undefined }, 'closing connection: request failed');
    this.closeConnection('bad request');
  }

  /** True when nothing is in flight and nothing was read or written for longer than maxIdleMs. */
  idle(nowMs: number): boolean {
    return !this.closing && this.inFlight.length === 0 && nowMs - this.lastActiveMs > this.limits.maxIdleMs;
  }

  /** Closes after writing the responses already completed. */
  closeConnection(reason: string): void {
    if (this.closing) return;
    this.log.debug({ conn: this.remoteAddress, reason }, 'closing connection');
    this.flush();
    this.closing = true;
    this.socket.end();
    this.socket.destroySoon?.();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
