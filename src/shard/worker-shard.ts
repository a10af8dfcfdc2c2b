/**
 * WorkerShard (dispatcher thread): the Shard interface over a worker thread.
 *
 *   dispatcher                                   worker (shard-worker.ts)
 *   produce/fetch/… ─▶ inbound ring (WASM memory) ─▶ partitions (PartitionLog)
 *   resolve promise ◀─ outbound ring  ◀──────────── completions, DATA / TAIL signals
 *   socket write    ◀─ fetch slots    ◀──────────── fetched batches (freed after the write)
 *   open/delete/…   ─▶ postMessage (+ nudge) ─▶ control
 *
 * Produce bytes the connection read into the ReceiveArena (receive-arena.ts)
 * are not copied at all: a PRODUCE_AT message names where they lie, and the
 * arena chunk is retained until the completion (or the worker's death).
 * Others are copied once, from the request into the inbound ring (a request
 * that must wait for ring space keeps its own copy, because the request bytes
 * are a view of the connection's receive buffer).
 * Fetch replies for the Fetch handler come in fetch slots (fetch-slots.ts):
 * the records are a view of the slot, leased to the handler and freed when
 * the response has been written. Other replies, and those that find no free
 * slot, come in the outbound ring and are copied out at once, so a slow
 * client socket can never hold ring space that other partitions'
 * completions need (the ring is reclaimed in order;
 * test/integration/engine/stuck-consumer.test.ts). Fetches at the end of a
 * watched partition are answered here by the TailMirror (tail-mirror.ts),
 * which the shard feeds with TAIL messages.
 *
 * If the worker dies, pending requests fail with NOT_LEADER_OR_FOLLOWER (a
 * retriable error; clients refresh metadata and retry), a new worker is
 * started, and it reopens (recovers) the shard's partitions. Acknowledged
 * records were written before their completion was sent, so none is lost.
 *
 * When the inbound ring is full, requests wait in `overflow` and the engine
 * reports the shard as congested so connections stop reading (backpressure).
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { DEFAULT_TAIL_CACHE_TOTAL_BYTES, type LogConfig } from '../storage/log-config.js';
import type { RecoveryHints } from '../storage/partition-log.js';
import {
  FETCH_MIN_ONE_BATCH, FETCH_REPLY_HEADER_BYTES, FETCH_SLOT_OK, Op, PRODUCE_AT_BYTES, PRODUCE_HEADER_BYTES, TAIL_HEADER_BYTES, type ControlReply, type ControlRequest,
  type FetchReplyMessage,
} from './envelope.js';
import { ALIGN_SLACK, skewFor } from '../common/co-aligned.js';
import { FetchSlots } from './fetch-slots.js';
import type { ReceiveArena } from './receive-arena.js';
import { ShardRing } from './ring.js';
import { TailMirror } from './tail-mirror.js';
import type {
  FetchOp, FetchOutcome, PartitionKey, PartitionOffsets, ProduceOp, ProduceOutcome, Shard, ShardQueueStats, ShardStats, TimestampOffset,
} from './shard.js';

const WASM_PAGE = 65536;
/** The CRC kernel's tables occupy the first 16 KiB of the WASM memory; the ring starts after them. */
const IN_BASE = WASM_PAGE;

export interface WorkerShardOptions {
  inboundBytes: number;
  outboundBytes: number;
  /** Fetch replies go into runs of fetchSlots slots of fetchSlotBytes, up to half of them per reply (FetchSlots). */
  fetchSlots: number;
  fetchSlotBytes: number;
  /** Pending (not yet in the ring) bytes above which the shard reports congestion. */
  maxOverflowBytes: number;
  /** The worker's tail-cache budget (TailCacheBudget). */
  tailCacheBytes: number;
}

