/**
 * ResponseReader: a client connection's input, read by the socket through
 * net.connect's `onread` and split into Kafka frames (int32 size + body).
 *
 * Why not the 'data' event: Node then allocates a fresh 64 KiB buffer for
 * every read, and a response spanning reads is copied once more when it is
 * complete. For a consumer fetching 8 MiB responses that copy and the garbage
 * of the chunks were a fifth and a sixth of the thread (`--cpu-prof` of the
 * bench's raw Fetch client). Here small reads land in one reusable buffer,
 * and a response larger than DIRECT_BYTES is read straight into a buffer of
 * its own once its size prefix has arrived: only the part that came with the
 * prefix is copied.
 *
 * Unlike the broker's ReceiveBuffer, every frame handed to onFrame is owned
 * by the caller: decoded responses keep views into it (record sets).
 */
import { FrameTooLargeError } from '../network/frame-decoder.js';

/** Frames above this size are read straight into their own buffer; smaller ones are copied out of the shared one. */
const DIRECT_BYTES = 16 * 1024;
const BUFFER_BYTES = 64 * 1024;

export class ResponseReader {
  private readonly buf = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  /** First byte of buf not yet consumed (the start of a partial frame). */
  private start = 0;
  /** End of the bytes read into buf. */
  private end = 0;
  /** The large frame being read in place, and how much of it has arrived. */
  private frame: Buffer | null = null;
  private filled = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Where the next socket read goes: the rest of a large frame, or the free tail of the shared buffer. */
  nextReadBuffer(): Buffer {
    if (this.frame) return this.frame.subarray(this.filled);
    if (this.end === this.buf.length) {
      // A partial frame of at most DIRECT_BYTES + 4 bytes sits at the end: move it to the front.
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return this.buf.subarray(this.end);
  }

  /** Accounts for `n` bytes just read into nextReadBuffer(), then calls onFrame with each complete frame body. */
  received(n: number, onFrame: (body: Buffer) => void): void {
    if (this.frame) {
      this.filled += n;
      if (this.filled < this.frame.length) return;
      const body = this.frame;
      this.frame = null;
      onFrame(body);
      return;
    }
    this.end += n;
    while (this.end - this.start >= 4) {
      const size = this.buf.readInt32BE(this.start);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      const have = this.end - this.start - 4;
      if (have < size) {
        if (size > DIRECT_BYTES) {
          this.frame = Buffer.allocUnsafeSlow(size);
          this.filled = this.buf.copy(this.frame, 0, this.start + 4, this.end);
          this.start = this.end;
        }
        break;
      }
      const body = Buffer.allocUnsafe(size);
      this.buf.copy(body, 0, this.start + 4, this.start + 4 + size);
      this.start += 4 + size;
      onFrame(body);
    }
    if (this.start === this.end) this.start = this.end = 0;
  }
}
