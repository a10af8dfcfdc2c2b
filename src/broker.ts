/**
 * Composes a broker: cluster metadata, the engine and its shards, the
 * handlers and the TCP server. `startBroker` is also the in-process API
 * (`import { startBroker } from 'millrace'`) used by tests.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ClusterMetadata, type TopicInfo } from './cluster/cluster-metadata.js';
import { removeOrphanPartitionDirs } from './shard/partition-dirs.js';
import { defaultBrokerConfig, type BrokerConfig } from './config/broker-config.js';
import { logger, type Logger } from './common/logger.js';
import { isOutOfDescriptors, openFilesLimit, OUT_OF_DESCRIPTORS_HINT } from './common/open-files-limit.js';
import { GroupCoordinator } from './coordinator/group-coordinator.js';
import { OffsetStore } from './coordinator/offset-store.js';
import { ProducerIdManager } from './coordinator/producer-id-manager.js';
import { createHandlers } from './handlers/index.js';
import { HandlerRegistry } from './handlers/registry.js';
import type { BrokerServices } from './handlers/services.js';
import { Dispatcher } from './network/dispatcher.js';
import { FetchPurgatory } from './network/fetch-purgatory.js';
import { KafkaServer } from './network/server.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.js';
import { Engine } from './shard/engine.js';
import { InlineShard } from './shard/inline-shard.js';
import type { Shard } from './shard/shard.js';
import { DEFAULT_WORKER_SHARD_OPTIONS, WorkerShard } from './shard/worker-shard.js';
import { ReceiveArena } from './shard/receive-arena.js';
import type { LogConfig } from './storage/log-config.js';
import type { RecoveryHints } from './storage/partition-log.js';
import { DEFAULT_POOL_MIN_BYTES, verifyPartitionsInParallel } from './shard/recovery-pool.js';
import { crc32cFallbackReason, crc32cImplementation, crc32cRelaxedSimd } from './wasm/crc32c.js';

export interface Broker {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly config: BrokerConfig;
  readonly shardCount: number;
  /** The engine (partition → shard routing); exposed for tests and tooling. */
  readonly engine: Engine;
  /** Where connections read produce requests for worker shards (null with --shards 0); exposed for tests. */
  readonly receiveArena: ReceiveArena | null;
  /** Port of the /metrics and /health endpoint; null when metrics are off. */
  readonly metricsPort: number | null;
  /** The metrics (null when off). */
  readonly metrics: BrokerMetrics | null;
  /** Flushes and closes every log, then the listener. */
  stop(): Promise<void>;
  /** TEST HOOKS (fault injection for tests only; see KafkaServer.dropConnections). */
  readonly testHooks: {
    /** Destroy every client connection now; returns how many. */
    dropConnections(): number;
  };
}

export type BrokerOptions = Partial<Omit<BrokerConfig, 'sources'>>;

export async function startBroker(options: BrokerOptions | BrokerConfig = {}): Promise<Broker> {
  let config: BrokerConfig = 'sources' in options && options.sources ? (options as BrokerConfig) : defaultBrokerConfig(options);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const log = logger.child({ component: 'broker' });
  const { sources: configSources, ...configValues } = config;
  log.info({ config: configValues, setBy: configSources ?? {} }, 'starting broker');
  // Which CRC-32C kernel checks every batch: a 3-8x difference in its cost.
  const crc32cKernel = crc32cImplementation === 'js' ? 'js' : crc32cRelaxedSimd ? 'wasm relaxed-simd' : 'wasm simd';
  if (crc32cFallbackReason) log.warn({ crc32c: crc32cKernel, reason: crc32cFallbackReason }, 'CRC-32C runs on the JS twin');
  else log.info({ crc32c: crc32cKernel }, 'CRC-32C kernel');
  // The health endpoint comes up first, so the recovery below is observable (503 until serving).
  const metrics = config.metricsPort !== null ? new BrokerMetrics() : null;
  const metricsServer = metrics ? await startMetricsServer(metrics, config.host, config.metricsPort!, log) : null;
  try {
    return await composeBroker(config, dataDir, log, metrics, metricsServer);
  } catch (err) {
    await metricsServer?.close();
    throw err;
  }
}

