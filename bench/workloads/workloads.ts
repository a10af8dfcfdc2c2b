/**
 * End-to-end workloads, each run with the project's load generator
 * (`runLoad`, src/load/) against a broker the suite started. OpenMessaging
 * Benchmark vocabulary: topics, partitionsPerTopic, messageSize,
 * producerRate (0 = as fast as possible), warm-up and test durations;
 * publish rate, consume rate, backlog, publish and end-to-end latency.
 *
 * The maximum-throughput shape (MAX_PRODUCE) was chosen by measurement on the
 * dev box: one connection with 8 requests in flight leaves both broker
 * threads idle ~65% of the time (the client's window is the limit), so the
 * suite uses two connections × 16 in flight over 8 partitions. Batches of
 * 256 KiB (a Kafka producer's batch.size may go up to max.request.size, 1 MiB): the
 * broker's cost is mostly per batch and per request, the worker shards' most
 * of all (a thread hand-off per batch). 4 interleaved rounds on 2026-12-07,
 * `millrace start [--shards 0]` and `millrace load produce
 * --partitions 8 --connections 2 --max-in-flight 16 --batch-bytes B`:
 * default shards 5.83 M rec/s at 256 KiB against 5.27 M at 64 KiB, inline
 * 5.13 against 5.28 M; 1 MiB was slower for both (3.6-5.6 M). Earlier, 64 KiB
 * had given ~1.5x the records/s of Kafka's default 16 KiB.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeLoadOptions, type LoadOptionsInput } from '../../src/load/load-options.js';
import type { LoadResult } from '../../src/load/load-result.js';
import { runLoad } from '../../src/load/load-runner.js';
import { formatReport } from '../../src/load/report.js';
import { runPlan, type PlanHooks } from '../../src/load/run-plan.js';

export const MAX_PRODUCE = { partitions: 8, connections: 2, maxInFlight: 16, batchBytes: 256 * 1024, workers: 1 } as const;
/**
 * e2e latency runs: a light, realistic shape (default client settings, linger 0, long-poll fetches),
 * producer and consumer on one thread like most clients. On 2 vCPUs shared with the broker every
 * client thread competes with the broker's: 5 interleaved pairs at 10,000 rec/s (2026-12-07), p99
 * 1.31-1.97 ms with `workers: 0` against 1.55-2.39 ms with the producer on a worker thread, lower in
 * every pair; at 100,000 rec/s the same within noise.
 */
export const E2E = { partitions: 2, connections: 1, maxInFlight: 8, batchBytes: 16 * 1024, workers: 0, consumers: 1 } as const;

export interface Timing { durationMs: number; warmupMs: number }

let topicSeq = 0;
export function topicName(prefix: string): string {
  return `bench-${prefix}-${Date.now().toString(36)}-${topicSeq++}`;
}

/** A run that is not over after this long is stopped (and fails): every load run is bounded in time. */
export const LOAD_RUN_LIMIT_MS = 180_000;

/** Hooks that stop a run after `limitMs`; `clear()` once it is over. */
function guard(limitMs: number): { hooks: PlanHooks; clear(): void; fired(): boolean } {
  let timer: NodeJS.Timeout | null = null;
  let fired = false;
  return {
    hooks: { onStart: (stop) => { timer = setTimeout(() => { fired = true; stop(); }, limitMs); } },
    clear: () => { if (timer) clearTimeout(timer); },
    fired: () => fired,
  };
}

async function load(input: LoadOptionsInput, hooks: PlanHooks = {}): Promise<LoadResult> {
  const g = guard(LOAD_RUN_LIMIT_MS);
  let r: LoadResult;
  try {
    r = await runLoad({ quiet: true, createTopic: true, ...input }, { onStart: (stop) => { g.hooks.onStart!(stop); hooks.onStart?.(stop); } });
  } finally {
    g.clear();
  }
  if (g.fired()) throw new Error(`load run stopped after ${LOAD_RUN_LIMIT_MS / 1000} s`);
  if (!r.ok) throw new Error(`load run failed: ${r.problems.join('; ')}`);
  return r;
}

/** (1)/(2)/(5) Maximum produce throughput (open loop). */
export function produceMax(bootstrap: string, t: Timing, over: LoadOptionsInput = {}, hooks?: PlanHooks): Promise<LoadResult> {
  return load({ mode: 'produce', bootstrap, topic: topicName('produce'), recordSize: 100, acks: 1, ...MAX_PRODUCE, ...t, ...over }, hooks);
}

