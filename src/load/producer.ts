/**
 * One load-generating producer: a Kafka producer reduced to what a load
 * generator needs, on the project's own protocol layer. Thread: whichever
 * thread created it (the main thread, or one load worker); nothing is shared.
 *
 * ```
 *   pump() ──generate──▶ open batch per partition (slot buffers from a fixed pool)
 *      ▲                    │ full, lingered, or phase change: seal (patch header + CRC32C)
 *      │                    ▼
 *      │                ready batches ──one Produce request per leader, ≤ 1 batch per
 *      │                                partition, ≤ maxRequestBytes──▶ KafkaConnection
 *      └────────── ack (one promise per request): count, record latency, free slots
 * ```
 *
 * Memory is bounded at any rate: a fixed pool of slot buffers (one per
 * partition, plus max in-flight requests of one batch per partition, capped
 * by bufferMemoryBytes), at most maxInFlight requests per
 * connection, and records are only materialized into a free slot. When the
 * broker falls behind a fixed rate, records that are due but have no slot are
 * a counter, not memory; they are generated later with their intended send
 * times, so their latency includes the wait (coordinated omission corrected).
 *
 * Pacing: open loop generates whenever a slot is free and measures latency
 * from the moment the request is written. Fixed-rate mode gives record g the
 * intended time t0 + g / rate, embeds it in the record and measures publish
 * and end-to-end latency from it. Timers have 1 ms granularity, so when the
 * next record is due within 1 ms and records fall due faster than one per
 * pacingTickUs (default 250 µs: above 4,000 records/s per producer), the
 * pump waits for the next tick of a PacingTicker (its helper thread wakes
 * this event loop, which meanwhile handles acks as they come) and generates
 * the records that fell due meanwhile together, with their exact intended
 * times. Waking once per record instead (every 100 µs at 10,000 records/s)
 * cost this thread 40% of a core, taken on a 2-core machine from the broker
 * being measured (README, "Load generator"). Like Kafka's
 * ProducerPerformance, whose throttle sleeps at least 2 ms at a time, the
 * rate holds over a tick, not per record. At lower rates (or with
 * --pacing-tick-us 0) the pump alternates blocking naps (Atomics.wait,
 * ≤ 50 µs) with event-loop turns: a record per wake-up is all there is to
 * send then, and waiting for a tick would only add to its latency.
 * The pacing error is reported as `sendLag`.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import { errorName } from '../common/error-codes.js';
import type { ProduceResponse } from '../protocol/generated/index.js';
import { BatchTemplate, type BatchSlot } from './batch-template.js';
import { createRandom, KeyChooser } from './key-distribution.js';
import { encodeHistogram, newHistogram, recordUs } from './latency-histogram.js';
import type { Acks, CompressionName, KeySpec } from './load-options.js';
import { Meter, type IntervalSample } from './load-stats.js';
import { PacingTicker } from './pacing-ticker.js';
import { nowUs } from './record-value.js';
import { atUs, RunClock } from './run-clock.js';

export interface BrokerAddress { nodeId: number; host: string; port: number }

/** Everything a producer needs; plain data so it can be posted to a worker thread. */
export interface ProducerConfig {
  name: string;
  /** uint32 written into every record (random per run + index). */
  producerId: number;
  topic: string;
  /** Leader node id of each partition, indexed by partition. */
  partitionLeaders: number[];
  brokers: BrokerAddress[];
  recordSize: number;
  batchBytes: number;
  lingerMs: number;
  acks: Acks;
  compression: CompressionName;
  maxInFlight: number;
  /** Fixed rate: records falling due faster than one per this many µs are generated once per tick (file header). */
  pacingTickUs: number;
  keys: KeySpec;
  seed: number;
  /** This producer's share of the rate, records/s; 0 = open loop. */
  rate: number;
  /** This producer's share of the measured records; null = bounded by duration. */
  records: number | null;
  durationMs: number | null;
  warmupMs: number;
  requestTimeoutMs: number;
  bufferMemoryBytes: number;
  maxRequestBytes: number;
  clientId: string;
}

