/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) in plain JavaScript,
 * slice-by-8. This is the JS twin of the WASM kernel: the test oracle and the
 * benchmark baseline, and the fallback when WebAssembly is unavailable.
 * Kafka record batches v2 use CRC-32C over bytes [21, end) of each batch.
 */
const POLY = 0x82f63b78;

/** TABLES[k][b]: CRC of byte b followed by k zero bytes; slice-by-8 reads 8 bytes per step. */
const TABLES: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[0]![i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) t[k]![i] = (t[k - 1]![i]! >>> 8) ^ t[0]![t[k - 1]![i]! & 0xff]!;
  }
  return t;
})();

/** CRC-32C of bytes[start, end), continuing from `crc` (0 for a fresh checksum). Returns an unsigned 32-bit value. */
export function crc32cJs(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let c = ~crc;
  let i = start;
  while (i < end && (i & 3) !== 0) c = t0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^
      t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
  }
  while (i < end) c = t0[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
