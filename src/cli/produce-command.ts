/**
 * `millrace produce <topic>`: records from stdin, one per line, to any
 * Kafka-compatible broker.
 *
 * All of stdin is read, parsed, partitioned and encoded into record batches
 * (compressed if asked) before the first Produce request, so malformed
 * input, an unknown topic or partition, or a record over the topic's
 * max.message.bytes fails with nothing written. A broker error part-way
 * (e.g. a disk failure) stops at that partition; the report then says what
 * was written.
 *
 * Formats:
 *   text  each non-empty line is a value (bytes as given); with
 *         --key-separator the part before the first separator is the key.
 *   json  each non-empty line is {"key", "value", "headers", "partition",
 *         "timestamp"} — the shape `millrace consume --format json` prints
 *         ("topic" and "offset" are accepted and ignored), so the two pipe
 *         together. --encoding base64|hex for binary keys and values.
 *
 * Partitioning: --partition, else the record's "partition", else Kafka's
 * default partitioner for keyed records (murmur2), else round-robin.
 */
import { Command, Option } from 'commander';
import { compress, compressionTypeFromName, CompressionType } from '../compression/codec.js';
import { ErrorCode } from '../common/error-codes.js';
import { partitionForKey } from '../load/key-distribution.js';
import { batchSizeOf, buildBatch, batchCrc32c, type RecordInput } from '../protocol/record-batch/index.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, RECORDS_OFFSET } from '../protocol/record-batch/record-batch-header.js';
import {
  action, addConnectionOptions, collect, kafkaError, parseIntOption, parseKeyValues, printJson, usageError, usageExitCode,
  type ConnectionOptions,
} from './cli-support.js';
import { ClusterClient } from './cluster-client.js';
import { describeTopicConfigs } from './topics-command.js';

export type ValueEncoding = 'utf8' | 'base64' | 'hex';

interface ProduceOptions extends ConnectionOptions {
  format: 'text' | 'json';
  keySeparator?: string;
  partition?: string;
  header?: string[];
  encoding: ValueEncoding;
  acks: string;
  compression: string;
  batchBytes: string;
}

interface Header { key: string; value: Buffer | null }

export interface ParsedRecord {
  /** 1-based input line. */
  line: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  partition: number | null;
  timestamp: number | null;
}

/** Input that cannot be produced: line number and why. */
export class InputError extends Error {
  constructor(readonly line: number, reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

/** Lines of `input` (LF or CRLF) as [1-based line number, bytes], skipping empty ones. */
export function splitLines(input: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  let start = 0;
  for (let line = 1; start < input.length; line++) {
    let end = input.indexOf(0x0a, start);
    if (end < 0) end = input.length;
    let stop = end;
    if (stop > start && input[stop - 1] === 0x0d) stop--;
    if (stop > start) out.push([line, input.subarray(start, stop)]);
    start = end + 1;
  }
  return out;
}

export function parseTextLines(input: Buffer, keySeparator: string | undefined, headers: Header[]): ParsedRecord[] {
  const sep = keySeparator === undefined ? null : Buffer.from(keySeparator);
  return splitLines(input).map(([line, bytes]) => {
    if (!sep) return { line, key: null, value: bytes, headers, partition: null, timestamp: null };
    const i = bytes.indexOf(sep);
    if (i < 0) throw new InputError(line, `no key separator ${JSON.stringify(keySeparator)} (every line must be key${keySeparator}value)`);
    return { line, key: bytes.subarray(0, i), value: bytes.subarray(i + sep.length), headers, partition: null, timestamp: null };
  });
}

const JSON_FIELDS = new Set(['key', 'value', 'headers', 'partition', 'timestamp', 'topic', 'offset']);

function decodeField(line: number, field: string, v: unknown, encoding: ValueEncoding): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') {
    if (encoding !== 'utf8') throw new InputError(line, `"${field}" must be a ${encoding} string or null`);
    return Buffer.from(JSON.stringify(v)); // objects, numbers and booleans are written as their JSON text
  }
  if (encoding === 'utf8') return Buffer.from(v, 'utf8');
  const ok = encoding === 'hex' ? /^(?:[0-9a-fA-F]{2})*$/.test(v) : /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) && v.replace(/=+$/, '').length % 4 !== 1;
  if (!ok) throw new InputError(line, `"${field}" is not valid ${encoding}`);
  return Buffer.from(v, encoding);
}

