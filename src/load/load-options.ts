/**
 * Options of `millrace load` and of the programmatic `runLoad`: their types,
 * defaults, parsing of CLI strings ("30s", "16KiB", "zipf:1000:0.99") and
 * validation. Everything else in src/load/ takes a normalized `LoadOptions`.
 *
 * Units are in the names (durationMs, batchBytes). Size suffixes are binary
 * (KiB = 1024; "k" is accepted as KiB for sizes); record counts and rates take
 * decimal suffixes (1k = 1,000, 1M = 1,000,000) or exponents (1e6).
 */

export type LoadMode = 'produce' | 'consume' | 'e2e' | 'workload';
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
export type Acks = 0 | 1 | -1;

/** How record keys are drawn: no key, uniformly over `count` keys, or zipf over `count` keys with exponent `exponent`. */
export type KeySpec =
  | { kind: 'none' }
  | { kind: 'uniform'; count: number }
  | { kind: 'zipf'; count: number; exponent: number };

export interface HostPort { host: string; port: number }

export interface LoadOptions {
  mode: LoadMode;
  bootstrap: HostPort;
  topic: string;
  /** Create the topic(s) first (TOPIC_ALREADY_EXISTS is fine). */
  createTopic: boolean;
  /** Partitions for a created topic. */
  partitions: number;
  replicationFactor: number;
  /** Bytes of each record value (the verification header included). */
  recordSize: number;
  /** Target size of one record batch (Kafka's batch.size). */
  batchBytes: number;
  lingerMs: number;
  acks: Acks;
  compression: CompressionName;
  /** Producer connections (each one is an independent producer). */
  connections: number;
  /** Worker threads the producers are spread over; 0 runs them on the main thread. */
  workers: number;
  /** Records to produce (after warm-up); null: bounded by durationMs. */
  records: number | null;
  /** Measured run length; null when bounded by records. */
  durationMs: number | null;
  /** Records/s over all producers; 0 = open loop (as fast as possible). */
  rate: number;
  /** Produce requests in flight per connection. */
  maxInFlight: number;
  /**
   * Fixed rate, when a producer's records fall due faster than this: it
   * generates them once per this many µs, all those due meanwhile (their
   * intended send times stay exact, so the wait counts in their latency).
   * 0 = wake for each record.
   */
  pacingTickUs: number;
  keys: KeySpec;
  /** Run this long before measuring (traffic flows, numbers are discarded). */
  warmupMs: number;
  json: string | null;
  html: string | null;
  quiet: boolean;
  /** Live progress: true = redraw a line (TTY style), false = one line per second, null = decide from stderr.isTTY. */
  progress: boolean | null;
  /** Consumer connections (e2e and consume). Partitions are split between them. */
  consumers: number;
  /** Where a consume run starts. e2e always starts at the end of the log. */
  from: 'earliest' | 'latest';
  /** consume: stop when every partition reaches the high watermark seen at start. */
  toEnd: boolean;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  partitionMaxBytes: number;
  /** After producing ends, how long consumers may go without progress before giving up. */
  drainTimeoutMs: number;
  requestTimeoutMs: number;
  /** Upper bound of batch buffers per producer (Kafka's buffer.memory). */
  bufferMemoryBytes: number;
  /** Largest Produce request (Kafka's max.request.size). */
  maxRequestBytes: number;
  clientId: string;
  /** workload mode: the OpenMessaging Benchmark-shaped JSON file. */
  workloadFile: string | null;
  /** Install a SIGINT handler that stops the run and reports (the CLI does). */
  handleSignals: boolean;
  /** Seed of the key and filler generators (reproducible loads). */
  seed: number;
}

export class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

