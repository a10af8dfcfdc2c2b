/**
 * One load run, start to finish, on the main thread:
 *
 * 1. setup: bootstrap, create topics if asked, Metadata (leaders), start
 *    offsets (ListOffsets; e2e starts consumers at the log end);
 * 2. connect consumers (main thread) and producers (inline or worker
 *    threads), then start all of them at one t0 slightly in the future, so
 *    every thread's run clock ticks the same seconds;
 * 3. producers stop by themselves at the end of the duration or count;
 *    in e2e the consumers then read up to the log end offsets read after
 *    producing (or give up after drainTimeoutMs without progress);
 *    Ctrl-C (when handleSignals) stops everything and reports what was done;
 * 4. totals, verification (e2e: exact count per partition against the
 *    producers' acknowledged records) and the per-second series go into a
 *    LoadResult.
 */
import { randomInt } from 'node:crypto';
import { BrokerConnections, createTopics, describeTopics, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, listOffsets, openBootstrap, type ClusterLayout } from './cluster-setup.js';
import { Consumer, type ConsumerConfig, type ConsumerSummary } from './consumer.js';
import { decodeHistogram, encodeHistogram, newHistogram, summarize, type LatencySummary } from './latency-histogram.js';
import { describeOptions, type LoadOptions } from './load-options.js';
import type { LoadResult } from './load-result.js';
import { RunAggregator, type IntervalSample } from './load-stats.js';
import { startInlineProducers, startWorkerProducers, type ProducerHost } from './producer-host.js';
import type { ProducerConfig, ProducerSummary } from './producer.js';
import { nowUs } from './record-value.js';
import { formatProgress } from './report.js';
import { Verifier } from './verifier.js';

/** How far ahead of "now" t0 is set, so every thread has its start message before t0. */
const START_LEAD_US = 50_000;

/** Split `total` into `parts` shares that add up exactly. */
function split(total: number, parts: number, i: number): number {
  return Math.floor(total / parts) + (i < total % parts ? 1 : 0);
}

export interface PlanHooks {
  /** Called once the run has started: `stop()` ends it early (as Ctrl-C does). */
  onStart?: (stop: () => void) => void;
}

