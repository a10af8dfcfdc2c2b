/**
 * ReceiveBuffer: one connection's input, read by the socket straight into a
 * reusable buffer (net.Socket `onread`, see adoptWithReceiveBuffer) and split
 * into Kafka frames (int32 size + body) in place.
 *
 * Why not the 'data' event: Node's default read path allocates a fresh
 * 64 KiB ArrayBuffer for every read, and a frame spanning two reads costs a
 * third for the copy. At 300 MB/s of produce traffic that external memory
 * made V8 start a mark-compact every ~40 ms ("external memory pressure" in
 * --trace-gc), 15-20% of the dispatcher plus the GC helper threads. Here the
 * reads land in one buffer per connection that only grows for a frame larger
 * than it, and a frame is never copied.
 *
 * A frame handed to onFrame is a view that is valid only until onFrame
 * returns: the space is read into again afterwards. Callers copy what they
 * keep (connection.ts copies every request but Produce, whose batches are
 * consumed synchronously by the shards).
 *
 * With a ReceiveArena (worker shards), a connection that has sent a Produce
 * request (useArena) reads into a chunk of shared memory instead, and a
 * worker shard may retain the chunk of a batch it was handed
 * (receive-arena.ts): then the space is not read into again until the shard
 * is done with it; later reads go after it, or into another chunk. A frame
 * larger than a chunk, or one read while every chunk is taken, goes into a
 * private buffer as above. Node asks for the next read's buffer as soon as a
 * read has been handled and keeps it until the socket is readable again, so
 * the chunk that buffer lies in stays owned by the connection between reads:
 * a producer connection holds one chunk until it closes.
 */
import type { Socket } from 'node:net';
import { Socket as NetSocket, type Server } from 'node:net';
import { FrameTooLargeError } from './frame-decoder.js';
import type { ReceiveArena } from '../shard/receive-arena.js';

/** Never offer the socket less than this much room for a read. */
const MIN_READ_BYTES = 16 * 1024;
const SHRINK_AFTER_READS = 1024;
const EMPTY = Buffer.alloc(0);

export class ReceiveBuffer {
  private buf: Buffer;
  /** First byte not yet consumed (the start of a partial frame). */
  private start = 0;
  /** End of the bytes read so far. */
  private end = 0;
  /** Reads since the last one that needed more than initialBytes (a grown buffer shrinks after SHRINK_AFTER_READS). */
  private smallReads = 0;
  /** The arena chunk `buf` is, or -1 when `buf` is private memory. */
  private chunk = -1;
  /** Read into the arena (set once the connection has produced: other connections would only hold chunks). */
  private arenaWanted = false;
  /** A decaying maximum of recent frame sizes (size prefix included) that fit an arena chunk. */
  private expectedFrameBytes = 0;
  /** Bytes copied to keep a partial frame whole (moved to another buffer or to the start of this one). */
  copiedBytes = 0;

  constructor(private readonly maxFrameBytes: number, private readonly initialBytes = 64 * 1024, private readonly arena: ReceiveArena | null = null) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** From the next read on, read into the arena (if there is one): this connection sends Produce requests. */
  useArena(): void {
    this.arenaWanted = this.arena !== null;
  }

