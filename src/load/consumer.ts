/**
 * A load-measuring consumer: Fetch (by topic name, so the highest common
 * version ≤ 12) from fixed start offsets, one long poll in flight per leader
 * connection (maxWait 500 ms, minBytes 1, so records come back as soon as
 * they are appended), every record verified (verifier.ts) and, from the send
 * time embedded by the producer, end-to-end latency measured.
 * Main thread only. No consumer group: partitions are assigned statically by
 * the runner, which is what a measurement wants (no rebalances mid-run).
 *
 * Latency recording is coalesced: records of one open-loop batch share a send
 * time, so a run of equal send times is one histogram update.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import type { FetchResponse } from '../protocol/generated/index.js';
import { recordUs } from './latency-histogram.js';
import { Meter, type IntervalSample } from './load-stats.js';
import type { BrokerAddress } from './producer.js';
import { nowUs } from './record-value.js';
import { atUs, RunClock } from './run-clock.js';
import type { Verifier } from './verifier.js';

export interface ConsumerConfig {
  name: string;
  topic: string;
  /** Partitions this consumer reads. */
  partitions: number[];
  /** Leader node id of every partition of the topic, indexed by partition. */
  partitionLeaders: number[];
  brokers: BrokerAddress[];
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  partitionMaxBytes: number;
  requestTimeoutMs: number;
  clientId: string;
  /** Stop after this many measured records; null = no limit. */
  records: number | null;
  /** Stop at warm-up end + this; null = until stopped or stop offsets are reached. */
  durationMs: number | null;
  warmupMs: number;
  /** Which clock decides whether a record belongs to the warm-up: its embedded send time (e2e) or when it is consumed. */
  phaseBy: 'sendTime' | 'consumeTime';
}

export interface ConsumerSummary {
  source: string;
  records: number;
  warmupRecords: number;
  bytes: number;
  measureStartUs: number;
  measureEndUs: number;
  /** Records behind the high watermark at the end. */
  backlog: number;
  fatal: string | null;
}

interface FetchLeader {
  nodeId: number;
  conn: KafkaConnection;
  version: number;
  partitions: number[];
}

export class Consumer {
  readonly meter: Meter;
  private readonly leaders: FetchLeader[] = [];
  private readonly highWatermark = new Map<number, number>();
  private stopOffsets: Map<number, number> | null = null;
  private stopped = false;
  private t0Us = 0;
  private warmupEndUs = 0;
  private measureStartUs = 0;
  private measureEndUs = 0;
  private measured = 0;
  private warmupRecords = 0;
  private bytes = 0;
  private fatal: string | null = null;
  private inFlight = 0;
  private clock: RunClock | null = null;
  private timers: NodeJS.Timeout[] = [];
  private loops: Promise<void>[] = [];
  private resolveDone: ((s: ConsumerSummary) => void) | null = null;
  readonly done: Promise<ConsumerSummary>;
  /** Called whenever records arrive (the runner uses it to detect stalls). */
  onProgress: (() => void) | null = null;
  // Coalescing of equal send times within one fetch response.
  private runTs = -1;
  private runCount = 0;
  private runWarmup = false;
  private fetchNowUs = 0;

  private constructor(readonly config: ConsumerConfig, private readonly verifier: Verifier, private readonly onSample: (s: IntervalSample) => void) {
    this.meter = new Meter('consume', config.name);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  static async connect(config: ConsumerConfig, verifier: Verifier, onSample: (s: IntervalSample) => void): Promise<Consumer> {
    const c = new Consumer(config, verifier, onSample);
    const byNode = new Map<number, number[]>();
    for (const p of config.partitions) {
      const node = config.partitionLeaders[p]!;
      const list = byNode.get(node) ?? [];
      list.push(p);
      byNode.set(node, list);
    }
    try {
      for (const [nodeId, partitions] of byNode) {
        const b = config.brokers.find((x) => x.nodeId === nodeId);
        if (!b) throw new Error(`partition leader ${nodeId} of ${config.topic} is not in the metadata`);
        const conn = await KafkaConnection.open(b.host, b.port, `${config.clientId}-${config.name}`);
        await conn.negotiate();
        c.leaders.push({ nodeId, conn, version: conn.version('Fetch', 12, 4), partitions });
      }
    } catch (err) {
      for (const l of c.leaders) l.conn.close();
      throw err;
    }
    return c;
  }

  /** Stop once every partition has reached these offsets (e2e: the log end after producing). */
  setStopOffsets(offsets: ReadonlyMap<number, number>): void {
    this.stopOffsets = new Map(offsets);
  }

  start(t0Us: number): void {
    this.t0Us = t0Us;
    const c = this.config;
    this.warmupEndUs = t0Us + c.warmupMs * 1000;
    this.measureStartUs = this.warmupEndUs;
    this.clock = new RunClock(t0Us, (second) => {
      this.flushRun();
      this.onSample(this.meter.take(second, this.inFlight, this.backlog()));
    });
    if (c.durationMs !== null) {
      this.timers.push(setTimeout(() => this.stop(), Math.max(0, (this.warmupEndUs + c.durationMs * 1000 - nowUs()) / 1000)));
    }
    // Fetching starts at t0 with everyone else, so phases and rates share one clock.
    atUs(t0Us, () => {
      this.loops = this.leaders.map((l) => this.fetchLoop(l));
      void Promise.all(this.loops).then(() => this.finish());
    }, this.timers);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.loops.length === 0) {
      // Stopped before t0: nothing runs yet.
      for (const t of this.timers) clearTimeout(t);
      this.finish();
      return;
    }
    // A long poll in flight would hold the stop for up to fetchMaxWaitMs: close now.
    for (const l of this.leaders) l.conn.close();
  }

