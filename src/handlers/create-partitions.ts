import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import type { TopicInfo } from '../cluster/cluster-metadata.js';
import { Apis } from '../protocol/generated/index.js';
import { duplicates, errorResult, NO_ERROR, settle, type Settled } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/**
 * CreatePartitions: grow each topic to `count` partitions. A count that is
 * not larger than the current one → INVALID_PARTITIONS; optional manual
 * assignments must name only this broker. validateOnly checks without
 * changing anything. Answered once the new partitions are durable and open.
 */
export function createPartitionsHandler(s: BrokerServices) {
  const log = logger.child({ component: 'create-partitions' });
  return defineHandler({
    api: Apis.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(req) {
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
        const assignments = t.assignments?.map((a, i) => ({ partitionIndex: i, brokerIds: a.brokerIds })) ?? null;
        return [{ name: t.name, result: settle(() => s.metadata.createPartitions(t.name, t.count, { assignments, validateOnly: req.validateOnly })) }];
      });
      const results = [];
      for (const { name, result } of work) {
        const r = await result;
        if (r.ok) {
          if (!req.validateOnly) {
            log.info({ topic: name, partitions: r.value.partitions }, 'partitions created');
            await s.topicReady(name);
          }
          results.push({ name, ...NO_ERROR });
        } else {
          results.push({ name, ...errorResult(r.error, 'CreatePartitions') });
        }
      }
      return { throttleTimeMs: 0, results };
    },
  });
}
