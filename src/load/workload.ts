/**
 * `millrace load workload FILE`: OpenMessaging Benchmark–shaped workloads
 * (JSON with OMB's field names), so Millrace figures line up with published
 * OMB results. Fields:
 *
 *   name                      string
 *   topics                    number of topics (named <--topic>-0, -1, …; created)
 *   partitionsPerTopic        number
 *   messageSize               bytes per record value (≥ 24)
 *   producersPerTopic         producer connections per topic
 *   subscriptionsPerTopic     only 1 is supported (one verified reader per record)
 *   consumerPerSubscription   consumer connections per topic; 0 = produce only
 *   producerRate              records/s over all producers; 0 = find the maximum
 *   keyDistributor            NO_KEY (default) | KEY_ROUND_ROBIN | RANDOM_NANO (both: uniform keys)
 *   warmupDurationMinutes / warmupDurationSeconds   (OMB default 1 min)
 *   testDurationMinutes / testDurationSeconds       (OMB default 15 min)
 *   rateSearchStepSeconds     length of each step of the producerRate = 0 search (default 5)
 *   consumerBacklogSizeGB     not supported (must be 0)
 *
 * producerRate = 0: short steps (producers and consumers, as in the test) at
 * doubling rates from 10,000 records/s (scaled down for large messages),
 * until the achieved rate falls below 95% of the target or publish or
 * end-to-end p99 explodes (above 10× the first step's and 50 ms); one
 * refining step at 1.4× the best; then the test runs at the best sustained
 * rate.
 */
import { readFileSync } from 'node:fs';
import { LoadOptionsError, normalizeLoadOptions, type KeySpec, type LoadOptions } from './load-options.js';
import type { LoadResult } from './load-result.js';
import { runPlan, type PlanHooks } from './run-plan.js';

export interface Workload {
  name: string;
  topics: number;
  partitionsPerTopic: number;
  messageSize: number;
  producersPerTopic: number;
  subscriptionsPerTopic: number;
  consumerPerSubscription: number;
  producerRate: number;
  keyDistributor: 'NO_KEY' | 'KEY_ROUND_ROBIN' | 'RANDOM_NANO';
  warmupMs: number;
  testMs: number;
  rateSearchStepMs: number;
}

function num(w: Record<string, unknown>, key: string, dflt: number | undefined, min: number): number {
  const v = w[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new LoadOptionsError(`workload: "${key}" must be a number ≥ ${min}${v === undefined ? ' (missing)' : `, got ${JSON.stringify(v)}`}`);
  }
  return v;
}

function duration(w: Record<string, unknown>, base: string, dfltMinutes: number): number {
  if (w[`${base}Seconds`] !== undefined) return num(w, `${base}Seconds`, undefined, 0) * 1000;
  return num(w, `${base}Minutes`, dfltMinutes, 0) * 60_000;
}

