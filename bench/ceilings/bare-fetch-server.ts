/**
 * The bare fetch loop, server side (a separate process): read a file, write
 * it to a socket. At start it writes a data file of the given size (and reads
 * it once, so it is in the page cache); for each connection it reads the file
 * sequentially in 1 MiB chunks with fs.readSync (as the shard reads segments)
 * and writes them to the socket, honouring backpressure, wrapping around at
 * the end, until the client closes. A chunk buffer is reused only after its
 * write has completed.
 *
 *   argv: <data file path> <MiB>
 */
import * as fs from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { serveHelper } from '../lib/proc.js';

const path = process.argv[2];
const mib = Number(process.argv[3] ?? 256);
if (!path || !(mib > 0)) throw new Error('usage: bare-fetch-server <file> <MiB>');
const CHUNK = 1 << 20;
{
  const fd = fs.openSync(path, 'w');
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 131) & 0xff;
  for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const rfd = fs.openSync(path, 'r');
  for (let p = 0; p < mib * CHUNK; p += CHUNK) fs.readSync(rfd, block, 0, CHUNK, p);
  fs.closeSync(rfd);
}
const size = mib * CHUNK;

const sockets = new Set<Socket>();
const server = createServer((s) => {
  sockets.add(s);
  const fd = fs.openSync(path, 'r');
  const free: Buffer[] = Array.from({ length: 8 }, () => Buffer.allocUnsafe(CHUNK));
  let pos = 0;
  let closed = false;
  const pump = (): void => {
    while (!closed && !s.destroyed && free.length > 0 && !s.writableNeedDrain) {
      const buf = free.pop()!;
      const n = fs.readSync(fd, buf, 0, CHUNK, pos);
      pos = pos + n >= size ? 0 : pos + n;
      s.write(n === CHUNK ? buf : buf.subarray(0, n), (err) => {
        free.push(buf);
        // A failed write means the client went away: stop, or the loop would spin on a dead socket.
        if (err) closed = true;
        else pump();
      });
    }
  };
  s.on('drain', pump);
  s.on('error', () => undefined);
  s.on('close', () => { closed = true; sockets.delete(s); fs.closeSync(fd); });
  s.on('end', () => { closed = true; });
  pump();
});
server.listen(0, '127.0.0.1', () => {
  serveHelper({ port: (server.address() as { port: number }).port }, {}, () => {
    for (const s of sockets) s.destroy();
    server.close();
    fs.rmSync(path, { force: true });
  });
});