async function composeBroker(
  config: BrokerConfig, dataDir: string, log: Logger, metrics: BrokerMetrics | null, metricsServer: MetricsServer | null,
): Promise<Broker> {
  const metadata = await ClusterMetadata.open(dataDir, config);
  const producerIds = await ProducerIdManager.open(dataDir);
  // --shards 0: partitions run inline on this thread; otherwise one worker thread per shard.
  // Worker shards read produce batches where the connections received them (receive-arena.ts).
  const arena = config.shards === 0 ? null : new ReceiveArena();
  const shards: Shard[] = config.shards === 0
    ? [new InlineShard(0, config.tailCacheBytes)]
    : Array.from({ length: config.shards }, (_, i) => new WorkerShard(i, { ...DEFAULT_WORKER_SHARD_OPTIONS, tailCacheBytes: Math.floor(config.tailCacheBytes / config.shards) }, arena));
  const engine = new Engine(shards, dataDir);
  const purgatory = new FetchPurgatory();
  engine.onData((key) => purgatory.wake(key));

  const logConfigFor = (topic: TopicInfo): LogConfig => {
    const t = metadata.effectiveLogConfig(topic);
    // A compact-only topic is never trimmed by time or size (Kafka: retention applies to cleanup.policy=delete).
    // Compaction itself is not implemented yet, so such a topic keeps every record.
    const keepAll = t.cleanupPolicy.compact && !t.cleanupPolicy.delete;
    return { ...t, flush: config.flush, ...(keepAll ? { retentionMs: -1, retentionBytes: -1 } : {}) };
  };
  let onPartitionOpened = (): void => {};
  const openTopic = async (t: TopicInfo, fromPartition = 0, hints?: Map<string, RecoveryHints>): Promise<void> => {
    const opens: Promise<void>[] = [];
    for (let p = fromPartition; p < t.partitions; p++) {
      opens.push(engine.openPartition(t.name, t.topicId, p, metadata.shardOf(t.name, p)!, logConfigFor(t), hints?.get(engine.partitionDir(t.name, p))).then(() => onPartitionOpened()));
    }
    await Promise.all(opens);
  };
  await removeOrphanPartitionDirs(dataDir, metadata);
  const existing = metadata.topics();
  // Start-up recovery: /health answers 503 "recovering" until every partition is open.
  const recoveryStartedMs = Date.now();
  const partitionsToOpen = existing.reduce((n, t) => n + t.partitions, 0);
  const fdLimit = openFilesLimit();
  if (fdLimit !== null && partitionsToOpen > fdLimit / 2) {
    log.warn({ partitions: partitionsToOpen, openFilesLimit: fdLimit, hint: OUT_OF_DESCRIPTORS_HINT }, 'the file descriptor limit is low for this many partitions');
  }
  if (metrics) {
    metrics.state = 'recovering';
    metrics.partitionsToOpen = partitionsToOpen;
    onPartitionOpened = () => { metrics.partitionsOpened++; };
  }
  // Test hook: a slow start-up recovery (per topic), to observe /health during it.
  const testOpenDelayMs = Number(process.env.MILLRACE_TEST_OPEN_DELAY_MS ?? 0);
  // The pre-scan pays only with cores to spare beyond the shards, which recover their partitions in parallel
  // themselves (measured: bench/recovery-pool.ts); MILLRACE_RECOVERY_POOL_MIN_BYTES forces a threshold.
  const poolMinBytes = process.env.MILLRACE_RECOVERY_POOL_MIN_BYTES !== undefined
    ? Number(process.env.MILLRACE_RECOVERY_POOL_MIN_BYTES)
    : availableParallelism() > shards.length ? DEFAULT_POOL_MIN_BYTES : Infinity;
  const recoveryHints = await verifyPartitionsInParallel(
    existing.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => engine.partitionDir(t.name, p))), poolMinBytes);
  for (const t of existing) {
    if (testOpenDelayMs > 0) await new Promise((r) => setTimeout(r, testOpenDelayMs));
    await openTopic(t, 0, recoveryHints);
  }
  onPartitionOpened = () => {};
  log.info({ partitions: partitionsToOpen, durationMs: Date.now() - recoveryStartedMs }, 'partitions opened');

  const report = (what: string) => (err: Error) => log.error({ err: err.message, ...(isOutOfDescriptors(err) ? { hint: OUT_OF_DESCRIPTORS_HINT } : {}) }, what);
  // Partitions of a topic become routable only once their logs are open; handlers await this before answering.
  const opening = new Map<string, Promise<void>>();
  const track = (name: string, work: Promise<void>): void => {
    const p = work.catch(report('opening partitions failed')).finally(() => { if (opening.get(name) === p) opening.delete(name); });
    opening.set(name, p);
  };
  metadata.on('topicCreated', (t) => track(t.name, openTopic(t)));
  metadata.on('partitionsCreated', (t, previous) => track(t.name, openTopic(t, previous)));
  metadata.on('topicDeleted', (t) => {
    metrics?.topicDeleted(t.name);
    track(t.name, (async () => { for (let p = 0; p < t.partitions; p++) await engine.deletePartition(t.name, p); })());
  });
  metadata.on('configChanged', (t) => engine.updateConfig(t.name, t.partitions, logConfigFor(t)));
  engine.startRetention(config.retentionCheckIntervalMs);

  const groups = new GroupCoordinator({
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
  }, {
    store: new OffsetStore(metadata, engine),
    partitionCount: (topic) => metadata.topic(topic)?.partitions,
  });
  // Replays __consumer_offsets in the background; group requests get COORDINATOR_LOAD_IN_PROGRESS until done.
  const groupsLoaded = groups.start().catch(report('loading consumer groups failed'));
  metadata.on('topicDeleted', (t) => { groups.onTopicDeleted(t.name).catch(report('dropping offsets of a deleted topic failed')); });

  let registry: HandlerRegistry;
  const services: BrokerServices = {
    get config() { return config; },
    metadata,
    engine,
    purgatory,
    producerIds,
    groups,
    apiVersionRanges: () => registry.versionRanges(),
    autoCreateTopic: async (name) => {
      await metadata.createTopic(name, { partitions: -1, replicationFactor: -1, configs: {} });
      log.info({ topic: name }, 'auto-created topic');
      await opening.get(name);
    },
    topicReady: async (name) => { await opening.get(name); },
    traffic: metrics,
  };
  registry = new HandlerRegistry(createHandlers(services));
  const server = new KafkaServer(new Dispatcher(registry, metrics), {
    maxFrameBytes: config.socketRequestMaxBytes,
    maxInFlightRequests: 64,
    maxPendingWriteBytes: 64 * 1024 * 1024,
    maxIdleMs: config.connectionsMaxIdleMs,
  }, log, engine, arena);
  const port = await server.listen(config.port, config.host);
  config = { ...config, port, advertisedPort: config.advertisedPort || port };
  log.info({ host: config.host, port, dataDir, shards: shards.length, flush: config.flush, metricsPort: metricsServer?.port ?? null }, 'broker started');
  if (metrics) {
    metrics.attach({ engine, server, groups, purgatory, receiveArena: arena });
    metrics.state = 'serving';
  }

  let stopped: Promise<void> | null = null;
  return {
    host: config.host,
    port,
    dataDir,
    get config() { return config; },
    shardCount: shards.length,
    engine,
    receiveArena: arena,
    metricsPort: metricsServer?.port ?? null,
    metrics,
    testHooks: { dropConnections: () => server.dropConnections() },
    stop() {
      stopped ??= (async () => {
        if (metrics) metrics.state = 'stopping';
        purgatory.releaseAll();
        await server.close();
        await groupsLoaded;
        await groups.close();
        await engine.close();
        await producerIds.close();
        await metadata.close();
        await metricsServer?.close();
        log.info('broker stopped');
      })();
      return stopped;
    },
  };
}
