/**
 * BrokerMetrics (dispatcher thread): the broker's Prometheus metrics in their
 * own prom-client Registry. Created by the broker only when --metrics-port
 * is set; with metrics off none of this exists and the hot path does nothing.
 *
 * Cost model. The hot path only adds numbers: per request one histogram
 * slot (RequestObserver, from the dispatcher), per produced or fetched
 * partition two counters in a Map keyed by topic (TrafficObserver, from the
 * handlers; the record count is read from the batch headers, never by
 * walking records). Everything else is gathered when /metrics is scraped
 * (`refresh`): queue depths and ring occupancy straight from the worker
 * shards, partition sizes and fsync latency through one stats request per
 * shard, connections from the server, consumer group lag from the group
 * coordinator's committed offsets against the log end offsets.
 *
 * Process memory, CPU, GC and event-loop lag are prom-client's default
 * metrics (process_*, nodejs_*).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { logger } from '../common/logger.js';
import type { GroupCoordinator } from '../coordinator/group-coordinator.js';
import type { TrafficObserver } from '../handlers/services.js';
import type { RequestObserver } from '../network/dispatcher.js';
import type { FetchPurgatory } from '../network/fetch-purgatory.js';
import { Apis } from '../protocol/generated/index.js';
import type { Engine } from '../shard/engine.js';
import type { ShardQueueStats, ShardStats } from '../shard/shard.js';
import { FSYNC_BUCKETS_SECONDS } from '../storage/fsync-stats.js';
import { BucketHistogram, BucketHistogramMetric, type BucketCounts } from './bucket-histogram.js';

export type BrokerState = 'starting' | 'recovering' | 'serving' | 'stopping';

/** What the metrics read at scrape time; attached once the broker is composed. */
export interface MetricsSources {
  readonly engine: Engine;
  readonly server: { readonly connectionCount: number; readonly acceptedCount: number };
  readonly groups: GroupCoordinator;
  readonly purgatory: FetchPurgatory;
  /** Where connections read produce requests for worker shards (absent with --shards 0). */
  readonly receiveArena?: { readonly chunks: number; readonly chunksInUse: number } | null;
}

export const REQUEST_BUCKETS_SECONDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How long a scrape waits for a shard's stats before reporting without them. */
const SHARD_STATS_TIMEOUT_MS = 5000;

interface TopicTraffic { bytesIn: number; recordsIn: number; bytesOut: number; recordsOut: number }

const API_NAMES = new Map<number, string>(Object.values(Apis).map((a) => [a.apiKey, a.name]));

/** Records in back-to-back v2 batches, from their headers (recordCount at byte 57, length at 8). */
export function countRecords(buf: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + 61 <= buf.length;) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (size < 61) break;
    n += buf.readInt32BE(pos + 57);
    pos += size;
  }
  return n;
}

export class BrokerMetrics implements RequestObserver, TrafficObserver {
  readonly registry = new Registry();
  private stateValue: BrokerState = 'starting';
  /** Partitions the broker opens (recovers) at start-up, and how many are open. */
  partitionsToOpen = 0;
  partitionsOpened = 0;
  private sources: MetricsSources | null = null;
  private readonly log = logger.child({ component: 'metrics' });

  private readonly traffic = new Map<string, TopicTraffic>();
  private readonly requests: (BucketHistogram | undefined)[] = [];
  private readonly failures = new Map<string, { api: string; kind: string; count: number }>();

