/**
 * The bare produce loop, server side (a separate process): the unavoidable
 * work of a produce path with no Kafka protocol, after research/limits.md §6.
 *
 *   frame = [u32 BE length][u32 BE crc32c of the batch][batch bytes]
 *   ack   = 8 bytes per frame: [u32 BE batch length][u32 BE 1 = CRC ok, 0 = bad]
 *
 * Per 'data' event: split frames with the project's chunk-list FrameDecoder
 * (a frame spanning chunks is copied once, never re-concatenated), CRC-32C
 * each batch with the WASM kernel (src/wasm/crc32c.ts), one fs.writevSync
 * of all complete batches to the log file (page cache, no fsync), then one
 * socket write with the acks. The file is truncated when it passes 1 GiB so
 * a long run does not fill the disk; it is removed at stop.
 *
 *   argv: <log file path>
 */
import * as fs from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { crc32c } from '../../src/wasm/crc32c.js';
import { serveHelper } from '../lib/proc.js';

const path = process.argv[2];
if (!path) throw new Error('usage: bare-produce-server <log file>');
const fd = fs.openSync(path, 'w');
let fileBytes = 0;
let frames = 0;
let badCrc = 0;
const TRUNCATE_AT = 1 << 30;

const sockets = new Set<Socket>();
const server = createServer((s) => {
  sockets.add(s);
  s.setNoDelay(true);
  const decoder = new FrameDecoder(64 << 20);
  s.on('data', (chunk: Buffer) => {
    const batches: Buffer[] = [];
    const oks: number[] = [];
    decoder.push(chunk, (body) => {
      const batch = body.subarray(4);
      const ok = crc32c(batch, 0, batch.length, 0) === body.readUInt32BE(0);
      if (!ok) badCrc++;
      batches.push(batch);
      oks.push(ok ? 1 : 0);
    });
    if (batches.length === 0) return;
    let written = fs.writevSync(fd, batches);
    for (const b of batches) written -= b.length;
    if (written !== 0) throw new Error('short writev');
    for (const b of batches) fileBytes += b.length;
    if (fileBytes > TRUNCATE_AT) { fs.ftruncateSync(fd, 0); fileBytes = 0; }
    const acks = Buffer.allocUnsafe(8 * batches.length);
    for (let i = 0; i < batches.length; i++) {
      acks.writeUInt32BE(batches[i]!.length, 8 * i);
      acks.writeUInt32BE(oks[i]!, 8 * i + 4);
    }
    frames += batches.length;
    s.write(acks);
  });
  s.on('error', () => undefined);
  s.on('close', () => sockets.delete(s));
});
server.listen(0, '127.0.0.1', () => {
  serveHelper({ port: (server.address() as { port: number }).port }, {
    stats: () => ({ type: 'stats', frames, badCrc }),
  }, () => {
    for (const s of sockets) s.destroy();
    server.close();
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  });
});