export function parseJsonLines(input: Buffer, encoding: ValueEncoding): ParsedRecord[] {
  return splitLines(input).map(([line, bytes]) => {
    const text = bytes.toString('utf8');
    if (!text.trim()) return null;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw new InputError(line, `not valid JSON (${(e as Error).message})`);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new InputError(line, 'must be a JSON object like {"key": "k", "value": "v"}');
    const rec = o as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (!JSON_FIELDS.has(k)) throw new InputError(line, `unknown field "${k}" (known: key, value, headers, partition, timestamp)`);
    }
    let partition: number | null = null;
    if (rec.partition !== undefined && rec.partition !== null) {
      if (!Number.isInteger(rec.partition) || (rec.partition as number) < 0) throw new InputError(line, `"partition" must be a non-negative integer`);
      partition = rec.partition as number;
    }
    let timestamp: number | null = null;
    if (rec.timestamp !== undefined && rec.timestamp !== null) {
      const t = typeof rec.timestamp === 'string' ? Date.parse(rec.timestamp) : rec.timestamp;
      if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) throw new InputError(line, `"timestamp" must be milliseconds since the epoch or an ISO 8601 time`);
      timestamp = t;
    }
    const headers: Header[] = [];
    const h = rec.headers;
    if (Array.isArray(h)) {
      for (const x of h) {
        if (x === null || typeof x !== 'object' || typeof (x as { key?: unknown }).key !== 'string') {
          throw new InputError(line, `"headers" entries must be {"key": string, "value": string|null}`);
        }
        headers.push({ key: (x as { key: string }).key, value: decodeField(line, `header ${(x as { key: string }).key}`, (x as { value?: unknown }).value, encoding) });
      }
    } else if (h !== undefined && h !== null) {
      if (typeof h !== 'object') throw new InputError(line, `"headers" must be an object or an array of {"key", "value"}`);
      for (const [k, v] of Object.entries(h)) headers.push({ key: k, value: decodeField(line, `header ${k}`, v, encoding) });
    }
    return { line, key: decodeField(line, 'key', rec.key, encoding), value: decodeField(line, 'value', rec.value, encoding), headers, partition, timestamp };
  }).filter((r): r is ParsedRecord => r !== null);
}

/** Compresses the records section of an uncompressed batch and fixes its attributes, length and CRC. */
export function compressBatch(batch: Buffer, codec: CompressionType): Buffer {
  if (codec === CompressionType.None) return batch;
  const body = compress(codec, batch.subarray(RECORDS_OFFSET));
  const out = Buffer.allocUnsafe(RECORDS_OFFSET + body.length);
  batch.copy(out, 0, 0, RECORDS_OFFSET);
  body.copy(out, RECORDS_OFFSET);
  out.writeInt16BE((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~0x07) | codec, ATTRIBUTES_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, LENGTH_OFFSET);
  out.writeUInt32BE(batchCrc32c(out, 0, out.length), CRC_OFFSET);
  return out;
}

interface PlannedBatch { partition: number; records: number; bytes: Buffer; firstLine: number }

