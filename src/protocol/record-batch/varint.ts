/**
 * Zig-zag varints as used inside v2 records (the Protobuf encoding): 7 bits per
 * byte, least significant group first, high bit = "more bytes follow"; signed
 * values are zig-zag mapped first (0 → 0, -1 → 1, 1 → 2, ...).
 *
 * varint covers int32 (≤ 5 bytes). varlong covers int64; here only values
 * with |v| < 2^52 are supported exactly (timestamp deltas), using float
 * arithmetic instead of BigInt.
 */

/** Bytes needed to encode int32 `v` as a zig-zag varint. */
export function sizeOfVarint(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) { u >>>= 7; n++; }
  return n;
}

/** Write int32 `v` as a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) { buf[pos++] = (u & 0x7f) | 0x80; u >>>= 7; }
  buf[pos++] = u;
  return pos;
}

function zigzag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes needed to encode `v` as a zig-zag varlong. */
export function sizeOfVarlong(v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return sizeOfVarint(v);
  let z = zigzag64(v);
  let n = 1;
  while (z >= 0x80) { z = Math.floor(z / 0x80); n++; }
  return n;
}

/** Write `v` as a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, v: number): number {
  if (v >= -0x40000000 && v < 0x40000000) return writeVarint(buf, pos, v);
  let z = zigzag64(v);
  while (z >= 0x80) { buf[pos++] = (z % 0x80) | 0x80; z = Math.floor(z / 0x80); }
  buf[pos++] = z;
  return pos;
}

/** A read position, advanced by the readers. */
export interface Cursor { pos: number }

/** Thrown by the readers on a varint that runs past `end` or past its maximum length. */
export class VarintError extends Error {
  override name = 'VarintError';
}

/** Read a zig-zag varint (int32) at cursor.pos, not reading at or past `end`. */
export function readVarint(buf: Uint8Array, cur: Cursor, end: number): number {
  let pos = cur.pos;
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw new VarintError('varint runs past the end');
    const b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cur.pos = pos;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  throw new VarintError('varint longer than 5 bytes');
}

/** Read a zig-zag varlong at cursor.pos, not reading at or past `end`. */
export function readVarlong(buf: Uint8Array, cur: Cursor, end: number): number {
  let pos = cur.pos;
  let z = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new VarintError('varlong runs past the end');
    const b = buf[pos++]!;
    z += (b & 0x7f) * scale;
    if (b < 0x80) {
      cur.pos = pos;
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    scale *= 0x80;
  }
  throw new VarintError('varlong longer than 10 bytes');
}
