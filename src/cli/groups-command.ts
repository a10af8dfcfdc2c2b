/**
 * `millrace groups list | describe | reset-offsets | delete`: consumer-group
 * administration like Kafka's kafka-consumer-groups, over the Kafka protocol
 * (ListGroups on every broker, FindCoordinator, DescribeGroups, OffsetFetch,
 * ListOffsets, OffsetCommit at generation -1, DeleteGroups), so it works
 * against any Kafka-compatible broker given with --bootstrap.
 *
 * reset-offsets only prints its plan unless --execute is given, and (as in
 * Kafka) refuses a group that has active members: their next commit would
 * overwrite the reset anyway.
 */
import { Command, Option } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.js';
import { ErrorCode } from '../common/error-codes.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from '../coordinator/consumer-protocol.js';
import {
  CliError, action, addConnectionOptions, collect, colorsFor, kafkaError, parseIntOption, printJson, renderTable, usageError, usageExitCode,
  type ConnectionOptions,
} from './cli-support.js';
import { ClusterClient, EARLIEST, LATEST, sleep, type TopicMetadata } from './cluster-client.js';

async function withClient<T>(opts: ConnectionOptions, work: (c: ClusterClient) => Promise<T>): Promise<T> {
  const timeoutMs = parseIntOption('--timeout', opts.timeout, { min: 1 })!;
  const client = await ClusterClient.connect({ bootstrap: opts.bootstrap, clientId: opts.clientId, timeoutMs });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** Retries a coordinator request while the coordinator is loading or moving (as clients do). */
async function retrying<T>(work: () => Promise<{ value: T; errorCode: number }>): Promise<{ value: T; errorCode: number }> {
  for (let attempt = 0; ; attempt++) {
    const r = await work();
    const retriable = r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!retriable || attempt >= 50) return r;
    await sleep(200);
  }
}

// ------------------------------------------------------------------ list

interface GroupListing { groupId: string; protocolType: string; state: string | null; coordinator: number }

async function list(opts: ConnectionOptions & { state?: string[] }): Promise<void> {
  await withClient(opts, async (client) => {
    await client.metadata([]);
    const nodes = client.brokers.size > 0 ? [...client.brokers.keys()] : [-1];
    const wanted = (opts.state ?? []).map((s) => s.toLowerCase());
    const groups: GroupListing[] = [];
    // Each broker lists the groups it coordinates.
    await Promise.all(nodes.map(async (node) => {
      const c = await client.connection(node);
      const v = client.version(c, 'ListGroups', 4);
      const r = await retrying(async () => {
        const res = await client.request('ListGroups', c.send('ListGroups', v, { statesFilter: v >= 4 ? (opts.state ?? []) : [] }));
        return { value: res, errorCode: res.errorCode };
      });
      if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `ListGroups on broker ${node}`);
      for (const g of r.value.groups) groups.push({ groupId: g.groupId, protocolType: g.protocolType, state: v >= 4 ? g.groupState : null, coordinator: node });
    }));
    // Brokers before ListGroups v4 report no state: ask DescribeGroups.
    for (const g of groups.filter((x) => x.state === null)) g.state = (await describeGroup(client, g.groupId)).state;
    const rows = groups
      .filter((g) => wanted.length === 0 || wanted.includes((g.state ?? '').toLowerCase()))
      .sort((a, b) => a.groupId.localeCompare(b.groupId));
    if (opts.json) return printJson({ groups: rows.map(({ groupId, protocolType, state, coordinator }) => ({ groupId, protocolType, state, coordinator })) });
    if (rows.length === 0) { process.stdout.write('no groups\n'); return; }
    process.stdout.write(renderTable(['GROUP', 'STATE', 'PROTOCOL TYPE', 'COORDINATOR'], rows.map((g) => [g.groupId, g.state ?? '-', g.protocolType || '-', g.coordinator])));
  });
}

// ------------------------------------------------------------------ describe

interface MemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  assignment: { topic: string; partitions: number[] }[];
}

interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: MemberInfo[];
}