export interface ProducerSummary {
  source: string;
  producerId: number;
  /** Records acknowledged without error, measured phase. */
  records: number;
  warmupRecords: number;
  /** Records whose produce failed (error code or no response). */
  errors: number;
  errorCodes: Record<string, number>;
  /** Acknowledged records per partition, warm-up included (what a consumer must find). */
  recordsPerPartition: number[];
  /** µs: start of the measured phase and the last completion in it. */
  measureStartUs: number;
  measureEndUs: number;
  /** Set when the producer stopped on a fatal error (lost connection, request timeout). */
  fatal: string | null;
  /** Records per batch of the template (for the report). */
  recordsPerBatch: number;
  /** Fixed rate: encoded histogram of how late batches left relative to their first record's intended time, µs. */
  sendLag: string;
}

/** A buffer holding one batch being filled, sealed or in flight. */
interface Slot {
  batch: BatchSlot;
  partition: number;
  n: number;
  /** Creation or intended time of the first record, µs. */
  firstUs: number;
  warmup: boolean;
  /** Intended times of each record (fixed-rate mode only). */
  intendedUs: Float64Array | null;
  sealed: Buffer | null;
}

interface InFlightRequest {
  slots: Slot[];
  sendUs: number;
}

interface Leader {
  nodeId: number;
  conn: KafkaConnection;
  version: number;
  inFlight: number;
  /** Sent requests in order (responses come back in order). */
  requests: InFlightRequest[];
  /** Sealed batches waiting for a request, FIFO. */
  ready: Slot[];
  /** acks=0: waiting for the socket to drain. */
  blocked: boolean;
}

type Phase = 'idle' | 'warmup' | 'measure' | 'draining' | 'done';

/** Schedule wake-ups within this distance with setImmediate instead of a timer (timers have 1 ms granularity). */
const SPIN_THRESHOLD_US = 1000;
/** Longest blocking nap while waiting for the next send within SPIN_THRESHOLD_US (no pacing tick). */
const NAP_US = 50;
const NAP_CELL = new Int32Array(new SharedArrayBuffer(4));

export class Producer {
  readonly meter: Meter;
  /** Fixed rate: send time minus intended time of each batch's first record, µs (the generator's own lateness). */
  private readonly sendLag = newHistogram();
  private readonly template: BatchTemplate;
  private readonly keyChooser: KeyChooser | null;
  private readonly numPartitions: number;
  private readonly leaders = new Map<number, Leader>();
  private readonly leaderOf: Leader[] = [];
  private readonly free: Slot[] = [];
  private readonly open: (Slot | null)[];
  private readonly sequence: Uint32Array;
  private readonly ackedPerPartition: number[];
  private readonly intervalUs: number;
  private phase: Phase = 'idle';
  private generating = false;
  private t0Us = 0;
  private warmupEndUs = 0;
  private measureEndAtUs = Infinity;
  /** Records generated so far (both phases); fixed-rate: index of the next intended time. */
  private generated = 0;
  private measuredGenerated = 0;
  private sticky = 0;
  /** A key drawn for a partition that had no free slot: used first next time. */
  private heldKey = -1;
  private measureStartUs = 0;
  private measureEndUs = 0;
  private measuredRecords = 0;
  private warmupRecords = 0;
  private errors = 0;
  private readonly errorCodes: Record<string, number> = {};
  private fatal: string | null = null;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeImmediate: NodeJS.Immediate | null = null;
  /** Fixed rate with a pacing tick: this thread's ticker, and whether a pump waits for its next tick. */
  private ticker: PacingTicker | null = null;
  private wakeOnTick = false;
  private phaseTimers: NodeJS.Timeout[] = [];
  private clock: RunClock | null = null;
  private resolveDone: ((s: ProducerSummary) => void) | null = null;
  readonly done: Promise<ProducerSummary>;

