/**
 * Producer state of one partition: the idempotent producer's sequence rules.
 *
 * Shard only, owned by its partition log (PartitionLog or MemoryLog), so it
 * lives wherever the log does, worker thread included.
 *
 * For every producer id that appended to the partition it keeps the current
 * epoch and the metadata of its last 5 batches (Kafka's ProducerStateEntry:
 * NUM_BATCHES_TO_RETAIN = 5, the most in-flight requests an idempotent client
 * may have). The rules, checked per batch in request order before anything
 * is written (Kafka's ProducerAppendInfo, UnifiedLog.analyzeAndValidateProducerState):
 *
 * - producerId -1 (not idempotent), control batches, and batches the broker
 *   writes itself (origin 'coordinator'): no check, no state.
 * - duplicate: same epoch and same [firstSeq, lastSeq] as one of the cached
 *   batches of the state *before* this append → the whole append is answered
 *   with that batch's original offsets and nothing is written (error NONE).
 * - epoch < current epoch                         → INVALID_PRODUCER_EPOCH (47).
 *   (Kafka ≥ 2.7 answers Produce with 47, not PRODUCER_FENCED (90), so the
 *   client can abort and retry; 90 is for InitProducerId/EndTxn.)
 * - epoch > current epoch and firstSeq ≠ 0        → OUT_OF_ORDER_SEQUENCE_NUMBER (45).
 * - same epoch and firstSeq ≠ lastSeq + 1 (0 follows Int32.MAX)
 *                                                 → OUT_OF_ORDER_SEQUENCE_NUMBER (45).
 *   This includes an old sequence that has left the 5-batch cache: Kafka ≥ 1.0
 *   never answers DUPLICATE_SEQUENCE_NUMBER (46) from the log, nor do we.
 * - no state at all for the producer: any sequence is accepted (Kafka 3.x:
 *   the state may have been lost to retention, DeleteRecords or expiry, and
 *   refusing would make the producer's error fatal).
 * A batch that passes becomes the producer's newest cached batch (a new epoch
 * clears the cache first); the state changes only after the write succeeded.
 *
 * Producers whose last batch is older than producer.id.expiration.ms
 * (default 1 day, as Kafka) are dropped by expire(). Kafka's clock is the
 * batch's maxTimestamp; here it is the later of that and the append time, so
 * a producer writing old event times (a backfill) is not forgotten minutes
 * after its batches, which would let a retry be appended twice. Batches
 * replayed from the log only have their maxTimestamp (snapshots keep the
 * real value).
 *
 * Snapshot file `<20-digit offset>.snapshot` (the state after every batch
 * below `offset`), all integers big-endian:
 *
 * ```
 *  offset size field
 *  ------ ---- -----------------------------------------------------------
 *     0    4   magic      "MRPS"
 *     4    2   version    int16 = 1
 *     6    4   crc        uint32 CRC-32C of bytes [10, end)
 *    10    8   offset     int64  = the file name's offset
 *    18    4   count      int32  producers that follow
 *    22    …   producer*  each:
 *                 8  producerId     int64
 *                 2  epoch          int16
 *                 8  lastTimestamp  int64
 *                 1  batches        uint8 (0..5), then per batch, oldest first:
 *                      4 firstSeq int32, 4 lastSeq int32, 8 firstOffset int64,
 *                      4 lastOffset - firstOffset int32, 8 timestamp int64
 * ```
 * A snapshot that fails any check (short, magic, version, CRC, offset) is
 * ignored as a whole: the log rebuilds the state from an older snapshot or
 * from its batch headers.
 */
import { ErrorCode } from '../common/error-codes.js';
import { getCrc32c } from '../protocol/record-batch/crc.js';
import { readInt64, writeInt64 } from '../protocol/record-batch/record-batch-header.js';

/** Batches remembered per producer for duplicate detection (Kafka's NUM_BATCHES_TO_RETAIN). */
export const MAX_CACHED_BATCHES = 5;
export const INT32_MAX = 0x7fffffff;
/** Kafka's producer.id.expiration.ms default: 1 day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24 * 3600 * 1000;
export const SNAPSHOT_SUFFIX = '.snapshot';

const SNAPSHOT_MAGIC = 0x4d525053; // "MRPS"
const SNAPSHOT_VERSION = 1;
const SNAPSHOT_HEADER_BYTES = 22;
const SNAPSHOT_CRC_START = 10;
const PRODUCER_BYTES = 19;
const BATCH_BYTES = 28;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The batch's maxTimestamp as written (the append time on LogAppendTime topics). */
  readonly timestamp: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most MAX_CACHED_BATCHES, all of `epoch`. */
  batches: BatchMetadata[];
  /** Later of the newest batch's timestamp and its append time (for expiry). */
  lastTimestamp: number;
}

