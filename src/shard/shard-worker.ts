/**
 * Entry point of a shard worker thread (shard only).
 *
 *   inbound ring ──▶ drain(): decode op, run it on the local partitions ──▶ outbound ring
 *                                                     (fetched batches ──▶ a fetch slot if allowed and free)
 *   postMessage  ──▶ control: open/delete partition, config, retention, close
 *
 * The partitions themselves are the same code as inline mode (InlineShard
 * over PartitionLog); this file only moves requests and completions across
 * the thread boundary. Produce batches are appended straight from the ring
 * view: the CRC-32C kernel checksums them where they lie (the inbound ring
 * is WASM memory), the segment write reads them from there, and the tail
 * cache takes its own copy. Appends of partitions a consumer has read to the
 * end of ("watched") are also pushed to the dispatcher's TailMirror (TAIL).
 * How the worker waits for work is described at `loop` below: blocking
 * slices while busy, Atomics.waitAsync when idle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setCrc32c } from '../protocol/record-batch/crc.js';
import { crc32c, createCrc32cOnMemory } from '../wasm/crc32c.js';
import { logger } from '../common/logger.js';
import { ErrorCode } from '../common/error-codes.js';
import type { LogConfig } from '../storage/log-config.js';
import type { RecoveryHints } from '../storage/partition-log.js';
import { InlineShard } from './inline-shard.js';
import { ShardRing } from './ring.js';
import {
  FETCH_MIN_ONE_BATCH, FETCH_REPLY_HEADER_BYTES, FETCH_SLOT_OK, MAX_TAIL_PUSH_BYTES, Op, PRODUCE_HEADER_BYTES, TAIL_HEADER_BYTES, type ControlReply, type ControlRequest,
  type FetchReplyMessage,
} from './envelope.js';
import { ALIGN_SLACK, skewFor } from '../common/co-aligned.js';
import { FetchSlots } from './fetch-slots.js';
import { threadReadArena } from '../storage/read-arena.js';
import type { FetchOutcome, MaybePromise, PartitionOffsets, ProduceOutcome } from './shard.js';

interface ShardWorkerData {
  shardId: number;
  inMemory: WebAssembly.Memory;
  inBase: number;
  inCapacity: number;
  outBuffer: SharedArrayBuffer;
  outCapacity: number;
  slotBuffer: SharedArrayBuffer;
  slotCount: number;
  slotBytes: number;
  tailCacheBytes: number;
  /** The dispatcher's ReceiveArena (PRODUCE_AT batches lie there), if it has one. */
  arenaMemory?: WebAssembly.Memory;
}

const data = workerData as ShardWorkerData;
const log = logger.child({ shard: data.shardId, thread: 'worker' });
const inRing = new ShardRing(data.inMemory.buffer as unknown as SharedArrayBuffer, data.inBase, data.inCapacity);
const outRing = new ShardRing(data.outBuffer, 0, data.outCapacity);
const slots = new FetchSlots(data.slotBuffer, data.slotCount, data.slotBytes);
const shard = new InlineShard(data.shardId, data.tailCacheBytes);
const keys = new Map<number, string>();
const handles = new Map<string, number>();
/** Partitions a consumer has read to the end of: their appends are pushed to the dispatcher's TailMirror. */
const watched = new Set<number>();
shard.onData((key) => {
  const h = handles.get(key);
  // A watched partition's appends are announced by their TAIL push instead.
  if (h !== undefined && !watched.has(h)) reply(Op.DATA, 4, (at) => v.setUint32(at, h, true));
});

// Batches in the inbound ring or the receive arena are checksummed in place by the WASM kernel.
const inPlace = createCrc32cOnMemory(data.inMemory);
const ringBuffer = data.inMemory.buffer;
const inArena = data.arenaMemory ? createCrc32cOnMemory(data.arenaMemory) : null;
const arenaBuffer = data.arenaMemory?.buffer;
setCrc32c((bytes, start, end, crc) =>
  bytes.buffer === ringBuffer ? inPlace(bytes.byteOffset + start, end - start, crc)
    : bytes.buffer === arenaBuffer ? inArena!(bytes.byteOffset + start, end - start, crc)
      : crc32c(bytes, start, end, crc));

/** Completions that did not fit in the outbound ring yet, in order. */
const backlog: { tag: number; size: number; fill: (at: number) => void }[] = [];

