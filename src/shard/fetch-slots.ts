/**
 * FetchSlots: fixed-size regions of shared memory that a shard worker writes
 * fetch replies into and the dispatcher frees, in any order, once the socket
 * write of the reply has completed. The dispatcher writes a view of the slot
 * to the socket: fetched bytes are not copied on the dispatcher thread.
 *
 * Why not the outbound ring: the ring is reclaimed in order, so a reply held
 * by a client that stopped reading would block every message behind it
 * (test/integration/engine/stuck-consumer.test.ts). A stuck client here holds
 * only its own slots; when no slot is free, or a reply is larger than a slot,
 * the shard answers through the ring, which the dispatcher copies out at once.
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

  /** Shard side: a free slot, now in use, or -1 if all are taken. */
  acquire(): number {
    for (let k = 0; k < this.count; k++) {
      const i = (this.next + k) % this.count;
      if (Atomics.compareExchange(this.state, i, 0, 1) === 0) {
        this.next = i + 1;
        return i;
      }
    }
    return -1;
  }

  /** Dispatcher side: slot `i` may be written again. */
  release(i: number): void {
    Atomics.store(this.state, i, 0);
  }

  /** Slots in use (metrics and tests). */
  get inUse(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += Atomics.load(this.state, i);
    return n;
  }
}