  // Filled by refresh() at each scrape.
  private shardStats: { shard: number; stats: ShardStats | null; queue: ShardQueueStats | null }[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const r = this.registry;
    const self = this;

    const trafficCounter = (name: string, help: string, field: keyof TopicTraffic): void => {
      const c: Counter<'topic'> = new Counter({
        name, help, labelNames: ['topic'], registers: [r],
        collect() {
          c.reset();
          for (const [topic, t] of self.traffic) c.inc({ topic }, t[field]);
        },
      });
    };
    trafficCounter('millrace_topic_bytes_in_total', 'Record batch bytes appended by Produce, per topic', 'bytesIn');
    trafficCounter('millrace_topic_records_in_total', 'Records appended by Produce (from batch headers), per topic', 'recordsIn');
    trafficCounter('millrace_topic_bytes_out_total', 'Record batch bytes returned by Fetch, per topic', 'bytesOut');
    trafficCounter('millrace_topic_records_out_total', 'Records returned by Fetch (from batch headers), per topic', 'recordsOut');

    r.registerMetric(new BucketHistogramMetric('millrace_request_duration_seconds',
      'Time from dispatch to encoded response, per API (the _count is the number of requests answered)', REQUEST_BUCKETS_SECONDS,
      function* () {
        for (let k = 0; k < self.requests.length; k++) {
          const h = self.requests[k];
          if (h) yield [{ api: API_NAMES.get(k) ?? String(k) }, h];
        }
      }).asMetric());
    const failed: Counter<'api' | 'kind'> = new Counter({
      name: 'millrace_requests_failed_total', help: 'Requests that closed their connection: kind=bad_request (malformed, unknown or unsupported) or handler_error',
      labelNames: ['api', 'kind'], registers: [r],
      collect() {
        failed.reset();
        for (const f of self.failures.values()) failed.inc({ api: f.api, kind: f.kind }, f.count);
      },
    });

    const connections = new Gauge({
      name: 'millrace_connections', help: 'Open client connections', registers: [r],
      collect() { connections.set(self.sources?.server.connectionCount ?? 0); },
    });
    const accepted: Counter = new Counter({
      name: 'millrace_connections_accepted_total', help: 'Client connections accepted since start', registers: [r],
      collect() { accepted.reset(); accepted.inc(self.sources?.server.acceptedCount ?? 0); },
    });
    const arenaChunks = new Gauge({
      name: 'millrace_receive_arena_chunks', help: 'Receive-arena chunks (state=in_use: a connection reads into it or a shard holds a batch in it; state=total). All in use means produce falls back to copying',
      labelNames: ['state'], registers: [r],
      collect() {
        arenaChunks.reset();
        const a = self.sources?.receiveArena;
        if (!a) return;
        arenaChunks.set({ state: 'in_use' }, a.chunksInUse);
        arenaChunks.set({ state: 'total' }, a.chunks);
      },
    });
    const parked = new Gauge({
      name: 'millrace_fetch_purgatory_waiting', help: 'Fetch requests waiting for data (long polls)', registers: [r],
      collect() { parked.set(self.sources?.purgatory.parkedCount ?? 0); },
    });
    const state = new Gauge({
      name: 'millrace_broker_state', help: 'Broker state: 1 for the current one (starting, recovering, serving, stopping)', labelNames: ['state'], registers: [r],
      collect() { for (const s of ['starting', 'recovering', 'serving', 'stopping'] as const) state.set({ state: s }, s === self.stateValue ? 1 : 0); },
    });
    const recovery = new Gauge({
      name: 'millrace_startup_partitions', help: 'Partitions opened (recovered) at start-up: phase=total or opened', labelNames: ['phase'], registers: [r],
      collect() { recovery.set({ phase: 'total' }, self.partitionsToOpen); recovery.set({ phase: 'opened' }, self.partitionsOpened); },
    });

    // ---- per shard (refreshed at each scrape)
    const queueDepth = new Gauge({
      name: 'millrace_shard_queue_depth', help: 'Requests sent to a worker shard and not yet completed, per op (produce, fetch, other); includes overflow',
      labelNames: ['shard', 'op'], registers: [r],
      collect() {
        queueDepth.reset();
        for (const s of self.shardStats) {
          if (!s.queue) continue;
          queueDepth.set({ shard: s.shard, op: 'produce' }, s.queue.produce);
          queueDepth.set({ shard: s.shard, op: 'fetch' }, s.queue.fetch);
          queueDepth.set({ shard: s.shard, op: 'other' }, s.queue.other);
        }
      },
    });
    const overflow = new Gauge({
      name: 'millrace_shard_overflow_bytes', help: 'Bytes of requests waiting for space in a shard\'s inbound ring (backpressure)', labelNames: ['shard'], registers: [r],
      collect() { overflow.reset(); for (const s of self.shardStats) if (s.queue) overflow.set({ shard: s.shard }, s.queue.overflowBytes); },
    });
    const overflowRequests = new Gauge({
      name: 'millrace_shard_overflow_requests', help: 'Requests waiting for space in a shard\'s inbound ring', labelNames: ['shard'], registers: [r],
      collect() { overflowRequests.reset(); for (const s of self.shardStats) if (s.queue) overflowRequests.set({ shard: s.shard }, s.queue.overflowRequests); },
    });
    const ringUsed = new Gauge({
      name: 'millrace_shard_ring_used_bytes', help: 'Bytes in use in a shard ring (ring=inbound: requests, outbound: completions)', labelNames: ['shard', 'ring'], registers: [r],
      collect() {
        ringUsed.reset();
        for (const s of self.shardStats) {
          if (!s.queue) continue;
          ringUsed.set({ shard: s.shard, ring: 'inbound' }, s.queue.inboundUsedBytes);
          ringUsed.set({ shard: s.shard, ring: 'outbound' }, s.queue.outboundUsedBytes);
        }
      },
    });
    const slotsInUse = new Gauge({
      name: 'millrace_shard_fetch_slots_in_use', help: 'Fetch replies whose shared-memory slot waits for its socket write to complete', labelNames: ['shard'], registers: [r],
      collect() { slotsInUse.reset(); for (const s of self.shardStats) if (s.queue) slotsInUse.set({ shard: s.shard }, s.queue.fetchSlotsInUse); },
    });
    const ringCapacity = new Gauge({
      name: 'millrace_shard_ring_capacity_bytes', help: 'Capacity of a shard ring', labelNames: ['shard', 'ring'], registers: [r],
      collect() {
        ringCapacity.reset();
        for (const s of self.shardStats) {
          if (!s.queue) continue;
          ringCapacity.set({ shard: s.shard, ring: 'inbound' }, s.queue.inboundCapacityBytes);
          ringCapacity.set({ shard: s.shard, ring: 'outbound' }, s.queue.outboundCapacityBytes);
        }
      },
    });
    const restarts: Counter<'shard'> = new Counter({
      name: 'millrace_shard_worker_restarts_total', help: 'Times a shard worker died and was restarted', labelNames: ['shard'], registers: [r],
      collect() { restarts.reset(); for (const s of self.shardStats) if (s.queue) restarts.inc({ shard: s.shard }, s.queue.restarts); },
    });
    const partitions = new Gauge({
      name: 'millrace_shard_partitions', help: 'Partitions open on a shard', labelNames: ['shard'], registers: [r],
      collect() { partitions.reset(); for (const s of self.shardStats) if (s.stats) partitions.set({ shard: s.shard }, s.stats.partitions.length); },
    });
    const shardSize = new Gauge({
      name: 'millrace_shard_log_size_bytes', help: 'Bytes of segment files of the partitions of a shard', labelNames: ['shard'], registers: [r],
      collect() {
        shardSize.reset();
        for (const s of self.shardStats) if (s.stats) shardSize.set({ shard: s.shard }, s.stats.partitions.reduce((n, p) => n + p.sizeBytes, 0));
      },
    });
    const tailCache = new Gauge({
      name: 'millrace_shard_tail_cache_bytes', help: 'Bytes of recent batches a shard holds in memory for the partitions consumers read', labelNames: ['shard'], registers: [r],
      collect() {
        tailCache.reset();
        for (const s of self.shardStats) if (s.stats) tailCache.set({ shard: s.shard }, s.stats.partitions.reduce((n, p) => n + p.tailCacheBytes, 0));
      },
    });
    const topicSize = new Gauge({
      name: 'millrace_topic_log_size_bytes', help: 'Bytes of segment files of a topic (all partitions)', labelNames: ['topic'], registers: [r],
      collect() {
        topicSize.reset();
        const sizes = new Map<string, number>();
        for (const s of self.shardStats) for (const p of s.stats?.partitions ?? []) {
          const topic = p.key.slice(0, p.key.lastIndexOf('-'));
          sizes.set(topic, (sizes.get(topic) ?? 0) + p.sizeBytes);
        }
        for (const [topic, bytes] of sizes) topicSize.set({ topic }, bytes);
      },
    });
    r.registerMetric(new BucketHistogramMetric('millrace_fsync_duration_seconds',
      'fdatasync latency of segment files, per shard thread', FSYNC_BUCKETS_SECONDS,
      function* () {
        for (const s of self.shardStats) if (s.stats) yield [{ shard: String(s.shard) }, s.stats.fsync as BucketCounts];
      }).asMetric());

    // ---- consumer groups
    const lag = new Gauge({
      name: 'millrace_consumer_group_lag', help: 'Log end offset minus the committed offset, per group and partition', labelNames: ['group', 'topic', 'partition'], registers: [r],
      collect() {
        lag.reset();
        const groups = self.sources?.groups;
        if (!groups) return;
        const ends = new Map<string, number>();
        for (const s of self.shardStats) for (const p of s.stats?.partitions ?? []) ends.set(p.key, p.logEndOffset);
        const listed = groups.listGroups();
        if (listed.errorCode !== 0) return; // still loading __consumer_offsets
        for (const g of listed.groups) {
          const offsets = groups.fetchOffsets(g.groupId, null, false);
          for (const t of offsets.topics) {
            for (const p of t.partitions) {
              const end = ends.get(`${t.name}-${p.partitionIndex}`);
              if (end === undefined || p.committedOffset < 0) continue;
              lag.set({ group: g.groupId, topic: t.name, partition: p.partitionIndex }, Math.max(0, end - p.committedOffset));
            }
          }
        }
      },
    });
  }