  /** Bytes held (a partial frame); for tests. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Where the next socket read goes: the free tail, made room enough for the frame being received. */
  nextReadBuffer(): Buffer {
    const pending = this.end - this.start;
    let need = MIN_READ_BYTES;
    if (pending >= 4) {
      const size = this.buf.readInt32BE(this.start);
      if (size >= 0 && size <= this.maxFrameBytes) need = Math.max(need, 4 + size - pending);
    }
    if (this.arenaWanted) {
      // A frame cut by the end of a chunk is copied to the next chunk once its size is
      // known. Producer requests are alike, so expect the next frame to be as large as the
      // recent ones: start it in a fresh chunk when this one has no room for that, and stop
      // each read where the rest of the chunk still holds such a frame (reading to the end
      // of the chunk copied half the bytes of 600-700 KiB requests in 1 MiB chunks).
      const expect = Math.max(MIN_READ_BYTES, this.expectedFrameBytes);
      const room = pending >= 4 ? need : Math.max(need, expect - pending);
      if (pending + room <= this.arena!.chunkBytes) {
        const into = this.readIntoChunk(this.arena!, room);
        if (into) return into.subarray(0, Math.max(pending >= 4 ? need : MIN_READ_BYTES, into.length - expect));
      }
    }
    // Too large for a chunk, or none free: private memory (the chunk may hold retained batches, so never rewind it here).
    if (this.chunk >= 0) this.moveTo(Buffer.allocUnsafeSlow(Math.max(this.initialBytes, pending + need)), -1);
    if (pending === 0 && this.buf.length > this.initialBytes && ++this.smallReads > SHRINK_AFTER_READS) {
      // Large frames have stopped coming: give the memory back.
      this.buf = Buffer.allocUnsafeSlow(this.initialBytes);
      this.start = this.end = 0;
    }
    if (pending + need > this.initialBytes) this.smallReads = 0;
    if (this.buf.length - this.end < need) {
      if (this.buf.length - pending >= need) {
        this.compact();
      } else {
        this.moveTo(Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, pending + need, this.initialBytes)), -1);
      }
    }
    return this.buf.subarray(this.end);
  }

  /** Room for `need` bytes in an arena chunk (this one, rewound if nothing in it is retained, or a fresh one); null if none is free. */
  private readIntoChunk(arena: ReceiveArena, need: number): Buffer | null {
    if (this.chunk >= 0) {
      if (this.buf.length - this.end >= need) return this.buf.subarray(this.end);
      if (arena.pending(this.chunk) === 0) {
        this.compact();
        return this.buf.subarray(this.end);
      }
    }
    const next = arena.own();
    if (!next) return null;
    this.moveTo(next.bytes, next.chunk);
    return this.buf.subarray(this.end);
  }

  /** Moves the partial frame to the start of the buffer. */
  private compact(): void {
    this.copiedBytes += this.end - this.start;
    this.buf.copy(this.buf, 0, this.start, this.end);
    this.end -= this.start;
    this.start = 0;
  }

  /** Continues in `to` (chunk `chunk`, or private memory for -1), taking the partial frame along. */
  private moveTo(to: Buffer, chunk: number): void {
    const pending = this.end - this.start;
    this.copiedBytes += pending;
    this.buf.copy(to, 0, this.start, this.end);
    if (this.chunk >= 0) this.arena!.disown(this.chunk);
    this.buf = to;
    this.chunk = chunk;
    this.start = 0;
    this.end = pending;
  }

  /** Accounts for `n` bytes just read into nextReadBuffer(), then calls onFrame with each complete frame body. */
  received(n: number, onFrame: (body: Buffer) => void): void {
    this.end += n;
    while (this.end - this.start >= 4) {
      const size = this.buf.readInt32BE(this.start);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (this.end - this.start - 4 < size) break;
      const body = this.buf.subarray(this.start + 4, this.start + 4 + size);
      this.start += 4 + size;
      if (this.arena && 4 + size <= this.arena.chunkBytes) this.expectedFrameBytes = Math.max(4 + size, this.expectedFrameBytes - (this.expectedFrameBytes >> 4));
      onFrame(body);
    }
    // Rewind unless batches retained in the chunk lie before `end` (later reads then go after them).
    if (this.start === this.end && (this.chunk < 0 || this.arena!.pending(this.chunk) === 0)) this.start = this.end = 0;
  }

  /** Gives the arena chunk back (the connection closed); batches in it that shards still hold keep it until released. */
  dispose(): void {
    if (this.chunk >= 0) this.arena!.disown(this.chunk);
    this.chunk = -1;
    this.buf = EMPTY;
    this.start = this.end = 0;
  }
}

/**
 * Re-wraps a socket accepted by `server` (created with pauseOnConnect, so it
 * has not read anything yet) as a socket that reads into `rb`: Node 20 only
 * takes the `onread` option in the Socket constructor, and a server cannot
 * pass it. The accepted socket gives up its handle without closing it, and
 * the new one takes over the server's connection count.
 */
export function adoptWithReceiveBuffer(accepted: Socket, server: Server, rb: ReceiveBuffer, onRead: (n: number) => void): Socket {
  const internal = accepted as unknown as { _handle: unknown; _server: Server | null; server: Server | null };
  const handle = internal._handle;
  internal._handle = null;
  internal._server = null;
  internal.server = null;
  accepted.destroy();
  const socket = new NetSocket({
    handle,
    readable: true,
    writable: true,
    onread: { buffer: () => rb.nextReadBuffer(), callback: (n: number) => { onRead(n); return true; } },
  } as ConstructorParameters<typeof NetSocket>[0]);
  const adopted = socket as unknown as { _server: Server; server: Server };
  adopted._server = server;
  adopted.server = server;
  return socket;
}
