/**
 * The operator commands' view of a cluster, over plain KafkaConnections and
 * the generated codecs: bootstrap, Metadata (brokers, controller, topics),
 * one connection per broker opened on first use, partition leaders, the
 * group coordinator. Versions are negotiated per broker (ApiVersions), so
 * the commands work against any Kafka-compatible broker, not only Millrace.
 *
 * Requests that change the cluster go to the controller Metadata names (as
 * ZooKeeper-era Kafka requires; KRaft brokers forward them); partition reads
 * and writes to the partition leader; group requests to the coordinator.
 */
import { KafkaConnection, KafkaConnectionError } from '../client/kafka-connection.js';
import { ErrorCode } from '../common/error-codes.js';
import type { ApiName, MetadataResponse } from '../protocol/generated/index.js';
import { CliError, kafkaError, parseHostPort, EXIT_KAFKA } from './cli-support.js';

export interface BrokerInfo { nodeId: number; host: string; port: number }

export interface PartitionInfo {
  partition: number;
  errorCode: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string | null;
  errorCode: number;
  internal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterClientOptions {
  bootstrap: string;
  clientId: string;
  timeoutMs: number;
}

/** ListOffsets special timestamps. */
export const LATEST = -1;
export const EARLIEST = -2;
const ZERO_UUID = '0'.repeat(32);

export class ClusterClient {
  private readonly conns = new Map<number, KafkaConnection>();
  brokers = new Map<number, BrokerInfo>();
  controllerId = -1;
  clusterId: string | null = null;

  private constructor(readonly bootstrap: KafkaConnection, private readonly address: { host: string; port: number }, readonly options: ClusterClientOptions) {}

  /** Connects to the bootstrap broker and negotiates API versions. */
  static async connect(options: ClusterClientOptions): Promise<ClusterClient> {
    const addr = parseHostPort(options.bootstrap);
    const conn = await openConnection(addr.host, addr.port, options);
    return new ClusterClient(conn, addr, options);
  }

  /** Bounds a request by the --timeout. */
  request<T>(what: string, work: Promise<T>): Promise<T> {
    return withTimeout(work, this.options.timeoutMs, what);
  }

  /** The version to send `api` at on `conn` (at most ourMax, at least ourMin), or a clear error. */
  version(conn: KafkaConnection, api: ApiName, ourMax: number, ourMin = 0): number {
    try {
      return conn.version(api, ourMax, ourMin);
    } catch (err) {
      throw new CliError(`UNSUPPORTED_VERSION: ${(err as Error).message} (versions ${ourMin}-${ourMax} are needed); this command cannot run against this broker`, EXIT_KAFKA, 'UNSUPPORTED_VERSION');
    }
  }