/** Publish latency at a fixed rate, no consumer (the e2e shape's producer side). */
export function produceAtRate(bootstrap: string, rate: number, t: Timing, over: LoadOptionsInput = {}): Promise<LoadResult> {
  return load({ mode: 'produce', bootstrap, topic: topicName(`rate${rate}`), recordSize: 100, acks: 1, rate, ...E2E, ...t, ...over });
}

/** (4) End-to-end latency at a fixed rate (coordinated omission corrected). */
export function e2eAtRate(bootstrap: string, rate: number, t: Timing, over: LoadOptionsInput = {}): Promise<LoadResult> {
  return load({ mode: 'e2e', bootstrap, topic: topicName(`e2e${rate}`), recordSize: 100, acks: 1, rate, ...E2E, ...t, ...over });
}

export interface ConsumeRun {
  topic: string;
  prefill: LoadResult;
  consume: LoadResult;
  /** Bytes of the topic's segment files after the prefill. */
  logBytes: number;
  logRecords: number;
}

/** Sum of the .log segment sizes of a topic's partition directories (`<topic>-<p>`) under a data dir. */
export function topicLogBytes(dataDir: string, topic: string): number {
  let total = 0;
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        if (depth < 3) walk(p, depth + 1);
      } else if (name.endsWith('.log') && dir.split('/').pop()!.startsWith(`${topic}-`)) {
        total += st.size;
      }
    }
  };
  walk(dataDir, 0);
  return total;
}

/** (3) Pre-fill a topic with ≈ `bytes` of 100-byte records, then consume it from the beginning as fast as possible. */
export async function prefillAndConsume(bootstrap: string, dataDir: string, bytes: number, consumers: number): Promise<ConsumeRun> {
  const topic = topicName('consume');
  const records = Math.ceil(bytes / 100);
  const prefill = await load({ mode: 'produce', bootstrap, topic, recordSize: 100, acks: 1, ...MAX_PRODUCE, records });
  const logBytes = topicLogBytes(dataDir, topic);
  const consume = await load({
    mode: 'consume', bootstrap, topic, createTopic: false, from: 'earliest', toEnd: true, consumers,
    fetchMaxBytes: 64 << 20, partitionMaxBytes: 4 << 20, durationMs: 120_000,
  });
  return { topic, prefill, consume, logBytes, logRecords: prefill.produce!.records + prefill.produce!.warmupRecords };
}

/** (6) Many partitions: `topics` topics × `partitionsPerTopic`, one producer connection per topic, open loop. */
export async function manyPartitions(bootstrap: string, topics: number, partitionsPerTopic: number, t: Timing): Promise<LoadResult> {
  const prefix = topicName('parts');
  const o = normalizeLoadOptions({
    mode: 'produce', bootstrap, topic: prefix, createTopic: true, partitions: partitionsPerTopic, recordSize: 100, acks: 1,
    connections: 1, maxInFlight: 8, batchBytes: 16 * 1024, workers: 1, quiet: true, ...t,
  });
  const names = Array.from({ length: topics }, (_, i) => `${prefix}-${i}`);
  const g = guard(LOAD_RUN_LIMIT_MS);
  let r: LoadResult;
  try {
    r = await runPlan(o, names, g.hooks);
  } finally {
    g.clear();
  }
  if (g.fired()) throw new Error(`load run stopped after ${LOAD_RUN_LIMIT_MS / 1000} s`);
  if (!r.ok) throw new Error(`load run failed: ${r.problems.join('; ')}`);
  return r;
}

/** producer-perf-test shaped lines of a result, each prefixed with a label. */
export function perfLines(label: string, r: LoadResult): string[] {
  return formatReport(r).trimEnd().split('\n').map((l) => `${label}: ${l}`);
}

/** A LoadResult without its histograms and series, for the results JSON. */
export function compact(r: LoadResult): Record<string, unknown> {
  const { series, ...rest } = r;
  void series;
  const strip = <T extends { histogram?: string }>(x: T | null): Omit<T, 'histogram'> | null => {
    if (!x) return null;
    const { histogram, ...y } = x;
    void histogram;
    return y;
  };
  return { ...rest, produce: strip(r.produce), consume: strip(r.consume) };
}
