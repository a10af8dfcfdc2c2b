/**
 * `millrace consume <topic>`: prints a topic's records (key, value, headers,
 * offset, timestamp) from any Kafka-compatible broker.
 *
 * Where each partition starts: --from-beginning, --offset N (N < 0: N
 * before the end), --from-time ISO (ListOffsets by timestamp), else the
 * group's committed offset with --group, else the log start. It stops at the
 * end offsets read when it started, after --max records, after --idle-timeout
 * without records, or on Ctrl-C; --follow keeps waiting for new records
 * instead of stopping at the end.
 *
 * --group G is a "simple" consumer group: the committed offsets come from
 * OffsetFetch and positions are committed with OffsetCommit at generation -1
 * (as Kafka allows for a group without members) every second and on exit.
 * It does not join the group, so partitions are not shared with other
 * members; a group that has active members refuses the commit.
 *
 * Compressed batches are decompressed here; control batches (transaction
 * markers) are skipped. Output: --format text (one readable line per record)
 * or json (one object per line, the shape `millrace produce --format json`
 * reads).
 */
import { Command, Option } from 'commander';
import { decompress } from '../compression/codec.js';
import { ErrorCode } from '../common/error-codes.js';
import { decodeRecords, type DecodedRecord } from '../protocol/record-batch/index.js';
import {
  ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, CONTROL_MASK, LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_OFFSET,
  batchSize, lastOffset, magic,
} from '../protocol/record-batch/record-batch-header.js';
import type { KafkaConnection } from '../client/kafka-connection.js';
import {
  CliError, action, addConnectionOptions, collect, colorsFor, kafkaError, parseIntOption, usageError, usageExitCode,
  type ConnectionOptions,
} from './cli-support.js';
import { ClusterClient, EARLIEST, LATEST, sleep, type TopicMetadata } from './cluster-client.js';
import type { ValueEncoding } from './produce-command.js';

interface ConsumeOptions extends ConnectionOptions {
  partition?: string[];
  group?: string;
  fromBeginning?: boolean;
  offset?: string;
  fromTime?: string;
  max?: string;
  format: 'text' | 'json';
  follow?: boolean;
  encoding: ValueEncoding;
  idleTimeout?: string;
  commit: boolean;
  quiet?: boolean;
}

interface PartitionState {
  partition: number;
  leader: number;
  /** Next offset to print (the position committed with --group). */
  next: number;
  /** Log end when the command started (stop there unless --follow). */
  end: number;
  done: boolean;
  committed: number;
}

/** Records of the v2 batches in a fetch response at or after `fetchOffset`, and the offset to fetch next. */
export function decodeFetched(buf: Buffer, fetchOffset: number): { records: DecodedRecord[]; next: number } {
  const records: DecodedRecord[] = [];
  let next = fetchOffset;
  for (let pos = 0; pos + LOG_OVERHEAD <= buf.length;) {
    const size = batchSize(buf, pos);
    if (size < BATCH_HEADER_SIZE || pos + size > buf.length) break; // a partial batch at the end of the response
    if (magic(buf, pos) !== 2) {
      throw new CliError(`CORRUPT_MESSAGE: offset ${next} is in message format v${magic(buf, pos)}; this command reads record batches (v2, Kafka 0.11+) only`);
    }
    const last = lastOffset(buf, pos);
    const attrs = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
    if ((attrs & CONTROL_MASK) === 0 && last >= next) {
      let batch = buf;
      let at = pos;
      const codec = attrs & 0x07;
      if (codec !== 0) {
        let body: Buffer;
        try {
          body = decompress(codec, buf.subarray(pos + RECORDS_OFFSET, pos + size));
        } catch (e) {
          throw new CliError(`CORRUPT_MESSAGE: the batch at offsets up to ${last} does not decompress (${(e as Error).message})`);
        }
        batch = Buffer.allocUnsafe(RECORDS_OFFSET + body.length);
        buf.copy(batch, 0, pos, pos + RECORDS_OFFSET);
        body.copy(batch, RECORDS_OFFSET);
        batch.writeInt16BE(attrs & ~0x07, ATTRIBUTES_OFFSET);
        batch.writeInt32BE(batch.length - LOG_OVERHEAD, LENGTH_OFFSET);
        at = 0;
      }
      for (const r of decodeRecords(batch, at)) if (r.offset >= next) records.push(r);
    }
    next = Math.max(next, last + 1);
    pos += size;
  }
  return { records, next };
}