  private constructor(readonly config: ProducerConfig, private readonly onSample: (s: IntervalSample) => void) {
    this.meter = new Meter('produce', config.name);
    const random = createRandom(config.seed ^ config.producerId);
    this.numPartitions = config.partitionLeaders.length;
    this.keyChooser = config.keys.kind === 'none' ? null : new KeyChooser(config.keys, this.numPartitions, random);
    this.template = BatchTemplate.create({
      recordSize: config.recordSize,
      keyWidth: this.keyChooser?.width ?? 0,
      batchBytes: config.batchBytes,
      compression: config.compression,
      maxBatchBytes: config.maxRequestBytes - 256,
      random,
    });
    this.open = new Array<Slot | null>(this.numPartitions).fill(null);
    this.sequence = new Uint32Array(this.numPartitions);
    this.ackedPerPartition = new Array<number>(this.numPartitions).fill(0);
    this.intervalUs = config.rate > 0 ? 1e6 / config.rate : 0;
    const slotBytes = this.template.template.length;
    // As in Kafka's producer, a request carries up to one batch per partition of its
    // leader: the pool holds an open batch per partition plus maxInFlight full requests
    // (a pool sized for one batch per request kept max-throughput runs ~6 requests deep).
    const wanted = this.numPartitions * (config.maxInFlight + 1);
    const slots = Math.max(Math.min(wanted, Math.floor(config.bufferMemoryBytes / slotBytes)), config.maxInFlight + 1, 2);
    for (let i = 0; i < slots; i++) {
      this.free.push({
        batch: this.template.newSlot(), partition: -1, n: 0, firstUs: 0, warmup: false, sealed: null,
        intendedUs: config.rate > 0 ? new Float64Array(this.template.capacity) : null,
      });
    }
    this.done = new Promise((r) => (this.resolveDone = r));
    // The sticky partition starts where the producer id points, so producers spread out.
    this.sticky = config.producerId % this.numPartitions;
  }

  /** Connect to every leader and negotiate versions. */
  static async connect(config: ProducerConfig, onSample: (s: IntervalSample) => void): Promise<Producer> {
    const p = new Producer(config, onSample);
    try {
      for (let part = 0; part < p.numPartitions; part++) {
        const nodeId = config.partitionLeaders[part]!;
        let leader = p.leaders.get(nodeId);
        if (!leader) {
          const b = config.brokers.find((x) => x.nodeId === nodeId);
          if (!b) throw new Error(`partition ${config.topic}-${part} has leader ${nodeId}, which is not in the metadata`);
          const conn = await KafkaConnection.open(b.host, b.port, `${config.clientId}-${config.name}`);
          await conn.negotiate();
          leader = { nodeId, conn, version: conn.version('Produce', 11, 3), inFlight: 0, requests: [], ready: [], blocked: false };
          p.leaders.set(nodeId, leader);
        }
        p.leaderOf[part] = leader;
      }
      // Only worth it when records fall due faster than the tick: slower, each would just wait for it.
      // Started now, so its thread is up before the first record is due.
      if (p.intervalUs > 0 && p.intervalUs < config.pacingTickUs) {
        p.ticker = PacingTicker.acquire(config.pacingTickUs);
        await p.ticker.ready;
      }
    } catch (err) {
      p.closeConnections();
      p.ticker?.release();
      throw err;
    }
    return p;
  }

  get recordsPerBatch(): number {
    return this.template.capacity;
  }

  /** Start producing at run time t0 (µs since the epoch; may be slightly in the future). */
  start(t0Us: number): void {
    this.t0Us = t0Us;
    const c = this.config;
    this.warmupEndUs = t0Us + c.warmupMs * 1000;
    if (c.durationMs !== null) this.measureEndAtUs = this.warmupEndUs + c.durationMs * 1000;
    this.clock = new RunClock(t0Us, (second) => {
      this.onSample(this.meter.take(second, this.inFlight(), null));
      this.checkTimeouts();
    });
    const at = (us: number, fn: () => void): void => atUs(us, fn, this.phaseTimers);
    at(t0Us, () => {
      this.phase = c.warmupMs > 0 ? 'warmup' : 'measure';
      if (this.phase === 'measure') this.measureStartUs = nowUs();
      this.generating = true;
      this.pump();
    });
    if (c.warmupMs > 0) at(this.warmupEndUs, () => this.pump());
    if (this.measureEndAtUs !== Infinity) at(this.measureEndAtUs, () => this.pump());
  }

  /** Stop generating; in-flight requests complete, then `done` resolves. */
  stop(): void {
    if (this.phase === 'done') return;
    if (this.phase === 'idle') { this.finish(); return; }
    this.stopGenerating();
    this.pump();
  }

  inFlight(): number {
    let n = 0;
    for (const l of this.leaders.values()) n += l.inFlight;
    return n;
  }

