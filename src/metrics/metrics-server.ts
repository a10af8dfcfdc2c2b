/**
 * The metrics HTTP endpoint (dispatcher thread), a bare node:http server:
 *
 *   GET /metrics  Prometheus text exposition of BrokerMetrics' registry
 *   GET /health   200 {"status":"serving",...} once the broker serves Kafka
 *                 requests; 503 while starting, recovering partitions
 *                 (with progress: partitionsOpened / partitionsTotal) or
 *                 stopping
 *
 * It binds to the broker's host (127.0.0.1 unless --host says otherwise), so
 * it is never exposed on every interface by default. It starts before the
 * partitions are opened, so a load balancer or orchestrator sees the
 * recovery instead of a refused connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../common/logger.js';
import type { BrokerMetrics } from './broker-metrics.js';

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function startMetricsServer(metrics: BrokerMetrics, host: string, port: number, log: Logger): Promise<MetricsServer> {
  const startedMs = Date.now();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.render().then(
        (text) => { res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text); },
        (err: Error) => {
          log.error({ err: err.message }, 'metrics scrape failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${err.message}\n`);
        },
      );
      return;
    }
    if (path === '/health') {
      const status = metrics.state;
      const body = JSON.stringify({
        status, partitionsOpened: metrics.partitionsOpened, partitionsTotal: metrics.partitionsToOpen,
        uptimeSeconds: Math.round((Date.now() - startedMs) / 1000),
      });
      res.writeHead(status === 'serving' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(req.method === 'HEAD' ? undefined : body + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err: err.message }, 'metrics server error'));
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      log.info({ host, port: bound }, 'metrics endpoint listening (/metrics, /health)');
      resolve({
        host,
        port: bound,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
