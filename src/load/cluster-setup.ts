/**
 * The control-plane steps before and after a load run, over plain
 * KafkaConnections: create topics, read where partitions live (Metadata),
 * and read log start/end offsets (ListOffsets, sent to each partition's
 * leader). Works against any Kafka-compatible broker or cluster.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import { ErrorCode, errorName } from '../common/error-codes.js';
import type { HostPort } from './load-options.js';
import type { BrokerAddress } from './producer.js';

export interface TopicLayout {
  topic: string;
  /** Leader node id per partition. */
  partitionLeaders: number[];
}

export interface ClusterLayout {
  brokers: BrokerAddress[];
  topics: Map<string, TopicLayout>;
}

export class LoadSetupError extends Error {
  override name = 'LoadSetupError';
}

const ZERO_UUID = '0'.repeat(32);
/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** Connections by node id, opened on first use, closed together. */
export class BrokerConnections {
  private readonly conns = new Map<number, KafkaConnection>();
  constructor(private readonly clientId: string, private readonly brokers: () => BrokerAddress[]) {}

  async get(nodeId: number): Promise<KafkaConnection> {
    const have = this.conns.get(nodeId);
    if (have && !have.closed) return have;
    const b = this.brokers().find((x) => x.nodeId === nodeId);
    if (!b) throw new LoadSetupError(`node ${nodeId} is not in the metadata`);
    const conn = await KafkaConnection.open(b.host, b.port, this.clientId);
    await conn.negotiate();
    this.conns.set(nodeId, conn);
    return conn;
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

export async function openBootstrap(addr: HostPort, clientId: string): Promise<KafkaConnection> {
  let conn: KafkaConnection;
  try {
    conn = await KafkaConnection.open(addr.host, addr.port, clientId);
  } catch (err) {
    throw new LoadSetupError(`cannot connect to ${addr.host}:${addr.port}: ${(err as Error).message}`);
  }
  await conn.negotiate();
  return conn;
}

/** Create topics; ones that already exist are fine. */
export async function createTopics(conn: KafkaConnection, names: string[], partitions: number, replicationFactor: number, timeoutMs: number): Promise<void> {
  const v = conn.version('CreateTopics', 7, 0);
  const res = await conn.send('CreateTopics', v, {
    topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor, assignments: [], configs: [] })),
    timeoutMs,
    validateOnly: false,
  });
  for (const t of res.topics) {
    if (t.errorCode !== 0 && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new LoadSetupError(`create topic ${t.name}: ${errorName(t.errorCode)}${t.errorMessage ? ` (${t.errorMessage})` : ''}`);
    }
  }
}

/**
 * Metadata for `names`, retried until every partition has a leader or `waitMs` passes.
 * With `allowAutoCreate` the broker may create missing topics by its own policy, as it
 * does for any Kafka producer.
 */
export async function describeTopics(conn: KafkaConnection, names: string[], waitMs: number, allowAutoCreate = false): Promise<ClusterLayout> {
  const v = conn.version('Metadata', 12, 1);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const res = await conn.send('Metadata', v, {
      topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: allowAutoCreate,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const brokers = res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }));
    const topics = new Map<string, TopicLayout>();
    let problem: string | null = null;
    for (const name of names) {
      const t = res.topics.find((x) => x.name === name);
      if (!t || t.errorCode !== 0) { problem = `topic ${name}: ${t ? errorName(t.errorCode) : 'not in the metadata'}`; continue; }
      if (t.partitions.length === 0) { problem = `topic ${name} has no partitions`; continue; }
      const leaders = new Array<number>(t.partitions.length).fill(-1);
      for (const p of t.partitions) if (p.partitionIndex < leaders.length) leaders[p.partitionIndex] = p.errorCode === 0 ? p.leaderId : -1;
      const leaderless = leaders.indexOf(-1);
      if (leaderless >= 0) { problem = `topic ${name} partition ${leaderless} has no leader`; continue; }
      if (leaders.some((l) => !brokers.some((b) => b.nodeId === l))) { problem = `topic ${name} has a leader missing from the broker list`; continue; }
      topics.set(name, { topic: name, partitionLeaders: leaders });
    }
    if (!problem) return { brokers, topics };
    if (Date.now() >= deadline) {
      throw new LoadSetupError(`${problem}${problem.includes('UNKNOWN_TOPIC') ? ' (create it, or pass --create-topic)' : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Offsets per partition (`timestamp` LATEST_TIMESTAMP or EARLIEST_TIMESTAMP), asking each partition's leader. */
export async function listOffsets(conns: BrokerConnections, layout: TopicLayout, partitions: number[], timestamp: number): Promise<Map<number, number>> {
  const byLeader = new Map<number, number[]>();
  for (const p of partitions) {
    const l = layout.partitionLeaders[p]!;
    byLeader.set(l, [...(byLeader.get(l) ?? []), p]);
  }
  const out = new Map<number, number>();
  for (const [nodeId, parts] of byLeader) {
    const conn = await conns.get(nodeId);
    const v = conn.version('ListOffsets', 7, 1);
    const res = await conn.send('ListOffsets', v, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 30_000,
      topics: [{ name: layout.topic, partitions: parts.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp })) }],
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new LoadSetupError(`list offsets of ${layout.topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`);
        out.set(p.partitionIndex, p.offset);
      }
    }
  }
  for (const p of partitions) if (!out.has(p)) throw new LoadSetupError(`list offsets: no answer for ${layout.topic}-${p}`);
  return out;
}