async function describeGroup(client: ClusterClient, groupId: string, coordinator?: KafkaConnection): Promise<GroupInfo> {
  const c = coordinator ?? await client.coordinator(groupId);
  const v = client.version(c, 'DescribeGroups', 5);
  const r = await retrying(async () => {
    const res = await client.request('DescribeGroups', c.send('DescribeGroups', v, { groups: [groupId], includeAuthorizedOperations: false }));
    const g = res.groups[0];
    if (!g) throw new CliError(`DescribeGroups for '${groupId}' returned no group`);
    return { value: g, errorCode: g.errorCode };
  });
  if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `describing group '${groupId}'`);
  const g = r.value;
  return {
    groupId,
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: g.protocolType === CONSUMER_PROTOCOL_TYPE
        ? (decodeAssignment(m.memberAssignment)?.assignedPartitions ?? []).map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }))
        : [],
    })),
  };
}

/** Committed offsets of a group: topic → partition → offset (OffsetFetch with all topics, v2+). */
async function committedOffsets(client: ClusterClient, c: KafkaConnection, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null = null): Promise<Map<string, Map<number, number>>> {
  const v = client.version(c, 'OffsetFetch', 8, topics === null ? 2 : 1);
  const r = await retrying(async () => {
    const res = await client.request('OffsetFetch', c.send('OffsetFetch', v, { groupId, topics, groups: [{ groupId, topics }], requireStable: false }));
    const g = v >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
    if (!g) throw new CliError(`OffsetFetch for group '${groupId}' returned no group`);
    const partitionError = g.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode;
    return { value: g.topics, errorCode: g.errorCode !== ErrorCode.NONE ? g.errorCode : (partitionError ?? ErrorCode.NONE) };
  });
  if (r.errorCode !== ErrorCode.NONE) throw kafkaError(r.errorCode, `reading the committed offsets of group '${groupId}'`);
  const out = new Map<string, Map<number, number>>();
  for (const t of r.value) {
    for (const p of t.partitions) {
      if (p.committedOffset < 0) continue;
      let m = out.get(t.name);
      if (!m) out.set(t.name, (m = new Map()));
      m.set(p.partitionIndex, p.committedOffset);
    }
  }
  return out;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

async function describe(groupId: string, opts: ConnectionOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const c = await client.coordinator(groupId);
    const [info, committed] = await Promise.all([describeGroup(client, groupId, c), committedOffsets(client, c, groupId)]);
    const owner = new Map<string, MemberInfo>();
    const topics = new Set(committed.keys());
    for (const m of info.members) {
      for (const a of m.assignment) {
        topics.add(a.topic);
        for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m);
      }
    }
    const rows: PartitionLag[] = [];
    const metadata = topics.size > 0 ? await client.metadata([...topics]) : [];
    for (const name of [...topics].sort()) {
      const shown = new Set<number>([...(committed.get(name)?.keys() ?? [])]);
      for (const key of owner.keys()) if (key.startsWith(`${name}\u0000`)) shown.add(Number(key.slice(name.length + 1)));
      const t = metadata.find((x) => x.name === name);
      const known = t && t.errorCode === ErrorCode.NONE ? [...shown].filter((p) => t.partitions.some((x) => x.partition === p)) : [];
      const ends = t && known.length > 0 ? await client.listOffsets(t, known, LATEST) : new Map<number, number>();
      for (const p of [...shown].sort((a, b) => a - b)) {
        const cur = committed.get(name)?.get(p) ?? null;
        const end = ends.get(p) ?? null;
        const m = owner.get(`${name}\u0000${p}`);
        rows.push({
          topic: name, partition: p, committedOffset: cur, logEndOffset: end,
          lag: cur !== null && end !== null ? Math.max(0, end - cur) : null,
          memberId: m?.memberId ?? null, clientId: m?.clientId ?? null, host: m?.host ?? null,
        });
      }
    }
    const totalLag = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
    if (opts.json) return printJson({ ...info, partitions: rows, totalLag });
    const col = colorsFor(process.stdout);
    process.stdout.write(`${col.bold('Group')} ${groupId}  state ${info.state}${info.protocolType ? `, protocol type ${info.protocolType}` : ''}${info.protocol ? `, assignor ${info.protocol}` : ''}, ${info.members.length} member${info.members.length === 1 ? '' : 's'}, total lag ${totalLag}\n\n`);
    const dash = (v: string | number | null): string | number => (v === null ? '-' : v);
    if (rows.length > 0) {
      process.stdout.write(renderTable(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
        rows.map((r) => [r.topic, r.partition, dash(r.committedOffset), dash(r.logEndOffset), dash(r.lag), dash(r.memberId), dash(r.host), dash(r.clientId)])));
    } else process.stdout.write('no committed offsets and no assignments\n');
    if (info.members.length > 0) {
      process.stdout.write(`\n${col.bold('Members')}\n`);
      process.stdout.write(renderTable(['CONSUMER-ID', 'INSTANCE-ID', 'HOST', 'CLIENT-ID', 'ASSIGNMENT'],
        info.members.map((m) => [m.memberId, m.groupInstanceId ?? '-', m.host, m.clientId,
          m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-'])));
    }
  });
}

// ------------------------------------------------------------------ reset-offsets

interface ResetOptions extends ConnectionOptions {
  topic?: string[];
  partition?: string[];
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: string;
  toDatetime?: string;
  execute?: boolean;
}

type Target = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: number } | { kind: 'datetime'; timestampMs: number };

function parseTarget(o: ResetOptions): Target {
  const chosen = [o.toEarliest, o.toLatest, o.toOffset !== undefined, o.toDatetime !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw usageError('give exactly one of --to-earliest, --to-latest, --to-offset <n>, --to-datetime <iso>');
  if (o.toEarliest) return { kind: 'earliest' };
  if (o.toLatest) return { kind: 'latest' };
  if (o.toOffset !== undefined) return { kind: 'offset', offset: parseIntOption('--to-offset', o.toOffset)! };
  const raw = o.toDatetime!;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw usageError(`--to-datetime ${JSON.stringify(raw)} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z) or epoch milliseconds`);
  return { kind: 'datetime', timestampMs: ms };
}

export interface ResetPlan { topic: string; partition: number; currentOffset: number | null; newOffset: number }

async function resetOffsets(groupId: string, opts: ResetOptions): Promise<void> {
  const target = parseTarget(opts);
  const topicNames = opts.topic ?? [];
  if (topicNames.length === 0) throw usageError('give the topic(s) to reset with --topic <name>');
  const onlyPartitions = (opts.partition ?? []).map((p) => parseIntOption('--partition', p)!);
  await withClient(opts, async (client) => {
    const c = await client.coordinator(groupId);
    const info = await describeGroup(client, groupId, c);
    if (info.state !== 'Empty' && info.state !== 'Dead') {
      throw new CliError(`group '${groupId}' is ${info.state} with ${info.members.length} member${info.members.length === 1 ? '' : 's'}; offsets can only be reset while the group is inactive (stop its consumers first)`);
    }
    const topics: TopicMetadata[] = [];
    for (const name of topicNames) topics.push(await client.topic(name));
    const committed = await committedOffsets(client, c, groupId, topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partition) })));
    const plan: ResetPlan[] = [];
    for (const t of topics) {
      const ids = t.partitions.map((p) => p.partition).filter((p) => onlyPartitions.length === 0 || onlyPartitions.includes(p));
      for (const p of onlyPartitions) if (!t.partitions.some((x) => x.partition === p)) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic '${t.name}' does not exist`);
      const [starts, ends] = await Promise.all([client.listOffsets(t, ids, EARLIEST), client.listOffsets(t, ids, LATEST)]);
      const byTime = target.kind === 'datetime' ? await client.listOffsets(t, ids, target.timestampMs) : null;
      for (const p of ids) {
        const start = starts.get(p)!;
        const end = ends.get(p)!;
        let next: number;
        switch (target.kind) {
          case 'earliest': next = start; break;
          case 'latest': next = end; break;
          // Out-of-range offsets are clamped into the log, as kafka-consumer-groups does.
          case 'offset': next = Math.min(Math.max(target.offset, start), end); break;
          case 'datetime': { const o = byTime!.get(p)!; next = o >= 0 ? o : end; break; }
        }
        plan.push({ topic: t.name, partition: p, currentOffset: committed.get(t.name)?.get(p) ?? null, newOffset: next });
      }
    }
    if (opts.execute) await commit(client, c, groupId, plan);
    if (opts.json) return printJson({ group: groupId, executed: opts.execute === true, offsets: plan });
    process.stdout.write(renderTable(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'],
      plan.map((r) => [r.topic, r.partition, r.currentOffset ?? '-', r.newOffset])));
    const col = colorsFor(process.stdout);
    process.stdout.write(opts.execute ? `\nreset ${plan.length} offset${plan.length === 1 ? '' : 's'} of group ${groupId}\n` : `\n${col.yellow('dry run')}: nothing changed; add --execute to commit these offsets\n`);
  });
}

async function commit(client: ClusterClient, c: KafkaConnection, groupId: string, plan: ResetPlan[]): Promise<void> {
  const v = client.version(c, 'OffsetCommit', 8, 2);
  const byTopic = new Map<string, ResetPlan[]>();
  for (const r of plan) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  const res = await client.request('OffsetCommit', c.send('OffsetCommit', v, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [...byTopic].map(([name, rows]) => ({
      name, partitions: rows.map((r) => ({ partitionIndex: r.partition, committedOffset: r.newOffset, committedLeaderEpoch: -1, committedMetadata: '' })),
    })),
  }));
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `committing the new offset of group '${groupId}' for ${t.name} partition ${p.partitionIndex}`);
    }
  }
}

// ------------------------------------------------------------------ delete

async function remove(groupIds: string[], opts: ConnectionOptions): Promise<void> {
  await withClient(opts, async (client) => {
    const results: { groupId: string; errorCode: number; error: string | null }[] = [];
    for (const groupId of groupIds) {
      const c = await client.coordinator(groupId);
      const v = client.version(c, 'DeleteGroups', 2);
      const r = await retrying(async () => {
        const res = await client.request('DeleteGroups', c.send('DeleteGroups', v, { groupsNames: [groupId] }));
        const x = res.results[0];
        return { value: x, errorCode: x?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR };
      });
      results.push({ groupId, errorCode: r.errorCode, error: r.errorCode === ErrorCode.NONE ? null : kafkaError(r.errorCode, `deleting group '${groupId}'`).message });
    }
    if (opts.json) printJson({ groups: results });
    else for (const r of results) process.stdout.write(r.error === null ? `deleted group ${r.groupId}\n` : '');
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) {
      const extra = failed.errorCode === ErrorCode.NON_EMPTY_GROUP ? '; stop its consumers first' : '';
      throw kafkaError(failed.errorCode, `deleting group '${failed.groupId}'${extra}`);
    }
  });
}

export function registerGroupsCommand(program: Command): void {
  const groups = usageExitCode(program.command('groups').description('list, describe, reset and delete consumer groups (any Kafka-compatible broker)'));
  addConnectionOptions(groups.command('list').alias('ls').description('list consumer groups with their state'))
    .option('-s, --state <state>', 'only groups in this state: Empty, PreparingRebalance, CompletingRebalance, Stable, Dead (repeatable)', collect, [])
    .action(action('groups list', (opts: ConnectionOptions & { state?: string[] }) => list(opts)));
  addConnectionOptions(groups.command('describe').argument('<group>').description('members, assignments, committed offsets, log end and lag per partition'))
    .action(action('groups describe', (group: string, opts: ConnectionOptions) => describe(group, opts)));
  addConnectionOptions(groups.command('reset-offsets').argument('<group>').description('move an inactive group\'s committed offsets (prints the plan; --execute commits it)'))
    .option('-t, --topic <topic>', 'topic whose offsets to reset (repeatable; required)', collect, [])
    .option('-p, --partition <n>', 'only this partition (repeatable; default: all)', collect, [])
    .addOption(new Option('--to-earliest', 'to the log start offset'))
    .addOption(new Option('--to-latest', 'to the log end offset (skip everything)'))
    .addOption(new Option('--to-offset <n>', 'to this offset (clamped into the log)'))
    .addOption(new Option('--to-datetime <time>', 'to the first record at or after this ISO 8601 time or epoch milliseconds'))
    .option('--execute', 'commit the new offsets (without it: a dry run)')
    .action(action('groups reset-offsets', (group: string, opts: ResetOptions) => resetOffsets(group, opts)));
  addConnectionOptions(groups.command('delete').alias('rm').argument('<groups...>').description('delete inactive groups and their committed offsets'))
    .action(action('groups delete', (names: string[], opts: ConnectionOptions) => remove(names, opts)));
}
