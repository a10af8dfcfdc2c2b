/**
 * The engine (dispatcher thread): routes each partition to the shard that
 * owns it, opens and deletes partition logs as topics come and go, and runs
 * retention. Partition → shard comes from the cluster metadata, where it is
 * recorded at topic creation so it survives restarts.
 */
import { join } from 'node:path';
import { logger } from '../common/logger.js';
import type { LogConfig } from '../storage/log-config.js';
import type { RecoveryHints } from '../storage/partition-log.js';
import { claimPartitionDir } from './partition-dirs.js';
import { partitionKey, type PartitionKey, type Shard } from './shard.js';

export interface Route {
  shard: Shard;
  key: PartitionKey;
}

export class Engine {
  private readonly routes = new Map<PartitionKey, Route>();
  /** Deletions still removing files; a re-created partition of the same name waits for them. */
  private readonly deleting = new Map<PartitionKey, Promise<void>>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly log = logger.child({ component: 'engine' });

  /** The directory of a partition's log. */
  partitionDir(topic: string, partition: number): string {
    return join(this.dataDir, partitionKey(topic, partition));
  }

  constructor(readonly shards: Shard[], private readonly dataDir: string) {
    for (const s of shards) s.onDecongested?.(() => this.relieved());
  }

  route(topic: string, partition: number): Route | undefined {
    return this.routes.get(partitionKey(topic, partition));
  }

  onData(listener: (key: PartitionKey) => void): void {
    for (const s of this.shards) s.onData(listener);
  }

  /** True while any shard has more queued work than its ring can take (backpressure). */
  congested(): boolean {
    return this.shards.some((s) => s.congested === true);
  }

  /** Calls `resume` once no shard is congested any more. */
  whenRelieved(resume: () => void): void {
    this.relief.push(resume);
  }

  private readonly relief: (() => void)[] = [];

  private relieved(): void {
    if (this.congested()) return;
    for (const r of this.relief.splice(0)) r();
  }

  shardCount(): number {
    return this.shards.length;
  }

  async openPartition(topic: string, topicId: string, partition: number, shardId: number, config: LogConfig, hints?: RecoveryHints): Promise<void> {
    const key = partitionKey(topic, partition);
    if (this.routes.has(key)) return;
    await this.deleting.get(key);
    if (this.routes.has(key)) return;
    const shard = this.shards[shardId % this.shards.length]!;
    const dir = this.partitionDir(topic, partition);
    claimPartitionDir(dir, topicId);
    await shard.openPartition(key, dir, config, hints);
    this.routes.set(key, { shard, key });
  }

  async deletePartition(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    const route = this.routes.get(key);
    if (!route) return;
    this.routes.delete(key);
    const done = Promise.resolve(route.shard.deletePartition(key)).finally(() => this.deleting.delete(key));
    this.deleting.set(key, done);
    await done;
  }

  updateConfig(topic: string, partitions: number, config: LogConfig): void {
    for (let p = 0; p < partitions; p++) this.route(topic, p)?.shard.updatePartitionConfig(partitionKey(topic, p), config);
  }

  startRetention(intervalMs: number): void {
    this.retentionTimer = setInterval(() => {
      const now = Date.now();
      for (const s of this.shards) {
        Promise.resolve(s.applyRetention(now)).catch((err: Error) => this.log.error({ shard: s.id, err: err.message }, 'retention failed'));
      }
    }, intervalMs);
    this.retentionTimer.unref();
  }

  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