  get state(): BrokerState {
    return this.stateValue;
  }

  set state(s: BrokerState) {
    if (s !== this.stateValue) this.log.debug({ from: this.stateValue, to: s }, 'broker state');
    this.stateValue = s;
  }

  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  // ---------------------------------------------------------------- hot path

  requestDone(apiKey: number, durationMs: number): void {
    let h = this.requests[apiKey];
    if (!h) h = this.requests[apiKey] = new BucketHistogram(REQUEST_BUCKETS_SECONDS);
    h.observe(durationMs / 1000);
  }

  requestFailed(apiKey: number | undefined, expected: boolean): void {
    const api = apiKey === undefined ? 'unknown' : API_NAMES.get(apiKey) ?? String(apiKey);
    const kind = expected ? 'bad_request' : 'handler_error';
    const k = `${api}/${kind}`;
    const f = this.failures.get(k);
    if (f) f.count++;
    else this.failures.set(k, { api, kind, count: 1 });
  }

  private topic(name: string): TopicTraffic {
    let t = this.traffic.get(name);
    if (!t) this.traffic.set(name, (t = { bytesIn: 0, recordsIn: 0, bytesOut: 0, recordsOut: 0 }));
    return t;
  }

  produced(topic: string, bytes: number, records: number): void {
    const t = this.topic(topic);
    t.bytesIn += bytes;
    t.recordsIn += records;
  }

