/**
 * TCP listener (dispatcher thread only): accepts sockets and wraps each in a Connection.
 */
import { createServer, type Server } from 'node:net';
import type { Logger } from '../common/logger.js';
import { Connection, type Admission, type ConnectionLimits } from './connection.js';
import type { Dispatcher } from './dispatcher.js';
import type { ReceiveArena } from '../shard/receive-arena.js';

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(dispatcher: Dispatcher, limits: ConnectionLimits, private readonly log: Logger, admission: Admission | null = null, arena: ReceiveArena | null = null) {
    // connections.max.idle.ms, as Kafka: clients reconnect when they need to, and a peer that vanished
    // without a FIN (host crash, dropped NAT entry) does not hold its buffers and descriptor for ever.
    this.idleTimer = setInterval(() => this.closeIdle(), Math.min(30_000, Math.max(50, limits.maxIdleMs / 4)));
    this.idleTimer.unref();
    // Accepted paused: each Connection re-wraps its socket to read into its own ReceiveBuffer.
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
      const conn = new Connection(this.nextConnectionId++, socket, this.server, dispatcher, limits, log, (c) => this.connections.delete(c), admission, arena);
      this.connections.add(conn);
      conn.start();
    });
    this.server.on('error', (err) => log.error({ err: err.message }, 'server error'));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  private closeIdle(): void {
    const now = performance.now();
    for (const c of this.connections) {
      if (!c.idle(now)) continue;
      this.log.debug({ conn: c.remoteAddress }, 'closing idle connection');
      c.closeConnection('idle');
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections accepted since start (metrics). */
  get acceptedCount(): number {
    return this.nextConnectionId - 1;
  }

  /**
   * TEST HOOK (fault injection; the broker never calls it): destroy every
   * client socket at once, without a FIN-then-drain, as a network failure or
   * a broker-side reset would. Requests already dispatched still complete on
   * their shards; their responses are lost. Returns how many were dropped.
   */
  dropConnections(): number {
    const n = this.connections.size;
    for (const c of this.connections) c.destroy();
    return n;
  }

  /** Stops accepting, then closes every connection. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    await closed;
  }
}