  supports(conn: KafkaConnection, api: ApiName, ourMin = 0, ourMax = 0x7fff): boolean {
    try {
      conn.version(api, ourMax, ourMin);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Metadata for `topics` (null = every topic), never auto-creating (v4+;
   * older versions leave that to the broker's auto.create.topics.enable).
   */
  async metadata(topics: string[] | null): Promise<TopicMetadata[]> {
    const c = this.bootstrap;
    const v = this.version(c, 'Metadata', 12);
    const list = topics === null ? (v === 0 ? [] : null) : topics.map((name) => ({ name, topicId: ZERO_UUID }));
    const res: MetadataResponse = await this.request('Metadata', c.send('Metadata', v, {
      topics: list, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
    }));
    this.brokers = new Map(res.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]));
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    return res.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null,
      errorCode: t.errorCode,
      internal: t.isInternal,
      partitions: t.partitions.map((p) => ({
        partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId,
        replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas,
      })).sort((a, b) => a.partition - b.partition),
    }));
  }

  /** Metadata of one existing topic, or UNKNOWN_TOPIC_OR_PARTITION as a CliError. */
  async topic(name: string): Promise<TopicMetadata> {
    const [t] = await this.metadata([name]);
    if (!t) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw kafkaError(t.errorCode, `topic '${name}' does not exist`);
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) throw kafkaError(t.errorCode, `Metadata for topic '${name}'`);
    return t;
  }

  /** The connection to broker `nodeId` (the bootstrap connection when it is the same address). */
  async connection(nodeId: number): Promise<KafkaConnection> {
    const have = this.conns.get(nodeId);
    if (have && !have.closed) return have;
    const b = this.brokers.get(nodeId);
    if (!b) {
      if (this.brokers.size === 0 || nodeId < 0) return this.bootstrap;
      throw new CliError(`LEADER_NOT_AVAILABLE: broker ${nodeId} is not in the cluster metadata; retry in a moment`, EXIT_KAFKA, 'LEADER_NOT_AVAILABLE');
    }
    if (b.port === this.address.port && sameHost(b.host, this.address.host) && !this.bootstrap.closed) {
      this.conns.set(nodeId, this.bootstrap);
      return this.bootstrap;
    }
    const conn = await openConnection(b.host, b.port, this.options);
    this.conns.set(nodeId, conn);
    return conn;
  }

  /** Where requests that change the cluster go: the controller if Metadata names one, else the bootstrap broker. */
  async adminConnection(): Promise<KafkaConnection> {
    if (this.brokers.size === 0) await this.metadata([]);
    return this.controllerId >= 0 && this.brokers.has(this.controllerId) ? this.connection(this.controllerId) : this.bootstrap;
  }

  /** The group coordinator of `groupId` (FindCoordinator). */
  async coordinator(groupId: string): Promise<KafkaConnection> {
    const c = this.bootstrap;
    const v = this.version(c, 'FindCoordinator', 4);
    for (let attempt = 0; ; attempt++) {
      const res = await this.request('FindCoordinator', c.send('FindCoordinator', v, { key: groupId, keyType: 0, coordinatorKeys: [groupId] }));
      const r = v >= 4 ? res.coordinators[0] : res;
      if (!r) throw new CliError(`FindCoordinator for group '${groupId}' returned no coordinator`);
      const retriable = r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      if (retriable && attempt < 50) { await sleep(200); continue; }
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `finding the coordinator of group '${groupId}'`, r.errorMessage);
      if (!this.brokers.has(r.nodeId)) this.brokers.set(r.nodeId, { nodeId: r.nodeId, host: r.host, port: r.port });
      return this.connection(r.nodeId);
    }
  }

  /**
   * Log offsets (ListOffsets) of the given partitions for one timestamp
   * (LATEST, EARLIEST, or a time in ms), each asked of its leader. Returns
   * partition → offset (-1 when no record has that timestamp).
   */
  async listOffsets(topic: TopicMetadata, partitions: number[], timestamp: number): Promise<Map<number, number>> {
    const byLeader = new Map<number, number[]>();
    for (const p of partitions) {
      const info = topic.partitions.find((x) => x.partition === p);
      if (!info) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic '${topic.name}' does not exist (it has ${topic.partitions.length})`);
      if (info.leader < 0) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${p} of topic '${topic.name}' has no leader`);
      byLeader.set(info.leader, [...(byLeader.get(info.leader) ?? []), p]);
    }
    const out = new Map<number, number>();
    await Promise.all([...byLeader].map(async ([leader, parts]) => {
      const c = await this.connection(leader);
      const v = this.version(c, 'ListOffsets', 7, 1);
      const res = await this.request('ListOffsets', c.send('ListOffsets', v, {
        replicaId: -1, isolationLevel: 0,
        topics: [{ name: topic.name, partitions: parts.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      }));
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `ListOffsets for partition ${p.partitionIndex} of topic '${topic.name}'`);
          out.set(p.partitionIndex, p.offset);
        }
      }
    }));
    return out;
  }

  /**
   * Size on disk of each partition of `topic` (DescribeLogDirs to each
   * leader, summed over its log directories, future logs left out), or
   * null when a leader does not serve DescribeLogDirs.
   */
  async partitionSizes(topic: TopicMetadata): Promise<Map<number, number> | null> {
    const byLeader = new Map<number, number[]>();
    for (const p of topic.partitions) if (p.leader >= 0) byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p.partition]);
    const out = new Map<number, number>();
    const answered = await Promise.all([...byLeader].map(async ([leader, parts]) => {
      const c = await this.connection(leader);
      if (!this.supports(c, 'DescribeLogDirs', 1, 4)) return false;
      const res = await this.request('DescribeLogDirs', c.send('DescribeLogDirs', this.version(c, 'DescribeLogDirs', 4, 1), { topics: [{ topic: topic.name, partitions: parts }] }));
      if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, `DescribeLogDirs for topic '${topic.name}'`);
      for (const dir of res.results) {
        if (dir.errorCode !== ErrorCode.NONE) continue; // an offline log dir holds nothing readable
        for (const t of dir.topics) {
          if (t.name !== topic.name) continue;
          for (const p of t.partitions) if (!p.isFutureKey) out.set(p.partitionIndex, (out.get(p.partitionIndex) ?? 0) + p.partitionSize);
        }
      }
      return true;
    }));
    return answered.every(Boolean) ? out : null;
  }

  close(): void {
    for (const c of new Set([this.bootstrap, ...this.conns.values()])) c.close();
    this.conns.clear();
  }
}

function sameHost(a: string, b: string): boolean {
  const norm = (h: string): string => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h);
  return norm(a) === norm(b);
}

async function openConnection(host: string, port: number, o: ClusterClientOptions): Promise<KafkaConnection> {
  let conn: KafkaConnection;
  try {
    conn = await KafkaConnection.open(host, port, o.clientId, o.timeoutMs);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code ? `${e.code}` : e.message;
    throw new CliError(`NETWORK_EXCEPTION: cannot connect to ${host}:${port} (${why}); is a broker running there? Pass --bootstrap host:port`, EXIT_KAFKA, 'NETWORK_EXCEPTION');
  }
  try {
    await withTimeout(conn.negotiate(), o.timeoutMs, `ApiVersions to ${host}:${port}`);
  } catch (err) {
    conn.close();
    throw err instanceof CliError ? err : new CliError(`NETWORK_EXCEPTION: ${host}:${port} did not answer ApiVersions (${(err as Error).message}); is it a Kafka broker?`, EXIT_KAFKA, 'NETWORK_EXCEPTION');
  }
  return conn;
}

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(`REQUEST_TIMED_OUT: no answer to ${what} within ${ms} ms; check the broker, or raise --timeout`, EXIT_KAFKA, 'REQUEST_TIMED_OUT')), ms);
  });
  return Promise.race([work, timeout]).then(
    (v) => { clearTimeout(timer); return v; },
    (err: unknown) => {
      clearTimeout(timer);
      if (err instanceof KafkaConnectionError) throw new CliError(`NETWORK_EXCEPTION: ${what}: ${err.message}`, EXIT_KAFKA, 'NETWORK_EXCEPTION');
      throw err;
    },
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