  /** Records behind the high watermark, over this consumer's partitions. */
  backlog(): number {
    let n = 0;
    for (const p of this.config.partitions) {
      const hw = this.highWatermark.get(p);
      if (hw !== undefined) n += Math.max(0, hw - this.verifier.nextOffset(this.config.topic, p));
    }
    return n;
  }

  private finished(p: number): boolean {
    const stop = this.stopOffsets?.get(p);
    return stop !== undefined && this.verifier.nextOffset(this.config.topic, p) >= stop;
  }

  private readonly sink = (sendTimeUs: number, valueBytes: number): void => {
    const warmup = this.config.phaseBy === 'sendTime' ? sendTimeUs < this.warmupEndUs : this.fetchNowUs < this.warmupEndUs;
    const counts = this.meter.counts(warmup);
    counts.records++;
    counts.bytes += valueBytes;
    this.bytes += valueBytes;
    if (warmup) this.warmupRecords++; else this.measured++;
    if (sendTimeUs === this.runTs && warmup === this.runWarmup) { this.runCount++; return; }
    this.flushRun();
    this.runTs = sendTimeUs;
    this.runWarmup = warmup;
    this.runCount = 1;
  };

  private flushRun(): void {
    if (this.runCount > 0) recordUs(this.meter.histogram(this.runWarmup), this.fetchNowUs - this.runTs, this.runCount);
    this.runCount = 0;
    this.runTs = -1;
  }

  private async fetchLoop(leader: FetchLeader): Promise<void> {
    const c = this.config;
    const dead = new Set<number>();
    while (!this.stopped) {
      const parts = leader.partitions.filter((p) => !dead.has(p) && !this.finished(p));
      if (parts.length === 0) {
        if (this.stopOffsets || dead.size === leader.partitions.length) return;
        await new Promise((r) => setTimeout(r, 50)); // waiting for stop offsets
        continue;
      }
      const request = {
        replicaId: -1, maxWaitMs: c.fetchMaxWaitMs, minBytes: 1, maxBytes: c.fetchMaxBytes, isolationLevel: 0,
        sessionId: 0, sessionEpoch: -1,
        topics: [{
          topic: c.topic,
          partitions: parts.map((p) => ({
            partition: p, currentLeaderEpoch: -1, fetchOffset: this.verifier.nextOffset(c.topic, p),
            lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: c.partitionMaxBytes,
          })),
        }],
        forgottenTopicsData: [], rackId: '',
      };
      let res: FetchResponse;
      this.inFlight++;
      try {
        res = await withTimeout(leader.conn.send('Fetch', leader.version, request), c.fetchMaxWaitMs + c.requestTimeoutMs);
      } catch (err) {
        if (!this.stopped) this.fatal ??= `fetch from node ${leader.nodeId}: ${(err as Error).message}`;
        this.stopped = true;
        return;
      } finally {
        this.inFlight--;
      }
      this.fetchNowUs = nowUs();
      let retryLater = res.errorCode !== 0;
      let got = 0;
      for (const t of res.responses) {
        for (const pr of t.partitions) {
          const p = pr.partitionIndex;
          if (pr.errorCode !== 0) {
            if (this.verifier.fetchError(c.topic, p, pr.errorCode)) retryLater = true;
            else dead.add(p);
            continue;
          }
          this.highWatermark.set(p, pr.highWatermark);
          if (pr.records && pr.records.length > 0) {
            const before = this.verifier.recordsRead(c.topic, p);
            const limit = c.records === null ? Infinity : c.records - this.measured;
            if (limit <= 0) continue;
            this.verifier.processRecords(c.topic, p, pr.records, this.sink, limit);
            got += this.verifier.recordsRead(c.topic, p) - before;
          }
        }
      }
      this.flushRun();
      if (got > 0) {
        this.meter.counts(this.fetchNowUs < this.warmupEndUs && c.phaseBy === 'consumeTime').requests++;
        this.measureEndUs = this.fetchNowUs;
        this.onProgress?.();
      }
      if (c.records !== null && this.measured >= c.records) { this.stop(); return; }
      if (retryLater) await new Promise((r) => setTimeout(r, 100));
    }
  }

  private finish(): void {
    for (const t of this.timers) clearTimeout(t);
    this.stopped = true;
    this.flushRun();
    this.clock?.finish();
    for (const l of this.leaders) l.conn.close();
    if (this.measureEndUs === 0) this.measureEndUs = nowUs();
    this.resolveDone!({
      source: this.config.name,
      records: this.measured,
      warmupRecords: this.warmupRecords,
      bytes: this.bytes,
      measureStartUs: this.measureStartUs,
      measureEndUs: this.measureEndUs,
      backlog: this.backlog(),
      fatal: this.fatal,
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no response in ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
  });
}
