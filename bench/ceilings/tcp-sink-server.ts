/**
 * Loopback TCP ceiling, server side (a separate process): accepts
 * connections on 127.0.0.1, discards what it reads and counts it; when the
 * client half-closes, it answers with the byte count (u64 LE) and closes.
 * Started by bench/ceilings/ceilings.ts through Helper.start.
 */
import { createServer, type Socket } from 'node:net';
import { serveHelper } from '../lib/proc.js';

const sockets = new Set<Socket>();
const server = createServer((s) => {
  sockets.add(s);
  let bytes = 0;
  s.on('data', (d: Buffer) => { bytes += d.length; });
  s.on('end', () => {
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(bytes));
    s.end(out);
  });
  s.on('error', () => undefined);
  s.on('close', () => sockets.delete(s));
});
server.listen(0, '127.0.0.1', () => {
  serveHelper({ port: (server.address() as { port: number }).port }, {}, () => {
    for (const s of sockets) s.destroy();
    server.close();
  });
});
