/**
 * Shared plumbing of the operator commands (`millrace topics | produce |
 * consume`): the connection options every command takes, errors that print
 * as one line and set the exit code, colours only on a TTY, borderless
 * tables, and `--json` output.
 *
 * Exit codes: 0 success; 1 the broker refused or failed (a Kafka error, an
 * unreachable broker); 2 bad usage or bad input (options, stdin), detected
 * before anything was sent that changes state.
 */
import { Option, type Command } from 'commander';
import Table from 'cli-table3';
import pc from 'picocolors';
import { errorName } from '../common/error-codes.js';

export const EXIT_KAFKA = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line, with the exit code it ends with. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode: number = EXIT_KAFKA, readonly kafkaError?: string) {
    super(message);
  }
}

/** Bad options or input: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** Kafka error names Millrace never returns but other brokers may (error-codes.ts lists Millrace's). */
const OTHER_NAMES: Readonly<Record<number, string>> = {
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  30: 'GROUP_AUTHORIZATION_FAILED',
  60: 'REASSIGNMENT_IN_PROGRESS',
  73: 'TOPIC_DELETION_DISABLED',
  86: 'GROUP_SUBSCRIBED_TO_TOPIC',
  89: 'THROTTLING_QUOTA_EXCEEDED',
};

/** The Kafka name of an error code (ERROR_<n> when unknown). */
export function kafkaErrorName(code: number): string {
  return OTHER_NAMES[code] ?? errorName(code);
}

/** What an operator can do about a Kafka error, by name. */
const HINTS: Readonly<Record<string, string>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'check the name with `millrace topics list`, or create it with `millrace topics create`',
  TOPIC_ALREADY_EXISTS: 'pick another name, or pass --if-not-exists',
  INVALID_CONFIG: 'check the config name and value (`millrace topics describe <topic>` lists the topic configs)',
  INVALID_PARTITIONS: 'partitions must be positive, and `alter` can only add partitions',
  INVALID_REPLICATION_FACTOR: 'use a replication factor the cluster can place (a single Millrace broker: 1)',
  INVALID_TOPIC_EXCEPTION: 'topic names are 1-249 characters of [a-zA-Z0-9._-], and not "." or ".."',
  INVALID_REQUEST: 'the broker refused the request as malformed; check the arguments',
  POLICY_VIOLATION: 'a broker policy refused it; ask the cluster operator',
  TOPIC_AUTHORIZATION_FAILED: 'this client is not allowed to access the topic',
  CLUSTER_AUTHORIZATION_FAILED: 'this client is not allowed to change the cluster',
  MESSAGE_TOO_LARGE: 'split the input into smaller records or raise max.message.bytes on the topic',
  RECORD_LIST_TOO_LARGE: 'lower --batch-bytes',
  NOT_LEADER_OR_FOLLOWER: 'leadership moved; retry',
  LEADER_NOT_AVAILABLE: 'the partition is not ready yet; retry in a moment',
  REQUEST_TIMED_OUT: 'the broker did not finish in time; retry, or check its health',
  KAFKA_STORAGE_ERROR: 'the broker\'s log directory failed; check the broker log and its disk',
  COORDINATOR_NOT_AVAILABLE: 'the group coordinator is not ready yet; retry in a moment',
  COORDINATOR_LOAD_IN_PROGRESS: 'the group coordinator is still loading; retry in a moment',
  NOT_COORDINATOR: 'the group coordinator moved; retry',
  INVALID_GROUP_ID: 'pass a non-empty --group',
  UNKNOWN_MEMBER_ID: 'the group has active members; consume with another --group, or stop its consumers first',
  ILLEGAL_GENERATION: 'the group has active members; consume with another --group, or stop its consumers first',
  REBALANCE_IN_PROGRESS: 'the group is rebalancing; consume with another --group, or retry later',
  GROUP_AUTHORIZATION_FAILED: 'this client is not allowed to use the group',
  OFFSET_OUT_OF_RANGE: 'pick an offset between the partition\'s start and end (`millrace topics describe <topic>`)',
  UNSUPPORTED_VERSION: 'the broker does not support a version of this request the CLI can send',
  INVALID_RECORD: 'the broker refused the records; check the topic\'s configs',
  CORRUPT_MESSAGE: 'the batch was damaged in transit; retry',
  UNSUPPORTED_COMPRESSION_TYPE: 'use another --compression',
  TOPIC_DELETION_DISABLED: 'the broker has delete.topic.enable=false',
};