/** Writes a message now if it fits behind an empty backlog. */
function replyNow(tag: number, size: number, fill: (at: number) => void): boolean {
  if (backlog.length > 0) return false;
  const at = outRing.reserve(size, tag);
  if (at < 0) return false;
  fill(at);
  outRing.publish();
  return true;
}

function reply(tag: number, size: number, fill: (at: number) => void): void {
  if (replyNow(tag, size, fill)) return;
  backlog.push({ tag, size, fill });
  if (backlog.length === 1) void drainBacklog();
}

async function drainBacklog(): Promise<void> {
  while (backlog.length > 0) {
    const b = backlog[0]!;
    const at = outRing.reserve(b.size, b.tag);
    if (at < 0) { await outRing.waitForSpace(50); continue; }
    b.fill(at);
    outRing.publish();
    backlog.shift();
  }
}

const v = outRing.view;

function replyProduce(reqId: number, o: ProduceOutcome): void {
  reply(Op.PRODUCE, 32, (at) => {
    v.setUint32(at, reqId, true);
    v.setInt32(at + 4, o.errorCode, true);
    v.setFloat64(at + 8, o.baseOffset, true);
    v.setFloat64(at + 16, o.logAppendTimeMs, true);
    v.setFloat64(at + 24, o.logStartOffset, true);
  });
}

/**
 * Pushes a watched partition's append (`records`, a view of the inbound ring,
 * offsets assigned) to the dispatcher. The view is only valid until the
 * request is released, so a push that must wait in the backlog takes a copy.
 */
function pushTail(handle: number, baseOffset: number, end: PartitionOffsets, records: Buffer): void {
  const body = records.length <= MAX_TAIL_PUSH_BYTES ? records : EMPTY;
  const fill = (src: Buffer) => (at: number): void => {
    v.setUint32(at, handle, true);
    v.setUint32(at + 4, src.length, true);
    v.setFloat64(at + 8, baseOffset, true);
    v.setFloat64(at + 16, end.highWatermark, true);
    v.setFloat64(at + 24, end.logStartOffset, true);
    const skew = skewFor(src, at + TAIL_HEADER_BYTES);
    v.setUint32(at + 32, skew, true);
    outRing.bytes.set(src, at + TAIL_HEADER_BYTES + skew);
  };
  const size = TAIL_HEADER_BYTES + ALIGN_SLACK + body.length;
  if (!replyNow(Op.TAIL, size, fill(body))) reply(Op.TAIL, size, fill(Buffer.from(body)));
}

const EMPTY = Buffer.alloc(0);

/**
 * Fetch slots for one read: a run sized for the partition's byte limit plus
 * the read's over-read (PartitionLog reads from the index entry before the
 * offset, and a little past the limit), so the segment bytes are read
 * straight into the slots (the thread's ReadArena is pointed at them) and
 * nothing is copied in JavaScript. Slot -1 when the dispatcher did not allow
 * slots, the limit is too large for them, or no such run is free.
 */
const READ_OVERRUN_BYTES = 32 * 1024;
function slotsForRead(limit: number, slotOk: boolean): { slot: number; run: number } {
  const run = slots.runFor(limit + READ_OVERRUN_BYTES);
  const slot = slotOk && limit > 0 && run * slots.slotBytes <= slots.maxReplyBytes ? slots.acquire(run) : -1;
  threadReadArena.reset(slot >= 0 ? Buffer.from(slots.buffer, slots.offsetOf(slot), run * slots.slotBytes) : undefined);
  return { slot, run };
}

/**
 * Where the reply's records sit in the slot run from `slot`: in place when
 * the read landed there in one piece, else copied to its start (co-aligned
 * with the first piece; pieces read into the run lie in order, at or after
 * where they are copied to). -1 when they do not fit.
 */
function placeInSlots(o: FetchOutcome, slot: number, run: number): number {
  const start = slots.offsetOf(slot);
  const end = start + run * slots.slotBytes;
  const first = o.records[0]!;
  if (o.records.length === 1 && first.buffer === slots.buffer && first.byteOffset >= start && first.byteOffset + first.length <= end) {
    return first.byteOffset - start;
  }
  const skew = skewFor(first, start);
  if (skew + o.bytes > end - start) return -1;
  let p = start + skew;
  for (const r of o.records) { slots.bytes.set(r, p); p += r.length; }
  return skew;
}

