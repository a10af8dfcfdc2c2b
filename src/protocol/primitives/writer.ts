/**
 * Writer: encodes Kafka primitive types into a growable buffer.
 *
 * Large byte fields (record batches in Fetch responses) are not copied: they
 * are kept as separate chunks, so a response is a list of Buffers handed to
 * socket.writev / cork. Small ones are copied inline, which is cheaper than
 * an extra iovec.
 */
const ZERO_COPY_MIN_BYTES = 1024;
const HEX_DIGITS = /^[0-9a-fA-F]{32}$/;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start of the part of `buf` not yet moved to `chunks`. */
  private mark = 0;
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;

  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkBytes + this.pos - this.mark;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.mark;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, pending + n + 256));
    this.buf.copy(next, 0, this.mark, this.pos);
    this.buf = next;
    this.mark = 0;
    this.pos = pending;
  }

  bool(v: boolean): void { this.ensure(1); this.buf[this.pos++] = v ? 1 : 0; }
  int8(v: number): void { this.ensure(1); this.pos = this.buf.writeInt8(v, this.pos); }
  int16(v: number): void { this.ensure(2); this.pos = this.buf.writeInt16BE(v, this.pos); }
  uint16(v: number): void { this.ensure(2); this.pos = this.buf.writeUInt16BE(v, this.pos); }
  int32(v: number): void { this.ensure(4); this.pos = this.buf.writeInt32BE(v, this.pos); }
  uint32(v: number): void { this.ensure(4); this.pos = this.buf.writeUInt32BE(v, this.pos); }
  float64(v: number): void { this.ensure(8); this.pos = this.buf.writeDoubleBE(v, this.pos); }

  int64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * 4294967296, this.pos + 4);
    this.pos += 8;
  }

  uvarint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  uuid(hex: string): void {
    if (!HEX_DIGITS.test(hex)) throw new RangeError(`not a 32-digit hex uuid: ${hex}`);
    this.ensure(16);
    this.pos += this.buf.write(hex, this.pos, 16, 'hex');
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.utf8(s, len);
  }
  nullableString(s: string | null): void {
    if (s === null) return this.int16(-1);
    this.string(s);
  }
  compactString(s: string): void {
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.utf8(s, len);
  }
  compactNullableString(s: string | null): void {
    if (s === null) return this.uvarint(0);
    this.compactString(s);
  }

  bytes(b: Buffer | Buffer[]): void {
    this.int32(byteLength(b));
    this.raw(b);
  }
  nullableBytes(b: Buffer | Buffer[] | null): void {
    if (b === null) return this.int32(-1);
    this.bytes(b);
  }
  compactBytes(b: Buffer | Buffer[]): void {
    this.uvarint(byteLength(b) + 1);
    this.raw(b);
  }
  compactNullableBytes(b: Buffer | Buffer[] | null): void {
    if (b === null) return this.uvarint(0);
    this.compactBytes(b);
  }

  arrayLength(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  /** Appends bytes verbatim; large buffers become their own chunk (no copy). */
  raw(b: Buffer | Buffer[]): void {
    if (Array.isArray(b)) {
      for (const part of b) this.raw(part);
      return;
    }
    if (b.length < ZERO_COPY_MIN_BYTES) {
      this.ensure(b.length);
      this.pos += b.copy(this.buf, this.pos);
      return;
    }
    if (this.pos > this.mark) {
      this.chunks.push(this.buf.subarray(this.mark, this.pos));
      this.chunkBytes += this.pos - this.mark;
      this.mark = this.pos;
    }
    this.chunks.push(b);
    this.chunkBytes += b.length;
  }

  /** Overwrites an int32 at an absolute position (used for the frame size). */
  patchInt32(at: number, v: number): void {
    const first = this.chunks.length > 0 ? this.chunks[0]! : this.buf.subarray(this.mark, this.pos);
    if (at + 4 > first.length) throw new RangeError('patch position is not in the first chunk');
    first.writeInt32BE(v, at);
  }

  /** The encoded bytes as a list of chunks, in order. The writer must not be used afterwards. */
  finish(): Buffer[] {
    if (this.pos > this.mark) this.chunks.push(this.buf.subarray(this.mark, this.pos));
    this.mark = this.pos;
    return this.chunks;
  }

  /** The encoded bytes as one Buffer (copies if there is more than one chunk). */
  toBuffer(): Buffer {
    const parts = this.finish();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}

export function byteLength(b: Buffer | Buffer[]): number {
  if (!Array.isArray(b)) return b.length;
  let n = 0;
  for (const part of b) n += part.length;
  return n;
}