export async function runPlan(o: LoadOptions, topicNames: string[], hooks: PlanHooks = {}): Promise<LoadResult> {
  const produce = o.mode !== 'consume';
  const consume = o.mode === 'consume' || o.mode === 'e2e';
  const startedAt = new Date().toISOString();
  const problems: string[] = [];

  // 1. setup
  const bootstrap = await openBootstrap(o.bootstrap, o.clientId);
  let layout: ClusterLayout;
  try {
    if (o.createTopic) await createTopics(bootstrap, topicNames, o.partitions, o.replicationFactor, 30_000);
    layout = await describeTopics(bootstrap, topicNames, o.createTopic ? 15_000 : 3_000, produce);
  } finally {
    bootstrap.close();
  }
  const conns = new BrokerConnections(`${o.clientId}-admin`, () => layout.brokers);

  const runId = randomInt(0, 0xffffffff);
  const producerConfigs: ProducerConfig[] = [];
  if (produce) {
    const total = topicNames.length * o.connections;
    let i = 0;
    for (const topic of topicNames) {
      const t = layout.topics.get(topic)!;
      for (let c = 0; c < o.connections; c++, i++) {
        producerConfigs.push({
          name: `p${i}`, producerId: (runId + i) >>> 0, topic, partitionLeaders: t.partitionLeaders, brokers: layout.brokers,
          recordSize: o.recordSize, batchBytes: o.batchBytes, lingerMs: o.lingerMs, acks: o.acks, compression: o.compression,
          maxInFlight: o.maxInFlight, pacingTickUs: o.pacingTickUs, keys: o.keys, seed: o.seed + i, rate: o.rate / total,
          records: o.records === null ? null : split(o.records, total, i),
          durationMs: o.durationMs, warmupMs: o.warmupMs, requestTimeoutMs: o.requestTimeoutMs,
          bufferMemoryBytes: o.bufferMemoryBytes, maxRequestBytes: o.maxRequestBytes, clientId: o.clientId,
        });
      }
    }
    // A producer with no records to send would idle: drop it.
    for (let k = producerConfigs.length - 1; k >= 0; k--) if (producerConfigs[k]!.records === 0) producerConfigs.splice(k, 1);
  }

  const verifier = new Verifier({
    strictSequenceStart: o.mode === 'e2e',
    producerIds: o.mode === 'e2e' ? new Set(producerConfigs.map((c) => c.producerId)) : null,
  });
  const consumerConfigs: ConsumerConfig[] = [];
  const consumerTopic: string[] = [];
  let stopAt: Map<string, Map<number, number>> | null = null;
  try {
    if (consume) {
      const startTs = o.mode === 'e2e' || o.from === 'latest' ? LATEST_TIMESTAMP : EARLIEST_TIMESTAMP;
      if (o.mode === 'consume' && o.toEnd) stopAt = new Map();
      let i = 0;
      for (const topic of topicNames) {
        const t = layout.topics.get(topic)!;
        const all = t.partitionLeaders.map((_, p) => p);
        const start = await listOffsets(conns, t, all, startTs);
        for (const p of all) verifier.startPartition(topic, p, start.get(p)!);
        if (stopAt) stopAt.set(topic, await listOffsets(conns, t, all, LATEST_TIMESTAMP));
        const n = Math.min(o.consumers, all.length);
        for (let c = 0; c < n; c++, i++) {
          consumerConfigs.push({
            name: `c${i}`, topic, partitions: all.filter((p) => p % n === c), partitionLeaders: t.partitionLeaders, brokers: layout.brokers,
            fetchMaxWaitMs: o.fetchMaxWaitMs, fetchMaxBytes: o.fetchMaxBytes, partitionMaxBytes: o.partitionMaxBytes,
            requestTimeoutMs: o.requestTimeoutMs, clientId: o.clientId,
            records: o.mode === 'consume' && o.records !== null ? split(o.records, topicNames.length * n, i) : null,
            durationMs: o.mode === 'consume' && !o.toEnd ? o.durationMs : null,
            warmupMs: o.warmupMs,
            phaseBy: o.mode === 'e2e' ? 'sendTime' : 'consumeTime',
          });
          consumerTopic.push(topic);
        }
      }
    }
  } catch (err) {
    conns.close();
    throw err;
  }

  // 2. connect and start
  const aggregator = new RunAggregator(Math.ceil(o.warmupMs / 1000));
  const onSample = (s: IntervalSample): void => aggregator.add(s);
  const consumers: Consumer[] = [];
  let host: ProducerHost | null = null;
  try {
    for (const c of consumerConfigs) consumers.push(await Consumer.connect(c, verifier, onSample));
    if (stopAt) consumers.forEach((c, k) => c.setStopOffsets(stopAt.get(consumerTopic[k]!)!));
    if (producerConfigs.length > 0) {
      host = o.workers === 0
        ? await startInlineProducers(producerConfigs, onSample)
        : await startWorkerProducers(producerConfigs, o.workers, onSample);
    }
  } catch (err) {
    for (const c of consumers) c.stop();
    conns.close();
    throw err;
  }

  const t0Us = nowUs() + START_LEAD_US;
  let interrupted = false;
  const stopAll = (): void => {
    if (interrupted) return;
    interrupted = true;
    host?.stop();
    for (const c of consumers) c.stop();
  };
  let sigints = 0;
  const onSigint = (): void => {
    sigints++;
    if (sigints > 1) process.exit(130);
    process.stderr.write('\nstopping (Ctrl-C again to quit at once)...\n');
    stopAll();
  };
  if (o.handleSignals) process.on('SIGINT', onSigint);
  const progress = startProgress(o, aggregator, t0Us, producerConfigs.length > 0);
  for (const c of consumers) c.start(t0Us);
  host?.start(t0Us);
  hooks.onStart?.(stopAll);

  // 3. run until done
  let producerSummaries: ProducerSummary[] = [];
  let consumerSummaries: ConsumerSummary[] = [];
  try {
    if (host) {
      // Safety net: a run never outlives its bound by more than the request timeout plus a margin.
      const boundMs = o.durationMs !== null ? o.warmupMs + o.durationMs + o.requestTimeoutMs + 10_000 : null;
      const safety = boundMs === null ? null : setTimeout(() => host!.stop(), boundMs + START_LEAD_US / 1000);
      try {
        producerSummaries = await host.done;
      } finally {
        if (safety) clearTimeout(safety);
      }
      for (const s of producerSummaries) if (s.fatal) problems.push(`producer ${s.source}: ${s.fatal}`);
      if (consumers.length > 0) {
        if (interrupted || producerSummaries.some((s) => s.fatal)) {
          for (const c of consumers) c.stop();
        } else {
          // e2e: read to the log end as it is now, then stop.
          const ends = new Map<string, Map<number, number>>();
          for (const topic of topicNames) {
            const t = layout.topics.get(topic)!;
            ends.set(topic, await listOffsets(conns, t, t.partitionLeaders.map((_, p) => p), LATEST_TIMESTAMP));
          }
          consumers.forEach((c, k) => c.setStopOffsets(ends.get(consumerTopic[k]!)!));
          await drainConsumers(consumers, o.drainTimeoutMs, problems);
        }
      }
    }
    if (o.mode === 'consume' && o.records !== null) await drainConsumers(consumers, o.drainTimeoutMs, problems);
    consumerSummaries = await Promise.all(consumers.map((c) => c.done));
  } finally {
    progress.stop();
    if (o.handleSignals) process.off('SIGINT', onSigint);
    conns.close();
  }
  for (const s of consumerSummaries) if (s.fatal) problems.push(`consumer ${s.source}: ${s.fatal}`);

  // 4. result
  if (o.mode === 'e2e' && !interrupted && !producerSummaries.some((s) => s.fatal)) {
    const expected = new Map<string, number>();
    producerSummaries.forEach((s, k) => {
      const topic = producerConfigs[k]!.topic;
      s.recordsPerPartition.forEach((n, p) => expected.set(`${topic}/${p}`, (expected.get(`${topic}/${p}`) ?? 0) + n));
    });
    verifier.checkCounts(expected);
  }
  const verification = verifier.result();
  const pTotals = aggregator.produce;
  const cTotals = aggregator.consume;
  const span = (xs: { measureStartUs: number; measureEndUs: number }[]): number =>
    xs.length === 0 ? 0 : Math.max(0, (Math.max(...xs.map((x) => x.measureEndUs)) - Math.min(...xs.map((x) => x.measureStartUs))) / 1000);
  const rate = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : 0);

  const errorCodes: Record<string, number> = {};
  for (const s of producerSummaries) for (const [k, v] of Object.entries(s.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + v;
  const produceErrors = producerSummaries.reduce((a, s) => a + s.errors, 0);
  if (produceErrors > 0) problems.push(`${produceErrors} records failed to produce: ${Object.entries(errorCodes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const pMs = span(producerSummaries);
  const cMs = span(consumerSummaries);
  const result: LoadResult = {
    tool: 'millrace load',
    schemaVersion: 1,
    mode: o.mode,
    options: describeOptions(o),
    topics: topicNames,
    startedAt,
    warmupMs: o.warmupMs,
    interrupted,
    produce: produce ? {
      producers: producerConfigs.length,
      records: pTotals.measured.records,
      bytes: pTotals.measured.bytes,
      errors: produceErrors,
      errorCodes,
      requests: pTotals.measured.requests,
      warmupRecords: pTotals.warmup.records,
      durationMs: Math.round(pMs),
      recordsPerSec: rate(pTotals.measured.records, pMs),
      mbPerSec: rate(pTotals.measured.bytes, pMs) / 1e6,
      recordsPerBatch: host?.recordsPerBatch ?? 0,
      latency: summarize(pTotals.latency),
      histogram: encodeHistogram(pTotals.latency),
      sendLag: o.rate > 0 ? mergedSummary(producerSummaries.map((s) => s.sendLag)) : null,
    } : null,
    consume: consume ? {
      consumers: consumers.length,
      records: cTotals.measured.records,
      bytes: cTotals.measured.bytes,
      warmupRecords: cTotals.warmup.records,
      durationMs: Math.round(cMs),
      recordsPerSec: rate(cTotals.measured.records, cMs),
      mbPerSec: rate(cTotals.measured.bytes, cMs) / 1e6,
      backlog: consumerSummaries.reduce((a, s) => a + s.backlog, 0),
      latency: summarize(cTotals.latency),
      histogram: encodeHistogram(cTotals.latency),
      verification,
    } : null,
    series: aggregator.series(),
    ok: false,
    problems,
  };
  if (consume && !verification.ok) problems.push(...verification.problems.map((p) => `verification: ${p}`));
  result.ok = problems.length === 0 && produceErrors === 0 && (!consume || verification.ok);
  return result;
}

function mergedSummary(encoded: string[]): LatencySummary {
  const h = newHistogram();
  for (const e of encoded) h.add(decodeHistogram(e));
  return summarize(h);
}

/** Wait for consumers to reach their stop offsets; stop them after `timeoutMs` without progress. */
async function drainConsumers(consumers: Consumer[], timeoutMs: number, problems: string[]): Promise<void> {
  let last = Date.now();
  for (const c of consumers) c.onProgress = () => { last = Date.now(); };
  const all = Promise.all(consumers.map((c) => c.done));
  let timer: NodeJS.Timeout | null = null;
  const stalled = new Promise<void>((resolve) => {
    const check = (): void => {
      if (Date.now() - last >= timeoutMs) {
        problems.push(`consumers made no progress for ${timeoutMs} ms before reaching their end; stopped`);
        for (const c of consumers) c.stop();
        resolve();
        return;
      }
      timer = setTimeout(check, 100);
    };
    check();
  });
  await Promise.race([all, stalled]);
  if (timer) clearTimeout(timer);
}

interface Progress { stop(): void }

function startProgress(o: LoadOptions, agg: RunAggregator, t0Us: number, producing: boolean): Progress {
  if (o.quiet) return { stop() {} };
  const redraw = o.progress ?? process.stderr.isTTY === true;
  const expected = o.records;
  const mode = o.mode === 'workload' ? (producing ? 'e2e' : 'consume') : o.mode;
  let k = 0;
  let timer: NodeJS.Timeout | null = null;
  let printed = false;
  const tick = (): void => {
    k++;
    const p = agg.point(k);
    if (p) {
      const line = formatProgress(p, { produced: agg.produce.measured.records, consumed: agg.consume.measured.records }, expected, mode);
      process.stderr.write(redraw ? `\r\x1b[2K${line}` : `${line}\n`);
      printed = true;
    }
    arm();
  };
  // Print second k a little after it ends, so samples from worker threads have arrived.
  const arm = (): void => {
    timer = setTimeout(tick, Math.max(0, (t0Us + (k + 1) * 1e6 - nowUs()) / 1000 + 250));
  };
  arm();
  return {
    stop() {
      if (timer) clearTimeout(timer);
      if (redraw && printed) process.stderr.write('\n');
    },
  };
}
