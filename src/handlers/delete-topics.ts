import { ErrorCode, KafkaError } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import type { TopicInfo } from '../cluster/cluster-metadata.js';
import { Apis } from '../protocol/generated/index.js';
import { duplicates, errorResult, NO_ERROR, settle, type Settled } from './admin-errors.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

const NO_TOPIC_ID = '00000000000000000000000000000000';

/**
 * DeleteTopics: v0-5 name topics; v6 names each topic either by name or by
 * id (not both). Unknown names → UNKNOWN_TOPIC_OR_PARTITION, unknown ids →
 * UNKNOWN_TOPIC_ID; delete.topic.enable=false → TOPIC_DELETION_DISABLED.
 * Answered once the deletion is durable in the cluster metadata and the
 * partitions are closed and removed.
 */
export function deleteTopicsHandler(s: BrokerServices) {
  const log = logger.child({ component: 'delete-topics' });
  return defineHandler({
    api: Apis.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const wanted = v >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: NO_TOPIC_ID }));
      const dupNames = duplicates(wanted.flatMap((t) => (t.name !== null && t.topicId === NO_TOPIC_ID ? [t.name] : [])));
      const dupIds = duplicates(wanted.flatMap((t) => (t.name === null && t.topicId !== NO_TOPIC_ID ? [t.topicId] : [])));
      const fail = (message: string): Promise<Settled<TopicInfo>> =>
        Promise.resolve({ ok: false, error: new KafkaError(ErrorCode.INVALID_REQUEST, message) });
      // Issued in request order; the metadata serialises them.
      const work = wanted.map((t) => {
        const byId = t.topicId !== NO_TOPIC_ID;
        let result: Promise<Settled<TopicInfo>>;
        if (byId && t.name !== null) result = fail('You may not specify both topic name and topic id.');
        else if (!byId && t.name === null) result = fail('Neither topic name nor id were specified.');
        else if (byId && dupIds.has(t.topicId)) result = fail(`Duplicate topic id ${t.topicId}.`);
        else if (!byId && dupNames.has(t.name!)) result = fail(`Duplicate topic name ${t.name}.`);
        else result = settle(() => (byId ? s.metadata.deleteTopicById(t.topicId) : s.metadata.deleteTopic(t.name!)));
        return { want: t, result };
      });
      const responses = [];
      for (const { want, result } of work) {
        const r = await result;
        if (r.ok) {
          log.info({ topic: r.value.name, topicId: r.value.topicId }, 'topic deleted');
          // Its partitions are closed and removed before the answer, so the name can be reused at once.
          await s.topicReady(r.value.name);
          responses.push({ name: r.value.name, topicId: r.value.topicId, ...NO_ERROR });
        } else {
          // A topic named by id keeps a null name unless it was found.
          responses.push({ name: want.name, topicId: want.topicId, ...errorResult(r.error, 'DeleteTopics') });
        }
      }
      return { throttleTimeMs: 0, responses };
    },
  });
}