  fetched(topic: string, records: Buffer | readonly Buffer[]): void {
    const t = this.topic(topic);
    if (Buffer.isBuffer(records)) {
      t.bytesOut += records.length;
      t.recordsOut += countRecords(records);
    } else {
      for (const b of records) {
        t.bytesOut += b.length;
        t.recordsOut += countRecords(b);
      }
    }
  }

  /** A deleted topic's series disappear. */
  topicDeleted(name: string): void {
    this.traffic.delete(name);
  }

  // ---------------------------------------------------------------- scrape

  /** Gathers what is read from the shards (one stats request each, in parallel). */
  async refresh(): Promise<void> {
    const engine = this.sources?.engine;
    if (!engine) { this.shardStats = []; return; }
    this.shardStats = await Promise.all(engine.shards.map(async (s) => {
      let stats: ShardStats | null = null;
      try {
        stats = await withTimeout(Promise.resolve(s.stats()), SHARD_STATS_TIMEOUT_MS);
      } catch (err) {
        this.log.warn({ shard: s.id, err: (err as Error).message }, 'shard stats unavailable for this scrape');
      }
      return { shard: s.id, stats, queue: s.queueStats?.() ?? null };
    }));
  }

  /** The Prometheus text exposition. */
  async render(): Promise<string> {
    await this.refresh();
    return this.registry.metrics();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms); }),
  ]);
}
