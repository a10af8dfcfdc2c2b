import { validateTopicName } from '../cluster/cluster-metadata.js';
import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * Metadata: this broker is every partition's leader and the controller.
 * Unknown topics are auto-created (when the broker allows it and, for v4+,
 * the request does) before answering, so clients see them at once.
 */
export function metadataHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(req, ctx) {
      const { nodeId, advertisedHost, advertisedPort } = s.config;
      const v = ctx.apiVersion;
      // v0: an empty list means all topics; v1+: null means all, empty means none.
      const all = req.topics === null || (v === 0 && req.topics.length === 0);
      const requested = all ? s.metadata.topics().map((t) => t.name) : req.topics!.map((t) => t.name ?? s.metadata.topicById(t.topicId)?.name ?? null);
      const allowAutoCreate = s.config.autoCreateTopics && (v < 4 || req.allowAutoTopicCreation);
      const topics = [];
      for (const name of requested) {
        if (name === null) {
          topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, partitions: [] });
          continue;
        }
        await s.topicReady(name);
        let topic = s.metadata.topic(name);
        if (!topic && allowAutoCreate) {
          try {
            await s.autoCreateTopic(name);
          } catch (err) {
            const code = err instanceof KafkaError && err.code !== ErrorCode.TOPIC_ALREADY_EXISTS ? err.code : ErrorCode.NONE;
            if (code !== ErrorCode.NONE) { topics.push({ errorCode: code, name, partitions: [] }); continue; }
          }
          topic = s.metadata.topic(name);
        }
        if (!topic) {
          // Kafka validates the name first, so a bad name is reported as such even without auto-creation.
          topics.push({ errorCode: isValidTopicName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] });
          continue;
        }
        topics.push({
          errorCode: ErrorCode.NONE,
          name,
          topicId: topic.topicId,
          isInternal: topic.isInternal,
          // A partition whose log is not open yet (a topic created a moment ago) has no leader:
          // LEADER_NOT_AVAILABLE makes clients retry Metadata instead of producing into
          // UNKNOWN_TOPIC_OR_PARTITION, as with Kafka's freshly created topics.
          partitions: Array.from({ length: topic.partitions }, (_, p) => s.engine.route(name, p)
            ? {
                errorCode: ErrorCode.NONE, partitionIndex: p, leaderId: nodeId, leaderEpoch: 0,
                replicaNodes: [nodeId], isrNodes: [nodeId], offlineReplicas: [],
              }
            : {
                errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p, leaderId: -1, leaderEpoch: -1,
                replicaNodes: [nodeId], isrNodes: [], offlineReplicas: [],
              }),
        });
      }
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId, host: advertisedHost, port: advertisedPort, rack: null }],
        clusterId: s.metadata.clusterId,
        controllerId: nodeId,
        topics,
      };
    },
  });
}

function isValidTopicName(name: string): boolean {
  try {
    validateTopicName(name);
    return true;
  } catch {
    return false;
  }
}