export const LOAD_DEFAULTS: LoadOptions = {
  mode: 'produce',
  bootstrap: { host: '127.0.0.1', port: 9092 },
  topic: 'millrace-load',
  createTopic: false,
  partitions: 1,
  replicationFactor: 1,
  recordSize: 100,
  batchBytes: 16384,
  lingerMs: 0,
  acks: 1,
  compression: 'none',
  connections: 1,
  workers: 1,
  records: null,
  durationMs: 10_000,
  rate: 0,
  maxInFlight: 8,
  pacingTickUs: 250,
  keys: { kind: 'none' },
  warmupMs: 0,
  json: null,
  html: null,
  quiet: false,
  progress: null,
  consumers: 1,
  from: 'earliest',
  toEnd: false,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 16 * 1024 * 1024,
  partitionMaxBytes: 1024 * 1024,
  drainTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  bufferMemoryBytes: 32 * 1024 * 1024,
  maxRequestBytes: 1024 * 1024,
  clientId: 'millrace-load',
  workloadFile: null,
  handleSignals: false,
  seed: 0x5eed,
};

/** Bytes of the per-record verification header (see record-value.ts). */
export const MIN_RECORD_SIZE = 24;

/** Input accepted by `normalizeLoadOptions`: any field, numbers or CLI strings. */
export type LoadOptionsInput = { [K in keyof LoadOptions]?: LoadOptions[K] | string | number | boolean | null };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "30s", "2m", "500ms", "1.5h"; a bare number is `bareUnit` (seconds for --duration, ms for --linger-ms). */
export function parseDuration(v: string | number, what = 'duration', bareUnitMs = 1000): number {
  if (typeof v === 'number') return checkNonNegative(v * bareUnitMs, what);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  if (!m) throw new LoadOptionsError(`${what}: cannot parse "${v}" (examples: 500ms, 30s, 2m)`);
  const unit = m[2]!.toLowerCase();
  const scale = unit === '' ? bareUnitMs : DURATION_UNITS[unit];
  if (scale === undefined) throw new LoadOptionsError(`${what}: unknown unit "${m[2]}" (ms, s, m, h)`);
  return Math.round(Number(m[1]) * scale);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
};

/** "16384", "16KiB", "1MiB", "1m" (binary units). */
export function parseBytes(v: string | number, what = 'size'): number {
  if (typeof v === 'number') return checkNonNegative(Math.round(v), what);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const scale = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || scale === undefined) throw new LoadOptionsError(`${what}: cannot parse "${v}" (examples: 100, 16KiB, 1MiB)`);
  return Math.round(Number(m[1]) * scale);
}

const COUNT_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9 };

/** "1000000", "1e6", "1M", "250k" (decimal units). */
export function parseCount(v: string | number, what = 'count'): number {
  if (typeof v === 'number') return checkNonNegative(Math.round(v), what);
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmg]?)\s*$/i.exec(v);
  if (!m) throw new LoadOptionsError(`${what}: cannot parse "${v}" (examples: 1000, 1e6, 250k, 2M)`);
  return checkNonNegative(Math.round(Number(m[1]) * COUNT_UNITS[m[2]!.toLowerCase()]!), what);
}

function checkNonNegative(n: number, what: string): number {
  if (!Number.isFinite(n) || n < 0) throw new LoadOptionsError(`${what} must be a non-negative number, got ${n}`);
  return n;
}

/** "host:port", "host" (port 9092) or ":port" (127.0.0.1). IPv6 as "[::1]:9092". */
export function parseHostPort(v: string): HostPort {
  const m = /^\s*(?:\[([^\]]+)\]|([^:\s]*))(?::(\d+))?\s*$/.exec(v);
  if (!m) throw new LoadOptionsError(`--bootstrap: cannot parse "${v}" (host:port)`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  const port = m[3] === undefined ? 9092 : Number(m[3]);
  if (!(port > 0 && port < 65536)) throw new LoadOptionsError(`--bootstrap: bad port in "${v}"`);
  return { host, port };
}

/** "none", "uniform:1000", "zipf:1000", "zipf:1000:1.2". */
export function parseKeys(v: string | KeySpec): KeySpec {
  if (typeof v !== 'string') return v;
  const parts = v.trim().split(':');
  const kind = parts[0]!.toLowerCase();
  if (kind === 'none' || kind === '') return { kind: 'none' };
  const count = parts[1] === undefined ? NaN : parseCount(parts[1], '--keys count');
  if (!(count >= 1 && count <= 10_000_000)) throw new LoadOptionsError(`--keys: the key count must be 1..10,000,000 (got "${v}")`);
  if (kind === 'uniform' && parts.length === 2) return { kind: 'uniform', count };
  if (kind === 'zipf' && parts.length <= 3) {
    const exponent = parts[2] === undefined ? 0.99 : Number(parts[2]);
    if (!(exponent > 0 && exponent <= 10)) throw new LoadOptionsError(`--keys: zipf exponent must be in (0, 10] (got "${v}")`);
    return { kind: 'zipf', count, exponent };
  }
  throw new LoadOptionsError(`--keys: expected none, uniform:K or zipf:K[:s], got "${v}"`);
}