export const DEFAULT_WORKER_SHARD_OPTIONS: WorkerShardOptions = {
  inboundBytes: 32 * 1024 * 1024,
  outboundBytes: 32 * 1024 * 1024,
  // A 1 MiB partition read (the clients' default max.partition.fetch.bytes) plus its over-read fits one slot,
  // and 32 of them hold a shard's share of a full 55 MiB Fetch over 2 shards. One consumer of 64 partitions,
  // raw Fetch client (bench/workloads/raw-fetch.ts), 20 M records on disk: 16 slots 407-527 MB/s, 32 slots
  // 543-676 (inline 518-562); broker RSS after it 249 vs 242 MB (ring replies are copied out into fresh memory).
  fetchSlots: 32,
  fetchSlotBytes: 1024 * 1024 + 64 * 1024,
  maxOverflowBytes: 64 * 1024 * 1024,
  tailCacheBytes: DEFAULT_TAIL_CACHE_TOTAL_BYTES / 2,
};

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

interface Pending {
  op: number;
  handle: number;
  resolve: (value: never) => void;
  /** FETCH: the caller takes records that are views of a fetch slot (FetchOp.lease). */
  lease?: (release: () => void) => void;
  /** PRODUCE_AT: gives back the arena chunk of the batch, on completion or failure. */
  release?: () => void;
}

interface Queued {
  tag: number;
  size: number;
  fill: (at: number, view: DataView, bytes: Uint8Array) => void;
}

interface PartitionEntry {
  handle: number;
  dir: string;
  config: LogConfig;
}

export class WorkerShard implements Shard {
  private worker!: Worker;
  private inRing!: ShardRing;
  private outRing!: ShardRing;
  private slots!: FetchSlots;
  private readonly pending = new Map<number, Pending>();
  private readonly control = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();
  private readonly partitions = new Map<PartitionKey, PartitionEntry>();
  private readonly byHandle = new Map<number, PartitionKey>();
  private readonly overflow: Queued[] = [];
  private overflowBytes = 0;
  private awaitingSpace = false;
  private readonly dataListeners: ((key: PartitionKey) => void)[] = [];
  private readonly mirror = new TailMirror();
  private readonly congestionListeners: (() => void)[] = [];
  private nextReqId = 1;
  private nextControlId = 1;
  private nextHandle = 1;
  private closing = false;
  private ready: Promise<void> = Promise.resolve();
  private readonly log;
  /** Times the worker was restarted after dying (for tests and metrics). */
  restarts = 0;

  constructor(readonly id: number, private readonly options: WorkerShardOptions = DEFAULT_WORKER_SHARD_OPTIONS, private readonly arena: ReceiveArena | null = null) {
    this.log = logger.child({ shard: id });
    this.spawn();
  }

