import type { ClusterMetadata } from '../cluster/cluster-metadata.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { GroupCoordinator } from '../coordinator/group-coordinator.js';
import type { ProducerIdManager } from '../coordinator/producer-id-manager.js';
import type { FetchPurgatory } from '../network/fetch-purgatory.js';
import type { Engine } from '../shard/engine.js';

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
}
