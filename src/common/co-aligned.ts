/**
 * Co-aligned copies into and out of shared memory. V8 copies to or from a
 * SharedArrayBuffer one byte at a time unless source and destination
 * addresses are equal mod 8 (4 vs 29 GB/s here; the ring copy was ~40% of
 * the dispatcher's CPU at full produce throughput). A writer that can choose
 * where the copy lands reserves ALIGN_SLACK spare bytes and starts the copy
 * `skewFor(...)` bytes in.
 */
export const ALIGN_SLACK = 7;

/** Bytes to leave at `dstOffset` (in an 8-aligned buffer) so that copying `src` there is co-aligned. */
export function skewFor(src: Uint8Array, dstOffset: number): number {
  return (src.byteOffset - dstOffset) & 7;
}
