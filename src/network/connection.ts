/**
 * One client connection (dispatcher thread only).
 *
 *   socket ──data──▶ FrameDecoder ──frame──▶ Dispatcher ──▶ slot in `inFlight`
 *                                                            │ (sync or async)
 *   socket ◀──write── flush(): head slots, in request order ◀┘
 *
 * Requests are dispatched as soon as they arrive (so produce requests can be
 * pipelined and long polls do not stall the decoder), but responses leave
 * strictly in request order, as every Kafka client requires. Backpressure:
 * reading pauses while too many requests are in flight or the socket's write
 * buffer is full, so memory stays bounded under overload.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../common/logger.js';
import { ProtocolDecodeError } from '../protocol/primitives/index.js';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { RequestRejectedError, type Dispatcher, type ConnectionHooks } from './dispatcher.js';

interface Slot {
  done: boolean;
  frame: Buffer[] | null;
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxInFlightRequests: number;
  maxPendingWriteBytes: number;
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
  private readonly decoder: FrameDecoder;
  private readonly inFlight: Slot[] = [];
  private closing = false;
  private paused = false;

  constructor(
    readonly connectionId: number,
    private readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
    private readonly limits: ConnectionLimits,
    private readonly log: Logger,
    private readonly onClosed: (c: Connection) => void,
    private readonly admission: Admission | null = null,
  ) {
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug({ conn: this.remoteAddress, err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closing = true;
      this.inFlight.length = 0;
      this.onClosed(this);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    try {
      this.decoder.push(chunk, (body) => this.onFrame(body));
    } catch (err) {
      this.reject(err);
    }
  }

  private onFrame(body: Buffer): void {
    if (this.closing) return;
    const slot: Slot = { done: false, frame: null };
    let result;
    try {
      result = this.dispatcher.dispatch(body, this);
    } catch (err) {
      this.reject(err, body);
      return;
    }
    this.inFlight.push(slot);
    if (this.admission?.congested()) {
      this.pause();
      this.admission.whenRelieved(() => this.maybeResume());
    }
    if (result instanceof Promise) {
      result.then(
        (frame) => this.complete(slot, frame),
        (err: unknown) => this.reject(err, body),
      );
      if (this.inFlight.length >= this.limits.maxInFlightRequests) this.pause();
    } else this.complete(slot, result);
  }

  private complete(slot: Slot, frame: Buffer[] | null): void {
    slot.done = true;
    slot.frame = frame;
    this.flush();
  }

  /** Writes every completed response at the head of the queue, in order. */
  private flush(): void {
    if (this.closing) return;
    const head = this.inFlight[0];
    if (!head?.done) return;
    this.socket.cork();
    while (this.inFlight.length > 0 && this.inFlight[0]!.done) {
      const { frame } = this.inFlight.shift()!;
      if (frame) for (const part of frame) this.socket.write(part);
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