/** One line naming the Kafka error, the subject, the broker's message if any, and what to do. */
export function kafkaError(code: number, subject: string, brokerMessage?: string | null): CliError {
  const name = kafkaErrorName(code);
  const hint = HINTS[name];
  const detail = brokerMessage && brokerMessage !== name ? ` (${brokerMessage.replace(/\s+/g, ' ').trim()})` : '';
  return new CliError(`${name}: ${subject}${detail}${hint ? `; ${hint}` : ''}`, EXIT_KAFKA, name);
}

export interface ConnectionOptions {
  bootstrap: string;
  clientId: string;
  timeout: string;
  json?: boolean;
}

/** --bootstrap, --client-id, --timeout and --json, shared by every command. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-b, --bootstrap <host:port>', 'broker to bootstrap from (any Kafka-compatible broker)', '127.0.0.1:9092')
    .option('--client-id <id>', 'Kafka client id sent with every request', 'millrace-cli')
    .option('--timeout <ms>', 'connect and request timeout in milliseconds', '30000')
    .option('--json', 'machine-readable JSON output on stdout (errors: one JSON line on stderr)');
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || !(port > 0 && port < 65536)) throw usageError(`--bootstrap ${JSON.stringify(s)} is not host:port`);
  return { host: m[1], port };
}

/** A non-negative integer option, or a usage error naming the flag. */
export function parseIntOption(flag: string, raw: string | undefined, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^[-+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`${flag} ${JSON.stringify(raw)} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` in ${min}..${max}`}`);
  }
  return n;
}

/** commander collector for repeatable options (`--config a=1 --config b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `k=v` pairs (repeatable flag values) → entries, with usage errors naming the flag. */
export function parseKeyValues(flag: string, items: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const i = item.indexOf('=');
    if (i <= 0) throw usageError(`${flag} ${JSON.stringify(item)} is not name=value`);
    const k = item.slice(0, i).trim();
    if (seen.has(k)) throw usageError(`${flag} sets ${k} twice`);
    seen.add(k);
    out.push([k, item.slice(i + 1)]);
  }
  return out;
}

/** Colours for a stream: only when it is a TTY and NO_COLOR is unset. */
export function colorsFor(stream: NodeJS.WriteStream): ReturnType<typeof pc.createColors> {
  const enabled = stream.isTTY === true && !('NO_COLOR' in process.env) && process.env.FORCE_COLOR !== '0';
  return pc.createColors(enabled);
}

/** A borderless, aligned table (also readable when piped into grep/awk). */
export function renderTable(head: string[], rows: (string | number)[][]): string {
  const c = colorsFor(process.stdout);
  const table = new Table({
    head: head.map((h) => c.bold(h)),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) table.push(r.map(String));
  return table.toString().split('\n').map((l) => l.trimEnd()).join('\n') + '\n';
}

/** Writes to stdout, waiting for drain when the pipe is full. */
export function writeOut(text: string): Promise<void> | void {
  if (!process.stdout.write(text)) return new Promise((r) => process.stdout.once('drain', () => r()));
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Reports an error as one line on stderr (JSON with --json) and sets the exit code. */
export function reportError(command: string, err: unknown, json: boolean): void {
  let message: string;
  let exitCode = EXIT_KAFKA;
  let code: string | undefined;
  if (err instanceof CliError) {
    message = err.message;
    exitCode = err.exitCode;
    code = err.kafkaError;
  } else if (err instanceof Error) {
    const errno = (err as NodeJS.ErrnoException).code;
    message = errno ? `${errno}: ${err.message}` : err.message;
  } else message = String(err);
  if (json) process.stderr.write(JSON.stringify({ error: { command, ...(code ? { code } : {}), message } }) + '\n');
  else process.stderr.write(`${colorsFor(process.stderr).red('error')} millrace ${command}: ${message}\n`);
  process.exitCode = exitCode;
}

/**
 * Wraps a command action: errors become one line and an exit code; the
 * process ends once stdout is flushed (connections are closed by `run`).
 */
export function action<A extends unknown[]>(command: string, run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const json = cmd.optsWithGlobals?.().json === true;
    try {
      await run(...args);
    } catch (err) {
      reportError(command, err, json);
    }
  };
}

/**
 * Commander's own errors (unknown option, missing argument, bad choice) exit
 * with EXIT_USAGE like ours; help and --version still exit 0. Subcommands
 * created afterwards inherit this.
 */
export function usageExitCode(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });
}

/** An Option whose value must be one of `choices`. */
export function choiceOption(flags: string, description: string, choices: string[], defaultValue?: string): Option {
  const o = new Option(flags, description).choices(choices);
  return defaultValue === undefined ? o : o.default(defaultValue);
}