export function formatKeys(k: KeySpec): string {
  return k.kind === 'none' ? 'none' : k.kind === 'uniform' ? `uniform:${k.count}` : `zipf:${k.count}:${k.exponent}`;
}

function toBool(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new LoadOptionsError(`${what}: expected true or false, got "${String(v)}"`);
}

function toInt(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? parseCount(v, what) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new LoadOptionsError(`${what} must be an integer in [${min}, ${max}], got ${String(v)}`);
  return n;
}

/**
 * Fill in defaults, parse strings, and check the combination. Throws
 * LoadOptionsError with a message meant for the command line.
 */
export function normalizeLoadOptions(input: LoadOptionsInput): LoadOptions {
  const o: LoadOptions = { ...LOAD_DEFAULTS, bootstrap: { ...LOAD_DEFAULTS.bootstrap } };
  const i = input as Record<string, unknown>;
  const has = (k: keyof LoadOptions): boolean => i[k] !== undefined && i[k] !== null;

  if (has('mode')) {
    const m = String(i.mode);
    if (!['produce', 'consume', 'e2e', 'workload'].includes(m)) throw new LoadOptionsError(`mode must be produce, consume, e2e or workload, got "${m}"`);
    o.mode = m as LoadMode;
  }
  if (has('bootstrap')) o.bootstrap = typeof i.bootstrap === 'string' ? parseHostPort(i.bootstrap) : { ...(i.bootstrap as HostPort) };
  if (has('topic')) {
    o.topic = String(i.topic);
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(o.topic)) throw new LoadOptionsError(`--topic: "${o.topic}" is not a legal Kafka topic name`);
  }
  if (has('createTopic')) o.createTopic = toBool(i.createTopic, '--create-topic');
  if (has('partitions')) o.partitions = toInt(i.partitions, '--partitions', 1, 100_000);
  if (has('replicationFactor')) o.replicationFactor = toInt(i.replicationFactor, '--replication-factor', 1, 32_767);
  if (has('recordSize')) o.recordSize = parseBytes(i.recordSize as string | number, '--record-size');
  if (has('batchBytes')) o.batchBytes = parseBytes(i.batchBytes as string | number, '--batch-bytes');
  if (has('lingerMs')) o.lingerMs = parseDuration(i.lingerMs as string | number, '--linger-ms', 1);
  if (has('acks')) {
    const a = Number(i.acks === 'all' ? -1 : i.acks);
    if (a !== 0 && a !== 1 && a !== -1) throw new LoadOptionsError(`--acks must be 0, 1 or -1 (all), got "${String(i.acks)}"`);
    o.acks = a;
  }
  if (has('compression')) {
    const c = String(i.compression).toLowerCase();
    if (!COMPRESSION_NAMES.includes(c as CompressionName)) throw new LoadOptionsError(`--compression must be one of ${COMPRESSION_NAMES.join(', ')}, got "${c}"`);
    o.compression = c as CompressionName;
  }
  if (has('connections')) o.connections = toInt(i.connections, '--connections', 1, 10_000);
  if (has('workers')) o.workers = toInt(i.workers, '--workers', 0, 256);
  if (has('records') && has('durationMs')) throw new LoadOptionsError('give --records or --duration, not both');
  if (has('records')) {
    o.records = toInt(i.records, '--records', 1);
    o.durationMs = null;
  }
  if (has('durationMs')) {
    o.durationMs = parseDuration(i.durationMs as string | number, '--duration', 1);
    if (o.durationMs < 1) throw new LoadOptionsError('--duration must be positive');
    o.records = null;
  }
  if (has('rate')) {
    o.rate = typeof i.rate === 'string' ? parseCount(i.rate, '--rate') : Number(i.rate);
    if (!(o.rate >= 0 && Number.isFinite(o.rate))) throw new LoadOptionsError(`--rate must be ≥ 0, got "${String(i.rate)}"`);
  }
  if (has('maxInFlight')) o.maxInFlight = toInt(i.maxInFlight, '--max-in-flight', 1, 1024);
  if (has('pacingTickUs')) o.pacingTickUs = toInt(i.pacingTickUs, '--pacing-tick-us', 0, 1000);
  if (has('keys')) o.keys = parseKeys(i.keys as string | KeySpec);
  if (has('warmupMs')) o.warmupMs = parseDuration(i.warmupMs as string | number, '--warmup', 1);
  if (has('json')) o.json = String(i.json);
  if (has('html')) o.html = String(i.html);
  if (has('quiet')) o.quiet = toBool(i.quiet, '--quiet');
  if (i.progress !== undefined) o.progress = i.progress === null ? null : toBool(i.progress, '--progress');
  if (has('consumers')) o.consumers = toInt(i.consumers, '--consumers', 1, 10_000);
  if (has('from')) {
    const f = String(i.from);
    if (f !== 'earliest' && f !== 'latest') throw new LoadOptionsError(`--from must be earliest or latest, got "${f}"`);
    o.from = f;
  }
  if (has('toEnd')) o.toEnd = toBool(i.toEnd, '--to-end');
  if (has('fetchMaxWaitMs')) o.fetchMaxWaitMs = parseDuration(i.fetchMaxWaitMs as string | number, '--fetch-max-wait-ms', 1);
  if (has('fetchMaxBytes')) o.fetchMaxBytes = parseBytes(i.fetchMaxBytes as string | number, '--fetch-max-bytes');
  if (has('partitionMaxBytes')) o.partitionMaxBytes = parseBytes(i.partitionMaxBytes as string | number, '--partition-max-bytes');
  if (has('drainTimeoutMs')) o.drainTimeoutMs = parseDuration(i.drainTimeoutMs as string | number, '--drain-timeout', 1);
  if (has('requestTimeoutMs')) o.requestTimeoutMs = parseDuration(i.requestTimeoutMs as string | number, '--request-timeout', 1);
  if (has('bufferMemoryBytes')) o.bufferMemoryBytes = parseBytes(i.bufferMemoryBytes as string | number, '--buffer-memory');
  if (has('maxRequestBytes')) o.maxRequestBytes = parseBytes(i.maxRequestBytes as string | number, '--max-request-bytes');
  if (has('clientId')) o.clientId = String(i.clientId);
  if (has('workloadFile')) o.workloadFile = String(i.workloadFile);
  if (has('handleSignals')) o.handleSignals = toBool(i.handleSignals, 'handleSignals');
  if (has('seed')) o.seed = toInt(i.seed, '--seed', 0, 0xffffffff);

  if (o.recordSize < MIN_RECORD_SIZE) {
    throw new LoadOptionsError(`--record-size must be at least ${MIN_RECORD_SIZE} bytes (the verification header: send time, producer, sequence, checksum)`);
  }
  if (o.recordSize > 64 * 1024 * 1024) throw new LoadOptionsError('--record-size above 64 MiB is not supported');
  if (o.batchBytes < 64) throw new LoadOptionsError('--batch-bytes must be at least 64');
  if (o.maxRequestBytes < 1024) throw new LoadOptionsError('--max-request-bytes must be at least 1 KiB');
  if (o.mode === 'workload' && o.workloadFile === null) throw new LoadOptionsError('workload mode needs a workload file');
  if (o.fetchMaxBytes < o.partitionMaxBytes) o.fetchMaxBytes = o.partitionMaxBytes;
  return o;
}

/** A JSON-friendly copy of the options for reports (bootstrap as "host:port"). */
export function describeOptions(o: LoadOptions): Record<string, unknown> {
  const { bootstrap, keys, handleSignals, ...rest } = o;
  void handleSignals;
  return { ...rest, bootstrap: `${bootstrap.host}:${bootstrap.port}`, keys: formatKeys(keys) };
}
