import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { Apis } from '../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import type { BrokerServices } from './services.js';

interface PartitionSize { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }

/**
 * DescribeLogDirs: the broker's one log directory (the data dir) and the
 * size on disk of each partition it holds, for tools that show partition
 * sizes (kafka-log-dirs.sh, admin UIs). Null topics = every partition; a
 * requested partition the broker does not hold is left out, as Kafka does.
 * There are no replicas, so offsetLag is 0 and there are no future logs.
 * v4's volume sizes come from statfs of the data dir (-1 if that fails).
 */
export function describeLogDirsHandler(s: BrokerServices) {
  const log = logger.child({ component: 'describe-log-dirs' });
  return defineHandler({
    api: Apis.DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    async handle(req) {
      const wanted = req.topics ?? s.metadata.topics().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => i) }));
      // Every shard call is issued before any is awaited (one round trip per shard, not per partition).
      const topics = wanted.map((t) => ({
        name: t.topic,
        sizes: t.partitions.map((p) => {
          const route = s.engine.route(t.topic, p);
          return route ? Promise.resolve(route.shard.offsets(route.key)).then((o) => (o ? { partitionIndex: p, partitionSize: o.sizeBytes, offsetLag: 0, isFutureKey: false } : null)) : null;
        }),
      }));
      const logDir = resolve(s.config.dataDir);
      const volume = statfs(logDir).then(
        (st) => ({ totalBytes: st.blocks * st.bsize, usableBytes: st.bavail * st.bsize }),
        (err: Error) => { log.warn({ logDir, err: err.message }, 'statfs of the log dir failed'); return { totalBytes: -1, usableBytes: -1 }; },
      );
      const described = [];
      for (const t of topics) {
        const partitions = (await Promise.all(t.sizes)).filter((p): p is PartitionSize => p !== null);
        if (partitions.length > 0) described.push({ name: t.name, partitions });
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        results: [{ errorCode: ErrorCode.NONE, logDir, topics: described, ...(await volume) }],
      };
    },
  });
}