  // ------------------------------------------------------------------ pump ---

  /** `generate` false: only send what is ready (an ack's pump, when records are generated on the ticker's ticks). */
  private pump(generate = true): void {
    if (this.phase === 'done' || this.phase === 'idle') return;
    const now = nowUs();
    if (this.phase === 'warmup' && now >= this.warmupEndUs) this.enterMeasure(now);
    if (this.generating && now >= this.measureEndAtUs) this.stopGenerating();
    if (this.generating && generate) this.generate(now);
    this.send(now);
    if (!this.generating && this.idle()) { this.finish(); return; }
    this.scheduleWake(now);
  }

  private enterMeasure(now: number): void {
    // Seal warm-up batches so no batch mixes the phases.
    for (let p = 0; p < this.numPartitions; p++) {
      const s = this.open[p];
      if (s && s.warmup) this.seal(s);
    }
    this.phase = 'measure';
    this.measureStartUs = now;
  }

  private stopGenerating(): void {
    if (!this.generating) return;
    this.generating = false;
    if (this.phase === 'warmup' || this.phase === 'measure') this.phase = 'draining';
  }

  private generate(now: number): void {
    const c = this.config;
    const tpl = this.template;
    const capacity = tpl.capacity;
    const fixedRate = this.intervalUs > 0;
    const warmup = this.phase === 'warmup';
    let due: number;
    if (fixedRate) {
      due = Math.floor((now - this.t0Us) / this.intervalUs) + 1 - this.generated;
    } else {
      due = Number.MAX_SAFE_INTEGER;
    }
    if (!warmup && c.records !== null) due = Math.min(due, c.records - this.measuredGenerated);
    const pid = c.producerId;
    const keys = this.keyChooser;
    while (due > 0) {
      let keyId = 0;
      let p: number;
      if (keys) {
        keyId = this.heldKey >= 0 ? this.heldKey : keys.next();
        p = keys.partitionOf[keyId]!;
      } else {
        p = this.sticky;
      }
      let slot: Slot | null | undefined = this.open[p];
      if (!slot) {
        slot = this.free.pop();
        if (!slot) { if (keys) this.heldKey = keyId; break; }
        slot.partition = p;
        slot.n = 0;
        slot.warmup = warmup;
        slot.sealed = null;
        this.open[p] = slot;
      }
      this.heldKey = -1;
      // Without keys every due record goes to the sticky partition: write the
      // whole run into its open batch in one tight loop (the generator's
      // per-record cost is what a 2-core machine takes from the broker).
      const first = slot.n;
      const end = keys ? first + 1 : Math.min(capacity, first + due);
      const batch = slot.batch;
      const intended = slot.intendedUs;
      let g = this.generated;
      let seq = this.sequence[p]!;
      if (first === 0) slot.firstUs = fixedRate ? this.t0Us + g * this.intervalUs : now;
      for (let i = first; i < end; i++) {
        const timeUs = fixedRate ? this.t0Us + g * this.intervalUs : now;
        if (intended) intended[i] = timeUs;
        tpl.writeRecord(batch, i, timeUs, pid, seq, keyId);
        seq++;
        g++;
      }
      const n = end - first;
      this.sequence[p] = seq;
      this.generated = g;
      if (!warmup) this.measuredGenerated += n;
      slot.n = end;
      due -= n;
      if (slot.n === capacity) this.seal(slot);
    }
    if (!warmup && c.records !== null && this.measuredGenerated >= c.records) this.stopGenerating();
  }

  /** Close the open batch in `slot` and queue it on its leader. */
  private seal(slot: Slot): void {
    const p = slot.partition;
    this.open[p] = null;
    slot.sealed = this.template.seal(slot.batch, slot.n, Math.floor(slot.firstUs / 1000));
    this.leaderOf[p]!.ready.push(slot);
    if (p === this.sticky && !this.keyChooser) this.sticky = (p + 1) % this.numPartitions;
  }

  private send(now: number): void {
    const lingerUs = this.config.lingerMs * 1000;
    const flushAll = !this.generating;
    for (const leader of this.leaders.values()) {
      while (leader.inFlight < this.config.maxInFlight && !leader.blocked) {
        // Open batches on this leader whose linger expired (or all when stopping) become ready.
        for (let p = 0; p < this.numPartitions; p++) {
          const s = this.open[p];
          if (s && this.leaderOf[p] === leader && (flushAll || s.firstUs + lingerUs <= now)) this.seal(s);
        }
        if (leader.ready.length === 0) break;
        this.sendRequest(leader, now);
      }
    }
  }

