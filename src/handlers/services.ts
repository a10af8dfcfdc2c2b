import type { ClusterMetadata } from '../cluster/cluster-metadata.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { GroupCoordinator } from '../coordinator/group-coordinator.js';
import type { ProducerIdManager } from '../coordinator/producer-id-manager.js';
import type { FetchPurgatory } from '../network/fetch-purgatory.js';
import type { Engine } from '../shard/engine.js';

/**
 * Per-topic traffic counters (metrics). Called once per partition per
 * request with the record batches as they are; null when metrics are off.
 */
export interface TrafficObserver {
  /** `records` records in `bytes` bytes of batches appended to a partition of `topic`. */
  produced(topic: string, bytes: number, records: number): void;
  /** Batches returned from a partition of `topic`. */
  fetched(topic: string, records: Buffer | readonly Buffer[]): void;
}

/** What handlers use; built once by the broker (dispatcher thread). */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly metadata: ClusterMetadata;
  readonly engine: Engine;
  readonly purgatory: FetchPurgatory;
  /** Producer ids for InitProducerId (idempotent producers). */
  readonly producerIds: ProducerIdManager;
  /** Consumer groups and committed offsets. */
  readonly groups: GroupCoordinator;
  /** Advertised ApiVersions ranges, from the handler registry. */
  apiVersionRanges(): { apiKey: number; minVersion: number; maxVersion: number }[];
  /** Creates a topic with broker defaults (auto-creation on Metadata); resolves once its partitions are open. */
  autoCreateTopic(name: string): Promise<void>;
  /** Resolves once the topic's partitions are open (or deleted) after a create/delete/add-partitions. */
  topicReady(name: string): Promise<void>;
  /** Traffic metrics; null when metrics are off. */
  readonly traffic?: TrafficObserver | null;
}