/**
 * A fetch reply: the records go into fetch slots when the dispatcher allows
 * it (`pre`: the run the read went into, or -1), else into the ring after the
 * header. A reply too large for one ring message (only a first batch over
 * half the ring, which KIP-74 returns whatever its size) goes by
 * postMessage, and the partition stops being watched so no TAIL can
 * overtake it. The dispatcher frees runFor(skew + bytes) slots from `slot`.
 */
function replyFetch(reqId: number, h: number, o: FetchOutcome, watching = false, pre = { slot: -1, run: 0 }): void {
  const bytes = o.bytes;
  let slot = -1;
  let skew = 0;
  if (pre.slot >= 0) {
    const at = bytes > 0 ? placeInSlots(o, pre.slot, pre.run) : -1;
    const used = at >= 0 ? slots.runFor(at + bytes) : 0;
    slots.release(pre.slot + used, pre.run - used);
    if (used > 0) {
      slot = pre.slot;
      skew = at;
      o = { ...o, records: [] };
    }
  }
  if (slot < 0 && FETCH_REPLY_HEADER_BYTES + bytes > outRing.maxPayload) {
    watched.delete(h);
    const records = Buffer.allocUnsafeSlow(bytes); // its own ArrayBuffer, transferred below
    let p = 0;
    for (const r of o.records) { records.set(r, p); p += r.length; }
    const m: FetchReplyMessage = { kind: 'fetch-reply', reqId, errorCode: o.errorCode, highWatermark: o.highWatermark, logStartOffset: o.logStartOffset, records };
    parentPort!.postMessage(m, [records.buffer]);
    return;
  }
  const fill = (records: readonly Buffer[]) => (at: number): void => {
    v.setUint32(at, reqId, true);
    v.setInt32(at + 4, o.errorCode, true);
    v.setFloat64(at + 8, o.highWatermark, true);
    v.setFloat64(at + 16, o.logStartOffset, true);
    v.setUint32(at + 24, o.bytes, true);
    v.setUint32(at + 28, watching ? 1 : 0, true);
    v.setInt32(at + 32, slot, true);
    v.setUint32(at + 36, skew, true);
    let p = at + FETCH_REPLY_HEADER_BYTES;
    for (const r of records) { outRing.bytes.set(r, p); p += r.length; }
  };
  // The records may be views of tail-cache chunks or read scratch that later appends and reads write again (readerCopiesAtOnce):
  // a reply that has to wait for ring space keeps a copy.
  const size = FETCH_REPLY_HEADER_BYTES + (slot >= 0 ? 0 : o.bytes);
  if (!replyNow(Op.FETCH, size, fill(o.records))) reply(Op.FETCH, size, fill([Buffer.concat(o.records)]));
}

function settle<T>(value: MaybePromise<T>, then: (v: T) => void): void {
  if (value instanceof Promise) value.then(then, (err: Error) => { log.error({ err: err.message }, 'shard op failed'); });
  else then(value);
}

function unknownPartition(reqId: number, op: number): void {
  if (op === Op.PRODUCE || op === Op.PRODUCE_AT) replyProduce(reqId, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 });
  else if (op === Op.FETCH) replyFetch(reqId, 0, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: [], bytes: 0, highWatermark: -1, logStartOffset: -1 });
  else reply(op, 32, (at) => { v.setUint32(at, reqId, true); v.setInt32(at + 4, op === Op.DELETE_RECORDS ? ErrorCode.NOT_LEADER_OR_FOLLOWER : 0, true); v.setFloat64(at + 8, -1, true); });
}

/** Batches arriving in PRODUCE_PART pieces, by request id: the bytes so far. */
const joining = new Map<number, { buf: Buffer; filled: number }>();

/** The records of a PRODUCE or PRODUCE_PART message: after the header, at its skew. */
function producedRecords(at: number, length: number): Buffer {
  return Buffer.from(inRing.buffer, at + PRODUCE_HEADER_BYTES + inRing.view.getUint32(at + 12, true), length - PRODUCE_HEADER_BYTES - ALIGN_SLACK);
}

