import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** OffsetDelete: removes committed offsets, except of topics a live consumer group subscribes to (GROUP_SUBSCRIBED_TO_TOPIC). */
export function offsetDeleteHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const r = await s.groups.deleteOffsets(req.groupId, req.topics);
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
    },
  });
}
