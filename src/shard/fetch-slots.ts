/**
 * FetchSlots: fixed-size regions of shared memory that a shard worker writes
 * fetch replies into and the dispatcher frees, in any order, once the socket
 * write of the reply has completed. The dispatcher writes a view of the slot
 * to the socket: fetched bytes are not copied on the dispatcher thread.
 *
 * Why not the outbound ring: the ring is reclaimed in order, so a reply held
 * by a client that stopped reading would block every message behind it
 * (test/integration/engine/stuck-consumer.test.ts). A stuck client here holds
 * only its own slots. A reply larger than one slot takes a run of adjacent
 * free slots (at most half of them), so it is still one contiguous view; with
 * no such run free, the shard answers through the ring, which the dispatcher
 * copies out at once (a fresh multi-MiB buffer per reply: page faults and
 * zeroing, 0.6 GB/s where slot runs give 0.8, `bench/workloads/raw-fetch.ts`
 * with 4 MiB per partition).
 *
 * Layout of the SharedArrayBuffer: Int32 state[count] (0 free, 1 in use),
 * padded to 64 bytes, then count slots of slotBytes. Only the shard acquires
 * and only the dispatcher releases.
 */
export class FetchSlots {
  readonly state: Int32Array;
  readonly bytes: Uint8Array;
  private readonly dataStart: number;
  private next = 0;

  constructor(readonly buffer: SharedArrayBuffer, readonly count: number, readonly slotBytes: number) {
    this.dataStart = FetchSlots.headerBytes(count);
    if (buffer.byteLength < FetchSlots.bytesFor(count, slotBytes)) throw new RangeError('fetch slots do not fit their buffer');
    this.state = new Int32Array(buffer, 0, count);
    this.bytes = new Uint8Array(buffer);
  }

  private static headerBytes(count: number): number {
    return Math.ceil((count * 4) / 64) * 64;
  }

  static bytesFor(count: number, slotBytes: number): number {
    return FetchSlots.headerBytes(count) + count * slotBytes;
  }

  /** Byte offset of slot `i`'s data in `buffer`. */
  offsetOf(i: number): number {
    return this.dataStart + i * this.slotBytes;
  }

  /** How many adjacent slots a reply of `bytes` takes; both sides derive it from the reply's size. */
  runFor(bytes: number): number {
    return Math.ceil(bytes / this.slotBytes);
  }

  /** The largest reply, in bytes, that slots take (larger ones go through the ring). */
  get maxReplyBytes(): number {
    return Math.max(1, this.count >> 1) * this.slotBytes;
  }

  /**
   * Shard side: the first of `run` adjacent free slots, now in use, or -1.
   * Only the shard marks slots in use, so a slot seen free stays free until
   * the shard takes it.
   */
  acquire(run = 1): number {
    for (let k = 0; k < this.count; k++) {
      const i = (this.next + k) % this.count;
      if (i + run > this.count) continue;
      let j = 0;
      while (j < run && Atomics.load(this.state, i + j) === 0) j++;
      if (j < run) continue;
      for (j = 0; j < run; j++) Atomics.store(this.state, i + j, 1);
      this.next = (i + run) % this.count;
      return i;
    }
    return -1;
  }

  /** Dispatcher side: the `run` slots from `i` may be written again. */
  release(i: number, run = 1): void {
    for (let j = 0; j < run; j++) Atomics.store(this.state, i + j, 0);
  }

  /** Slots in use (metrics and tests). */
  get inUse(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += Atomics.load(this.state, i);
    return n;
  }
}