export function parseWorkload(text: string): Workload {
  let w: Record<string, unknown>;
  try {
    w = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new LoadOptionsError(`workload: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new LoadOptionsError('workload: expected a JSON object');
  const kd = String(w.keyDistributor ?? 'NO_KEY');
  if (!['NO_KEY', 'KEY_ROUND_ROBIN', 'RANDOM_NANO'].includes(kd)) throw new LoadOptionsError(`workload: unknown keyDistributor ${kd}`);
  const subs = num(w, 'subscriptionsPerTopic', 1, 1);
  if (subs !== 1) throw new LoadOptionsError('workload: only subscriptionsPerTopic = 1 is supported');
  if (num(w, 'consumerBacklogSizeGB', 0, 0) !== 0) throw new LoadOptionsError('workload: consumerBacklogSizeGB is not supported (use 0)');
  const wl: Workload = {
    name: String(w.name ?? 'workload'),
    topics: num(w, 'topics', 1, 1),
    partitionsPerTopic: num(w, 'partitionsPerTopic', 1, 1),
    messageSize: num(w, 'messageSize', 100, 24),
    producersPerTopic: num(w, 'producersPerTopic', 1, 1),
    subscriptionsPerTopic: subs,
    consumerPerSubscription: num(w, 'consumerPerSubscription', 1, 0),
    producerRate: num(w, 'producerRate', 0, 0),
    keyDistributor: kd as Workload['keyDistributor'],
    warmupMs: duration(w, 'warmupDuration', 1),
    testMs: duration(w, 'testDuration', 15),
    rateSearchStepMs: num(w, 'rateSearchStepSeconds', 5, 1) * 1000,
  };
  if (wl.testMs <= 0) throw new LoadOptionsError('workload: the test duration must be positive');
  return wl;
}

/** The load options a workload runs with (CLI options such as --bootstrap, --acks, --workers still apply). */
export function workloadOptions(base: LoadOptions, w: Workload): LoadOptions {
  const keys: KeySpec = w.keyDistributor === 'NO_KEY' ? { kind: 'none' } : { kind: 'uniform', count: w.keyDistributor === 'KEY_ROUND_ROBIN' ? 10_000 : 1_000_000 };
  return normalizeLoadOptions({
    ...base,
    mode: w.consumerPerSubscription > 0 ? 'e2e' : 'produce',
    workloadFile: null,
    createTopic: true,
    partitions: w.partitionsPerTopic,
    recordSize: w.messageSize,
    connections: w.producersPerTopic,
    consumers: Math.max(1, w.consumerPerSubscription),
    rate: w.producerRate,
    keys,
    warmupMs: w.warmupMs,
    durationMs: w.testMs,
    records: null,
  });
}

export function workloadTopics(base: LoadOptions, w: Workload): string[] {
  return Array.from({ length: w.topics }, (_, i) => `${base.topic}-${i}`);
}

export async function runWorkload(base: LoadOptions, hooks: PlanHooks = {}): Promise<LoadResult> {
  const w = parseWorkload(readFileSync(base.workloadFile!, 'utf8'));
  const o = workloadOptions(base, w);
  const topics = workloadTopics(base, w);
  let rateSearch: LoadResult['rateSearch'];
  if (w.producerRate === 0) {
    const found = await findMaxRate(o, topics, w, hooks);
    rateSearch = found.steps;
    o.rate = found.best;
  }
  const result = await runPlan(o, topics, hooks);
  result.mode = 'workload';
  result.workload = { ...w };
  if (rateSearch) result.rateSearch = rateSearch;
  return result;
}

async function findMaxRate(o: LoadOptions, topics: string[], w: Workload, hooks: PlanHooks): Promise<{ best: number; steps: { rate: number; achieved: number; p99Ms: number }[] }> {
  const steps: { rate: number; achieved: number; p99Ms: number }[] = [];
  const say = (s: string): void => { if (!o.quiet) process.stderr.write(`rate search: ${s}\n`); };
  let rate = Math.max(100, Math.round(10_000 * Math.min(1, 100 / w.messageSize)));
  let baseP99 = 0;
  let best = 0;
  let failedAt = 0;
  let baseE2eP99 = 0;
  // Steps run like the test (consumers included: on a small machine they compete for the same CPU).
  const step = async (r: number): Promise<boolean> => {
    const res = await runPlan({ ...o, rate: r, durationMs: w.rateSearchStepMs, records: null, warmupMs: 0, quiet: true }, topics, hooks);
    const achieved = res.produce?.recordsPerSec ?? 0;
    const p99 = res.produce?.latency.p99Ms ?? Infinity;
    const e2eP99 = res.consume ? res.consume.latency.p99Ms : 0;
    steps.push({ rate: r, achieved: Math.round(achieved), p99Ms: p99 });
    if (baseP99 === 0) { baseP99 = p99; baseE2eP99 = e2eP99; }
    const exploded = p99 > Math.max(10 * baseP99, 50) || (res.consume !== null && e2eP99 > Math.max(10 * baseE2eP99, 50));
    const kept = achieved >= 0.95 * r && !exploded && res.ok && !res.interrupted;
    say(`${r} rec/s → ${Math.round(achieved)} rec/s, publish p99 ${p99.toFixed(2)} ms${res.consume ? `, e2e p99 ${e2eP99.toFixed(2)} ms` : ''}: ${kept ? 'sustained' : exploded ? 'latency exploded' : 'not sustained'}`);
    return kept;
  };
  for (let i = 0; i < 14; i++) {
    if (await step(rate)) { best = rate; rate *= 2; } else { failedAt = rate; break; }
  }
  if (failedAt > 0 && best > 0) {
    const mid = Math.round(best * 1.4);
    if (mid < failedAt && (await step(mid))) best = mid;
  }
  if (best === 0) best = Math.max(1, Math.round((steps[0]?.achieved ?? 100) * 0.9));
  say(`running the test at ${best} rec/s`);
  return { best, steps };
}