  private sendRequest(leader: Leader, now: number): void {
    const c = this.config;
    // One batch per partition per request (Produce v3+), up to maxRequestBytes.
    const batches: Slot[] = [];
    const rest: Slot[] = [];
    let bytes = 0;
    const seen = new Set<number>();
    for (const s of leader.ready) {
      const size = s.sealed!.length;
      if (seen.has(s.partition) || (batches.length > 0 && bytes + size > c.maxRequestBytes)) rest.push(s);
      else { batches.push(s); seen.add(s.partition); bytes += size; }
    }
    leader.ready = rest;
    const body = {
      transactionalId: null,
      acks: c.acks,
      timeoutMs: c.requestTimeoutMs,
      topicData: [{ name: c.topic, partitionData: batches.map((s) => ({ index: s.partition, records: s.sealed! })) }],
    };
    if (c.acks === 0) {
      // No response will come: the slots must be free now, so send copies of uncompressed batches.
      for (const s of batches) if (s.sealed!.buffer === s.batch.bytes.buffer) s.sealed = Buffer.from(s.sealed!);
      const ok = leader.conn.write(leader.conn.encode('Produce', leader.version, body));
      const sendUs = nowUs();
      for (const s of batches) this.complete(s, 0, sendUs, sendUs, true);
      if (!ok) {
        leader.blocked = true;
        leader.conn.drained().then(() => { leader.blocked = false; this.pump(); }, (err: Error) => this.fail(err));
      } else {
        // No ack will pump: come back after the event loop has had its turn at I/O.
        this.kick();
      }
      return;
    }
    const req: InFlightRequest = { slots: batches, sendUs: now };
    leader.inFlight++;
    leader.requests.push(req);
    leader.conn.send('Produce', leader.version, body).then(
      (res) => this.onResponse(leader, req, res),
      (err: Error) => this.fail(err),
    );
    req.sendUs = nowUs();
    // How late the generator itself sends: the oldest record of each batch vs. its intended time.
    if (this.intervalUs > 0) for (const b of batches) recordUs(this.sendLag, req.sendUs - b.firstUs);
  }

  private onResponse(leader: Leader, req: InFlightRequest, res: ProduceResponse): void {
    const now = nowUs();
    leader.inFlight--;
    if (leader.requests[0] === req) leader.requests.shift();
    else leader.requests.splice(leader.requests.indexOf(req), 1);
    const parts = res.responses[0]?.partitionResponses ?? [];
    for (const s of req.slots) {
      let code = -1; // no answer for this partition
      for (const pr of parts) if (pr.index === s.partition) { code = pr.errorCode; break; }
      this.complete(s, code, req.sendUs, now, false);
    }
    this.meter.counts(false).requests++;
    this.pump(this.ticker === null);
  }

  /** Count a finished batch and return its slot to the pool. */
  private complete(s: Slot, errorCode: number, sendUs: number, now: number, noAck: boolean): void {
    const n = s.n;
    const warmup = s.warmup;
    const counts = this.meter.counts(warmup);
    if (errorCode !== 0) {
      counts.errors += n;
      this.errors += n;
      const name = errorCode === -1 ? 'NO_PARTITION_RESPONSE' : errorName(errorCode);
      this.errorCodes[name] = (this.errorCodes[name] ?? 0) + n;
    } else {
      counts.records += n;
      counts.bytes += n * this.config.recordSize;
      this.ackedPerPartition[s.partition] = this.ackedPerPartition[s.partition]! + n;
      if (warmup) this.warmupRecords += n; else { this.measuredRecords += n; this.measureEndUs = now; }
      if (!noAck) {
        const h = this.meter.histogram(warmup);
        const intended = s.intendedUs;
        if (intended) for (let i = 0; i < n; i++) recordUs(h, now - intended[i]!);
        else recordUs(h, now - sendUs, n);
      }
    }
    s.sealed = null;
    s.partition = -1;
    this.free.push(s);
  }