function handle(op: number, at: number, length: number): void {
  const iv = inRing.view;
  const reqId = iv.getUint32(at, true);
  const h = iv.getUint32(at + 4, true);
  if (op === Op.UNWATCH) { watched.delete(h); return; }
  if (op === Op.PRODUCE_PART) {
    let j = joining.get(reqId);
    if (!j) joining.set(reqId, (j = { buf: Buffer.allocUnsafe(iv.getUint32(at + 8, true)), filled: 0 }));
    const piece = producedRecords(at, length);
    j.buf.set(piece, j.filled);
    j.filled += piece.length;
    return;
  }
  const joined = op === Op.PRODUCE ? joining.get(reqId) : undefined;
  if (joined) joining.delete(reqId);
  const key = keys.get(h);
  if (key === undefined) return unknownPartition(reqId, op);
  switch (op) {
    case Op.PRODUCE:
    case Op.PRODUCE_AT: {
      const acks = iv.getInt32(at + 8, true);
      let records = op === Op.PRODUCE_AT ? Buffer.from(arenaBuffer as unknown as SharedArrayBuffer, iv.getUint32(at + 12, true), iv.getUint32(at + 16, true)) : producedRecords(at, length);
      if (joined) {
        joined.buf.set(records, joined.filled);
        records = joined.buf;
      }
      const before = watched.has(h) ? shard.offsets(key)?.highWatermark : undefined;
      // The append itself is synchronous; only an acks=-1 completion waits (for the flush).
      settle(shard.produce({ key, records, acks }), (o) => replyProduce(reqId, o));
      if (before !== undefined) {
        const end = shard.offsets(key);
        if (end && end.highWatermark > before) pushTail(h, before, end, records);
      }
      return;
    }
    case Op.FETCH: {
      const maxBytes = iv.getInt32(at + 8, true);
      const flags = iv.getUint32(at + 12, true);
      const fetchOffset = iv.getFloat64(at + 16, true);
      const limit = Math.min(maxBytes, outRing.maxPayload - FETCH_REPLY_HEADER_BYTES);
      const pre = slotsForRead(limit, (flags & FETCH_SLOT_OK) !== 0);
      let o: FetchOutcome;
      try {
        o = shard.fetch({ key, fetchOffset, maxBytes: limit, minOneBatch: (flags & FETCH_MIN_ONE_BATCH) !== 0 });
      } catch (e) {
        if (pre.slot >= 0) slots.release(pre.slot, pre.run);
        throw e;
      }
      if (o.errorCode === ErrorCode.NONE && o.bytes === 0 && fetchOffset === o.highWatermark) watched.add(h);
      replyFetch(reqId, h, o, watched.has(h), pre);
      return;
    }
    case Op.OFFSETS: {
      const o = shard.offsets(key);
      reply(Op.OFFSETS, 32, (p) => {
        v.setUint32(p, reqId, true);
        v.setUint32(p + 4, o ? 1 : 0, true);
        v.setFloat64(p + 8, o?.logStartOffset ?? -1, true);
        v.setFloat64(p + 16, o?.highWatermark ?? -1, true);
        v.setFloat64(p + 24, o?.sizeBytes ?? -1, true);
      });
      return;
    }
    case Op.OFFSET_FOR_TS: {
      const found = shard.offsetForTimestamp(key, iv.getFloat64(at + 8, true));
      reply(Op.OFFSET_FOR_TS, 24, (p) => {
        v.setUint32(p, reqId, true);
        v.setUint32(p + 4, found ? 1 : 0, true);
        v.setFloat64(p + 8, found?.offset ?? -1, true);
        v.setFloat64(p + 16, found?.timestamp ?? -1, true);
      });
      return;
    }
    case Op.DELETE_RECORDS: {
      const r = shard.deleteRecords(key, iv.getFloat64(at + 8, true));
      reply(Op.DELETE_RECORDS, 16, (p) => {
        v.setUint32(p, reqId, true);
        v.setInt32(p + 4, r.errorCode, true);
        v.setFloat64(p + 8, r.lowWatermark, true);
      });
      return;
    }
    default:
      log.error({ op }, 'unknown ring op');
  }
}

let running = true;
/** Test knob: an artificially slow shard (ms of delay per request), for backpressure tests. */
const testDelayMs = Number(process.env.MILLRACE_TEST_SHARD_DELAY_MS ?? 0);

