import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import type { TopicInfo } from '../cluster/cluster-metadata.js';
import { Apis } from '../protocol/generated/index.js';
import { duplicates, errorResult, NO_ERROR, settle, type Settled } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

const NO_TOPIC_ID = '00000000000000000000000000000000';

/**
 * CreateTopics: each topic is validated and created on its own (one failing
 * topic does not fail the others); numPartitions / replicationFactor -1 take
 * the broker defaults. validateOnly (v1+) runs every check without creating.
 * v5+ results describe the topic as created (partitions, replication factor,
 * every config with its source); v7 adds the topic id. Answered once the
 * creation is durable in the cluster metadata and the partitions are open.
 */
export function createTopicsHandler(s: BrokerServices) {
  const log = logger.child({ component: 'create-topics' });
  return defineHandler({
    api: Apis.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const validateOnly = v >= 1 && req.validateOnly;
      const dup = duplicates(req.topics.map((t) => t.name));
      const reported = new Set<string>();
      // Issued in request order; the metadata serialises them.
      const work = req.topics.flatMap((t) => {
        if (dup.has(t.name)) {
          if (reported.has(t.name)) return [];
          reported.add(t.name);
          const error = new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate topic name: ${t.name}.`);
          return [{ name: t.name, result: Promise.resolve<Settled<TopicInfo>>({ ok: false, error }) }];
        }
        const result = settle(() => s.metadata.createTopic(t.name, {
          partitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
          configs: t.configs.map((c) => [c.name, c.value] as const),
          validateOnly,
        }));
        return [{ name: t.name, result }];
      });
      const topics = [];
      for (const { name, result } of work) {
        const r = await result;
        if (r.ok) {
          const info = r.value;
          if (!validateOnly) {
            log.info({ topic: name, partitions: info.partitions, topicId: info.topicId }, 'topic created');
            // Answer once the partitions take writes, as Kafka answers once leaders are elected.
            await s.topicReady(name);
          }
          topics.push({
            name,
            topicId: info.topicId,
            ...NO_ERROR,
            numPartitions: info.partitions,
            replicationFactor: 1,
            configs: v < 5 ? [] : s.metadata.configEntriesFor(info.configs).map((e) => ({
              name: e.name,
              value: e.isSensitive ? null : e.value,
              readOnly: e.readOnly,
              configSource: e.source,
              isSensitive: e.isSensitive,
            })),
          });
        } else {
          topics.push({ name, topicId: NO_TOPIC_ID, ...errorResult(r.error, 'CreateTopics'), numPartitions: -1, replicationFactor: -1, configs: [] });
        }
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