/** Groups records into batches per partition (input order kept), each at most batchBytes unless one record is larger. */
export function planBatches(records: ParsedRecord[], partitionOf: (r: ParsedRecord) => number, batchBytes: number, codec: CompressionType, maxBatchBytes: number): Map<number, PlannedBatch[]> {
  const now = Date.now();
  const toInput = (r: ParsedRecord): RecordInput => ({ key: r.key, value: r.value, headers: r.headers, ...(r.timestamp !== null ? { timestamp: r.timestamp } : {}) });
  const open = new Map<number, { inputs: RecordInput[]; size: number; firstLine: number }>();
  const out = new Map<number, PlannedBatch[]>();
  const seal = (p: number): void => {
    const b = open.get(p);
    if (!b || b.inputs.length === 0) return;
    open.delete(p);
    const bytes = compressBatch(buildBatch(b.inputs, { timestampMs: now }), codec);
    if (bytes.length > maxBatchBytes) {
      throw new InputError(b.firstLine, b.inputs.length === 1
        ? `the record is ${bytes.length} bytes as a batch, over the topic's max.message.bytes ${maxBatchBytes}`
        : `a batch of ${b.inputs.length} records is ${bytes.length} bytes, over max.message.bytes ${maxBatchBytes}; lower --batch-bytes`);
    }
    out.set(p, [...(out.get(p) ?? []), { partition: p, records: b.inputs.length, bytes, firstLine: b.firstLine }]);
  };
  // Batches are sized uncompressed, which bounds them below the broker's limit whatever the codec does.
  const limit = Math.min(batchBytes, maxBatchBytes);
  for (const r of records) {
    const p = partitionOf(r);
    const input = toInput(r);
    const size = batchSizeOf([input], { timestampMs: now }) - RECORDS_OFFSET;
    const b = open.get(p);
    if (b && b.size + size > limit) seal(p);
    const cur = open.get(p) ?? { inputs: [], size: RECORDS_OFFSET, firstLine: r.line };
    cur.inputs.push(input);
    cur.size += size;
    open.set(p, cur);
  }
  for (const p of [...open.keys()]) seal(p);
  return out;
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) process.stderr.write('reading records from stdin, one per line; end with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface PartitionReport { partition: number; records: number; bytes: number; firstOffset: number; lastOffset: number }

async function produce(topic: string, opts: ProduceOptions): Promise<void> {
  // ---- options
  const timeoutMs = parseIntOption('--timeout', opts.timeout, { min: 1 })!;
  const forcedPartition = parseIntOption('--partition', opts.partition, { min: 0, max: 0x7fffffff });
  const batchBytes = parseIntOption('--batch-bytes', opts.batchBytes, { min: 1, max: 0x7fffffff })!;
  const acks = opts.acks === 'all' ? -1 : Number(opts.acks);
  const codec = compressionTypeFromName(opts.compression);
  if (codec === undefined) throw usageError(`--compression ${opts.compression} is not one of none, gzip, snappy, lz4, zstd`);
  if (opts.keySeparator !== undefined && opts.format === 'json') throw usageError('--key-separator applies to --format text; JSON lines carry "key"');
  if (opts.keySeparator === '') throw usageError('--key-separator must not be empty');
  const flagHeaders = parseKeyValues('--header', opts.header ?? []).map(([key, value]) => ({ key, value: Buffer.from(value) }));
  if (flagHeaders.length > 0 && opts.format === 'json') throw usageError('--header applies to --format text; JSON lines carry "headers"');

  // ---- input, parsed and checked in full before connecting
  const input = await readStdin();
  let records: ParsedRecord[];
  try {
    records = opts.format === 'json' ? parseJsonLines(input, opts.encoding) : parseTextLines(input, opts.keySeparator, flagHeaders);
  } catch (e) {
    if (e instanceof InputError) throw usageError(`${e.message}; nothing was written`);
    throw e;
  }

  const client = await ClusterClient.connect({ bootstrap: opts.bootstrap, clientId: opts.clientId, timeoutMs });
  try {
    const t = await client.topic(topic);
    const count = t.partitions.length;
    let maxBatchBytes = 0x7fffffff;
    if (client.supports(client.bootstrap, 'DescribeConfigs')) {
      const m = (await describeTopicConfigs(client, topic).catch(() => [])).find((e) => e.name === 'max.message.bytes');
      if (m?.value && Number(m.value) > 0) maxBatchBytes = Number(m.value);
    }
    let next = 0;
    const partitionOf = (r: ParsedRecord): number => {
      const p = forcedPartition ?? r.partition ?? (r.key !== null ? partitionForKey(r.key, count) : next++ % count);
      if (p >= count) throw new InputError(r.line, `partition ${p} does not exist (topic '${topic}' has ${count})`);
      return p;
    };
    let plan: Map<number, PlannedBatch[]>;
    try {
      plan = planBatches(records, partitionOf, batchBytes, codec, maxBatchBytes);
    } catch (e) {
      if (e instanceof InputError) throw usageError(`${e.message}; nothing was written`);
      throw e;
    }

    // ---- write: per leader, rounds of one batch per partition (Kafka takes one v2 batch per partition per request)
    const reports = new Map<number, PartitionReport>();
    const byLeader = new Map<number, number[]>();
    for (const p of plan.keys()) {
      const leader = t.partitions.find((x) => x.partition === p)!.leader;
      if (leader < 0) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${p} of topic '${topic}' has no leader; nothing was written`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    let failure: Error | null = null;
    await Promise.all([...byLeader].map(async ([leader, parts]) => {
      const c = await client.connection(leader);
      const v = client.version(c, 'Produce', 9, 3);
      for (let round = 0; !failure; round++) {
        const batches = parts.map((p) => plan.get(p)![round]).filter((b): b is PlannedBatch => b !== undefined);
        if (batches.length === 0) break;
        const body = {
          transactionalId: null, acks, timeoutMs,
          topicData: [{ name: topic, partitionData: batches.map((b) => ({ index: b.partition, records: b.bytes })) }],
        };
        if (acks === 0) {
          c.sendNoResponse('Produce', v, body);
          await c.drained();
          for (const b of batches) addReport(reports, b, -1);
          continue;
        }
        const res = await client.request('Produce', c.send('Produce', v, body));
        for (const pr of res.responses.flatMap((r) => r.partitionResponses)) {
          const b = batches.find((x) => x.partition === pr.index)!;
          if (pr.errorCode !== ErrorCode.NONE) {
            failure ??= kafkaError(pr.errorCode, `writing to partition ${pr.index} of topic '${topic}' (input from line ${b.firstLine})`, pr.errorMessage);
          } else addReport(reports, b, pr.baseOffset);
        }
      }
    })).catch((e: Error) => { failure ??= e; });

    const partitions = [...reports.values()].sort((a, b) => a.partition - b.partition);
    const total = partitions.reduce((n, p) => n + p.records, 0);
    const bytes = partitions.reduce((n, p) => n + p.bytes, 0);
    if (opts.json) printJson({ topic, records: total, bytes, acks, partitions, ...(failure ? { error: (failure as Error).message } : {}) });
    else {
      const where = partitions.map((p) => p.firstOffset < 0 ? `partition ${p.partition} (${p.records})` :
        `partition ${p.partition} ${p.records === 1 ? `offset ${p.firstOffset}` : `offsets ${p.firstOffset}-${p.lastOffset}`}`);
      const out = failure ? process.stderr : process.stdout;
      out.write(`${acks === 0 ? 'sent' : 'wrote'} ${total} record${total === 1 ? '' : 's'} (${bytes} bytes in batches) to ${topic}${where.length ? `: ${where.join(', ')}` : ''}\n`);
    }
    if (failure) throw failure;
  } finally {
    client.close();
  }
}

function addReport(reports: Map<number, PartitionReport>, b: PlannedBatch, baseOffset: number): void {
  const r = reports.get(b.partition) ?? { partition: b.partition, records: 0, bytes: 0, firstOffset: baseOffset, lastOffset: -1 };
  r.records += b.records;
  r.bytes += b.bytes.length;
  r.lastOffset = baseOffset < 0 ? -1 : baseOffset + b.records - 1;
  reports.set(b.partition, r);
}

export function registerProduceCommand(program: Command): void {
  addConnectionOptions(usageExitCode(program.command('produce')))
    .argument('<topic>')
    .description('write records read from stdin (one per line) to a topic; all input is checked before anything is written')
    .addOption(new Option('--format <format>', 'input format: text (a line is a value) or json (a line is {"key","value","headers","partition","timestamp"})').choices(['text', 'json']).default('text'))
    .option('-K, --key-separator <sep>', 'text: split each line at the first <sep> into key and value')
    .option('-p, --partition <n>', 'write every record to this partition')
    .option('-H, --header <name=value>', 'text: add this header to every record (repeatable)', collect, [])
    .addOption(new Option('--encoding <encoding>', 'json: how key, value and header values are encoded').choices(['utf8', 'base64', 'hex']).default('utf8'))
    .addOption(new Option('--acks <acks>', 'acknowledgements: all (-1), 1 or 0 (no answer: offsets unknown)').choices(['all', '-1', '1', '0']).default('all'))
    .addOption(new Option('--compression <codec>', 'batch compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('--batch-bytes <n>', 'largest record batch to build (uncompressed bytes)', '262144')
    .action(action('produce', (topic: string, opts: ProduceOptions) => produce(topic, opts)));
}
