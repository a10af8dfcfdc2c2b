/**
 * ShardRing: a single-producer / single-consumer message ring over shared
 * memory, one per direction per shard (dispatcher → shard, shard → dispatcher).
 *
 * Layout, from `base` (byte offsets; all words Int32, accessed with Atomics):
 *
 *   base + 0    head       bytes ever written (producer-owned, uint32, wraps)
 *   base + 4    headSeq    bumped on each publish; the consumer waits on it
 *   base + 8    consumerSleeping  1 while the consumer waits on headSeq
 *   base + 64   tail       bytes ever consumed (consumer-owned, uint32, wraps)
 *   base + 68   tailSeq    bumped on each release; a blocked producer waits on it
 *   base + 72   producerWaiting   1 while the producer waits for space
 *   base + 128  data[capacity]    capacity is a power of two
 *
 * head and tail sit on different cache lines so the two threads do not
 * false-share. A message is [u32 length][u32 tag][payload], padded to 8
 * bytes, and never wraps: if it does not fit before the end of the data
 * area, a wrap marker (length 0xFFFFFFFF) fills the rest and the message
 * starts at 0, so every payload is one contiguous view (zero-copy reads,
 * and WASM can checksum it in place when the memory is a WebAssembly.Memory).
 * The producer also wraps early, once past HOT_BYTES, whenever the start is
 * free: a ring the consumer keeps up with then cycles through its first MiB
 * or so, which stays in cache, instead of its whole capacity (copies into
 * shared memory: ~6 GB/s cycling through 32 MiB, ~29 GB/s through 1 MiB).
 *
 * Wake-ups: the producer notifies only when the consumer said it is about to
 * sleep, so a busy consumer costs no futex calls. A consumer waits either
 * with Atomics.waitAsync (wakes on the ring or on anything else its event
 * loop has) or, for short slices, with a blocking Atomics.wait: notifying a
 * blocked thread is one futex wake (~5 µs), while notifying an async waiter
 * posts a task to its event loop (~15-20 µs on the notifier's thread, and a
 * slower wake-up); see shard-worker.ts for when a shard may block.
 */
const HEAD = 0;
const HEAD_SEQ = 1;
const CONSUMER_SLEEPING = 2;
const TAIL = 16;
const TAIL_SEQ = 17;
const PRODUCER_WAITING = 18;
export const RING_HEADER_BYTES = 128;
const WRAP = 0xffffffff;
const MSG_HEADER = 8;
const HOT_BYTES = 1024 * 1024;

/**
 * Atomics.waitAsync that keeps the event loop alive while waiting: in Node 20
 * a pending waitAsync does not, so a thread with nothing else scheduled would
 * exit in the middle of its wait.
 */
async function waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const r = Atomics.waitAsync(words, index, value, timeoutMs);
  if (!r.async) return;
  const keepAlive = Number.isFinite(timeoutMs) ? setTimeout(() => undefined, timeoutMs) : setInterval(() => undefined, 1 << 30);
  try {
    await r.value;
  } finally {
    clearTimeout(keepAlive);
  }
}

export interface RingMessage {
  tag: number;
  /** Byte offset of the payload in `ring.buffer`. */
  offset: number;
  length: number;
}

export class ShardRing {
  readonly words: Int32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly dataStart: number;
  private readonly mask: number;
  /** The producer goes back to the start once past this many bytes, if the start is free (see the file header). */
  private readonly hotBytes: number;

