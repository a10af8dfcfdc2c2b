/**
 * The sparse time index of one segment, `<baseOffset>.timeindex`.
 *
 * Shard only (owned by its Segment).
 *
 * ```
 * file = entry*            no header; size is a multiple of 12
 * entry (12 bytes, big-endian):
 *   0  int64 timestamp     largest batch maxTimestamp in the segment so far
 *   8  u32   relativeOffset last offset of the batch that first reached it, minus baseOffset
 * ```
 * As in Kafka, an entry is considered whenever an offset-index entry is added
 * (and once more when the segment rolls), and written only if the timestamp
 * exceeds the last entry's. Timestamps strictly increase, offsets do not
 * decrease. Every record before the batch holding an entry's offset has a
 * timestamp below the entry's, so a search for the first record with
 * timestamp ≥ T may start at the batch of the last entry with timestamp ≤ T.
 */
import { readInt64, writeInt64 } from '../protocol/record-batch/record-batch-header.js';
import { IndexFile } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number) {
    super(path, baseOffset, TIME_INDEX_ENTRY_SIZE);
  }

  timestampAt(i: number): number {
    return readInt64(this.image, i * TIME_INDEX_ENTRY_SIZE);
  }

  /** Absolute offset of entry i. */
  offsetAt(i: number): number {
    return this.baseOffset + this.u32(i, 8);
  }

  /** Timestamp of the last entry, or -1. */
  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestampAt(this.count - 1);
  }

  /** Absolute offset of the last entry, or -1. */
  get lastOffset(): number {
    return this.count === 0 ? -1 : this.offsetAt(this.count - 1);
  }

  /** Add (timestamp, offset) if the timestamp is larger than the last entry's. */
  maybeAppend(timestamp: number, offset: number): void {
    const n = this.count;
    if (n > 0 && timestamp <= this.timestampAt(n - 1)) return;
    if (timestamp < 0) return;
    if (n > 0 && offset < this.offsetAt(n - 1)) {
      throw new Error(`time index ${this.path}: offset ${offset} before ${this.offsetAt(n - 1)}`);
    }
    const at = this.reserveEntry();
    writeInt64(this.image, at, timestamp);
    this.image.writeUInt32BE(offset - this.baseOffset, at + 8);
  }

  /** Index of the last entry with timestamp ≤ `timestamp`, or -1. */
  floorIndex(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampAt(mid) <= timestamp) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Offset to start a search for the first timestamp ≥ `timestamp`: the floor entry's offset, or baseOffset. */
  lookupOffset(timestamp: number): number {
    const i = this.floorIndex(timestamp);
    return i < 0 ? this.baseOffset : this.offsetAt(i);
  }

  /** Keep entries whose offset is ≤ `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.count;
    while (n > 0 && this.offsetAt(n - 1) > offset) n--;
    this.truncateEntries(n);
  }

  /** Why the loaded entries cannot be trusted, or null (see OffsetIndex.sanityCheck). */
  sanityCheck(offsetLimit: number): string | null {
    let prevTs = -Infinity;
    let prevRel = -1;
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestampAt(i);
      const rel = this.u32(i, 8);
      if (ts <= prevTs || rel < prevRel) return `entry ${i} (${ts}, ${rel}) not increasing`;
      if (this.baseOffset + rel >= offsetLimit) return `entry ${i} offset ${this.baseOffset + rel} beyond ${offsetLimit}`;
      prevTs = ts;
      prevRel = rel;
    }
    return null;
  }
}
