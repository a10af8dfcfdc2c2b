/**
 * Partition directories and their ownership. Each `<topic>-<partition>/`
 * holds a `partition.metadata` file with the topic id (as Kafka does), so a
 * directory left behind by a deleted topic is never mistaken for a new topic
 * of the same name. Runs at start-up, before any shard opens a log.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterMetadata } from '../cluster/cluster-metadata.js';
import { METADATA_DIR_NAME } from '../cluster/metadata-log.js';
import { logger } from '../common/logger.js';

const OWNER_FILE = 'partition.metadata';

function ownerOf(dir: string): string | null {
  try {
    return /topic_id:\s*([0-9a-f]{32})/.exec(readFileSync(join(dir, OWNER_FILE), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Makes `dir` belong to `topicId`: removes a stale directory of an older topic with the same name. */
export function claimPartitionDir(dir: string, topicId: string): void {
  const owner = existsSync(dir) ? ownerOf(dir) : null;
  if (owner !== null && owner !== topicId) {
    logger.warn({ dir, owner, topicId }, 'removing partition directory of a deleted topic');
    rmSync(dir, { recursive: true, force: true });
  }
  if (owner !== topicId) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, OWNER_FILE), `version: 0\ntopic_id: ${topicId}\n`);
  }
}

/** Removes partition directories of topics or partitions the metadata no longer has (a crash mid-delete). */
export async function removeOrphanPartitionDirs(dataDir: string, metadata: ClusterMetadata): Promise<void> {
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === METADATA_DIR_NAME) continue;
    const m = /^(.+)-(\d+)$/.exec(entry.name);
    if (!m) continue;
    const topic = metadata.topic(m[1]!);
    const dir = join(dataDir, entry.name);
    const owner = ownerOf(dir);
    if (!topic || Number(m[2]) >= topic.partitions || (owner !== null && owner !== topic.topicId)) {
      logger.warn({ dir }, 'removing orphan partition directory');
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
