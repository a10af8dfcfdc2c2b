import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

/** DeleteRecords' "up to the high watermark". */
const HIGH_WATERMARK = -1;

type Outcome = { errorCode: number; lowWatermark: number };

/**
 * DeleteRecords: make each partition's log start offset the given offset
 * (-1 = the high watermark), deleting whole segments below it. Returns the
 * new low watermark; an offset above the high watermark (or below -1) →
 * OFFSET_OUT_OF_RANGE, an offset at or below the current start is a no-op.
 * Internal topics are refused, as Kafka does.
 */
export function deleteRecordsHandler(s: BrokerServices) {
  const log = logger.child({ component: 'delete-records' });
  return defineHandler({
    api: Apis.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      // Shard calls are issued in request order before anything is awaited;
      // -1 needs the high watermark first, read with the same ordering.
      const pending: Promise<void>[] = [];
      const topics = req.topics.map((t) => {
        const internal = s.metadata.topic(t.name)?.isInternal === true;
        return {
          name: t.name,
          partitions: t.partitions.map((p) => {
            const out: Outcome & { partitionIndex: number } = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, lowWatermark: -1 };
            const route = s.engine.route(t.name, p.partitionIndex);
            if (!route) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            else if (internal) out.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
            else if (p.offset < HIGH_WATERMARK) out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
            else {
              const fill = (o: Outcome): void => { out.errorCode = o.errorCode; out.lowWatermark = o.lowWatermark; };
              const del = (offset: number) => {
                const o = route.shard.deleteRecords(route.key, offset);
                return o instanceof Promise ? o.then(fill) : fill(o);
              };
              let r: void | Promise<void>;
              if (p.offset !== HIGH_WATERMARK) {
                r = del(p.offset);
              } else {
                const offsets = route.shard.offsets(route.key);
                const then = (o: Awaited<typeof offsets>) => (o ? del(o.highWatermark) : fill({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, lowWatermark: -1 }));
                r = offsets instanceof Promise ? offsets.then(then) : then(offsets);
              }
              if (r instanceof Promise) {
                pending.push(r.catch((err: Error) => {
                  log.error({ topic: t.name, partition: p.partitionIndex, err: err.message }, 'delete records failed');
                  fill({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, lowWatermark: -1 });
                }));
              }
            }
            return out;
          }),
        };
      });
      await Promise.all(pending);
      return { throttleTimeMs: 0, topics };
    },
  });
}