  constructor(readonly buffer: SharedArrayBuffer, readonly base: number, readonly capacity: number) {
    if ((capacity & (capacity - 1)) !== 0 || capacity < 1024) throw new RangeError(`ring capacity ${capacity} must be a power of two ≥ 1024`);
    if (base % 8 !== 0 || base + RING_HEADER_BYTES + capacity > buffer.byteLength) throw new RangeError('ring does not fit its buffer');
    this.words = new Int32Array(buffer, base, RING_HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.dataStart = base + RING_HEADER_BYTES;
    this.mask = capacity - 1;
    this.hotBytes = Math.min(capacity / 4, HOT_BYTES);
  }

  /** Bytes a ring of `capacity` needs, header included. */
  static bytesFor(capacity: number): number {
    return RING_HEADER_BYTES + capacity;
  }

  /** The largest payload that can ever be written. */
  get maxPayload(): number {
    return this.capacity / 2 - MSG_HEADER;
  }

  get usedBytes(): number {
    return (Atomics.load(this.words, HEAD) - Atomics.load(this.words, TAIL)) >>> 0;
  }

  // ------------------------------------------------------------ producer side

  private pendingHead = -1;

  /**
   * Reserves space for a payload of `length` bytes; returns the payload's
   * byte offset in `buffer`, or -1 if the ring is full. Call `publish` next.
   */
  reserve(length: number, tag: number): number {
    if (length > this.maxPayload) throw new RangeError(`message of ${length} bytes exceeds the ring's ${this.maxPayload}`);
    const total = (MSG_HEADER + length + 7) & ~7;
    let head = Atomics.load(this.words, HEAD) >>> 0;
    const free = this.capacity - ((head - (Atomics.load(this.words, TAIL) >>> 0)) >>> 0);
    let at = head & this.mask;
    const contiguous = this.capacity - at;
    if (total > contiguous || (at >= this.hotBytes && free >= contiguous + total)) {
      if (free < contiguous + total) return -1;
      this.view.setUint32(this.dataStart + at, WRAP, true);
      head = (head + contiguous) >>> 0;
      at = 0;
    } else if (free < total) return -1;
    const p = this.dataStart + at;
    this.view.setUint32(p, length, true);
    this.view.setUint32(p + 4, tag, true);
    this.pendingHead = (head + total) >>> 0;
    return p + MSG_HEADER;
  }

  private wakeScheduled = false;

  /**
   * Makes the reserved message visible. The consumer is woken once per
   * event-loop turn of the producer, not per message: a futex wake costs
   * several microseconds and showed up at ~10% of the dispatcher's CPU when
   * issued per message.
   */
  publish(): void {
    Atomics.store(this.words, HEAD, this.pendingHead | 0);
    Atomics.add(this.words, HEAD_SEQ, 1);
    if (!this.wakeScheduled) {
      this.wakeScheduled = true;
      queueMicrotask(this.wake);
    }
  }

  private readonly wake = (): void => {
    this.wakeScheduled = false;
    this.nudge();
  };

  /** Wakes a sleeping consumer without a message (e.g. to make it look at its event loop). */
  nudge(): void {
    if (Atomics.load(this.words, CONSUMER_SLEEPING) === 1) Atomics.notify(this.words, HEAD_SEQ);
  }

  /** Writes a whole message; false if the ring is full. */
  tryWrite(tag: number, payload: Uint8Array): boolean {
    const at = this.reserve(payload.length, tag);
    if (at < 0) return false;
    this.bytes.set(payload, at);
    this.publish();
    return true;
  }

  /** Resolves when the consumer has released space (or after timeoutMs). */
  async waitForSpace(timeoutMs: number): Promise<void> {
    const seq = Atomics.load(this.words, TAIL_SEQ);
    Atomics.store(this.words, PRODUCER_WAITING, 1);
    await waitAsync(this.words, TAIL_SEQ, seq, timeoutMs);
    Atomics.store(this.words, PRODUCER_WAITING, 0);
  }

  // ------------------------------------------------------------ consumer side

  /** The next message, or null if the ring is empty. Release it with `release`. */
  peek(): RingMessage | null {
    let tail = Atomics.load(this.words, TAIL) >>> 0;
    const head = Atomics.load(this.words, HEAD) >>> 0;
    if (tail === head) return null;
    let at = tail & this.mask;
    let length = this.view.getUint32(this.dataStart + at, true);
    if (length === WRAP) {
      tail = (tail + this.capacity - at) >>> 0;
      Atomics.store(this.words, TAIL, tail | 0);
      if (tail === head) return null;
      at = 0;
      length = this.view.getUint32(this.dataStart, true);
    }
    const p = this.dataStart + at;
    return { tag: this.view.getUint32(p + 4, true), offset: p + MSG_HEADER, length };
  }

  /** Frees the message returned by the last `peek`. */
  release(msg: RingMessage): void {
    const total = (MSG_HEADER + msg.length + 7) & ~7;
    const tail = Atomics.load(this.words, TAIL) >>> 0;
    Atomics.store(this.words, TAIL, ((tail + total) >>> 0) | 0);
    Atomics.add(this.words, TAIL_SEQ, 1);
    if (Atomics.load(this.words, PRODUCER_WAITING) === 1) Atomics.notify(this.words, TAIL_SEQ);
  }

  /**
   * Waits until a message may be available (or timeoutMs passes). Announces
   * the sleep first and re-checks, so a publish between the check and the
   * wait is never missed.
   */
  async waitForMessage(timeoutMs = Infinity): Promise<void> {
    const seq = Atomics.load(this.words, HEAD_SEQ);
    Atomics.store(this.words, CONSUMER_SLEEPING, 1);
    if ((Atomics.load(this.words, HEAD) >>> 0) === (Atomics.load(this.words, TAIL) >>> 0)) {
      await waitAsync(this.words, HEAD_SEQ, seq, timeoutMs);
    }
    Atomics.store(this.words, CONSUMER_SLEEPING, 0);
  }

  /**
   * Blocks the calling thread until a message arrives or timeoutMs passes,
   * without announcing the sleep: the producer does not notify, so a busy
   * producer pays no wake-ups and the consumer finds new messages when the
   * timeout ends (worker threads only).
   */
  pollForMessage(timeoutMs: number): void {
    const seq = Atomics.load(this.words, HEAD_SEQ);
    if ((Atomics.load(this.words, HEAD) >>> 0) === (Atomics.load(this.words, TAIL) >>> 0)) {
      Atomics.wait(this.words, HEAD_SEQ, seq, timeoutMs);
    }
  }

  /**
   * waitForMessage that blocks the calling thread (worker threads only: the
   * event loop does not run meanwhile) until a message or a nudge arrives,
   * or timeoutMs passes.
   */
  blockForMessage(timeoutMs: number): void {
    const seq = Atomics.load(this.words, HEAD_SEQ);
    Atomics.store(this.words, CONSUMER_SLEEPING, 1);
    if ((Atomics.load(this.words, HEAD) >>> 0) === (Atomics.load(this.words, TAIL) >>> 0)) {
      Atomics.wait(this.words, HEAD_SEQ, seq, timeoutMs);
    }
    Atomics.store(this.words, CONSUMER_SLEEPING, 0);
  }
}
