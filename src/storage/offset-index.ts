/**
 * The sparse offset index of one segment, `<baseOffset>.index`.
 *
 * Shard only (owned by its Segment).
 *
 * ```
 * file = entry*            no header; size is a multiple of 8
 * entry (8 bytes, big-endian):
 *   0  u32 relativeOffset  last offset of the batch at `position`, minus the segment's baseOffset
 *   4  u32 position        byte position of that batch in the .log
 * ```
 * As in Kafka, an entry is added before the first batch appended after more
 * than indexIntervalBytes since the previous entry, and it records that batch's
 * *last* offset. Both fields strictly increase. A lookup for offset X finds
 * the last entry with relativeOffset ≤ X - baseOffset; the batch holding X
 * starts at or after that entry's position (position 0 when there is none).
 */
import { IndexFile } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition { offset: number; position: number }

export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number) {
    super(path, baseOffset, OFFSET_INDEX_ENTRY_SIZE);
  }

  /** Absolute offset of entry i. */
  offsetAt(i: number): number {
    return this.baseOffset + this.u32(i, 0);
  }

  positionAt(i: number): number {
    return this.u32(i, 4);
  }

  append(offset: number, position: number): void {
    const n = this.count;
    if (n > 0 && (offset <= this.offsetAt(n - 1) || position <= this.positionAt(n - 1))) {
      throw new Error(`offset index ${this.path}: entry (${offset}, ${position}) not after (${this.offsetAt(n - 1)}, ${this.positionAt(n - 1)})`);
    }
    const at = this.reserveEntry();
    this.image.writeUInt32BE(offset - this.baseOffset, at);
    this.image.writeUInt32BE(position, at + 4);
  }

  /** Index of the last entry with offset ≤ `offset`, or -1. */
  floorIndex(offset: number): number {
    const rel = offset - this.baseOffset;
    if (rel < 0) return -1;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.u32(mid, 0) <= rel) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Byte position to start scanning from for `offset`: the floor entry's position, or 0. */
  lookupPosition(offset: number): number {
    const i = this.floorIndex(offset);
    return i < 0 ? 0 : this.positionAt(i);
  }

  /** Index of the last entry with position < `position`, or -1. */
  lastIndexBeforePosition(position: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.u32(mid, 4) < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Drop entries for batches at or after byte `position` of the log. */
  truncateToPosition(position: number): void {
    this.truncateEntries(this.lastIndexBeforePosition(position) + 1);
  }

  /**
   * Why the loaded entries cannot be trusted, or null: offsets and positions
   * must strictly increase, positions lie inside the log, offsets below
   * `offsetLimit` (the next segment's base offset, or Infinity).
   */
  sanityCheck(logSize: number, offsetLimit: number): string | null {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.u32(i, 0);
      const pos = this.u32(i, 4);
      if (rel <= prevRel || pos <= prevPos) return `entry ${i} (${rel}, ${pos}) not increasing`;
      if (pos >= logSize) return `entry ${i} points at position ${pos}, log size ${logSize}`;
      if (this.baseOffset + rel >= offsetLimit) return `entry ${i} offset ${this.baseOffset + rel} beyond ${offsetLimit}`;
      prevRel = rel;
      prevPos = pos;
    }
    return null;
  }
}