  private idle(): boolean {
    for (const l of this.leaders.values()) if (l.inFlight > 0 || l.ready.length > 0) return false;
    for (let p = 0; p < this.numPartitions; p++) if (this.open[p]) return false;
    return true;
  }

  private kick(): void {
    if (!this.wakeImmediate) this.wakeImmediate = setImmediate(() => { this.wakeImmediate = null; this.pump(); });
  }

  private scheduleWake(now: number): void {
    if (this.wakeImmediate || this.wakeTimer || this.wakeOnTick) return;
    let wakeUs = Infinity;
    if (this.generating && this.intervalUs > 0 && this.free.length > 0) wakeUs = this.t0Us + this.generated * this.intervalUs;
    if (this.config.lingerMs > 0 || this.intervalUs > 0) {
      const lingerUs = this.config.lingerMs * 1000;
      for (let p = 0; p < this.numPartitions; p++) {
        const s = this.open[p];
        if (s && this.leaderOf[p]!.inFlight < this.config.maxInFlight) wakeUs = Math.min(wakeUs, s.firstUs + lingerUs);
      }
    }
    if (wakeUs === Infinity) return; // an ack or a phase timer will pump
    const delayUs = wakeUs - now;
    if (delayUs < SPIN_THRESHOLD_US && this.ticker) {
      // The event loop keeps running (acks are handled when they come); the ticker's thread wakes it.
      this.wakeOnTick = true;
      this.ticker.onNextTick(this.tickWake);
    } else if (delayUs < SPIN_THRESHOLD_US) {
      // Nap (blocking, CPU idle) for at most NAP_US, then let the event loop run its I/O before pumping.
      // Acks and fetches are thus seen at most NAP_US late.
      if (delayUs > 20) Atomics.wait(NAP_CELL, 0, 0, Math.min(delayUs, NAP_US) / 1000);
      this.wakeImmediate = setImmediate(() => { this.wakeImmediate = null; this.pump(); });
    } else {
      this.wakeTimer = setTimeout(() => { this.wakeTimer = null; this.pump(); }, Math.floor((delayUs - SPIN_THRESHOLD_US) / 1000) + 1);
    }
  }

  private readonly tickWake = (): void => {
    this.wakeOnTick = false;
    this.pump();
  };

  // ------------------------------------------------------------------- end ---

  /** A request unanswered for requestTimeoutMs means the broker is stuck: stop with an error. */
  private checkTimeouts(): void {
    const limitUs = nowUs() - this.config.requestTimeoutMs * 1000;
    for (const l of this.leaders.values()) {
      const oldest = l.requests[0];
      if (oldest && oldest.sendUs < limitUs) {
        this.fail(new Error(`Produce request to node ${l.nodeId} unanswered after ${this.config.requestTimeoutMs} ms`));
        return;
      }
    }
  }

  private fail(err: Error): void {
    if (this.phase === 'done') return;
    this.fatal ??= err.message;
    // Everything in flight is lost.
    for (const l of this.leaders.values()) {
      for (const req of l.requests) for (const s of req.slots) this.complete(s, -1, req.sendUs, nowUs(), true);
      l.requests = [];
      l.inFlight = 0;
    }
    this.finish();
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.generating = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.wakeImmediate) clearImmediate(this.wakeImmediate);
    this.ticker?.release();
    this.ticker = null;
    for (const t of this.phaseTimers) clearTimeout(t);
    this.clock?.finish();
    this.closeConnections();
    if (this.measureEndUs === 0) this.measureEndUs = nowUs();
    if (this.measureStartUs === 0) this.measureStartUs = this.measureEndUs;
    this.resolveDone!({
      source: this.config.name,
      producerId: this.config.producerId,
      records: this.measuredRecords,
      warmupRecords: this.warmupRecords,
      errors: this.errors,
      errorCodes: this.errorCodes,
      recordsPerPartition: this.ackedPerPartition,
      measureStartUs: this.measureStartUs,
      measureEndUs: this.measureEndUs,
      fatal: this.fatal,
      recordsPerBatch: this.template.capacity,
      sendLag: encodeHistogram(this.sendLag),
    });
  }

  private closeConnections(): void {
    for (const l of this.leaders.values()) l.conn.close();
  }
}