function encodeBytes(b: Buffer | null, encoding: ValueEncoding): string | null {
  return b === null ? null : b.toString(encoding);
}

export function recordJson(topic: string, partition: number, r: DecodedRecord, encoding: ValueEncoding): string {
  return JSON.stringify({
    topic, partition, offset: r.offset, timestamp: r.timestamp,
    key: encodeBytes(r.key, encoding), value: encodeBytes(r.value, encoding),
    headers: r.headers.map((h) => ({ key: h.key, value: encodeBytes(h.value, encoding) })),
  });
}

function isoTime(ms: number): string {
  return ms >= 0 && ms < 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

function parseStartTime(s: string): number {
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(ms) || ms < 0) throw usageError(`--from-time ${JSON.stringify(s)} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z) or milliseconds since the epoch`);
  return ms;
}

async function consume(topic: string, opts: ConsumeOptions): Promise<void> {
  const timeoutMs = parseIntOption('--timeout', opts.timeout, { min: 1 })!;
  const max = parseIntOption('--max', opts.max, { min: 1 }) ?? Infinity;
  const idleMs = parseIntOption('--idle-timeout', opts.idleTimeout, { min: 1 }) ?? Infinity;
  const wanted = (opts.partition ?? []).map((p) => parseIntOption('--partition', p, { min: 0, max: 0x7fffffff })!);
  const startFlags = [opts.fromBeginning && '--from-beginning', opts.offset !== undefined && '--offset', opts.fromTime !== undefined && '--from-time'].filter(Boolean);
  if (startFlags.length > 1) throw usageError(`${startFlags.join(' and ')} cannot be combined; pick one start position`);
  const offsetFlag = opts.offset === undefined ? undefined : parseIntOption('--offset', opts.offset, { min: -Number.MAX_SAFE_INTEGER });
  const fromTime = opts.fromTime === undefined ? undefined : parseStartTime(opts.fromTime);
  if (opts.group !== undefined && !opts.group.trim()) throw usageError('--group must not be empty');
  const json = opts.format === 'json' || opts.json === true;
  const encoding = opts.encoding;

  const client = await ClusterClient.connect({ bootstrap: opts.bootstrap, clientId: opts.clientId, timeoutMs });
  let stopping = false;
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130); // a second Ctrl-C: leave at once
    interrupted = true;
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let pipeClosed = false;
  const onStdoutError = (e: NodeJS.ErrnoException): void => {
    if (e.code === 'EPIPE') { pipeClosed = true; stopping = true; }
  };
  process.stdout.on('error', onStdoutError);
  let printed = 0;
  let states: PartitionState[] = [];
  let coordinator: KafkaConnection | null = null;
  try {
    let t = await client.topic(topic);
    const all = t.partitions.map((p) => p.partition);
    for (const p of wanted) {
      if (!all.includes(p)) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${p} of topic '${topic}' does not exist (it has ${all.length})`);
    }
    const ids = wanted.length > 0 ? [...new Set(wanted)] : all;
    const [starts, ends] = await Promise.all([client.listOffsets(t, ids, EARLIEST), client.listOffsets(t, ids, LATEST)]);
    const committed = new Map<number, number>();
    if (opts.group !== undefined) {
      coordinator = await client.coordinator(opts.group);
      for (const [p, o] of await fetchCommitted(client, coordinator, opts.group, topic, ids)) committed.set(p, o);
    }
    const byTime = fromTime !== undefined ? await client.listOffsets(t, ids, fromTime) : null;
    states = ids.map((p) => {
      const start = starts.get(p)!;
      const end = ends.get(p)!;
      let next: number;
      if (opts.fromBeginning) next = start;
      else if (offsetFlag !== undefined && offsetFlag >= 0) {
        if (offsetFlag < start || offsetFlag > end) {
          throw kafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `--offset ${offsetFlag} is outside partition ${p} (offsets ${start}..${end})`);
        }
        next = offsetFlag;
      } else if (offsetFlag !== undefined) next = Math.max(start, end + offsetFlag);
      else if (byTime) next = byTime.get(p)! >= 0 ? byTime.get(p)! : end;
      else if ((committed.get(p) ?? -1) >= 0) next = Math.min(Math.max(committed.get(p)!, start), end);
      else next = start;
      const leader = t.partitions.find((x) => x.partition === p)!.leader;
      return { partition: p, leader, next, end, done: !opts.follow && next >= end, committed: committed.get(p) ?? -1 };
    });

    const c = colorsFor(process.stdout);
    const print = (p: number, r: DecodedRecord): string => {
      if (json) return recordJson(topic, p, r, encoding) + '\n';
      const headers = r.headers.length ? ` ${c.cyan(`[${r.headers.map((h) => `${h.key}=${h.value === null ? 'null' : h.value.toString()}`).join(' ')}]`)}` : '';
      return `${c.dim(`${p}:${r.offset} ${isoTime(r.timestamp)}`)} ${c.yellow(`key=${r.key === null ? 'null' : r.key.toString()}`)}${headers} ${r.value === null ? c.dim('null') : r.value.toString()}\n`;
    };

    let lastCommitMs = Date.now();
    let lastRecordMs = Date.now();
    const commit = async (): Promise<void> => {
      if (!coordinator || !opts.commit) return;
      const changed = states.filter((s) => s.next !== s.committed);
      if (changed.length === 0) return;
      await commitOffsets(client, coordinator, opts.group!, topic, changed.map((s) => [s.partition, s.next]));
      for (const s of changed) s.committed = s.next;
    };

    let retries = 0;
    while (!stopping && printed < max && states.some((s) => !s.done)) {
      const active = states.filter((s) => !s.done);
      const byLeader = new Map<number, PartitionState[]>();
      for (const s of active) byLeader.set(s.leader, [...(byLeader.get(s.leader) ?? []), s]);
      let refresh = false;
      const results = await Promise.all([...byLeader].map(async ([leader, parts]) => {
        const conn = await client.connection(leader);
        const v = client.version(conn, 'Fetch', 12, 4);
        const res = await client.request('Fetch', conn.send('Fetch', v, {
          replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 16 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, partitions: parts.map((s) => ({ partition: s.partition, currentLeaderEpoch: -1, fetchOffset: s.next, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 })) }],
          forgottenTopicsData: [], rackId: '',
        }));
        return res.responses.flatMap((r) => r.partitions);
      }));
      for (const pr of results.flat().sort((a, b) => a.partitionIndex - b.partitionIndex)) {
        const s = states.find((x) => x.partition === pr.partitionIndex);
        if (!s || s.done) continue;
        if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && pr.logStartOffset > s.next) {
          process.stderr.write(`partition ${s.partition}: offsets ${s.next}..${pr.logStartOffset - 1} were deleted (retention); continuing at ${pr.logStartOffset}\n`);
          s.next = pr.logStartOffset;
          continue;
        }
        const retriable = pr.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || pr.errorCode === ErrorCode.LEADER_NOT_AVAILABLE
          || pr.errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH || pr.errorCode === ErrorCode.FENCED_LEADER_EPOCH;
        if (retriable) { refresh = true; continue; }
        if (pr.errorCode !== ErrorCode.NONE) throw kafkaError(pr.errorCode, `fetching partition ${s.partition} of topic '${topic}' at offset ${s.next}`);
        if (pr.records && pr.records.length > 0) {
          const { records, next } = decodeFetched(pr.records, s.next);
          let out = '';
          let stoppedEarly = false;
          for (const r of records) {
            out += print(s.partition, r);
            printed++;
            s.next = r.offset + 1;
            if (printed >= max) { stoppedEarly = true; break; }
          }
          if (!stoppedEarly) s.next = Math.max(s.next, next);
          if (records.length > 0) lastRecordMs = Date.now();
          if (out && !pipeClosed) {
            if (!process.stdout.write(out)) await new Promise<void>((r) => { process.stdout.once('drain', r); process.stdout.once('error', () => r()); });
          }
          if (printed >= max) break;
        }
        if (!opts.follow && s.next >= s.end) s.done = true;
      }
      if (refresh) {
        if (++retries > 50) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partitions of topic '${topic}' have no leader`);
        await sleep(200);
        t = await client.topic(topic);
        for (const s of states) s.leader = t.partitions.find((x) => x.partition === s.partition)?.leader ?? s.leader;
      } else retries = 0;
      if (Date.now() - lastCommitMs >= 1000) {
        await commit();
        lastCommitMs = Date.now();
      }
      if (Date.now() - lastRecordMs >= idleMs) break;
    }
    await commit();
    if (!opts.quiet && !json) {
      const group = opts.group !== undefined && opts.commit ? `; committed for group ${opts.group}` : '';
      process.stderr.write(`consumed ${printed} record${printed === 1 ? '' : 's'} from ${topic}${group}${interrupted ? ' (interrupted)' : ''}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
    client.close();
  }
}

async function fetchCommitted(client: ClusterClient, c: KafkaConnection, groupId: string, topic: string, partitions: number[]): Promise<Map<number, number>> {
  const v = client.version(c, 'OffsetFetch', 8, 1);
  const topics = [{ name: topic, partitionIndexes: partitions }];
  for (let attempt = 0; ; attempt++) {
    const res = await client.request('OffsetFetch', c.send('OffsetFetch', v, { groupId, topics, groups: [{ groupId, topics }], requireStable: false }));
    const g = v >= 8 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
    if (!g) throw new CliError(`OffsetFetch for group '${groupId}' returned no group`);
    if (g.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && attempt < 50) { await sleep(200); continue; }
    if (g.errorCode !== ErrorCode.NONE) throw kafkaError(g.errorCode, `reading the committed offsets of group '${groupId}'`);
    const out = new Map<number, number>();
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `reading the committed offset of group '${groupId}' for partition ${p.partitionIndex}`);
        out.set(p.partitionIndex, p.committedOffset);
      }
    }
    return out;
  }
}

async function commitOffsets(client: ClusterClient, c: KafkaConnection, groupId: string, topic: string, offsets: [number, number][]): Promise<void> {
  const v = client.version(c, 'OffsetCommit', 8, 2);
  const res = await client.request('OffsetCommit', c.send('OffsetCommit', v, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: topic, partitions: offsets.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: '' })) }],
  }));
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw kafkaError(p.errorCode, `committing offsets of group '${groupId}' for partition ${p.partitionIndex}`);
    }
  }
}

export function registerConsumeCommand(program: Command): void {
  addConnectionOptions(usageExitCode(program.command('consume')))
    .argument('<topic>')
    .description('print records (key, value, headers, offset, timestamp); stops at the end unless --follow')
    .option('-p, --partition <n>', 'read only this partition (repeatable; default: all)', collect, [])
    .option('-g, --group <id>', 'start at the group\'s committed offsets and commit progress (a simple group: no membership)')
    .option('--from-beginning', 'start at the log start of each partition')
    .option('-o, --offset <n>', 'start at offset n (n < 0: n records before the end)')
    .option('--from-time <time>', 'start at the first record at or after this ISO 8601 time or epoch milliseconds')
    .option('-n, --max <n>', 'stop after n records')
    .option('-f, --follow', 'keep waiting for new records at the end (stop with Ctrl-C)')
    .option('--idle-timeout <ms>', 'stop after this long without a record')
    .addOption(new Option('--format <format>', 'output: text (readable lines) or json (one object per line)').choices(['text', 'json']).default('text'))
    .addOption(new Option('--encoding <encoding>', 'json: how key, value and header values are printed').choices(['utf8', 'base64', 'hex']).default('utf8'))
    .option('--no-commit', 'with --group: read the committed offsets but do not commit')
    .option('-q, --quiet', 'no summary line on stderr')
    .action(action('consume', (topic: string, opts: ConsumeOptions) => consume(topic, opts)));
}

export type { TopicMetadata };