  private spawn(): void {
    const pages = Math.ceil((IN_BASE + ShardRing.bytesFor(this.options.inboundBytes)) / WASM_PAGE);
    const inMemory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const outBuffer = new SharedArrayBuffer(ShardRing.bytesFor(this.options.outboundBytes));
    this.inRing = new ShardRing(inMemory.buffer as unknown as SharedArrayBuffer, IN_BASE, this.options.inboundBytes);
    this.outRing = new ShardRing(outBuffer, 0, this.options.outboundBytes);
    const { fetchSlots: slotCount, fetchSlotBytes: slotBytes } = this.options;
    const slotBuffer = new SharedArrayBuffer(FetchSlots.bytesFor(slotCount, slotBytes));
    this.slots = new FetchSlots(slotBuffer, slotCount, slotBytes);
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), {
      workerData: {
        shardId: this.id, inMemory, inBase: IN_BASE, inCapacity: this.options.inboundBytes, outBuffer, outCapacity: this.options.outboundBytes,
        slotBuffer, slotCount, slotBytes, tailCacheBytes: this.options.tailCacheBytes, arenaMemory: this.arena?.memory,
      },
      name: `millrace-shard-${this.id}`,
    });
    this.worker.on('message', (m: ControlReply | FetchReplyMessage) => {
      if ('kind' in m) return this.receiveLargeFetch(m);
      const c = this.control.get(m.id);
      if (!c) return;
      this.control.delete(m.id);
      if (m.ok) c.resolve(m.value); else c.reject(new Error(m.error));
    });
    this.worker.on('error', (err) => this.log.error({ err: err.message, stack: err.stack }, 'shard worker failed'));
    const worker = this.worker;
    this.worker.on('exit', (code) => { if (worker === this.worker) this.onExit(code); });
    void this.receiveLoop(this.outRing);
  }

  // -------------------------------------------------------------- completions

  private async receiveLoop(ring: ShardRing): Promise<void> {
    while (ring === this.outRing && !this.closing) {
      const msg = ring.peek();
      if (!msg) {
        await ring.waitForMessage(1000);
        continue;
      }
      for (let m: typeof msg | null = msg; m; m = ring.peek()) {
        this.complete(ring, m.tag, m.offset, m.length);
        ring.release(m);
      }
      this.flushOverflow();
    }
  }

  private complete(ring: ShardRing, op: number, at: number, length: number): void {
    const v = ring.view;
    if (op === Op.DATA || op === Op.TAIL) {
      const handle = v.getUint32(at, true);
      if (op === Op.DATA) this.mirror.forget(handle); // the shard is not pushing this partition (any more)
      else this.receiveTail(ring, handle, at);
      const key = this.byHandle.get(handle);
      if (key !== undefined) for (const l of this.dataListeners) l(key);
      return;
    }
    const reqId = v.getUint32(at, true);
    const p = this.pending.get(reqId);
    if (!p) return;
    this.pending.delete(reqId);
    p.release?.();
    const resolve = p.resolve as (value: unknown) => void;
    switch (op) {
      case Op.PRODUCE:
        return resolve({ errorCode: v.getInt32(at + 4, true) as ErrorCode, baseOffset: v.getFloat64(at + 8, true), logAppendTimeMs: v.getFloat64(at + 16, true), logStartOffset: v.getFloat64(at + 24, true) } satisfies ProduceOutcome);
      case Op.FETCH: {
        const bytes = v.getUint32(at + 24, true);
        if (v.getUint32(at + 28, true) === 1) this.mirror.watch(p.handle, v.getFloat64(at + 8, true), v.getFloat64(at + 16, true), Date.now());
        else this.mirror.forget(p.handle);
        const records = bytes === 0 ? [] : [this.fetchedRecords(v.getInt32(at + 32, true), bytes, ring, at, p)];
        return resolve({ errorCode: v.getInt32(at + 4, true) as ErrorCode, highWatermark: v.getFloat64(at + 8, true), logStartOffset: v.getFloat64(at + 16, true), bytes, records } satisfies FetchOutcome);
      }
      case Op.OFFSETS:
        return resolve(v.getUint32(at + 4, true) ? { logStartOffset: v.getFloat64(at + 8, true), highWatermark: v.getFloat64(at + 16, true), sizeBytes: v.getFloat64(at + 24, true) } satisfies PartitionOffsets : null);
      case Op.OFFSET_FOR_TS:
        return resolve(v.getUint32(at + 4, true) ? { offset: v.getFloat64(at + 8, true), timestamp: v.getFloat64(at + 16, true) } satisfies TimestampOffset : null);
      case Op.DELETE_RECORDS: {
        const lowWatermark = v.getFloat64(at + 8, true);
        this.mirror.logStartMoved(p.handle, lowWatermark);
        return resolve({ errorCode: v.getInt32(at + 4, true), lowWatermark });
      }
    }
    void length;
  }

  /**
   * The records of a fetch reply: a view of its fetch slots, leased to the
   * caller (freed when the response has been written), or a copy of the
   * bytes that follow the header in the ring.
   */
  private fetchedRecords(slot: number, bytes: number, ring: ShardRing, at: number, p: Pending): Buffer {
    if (slot < 0) return Buffer.from(ring.bytes.subarray(at + FETCH_REPLY_HEADER_BYTES, at + FETCH_REPLY_HEADER_BYTES + bytes));
    const slots = this.slots;
    const skew = ring.view.getUint32(at + 36, true);
    const offset = slots.offsetOf(slot) + skew;
    const run = slots.runFor(skew + bytes);
    if (!p.lease) { // not asked for; kept safe anyway
      const copy = Buffer.from(slots.bytes.subarray(offset, offset + bytes));
      slots.release(slot, run);
      return copy;
    }
    let released = false;
    p.lease(() => { if (!released) { released = true; slots.release(slot, run); } });
    return Buffer.from(slots.buffer, offset, bytes);
  }

  /** A fetch reply that came by postMessage, too large for the ring (the shard stopped watching the partition). */
  private receiveLargeFetch(m: FetchReplyMessage): void {
    const p = this.pending.get(m.reqId);
    if (!p) return;
    this.pending.delete(m.reqId);
    this.mirror.forget(p.handle);
    const records = Buffer.from(m.records.buffer, m.records.byteOffset, m.records.byteLength);
    (p.resolve as (v: FetchOutcome) => void)({
      errorCode: m.errorCode as ErrorCode, highWatermark: m.highWatermark, logStartOffset: m.logStartOffset, bytes: records.length, records: [records],
    });
  }

  /** A watched partition's append: into the mirror, or tell the shard to stop pushing. */
  private receiveTail(ring: ShardRing, handle: number, at: number): void {
    const v = ring.view;
    const bytes = v.getUint32(at + 4, true);
    const records = bytes > 0 ? Buffer.from(ring.buffer, at + TAIL_HEADER_BYTES + v.getUint32(at + 32, true), bytes) : null;
    const kept = this.mirror.push(handle, v.getFloat64(at + 8, true), v.getFloat64(at + 16, true), v.getFloat64(at + 24, true), records, Date.now());
    if (!kept) this.send(Op.UNWATCH, 8, (p, view) => view.setUint32(p + 4, handle, true));
  }

  // ----------------------------------------------------------------- requests

  /** `keep` makes a fill that does not depend on the caller's memory, for a request that has to wait in the overflow queue. */
  private request<T>(op: number, handle: number, size: number, fill: Queued['fill'], keep?: () => Queued['fill'], lease?: Pending['lease']): Promise<T> {
    const { reqId, promise } = this.track<T>(op, handle, { lease });
    this.sendFor(reqId, handle, op, size, fill, keep);
    return promise;
  }

  /** A new request id whose completion resolves `promise`. */
  private track<T>(op: number, handle: number, extra?: Pick<Pending, 'lease' | 'release'>): { reqId: number; promise: Promise<T> } {
    const reqId = this.nextReqId++ >>> 0;
    const promise = new Promise<T>((resolve) => this.pending.set(reqId, { op, handle, resolve: resolve as (v: never) => void, ...extra }));
    return { reqId, promise };
  }

  /** Sends one message of request `reqId` (its fill writes the rest after the ids). */
  private sendFor(reqId: number, handle: number, op: number, size: number, fill: Queued['fill'], keep?: () => Queued['fill']): void {
    const withIds = (f: Queued['fill']): Queued['fill'] => (at, view, bytes) => {
      view.setUint32(at, reqId, true);
      view.setUint32(at + 4, handle, true);
      f(at, view, bytes);
    };
    this.send(op, size, withIds(fill), keep && (() => withIds(keep())));
  }

  /** Puts a message in the inbound ring, or behind it in the overflow queue. */
  private send(op: number, size: number, fill: Queued['fill'], keep?: () => Queued['fill']): void {
    if (this.overflow.length === 0 && this.tryEnqueue(op, size, fill)) return;
    this.overflow.push({ tag: op, size, fill: keep ? keep() : fill });
    this.overflowBytes += size;
    if (!this.awaitingSpace) void this.flushAsSpaceFrees();
  }

  /**
   * Flushes the overflow queue as the worker frees ring space. Completions
   * flush it too (receiveLoop), but not every message has one: the pieces
   * of a large batch (PRODUCE_PART) do not.
   */
  private async flushAsSpaceFrees(): Promise<void> {
    this.awaitingSpace = true;
    const ring = this.inRing;
    while (this.overflow.length > 0 && ring === this.inRing && !this.closing) {
      await ring.waitForSpace(100);
      if (ring === this.inRing) this.flushOverflow();
    }
    this.awaitingSpace = false;
    // The worker was replaced meanwhile and requests already wait on the new ring.
    if (this.overflow.length > 0 && !this.closing) void this.flushAsSpaceFrees();
  }

  private tryEnqueue(tag: number, size: number, fill: Queued['fill']): boolean {
    const at = this.inRing.reserve(size, tag);
    if (at < 0) return false;
    fill(at, this.inRing.view, this.inRing.bytes);
    this.inRing.publish();
    return true;
  }

  private flushOverflow(): void {
    const wasCongested = this.congested;
    while (this.overflow.length > 0) {
      const q = this.overflow[0]!;
      if (!this.tryEnqueue(q.tag, q.size, q.fill)) break;
      this.overflow.shift();
      this.overflowBytes -= q.size;
    }
    if (wasCongested && !this.congested) for (const l of this.congestionListeners) l();
  }

  /** True while requests wait for ring space beyond the configured limit. */
  get congested(): boolean {
    return this.overflowBytes > this.options.maxOverflowBytes;
  }

  /** Called when the shard stops being congested. */
  onDecongested(listener: () => void): void {
    this.congestionListeners.push(listener);
  }

  private handleOf(key: PartitionKey): number | undefined {
    return this.partitions.get(key)?.handle;
  }

  produce(op: ProduceOp): Promise<ProduceOutcome> | ProduceOutcome {
    const handle = this.handleOf(op.key);
    if (handle === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    const chunk = this.arena?.chunkOf(op.records) ?? -1;
    if (chunk >= 0) return this.produceAt(op, handle, chunk);
    const size = PRODUCE_HEADER_BYTES + ALIGN_SLACK + op.records.length;
    // A message after its header: one int32 (acks or the total size), the skew, the records at the skew.
    const fill = (records: Buffer, word: number) => (at: number, v: DataView, bytes: Uint8Array): void => {
      v.setInt32(at + 8, word, true);
      const skew = skewFor(records, at + PRODUCE_HEADER_BYTES);
      v.setUint32(at + 12, skew, true);
      bytes.set(records, at + PRODUCE_HEADER_BYTES + skew);
    };
    if (size > this.inRing.maxPayload) {
      // Too large for one message (over half the ring): PRODUCE_PART pieces, then a PRODUCE with the rest,
      // all from a copy (pieces may wait in the overflow queue). Ring order keeps them in order.
      const records = Buffer.from(op.records);
      const piece = this.inRing.maxPayload - PRODUCE_HEADER_BYTES - ALIGN_SLACK;
      const { reqId, promise } = this.track<ProduceOutcome>(Op.PRODUCE, handle);
      let at = 0;
      for (; records.length - at > piece; at += piece) {
        this.sendFor(reqId, handle, Op.PRODUCE_PART, this.inRing.maxPayload, fill(records.subarray(at, at + piece), records.length));
      }
      const rest = records.subarray(at);
      this.sendFor(reqId, handle, Op.PRODUCE, PRODUCE_HEADER_BYTES + ALIGN_SLACK + rest.length, fill(rest, op.acks));
      return promise;
    }
    // The batches are a view the caller reuses once this returns: a request that waits for ring space keeps a copy.
    return this.request<ProduceOutcome>(Op.PRODUCE, handle, size, fill(op.records, op.acks), () => fill(Buffer.from(op.records), op.acks));
  }

  /** A batch in the receive arena: passed by where it lies; the chunk stays retained until the completion. */
  private produceAt(op: ProduceOp, handle: number, chunk: number): Promise<ProduceOutcome> {
    const arena = this.arena!;
    arena.retain(chunk);
    const { reqId, promise } = this.track<ProduceOutcome>(Op.PRODUCE, handle, { release: () => arena.release(chunk) });
    const { byteOffset, length } = op.records;
    const fill: Queued['fill'] = (at, v) => {
      v.setInt32(at + 8, op.acks, true);
      v.setUint32(at + 12, byteOffset, true);
      v.setUint32(at + 16, length, true);
    };
    // Waiting for ring space needs no copy: the bytes stay put while retained.
    this.sendFor(reqId, handle, Op.PRODUCE_AT, PRODUCE_AT_BYTES, fill, () => fill);
    return promise;
  }

  fetch(op: FetchOp): Promise<FetchOutcome> | FetchOutcome {
    const handle = this.handleOf(op.key);
    if (handle === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, records: [], bytes: 0, highWatermark: -1, logStartOffset: -1 };
    const mirrored = this.mirror.read(handle, op, Date.now());
    if (mirrored) return mirrored;
    return this.request<FetchOutcome>(Op.FETCH, handle, 24, (at, v) => {
      v.setInt32(at + 8, Math.min(op.maxBytes, 0x7fffffff), true);
      v.setUint32(at + 12, (op.minOneBatch ? FETCH_MIN_ONE_BATCH : 0) | (op.lease ? FETCH_SLOT_OK : 0), true);
      v.setFloat64(at + 16, op.fetchOffset, true);
    }, undefined, op.lease);
  }

  offsets(key: PartitionKey): Promise<PartitionOffsets | null> | null {
    const handle = this.handleOf(key);
    if (handle === undefined) return null;
    return this.request(Op.OFFSETS, handle, 8, () => undefined);
  }

  offsetForTimestamp(key: PartitionKey, timestamp: number): Promise<TimestampOffset | null> | null {
    const handle = this.handleOf(key);
    if (handle === undefined) return null;
    return this.request(Op.OFFSET_FOR_TS, handle, 16, (at, v) => v.setFloat64(at + 8, timestamp, true));
  }

  deleteRecords(key: PartitionKey, beforeOffset: number): Promise<{ errorCode: ErrorCode; lowWatermark: number }> | { errorCode: ErrorCode; lowWatermark: number } {
    const handle = this.handleOf(key);
    if (handle === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 };
    return this.request(Op.DELETE_RECORDS, handle, 16, (at, v) => v.setFloat64(at + 8, beforeOffset, true));
  }

  onData(listener: (key: PartitionKey) => void): void {
    this.dataListeners.push(listener);
  }

  // ------------------------------------------------------------------ control

  private sendControl(req: DistributiveOmit<ControlRequest, 'id'>): Promise<void>;
  private sendControl<T>(req: DistributiveOmit<ControlRequest, 'id'>): Promise<T>;
  private sendControl(req: DistributiveOmit<ControlRequest, 'id'>): Promise<unknown> {
    const id = this.nextControlId++;
    return new Promise((resolve, reject) => {
      this.control.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
      this.inRing.nudge(); // a shard blocked on its ring would see the message only at the end of its slice
    });
  }

  async openPartition(key: PartitionKey, dir: string, config: LogConfig, hints?: RecoveryHints): Promise<void> {
    if (this.partitions.has(key)) return;
    const handle = this.nextHandle++;
    await this.ready;
    await this.sendControl({ kind: 'open', handle, key, dir, config, hints });
    this.partitions.set(key, { handle, dir, config });
    this.byHandle.set(handle, key);
  }

  async deletePartition(key: PartitionKey): Promise<void> {
    const entry = this.partitions.get(key);
    if (!entry) return;
    this.partitions.delete(key);
    this.byHandle.delete(entry.handle);
    this.mirror.forget(entry.handle);
    await this.ready;
    await this.sendControl({ kind: 'delete', handle: entry.handle });
  }

  updatePartitionConfig(key: PartitionKey, config: LogConfig): void {
    const entry = this.partitions.get(key);
    if (!entry) return;
    entry.config = config;
    this.sendControl({ kind: 'config', handle: entry.handle, config }).catch((err: Error) => this.log.error({ err: err.message }, 'config update failed'));
  }

  applyRetention(nowMs: number): Promise<void> {
    return this.sendControl({ kind: 'retention', nowMs });
  }

  /** Partition sizes and offsets and the worker's fsync latency (metrics scrapes). */
  async stats(): Promise<ShardStats> {
    await this.ready;
    return this.sendControl<ShardStats>({ kind: 'stats' });
  }

  /** Queue depths and ring occupancy, read here without asking the worker (metrics scrapes). */
  queueStats(): ShardQueueStats {
    let produce = 0;
    let fetch = 0;
    for (const p of this.pending.values()) {
      if (p.op === Op.PRODUCE) produce++;
      else if (p.op === Op.FETCH) fetch++;
    }
    return {
      produce, fetch, other: this.pending.size - produce - fetch,
      overflowRequests: this.overflow.length, overflowBytes: this.overflowBytes,
      inboundUsedBytes: this.inRing.usedBytes, inboundCapacityBytes: this.inRing.capacity,
      outboundUsedBytes: this.outRing.usedBytes, outboundCapacityBytes: this.outRing.capacity,
      fetchSlotsInUse: this.slots.inUse,
      restarts: this.restarts,
    };
  }

  /** Test hook: makes the worker throw an uncaught error. */
  crashForTest(): Promise<void> {
    return this.sendControl({ kind: 'crash' }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.sendControl({ kind: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  // ------------------------------------------------------------------ restart

  private onExit(code: number): void {
    for (const c of this.control.values()) c.reject(new Error(`shard ${this.id} worker exited`));
    this.control.clear();
    if (this.closing) return;
    this.log.error({ code, partitions: this.partitions.size }, 'shard worker died; restarting and recovering its partitions');
    this.restarts++;
    this.failPending();
    this.spawn();
    this.ready = this.reopenAll();
  }

  private failPending(): void {
    const err = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    // The worker has exited: nothing reads the arena chunks of its batches any more.
    for (const p of this.pending.values()) {
      p.release?.();
      const resolve = p.resolve as (v: unknown) => void;
      if (p.op === Op.PRODUCE) resolve({ errorCode: err, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 });
      else if (p.op === Op.FETCH) resolve({ errorCode: err, records: [], bytes: 0, highWatermark: -1, logStartOffset: -1 });
      else if (p.op === Op.DELETE_RECORDS) resolve({ errorCode: err, lowWatermark: -1 });
      else resolve(null);
    }
    this.pending.clear();
    this.mirror.clear();
    this.overflow.length = 0;
    this.overflowBytes = 0;
  }

  private async reopenAll(): Promise<void> {
    const entries = [...this.partitions.entries()];
    // Requests for these partitions get a retriable error until they are back.
    this.partitions.clear();
    this.byHandle.clear();
    for (const [key, e] of entries) {
      try {
        await this.sendControl({ kind: 'open', handle: e.handle, key, dir: e.dir, config: e.config });
        this.partitions.set(key, e);
        this.byHandle.set(e.handle, key);
      } catch (err) {
        this.log.error({ partition: key, err: (err as Error).message }, 'reopening partition failed');
      }
    }
    this.log.info({ partitions: this.partitions.size }, 'shard worker recovered');
  }
}