/**
 * How the shard sleeps when its ring is empty. While requests keep coming
 * (the last one less than HOT_MS ago) and no file I/O of its own is in
 * flight, it blocks in slices of at most SLICE_MS (Atomics.wait) with an
 * event-loop turn between slices: the dispatcher's notify is then a plain
 * futex wake, the cheapest hand-off there is. Anything the event loop must
 * see promptly either is file I/O (an fsync an acks=-1 answer waits for,
 * recovery reads — then the shard waits with waitAsync, which wakes on
 * both) or is a control message, after which the dispatcher nudges the
 * ring. Timers run at most SLICE_MS late. Idle shards sleep in waitAsync.
 */
const HOT_MS = 50;
const SLICE_MS = 2;
let lastWorkMs = 0;

/** True while this thread has file-system requests in flight (their callbacks need the event loop). */
function fileIoInFlight(): boolean {
  for (const r of process.getActiveResourcesInfo()) if (r.startsWith('FSReq') || r === 'FileHandleCloseReq') return true;
  return false;
}

/**
 * Under a heavy stream (a drain of at least POLL_MIN_BYTES) the shard polls
 * for the next POLL_WINDOW_MS instead: it sleeps in POLL_SLICE_MS slices
 * without announcing it, so the dispatcher sends no wake-up at all. A
 * cross-vCPU futex wake costs the waker ~20 µs on this VM, a tenth of the
 * dispatcher's time at full produce throughput; the price is up to
 * POLL_SLICE_MS of added latency, paid only by large batches.
 */
const POLL_MIN_BYTES = 32 * 1024;
const POLL_WINDOW_MS = 2;
const POLL_SLICE_MS = 0.1;
let pollUntilMs = 0;

async function loop(): Promise<void> {
  while (running) {
    let msg = inRing.peek();
    if (!msg) {
      if (performance.now() < pollUntilMs) {
        inRing.pollForMessage(POLL_SLICE_MS);
        if (!inRing.peek()) await new Promise((r) => setImmediate(r));
      } else if (performance.now() - lastWorkMs < HOT_MS && !fileIoInFlight()) {
        inRing.blockForMessage(SLICE_MS);
        if (!inRing.peek()) await new Promise((r) => setImmediate(r));
      } else {
        await inRing.waitForMessage(1000);
      }
      continue;
    }
    lastWorkMs = performance.now();
    // Drain everything available, then yield to the event loop so fsync
    // completions and control messages run between batches of work.
    let drained = 0;
    for (let n = 0; msg && n < 1024; n++) {
      drained += msg.length;
      handle(msg.tag, msg.offset, msg.length);
      inRing.release(msg);
      if (testDelayMs > 0) await new Promise((r) => setTimeout(r, testDelayMs));
      msg = inRing.peek();
    }
    if (drained >= POLL_MIN_BYTES) pollUntilMs = performance.now() + POLL_WINDOW_MS;
    await new Promise((r) => setImmediate(r));
  }
}

parentPort!.on('message', (req: ControlRequest) => {
  const done = (p: Promise<unknown> | unknown): void => {
    Promise.resolve(p).then(
      (value) => parentPort!.postMessage({ id: req.id, ok: true, value } satisfies ControlReply),
      (err: Error) => parentPort!.postMessage({ id: req.id, ok: false, error: err.message } satisfies ControlReply),
    );
  };
  switch (req.kind) {
    case 'open':
      keys.set(req.handle, req.key);
      handles.set(req.key, req.handle);
      // Every read is copied, or handed to the dispatcher in its slots, before the next append or read.
      return done(shard.openPartition(req.key, req.dir, { ...(req.config as LogConfig), readerCopiesAtOnce: true }, req.hints as RecoveryHints | undefined));
    case 'delete': {
      const key = keys.get(req.handle);
      keys.delete(req.handle);
      watched.delete(req.handle);
      if (key !== undefined) handles.delete(key);
      return done(key === undefined ? undefined : shard.deletePartition(key));
    }
    case 'config': {
      const key = keys.get(req.handle);
      if (key !== undefined) shard.updatePartitionConfig(key, { ...(req.config as LogConfig), readerCopiesAtOnce: true });
      return done(undefined);
    }
    case 'retention':
      return done(shard.applyRetention(req.nowMs));
    case 'stats':
      return done(shard.stats());
    case 'close':
      running = false;
      return done(shard.close());
    case 'crash':
      // Test hook: an uncaught error in the worker, as a bug would cause.
      setImmediate(() => { throw new Error('shard worker crash requested by test'); });
      return done(undefined);
  }
});

void loop();
