/**
 * Child process for metadata-log.test.ts: creates topics k0, k1, ... as fast
 * as it can, printing each name once createTopic resolved (i.e. durable),
 * until the parent kills it with SIGKILL.
 * Usage: node metadata-kill-child.js <dataDir>
 */
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import { ClusterMetadata } from '../../../src/cluster/cluster-metadata.js';

const dataDir = process.argv[2]!;
const md = await ClusterMetadata.open(dataDir, defaultBrokerConfig({ dataDir, shards: 2 }), { snapshotEveryRecords: 7 });
for (let i = 0; ; i++) {
  await md.createTopic(`k${i}`, { partitions: 1 + (i % 3), configs: { 'retention.ms': String(1000 + i) } });
  process.stdout.write(`k${i}\n`);
}
