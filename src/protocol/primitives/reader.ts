/**
 * Reader: sequential decoding of Kafka primitive types from a Buffer.
 *
 * Classic types: INT8..INT64 big-endian, STRING (int16 length, -1 = null),
 * BYTES (int32 length, -1 = null), ARRAY (int32 count, -1 = null).
 * Flexible ("compact") types: COMPACT_STRING/BYTES/ARRAY carry an unsigned
 * varint N+1 (0 = null). Inside record batches Kafka uses zig-zag varints,
 * which live in record-batch/, not here.
 *
 * int64 values are returned as JS numbers: offsets, timestamps and producer
 * ids stay below 2^53, and numbers avoid BigInt's cost on every field.
 * Any read past the end throws ProtocolDecodeError: a malformed request.
 */
export class ProtocolDecodeError extends Error {
  override name = 'ProtocolDecodeError';
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Reader {
  offset: number;
  readonly end: number;

  constructor(readonly buf: Buffer, offset = 0, end = buf.length) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) throw new ProtocolDecodeError(`need ${n} bytes at ${at}, have ${this.end - at}`);
    this.offset = at + n;
    return at;
  }

  bool(): boolean { return this.buf[this.need(1)] !== 0; }
  int8(): number { return this.buf.readInt8(this.need(1)); }
  int16(): number { return this.buf.readInt16BE(this.need(2)); }
  uint16(): number { return this.buf.readUInt16BE(this.need(2)); }
  int32(): number { return this.buf.readInt32BE(this.need(4)); }
  uint32(): number { return this.buf.readUInt32BE(this.need(4)); }
  float64(): number { return this.buf.readDoubleBE(this.need(8)); }

  int64(): number {
    const at = this.need(8);
    return this.buf.readInt32BE(at) * 4294967296 + this.buf.readUInt32BE(at + 4);
  }

  uvarint(): number {
    let value = 0;
    // A running multiplier, not 2 ** shift: V8 compiles ** to a call to pow().
    let scale = 1;
    for (;;) {
      if (this.offset >= this.end) throw new ProtocolDecodeError('truncated varint');
      const b = this.buf[this.offset++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
      if (scale > 2 ** 28) throw new ProtocolDecodeError('varint too long');
    }
  }

  uuid(): string {
    const at = this.need(16);
    let s = '';
    for (let i = 0; i < 16; i++) s += HEX[this.buf[at + i]!];
    return s;
  }

  skip(n: number): void { this.need(n); }

  /** Skips a tagged-field section whose tags the reader does not know (flexible versions). */
  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }

  private utf8(len: number): string {
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new ProtocolDecodeError('null in a non-nullable string');
    return this.utf8(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    return len < 0 ? null : this.utf8(len);
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolDecodeError('null in a non-nullable compact string');
    return this.utf8(len);
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.utf8(len);
  }

  /** Bytes are returned as a view of the input (no copy). */
  private view(len: number): Buffer {
    const at = this.need(len);
    return this.buf.subarray(at, at + len);
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new ProtocolDecodeError('null in non-nullable bytes');
    return this.view(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    return len < 0 ? null : this.view(len);
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new ProtocolDecodeError('null in non-nullable compact bytes');
    return this.view(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.view(len);
  }

  /** Array length: -1 means null. Guards against absurd counts before allocating. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n > this.remaining) throw new ProtocolDecodeError(`array of ${n} elements cannot fit in ${this.remaining} bytes`);
    return n < 0 ? -1 : n;
  }
}