/** What the producer-state rules need of one batch: its header fields and the offsets it gets. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  firstOffset: number;
  timestamp: number;
  /** Wall-clock time of the append; absent for batches replayed from the log. */
  appendMs?: number;
  /** Control batches (transaction markers) carry no sequence and are skipped. */
  control?: boolean;
}

export type ProducerCheck =
  /** Append the batches; then call `apply` with them. */
  | { readonly kind: 'append' }
  /** Do not append; answer with the original batch. */
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'reject'; readonly error: ErrorCode; readonly reason: string };

const APPEND: ProducerCheck = { kind: 'append' };

/** Sequence `seq` advanced by `delta`, wrapping past Int32.MAX to 0 (Kafka's DefaultRecordBatch.incrementSequence). */
export function incrementSequence(seq: number, delta: number): number {
  return seq > INT32_MAX - delta ? delta - (INT32_MAX - seq) - 1 : seq + delta;
}

/** True when `next` directly follows `last` (-1 = nothing yet, so 0 follows). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

function tracked(b: ProducerBatch): boolean {
  return b.producerId >= 0 && !b.control;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  /**
   * Check the batches of one client append, in order, against the state (see
   * the rules at the top). Pure: nothing changes until apply().
   */
  check(batches: readonly ProducerBatch[]): ProducerCheck {
    if (batches.length === 1) return this.checkOne(batches[0]!, undefined);
    // Several batches: a later batch of the same producer follows the earlier ones of this append.
    let pending: Map<number, { epoch: number; lastSeq: number }> | undefined;
    for (const b of batches) {
      if (!tracked(b)) continue;
      const r = this.checkOne(b, pending?.get(b.producerId));
      if (r.kind !== 'append') return r;
      pending ??= new Map();
      pending.set(b.producerId, { epoch: b.producerEpoch, lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta) });
    }
    return APPEND;
  }

  private checkOne(b: ProducerBatch, pending: { epoch: number; lastSeq: number } | undefined): ProducerCheck {
    if (!tracked(b)) return APPEND;
    const entry = this.producers.get(b.producerId);
    const seq = b.baseSequence;
    if (entry && b.producerEpoch === entry.epoch) {
      const lastSeq = incrementSequence(seq, b.lastOffsetDelta);
      for (const m of entry.batches) if (m.firstSeq === seq && m.lastSeq === lastSeq) return { kind: 'duplicate', batch: m };
    }
    const state = pending ?? (entry ? { epoch: entry.epoch, lastSeq: entry.batches.length > 0 ? entry.batches[entry.batches.length - 1]!.lastSeq : -1 } : undefined);
    if (!state) return APPEND;
    if (b.producerEpoch < state.epoch) {
      return { kind: 'reject', error: ErrorCode.INVALID_PRODUCER_EPOCH, reason: `producer ${b.producerId}: epoch ${b.producerEpoch} is older than ${state.epoch}` };
    }
    if (b.producerEpoch > state.epoch) {
      if (seq !== 0) return { kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `producer ${b.producerId}: new epoch ${b.producerEpoch} starts at sequence ${seq}, not 0` };
      return APPEND;
    }
    if (!inSequence(state.lastSeq, seq)) {
      return { kind: 'reject', error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: `producer ${b.producerId} epoch ${b.producerEpoch}: sequence ${seq} after ${state.lastSeq}` };
    }
    return APPEND;
  }

  /**
   * Record appended batches (after check() said 'append' and the write
   * succeeded), or batches replayed from the log on recovery, unchecked.
   */
  apply(batches: readonly ProducerBatch[]): void {
    for (const b of batches) if (tracked(b)) this.update(b);
  }

  /** Record one batch (see apply). */
  update(b: ProducerBatch): void {
    let entry = this.producers.get(b.producerId);
    const lastTimestamp = b.appendMs !== undefined && b.appendMs > b.timestamp ? b.appendMs : b.timestamp;
    if (!entry) {
      entry = { producerId: b.producerId, epoch: b.producerEpoch, batches: [], lastTimestamp };
      this.producers.set(b.producerId, entry);
    } else if (entry.epoch !== b.producerEpoch) {
      entry.epoch = b.producerEpoch;
      entry.batches = [];
    }
    entry.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
      firstOffset: b.firstOffset,
      lastOffset: b.firstOffset + b.lastOffsetDelta,
      timestamp: b.timestamp,
    });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = lastTimestamp;
  }

  /** Drop producers whose newest batch is more than `expirationMs` older than `nowMs`; returns how many. */
  expire(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (nowMs - e.lastTimestamp >= expirationMs) { this.producers.delete(id); n++; }
    }
    return n;
  }

  clear(): void {
    this.producers.clear();
  }

  // ---------------------------------------------------------------- snapshot

  /** The snapshot bytes of the current state, as of log offset `offset` (layout at the top). */
  encode(offset: number): Buffer {
    let size = SNAPSHOT_HEADER_BYTES;
    for (const e of this.producers.values()) size += PRODUCER_BYTES + e.batches.length * BATCH_BYTES;
    const buf = Buffer.allocUnsafe(size);
    buf.writeUInt32BE(SNAPSHOT_MAGIC, 0);
    buf.writeInt16BE(SNAPSHOT_VERSION, 4);
    writeInt64(buf, 10, offset);
    buf.writeInt32BE(this.producers.size, 18);
    let p = SNAPSHOT_HEADER_BYTES;
    for (const e of this.producers.values()) {
      writeInt64(buf, p, e.producerId);
      buf.writeInt16BE(e.epoch, p + 8);
      writeInt64(buf, p + 10, e.lastTimestamp);
      buf.writeUInt8(e.batches.length, p + 18);
      p += PRODUCER_BYTES;
      for (const m of e.batches) {
        buf.writeInt32BE(m.firstSeq, p);
        buf.writeInt32BE(m.lastSeq, p + 4);
        writeInt64(buf, p + 8, m.firstOffset);
        buf.writeInt32BE(m.lastOffset - m.firstOffset, p + 16);
        writeInt64(buf, p + 20, m.timestamp);
        p += BATCH_BYTES;
      }
    }
    buf.writeUInt32BE(getCrc32c()(buf, SNAPSHOT_CRC_START, size, 0), 6);
    return buf;
  }

  /**
   * Replace the state with a snapshot's. Returns null on success, else why the
   * bytes are not a valid snapshot for `offset` (the state is then untouched).
   */
  load(buf: Buffer, offset: number): string | null {
    if (buf.length < SNAPSHOT_HEADER_BYTES) return `${buf.length} bytes, below the header`;
    if (buf.readUInt32BE(0) !== SNAPSHOT_MAGIC) return 'bad magic';
    const version = buf.readInt16BE(4);
    if (version !== SNAPSHOT_VERSION) return `version ${version}`;
    if (buf.readUInt32BE(6) !== getCrc32c()(buf, SNAPSHOT_CRC_START, buf.length, 0)) return 'CRC mismatch';
    const at = readInt64(buf, 10);
    if (at !== offset) return `offset ${at}, file name says ${offset}`;
    const count = buf.readInt32BE(18);
    const loaded = new Map<number, ProducerEntry>();
    let p = SNAPSHOT_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      if (p + PRODUCER_BYTES > buf.length) return 'truncated producer entry';
      const producerId = readInt64(buf, p);
      const epoch = buf.readInt16BE(p + 8);
      const lastTimestamp = readInt64(buf, p + 10);
      const n = buf.readUInt8(p + 18);
      p += PRODUCER_BYTES;
      if (n > MAX_CACHED_BATCHES || p + n * BATCH_BYTES > buf.length) return `bad batch count ${n}`;
      const batches: BatchMetadata[] = [];
      for (let j = 0; j < n; j++) {
        const firstOffset = readInt64(buf, p + 8);
        batches.push({
          firstSeq: buf.readInt32BE(p), lastSeq: buf.readInt32BE(p + 4),
          firstOffset, lastOffset: firstOffset + buf.readInt32BE(p + 16), timestamp: readInt64(buf, p + 20),
        });
        p += BATCH_BYTES;
      }
      loaded.set(producerId, { producerId, epoch, batches, lastTimestamp });
    }
    if (p !== buf.length) return `${buf.length - p} trailing bytes`;
    this.producers.clear();
    for (const [id, e] of loaded) this.producers.set(id, e);
    return null;
  }
}
