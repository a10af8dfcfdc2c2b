/**
 * Splits a TCP byte stream into Kafka frames (int32 size + body).
 *
 * Socket chunks are kept in a list and a frame that spans chunks is copied
 * exactly once, when it is complete. Re-concatenating a growing pending
 * buffer on every chunk is quadratic and halves throughput for 1 MiB frames
 * (research/limits.md §6), so it is never done.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly maxBytes: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds socket.request.max.bytes (${maxBytes})`);
    this.name = 'FrameTooLargeError';
  }
}

const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while the size prefix is not yet known. */
  private frameSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds a chunk; calls `onFrame` with each complete frame body (without the size prefix). */
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    // Fast path: nothing buffered, whole frames inside this chunk are sliced, not copied.
    // Not when a size prefix has been taken and its body has not begun (a chunk that
    // ended right after the prefix): this chunk then starts with the body.
    if (this.buffered === 0 && this.frameSize < 0) {
      let at = 0;
      while (chunk.length - at >= 4) {
        const size = this.checkSize(chunk.readInt32BE(at));
        if (chunk.length - at - 4 < size) break;
        onFrame(chunk.subarray(at + 4, at + 4 + size));
        at += 4 + size;
      }
      if (at === chunk.length) return;
      chunk = chunk.subarray(at);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) return;
        this.frameSize = this.checkSize(this.take(4).readInt32BE(0));
      }
      if (this.buffered < this.frameSize) return;
      const body = this.take(this.frameSize);
      this.frameSize = -1;
      onFrame(body);
    }
  }

  private checkSize(size: number): number {
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    return size;
  }

  /** Removes n bytes from the front of the chunk list; copies only if they span chunks. */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY; // an empty frame body, possibly with no chunk left to slice
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}
