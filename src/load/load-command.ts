/**
 * `millrace load produce|consume|e2e|workload FILE [options]`, registered on
 * the main CLI by `registerLoadCommand(program)`. Exit codes: 0 clean run,
 * 1 produce errors, a fatal error or any verification discrepancy, 2 bad
 * options or a setup failure (cannot connect, unknown topic).
 */
import { Command, Option } from 'commander';
import { LoadSetupError } from './cluster-setup.js';
import { COMPRESSION_NAMES, LoadOptionsError, type LoadMode, type LoadOptionsInput } from './load-options.js';
import { runLoad } from './load-runner.js';

function addLoadOptions(cmd: Command, mode: LoadMode): Command {
  cmd
    .option('--bootstrap <host:port>', 'broker to bootstrap from', '127.0.0.1:9092')
    .option('--topic <name>', 'topic (workload: prefix of the topic names)', 'millrace-load')
    .option('--json <file>', 'write the full result (totals, percentiles, per-second series, HDR histograms) as JSON')
    .option('--html <file>', 'write a self-contained HTML page with charts')
    .option('--quiet', 'no progress and no report on stdout')
    .option('--progress', 'redraw one live progress line (default when stderr is a TTY)')
    .option('--no-progress', 'print one progress line per second instead of redrawing')
    .option('--records <n>', 'records to produce (consume: to read) after warm-up, e.g. 1e6, 500k')
    .option('--duration <time>', 'length of the measured run, e.g. 30s, 2m, 500ms (default 10s)')
    .option('--warmup <time>', 'run this long before measuring (default 0)')
    .option('--client-id <id>', 'Kafka client id prefix', 'millrace-load')
    .option('--request-timeout <time>', 'a request unanswered this long fails the run', '30s');
  if (mode !== 'consume') {
    cmd
      .option('--create-topic', 'create the topic first (an existing topic is fine)')
      .option('--partitions <n>', 'partitions of a created topic', '1')
      .option('--replication-factor <n>', 'replication factor of a created topic', '1')
      .option('--record-size <bytes>', 'bytes per record value (≥ 24)', '100')
      .option('--batch-bytes <bytes>', 'record batch size (Kafka batch.size)', '16384')
      .option('--linger-ms <ms>', 'how long a batch may wait for more records', '0')
      .addOption(new Option('--acks <acks>', 'acknowledgements: 0, 1 or -1 (all)').default('1').choices(['0', '1', '-1', 'all']))
      .addOption(new Option('--compression <codec>', 'batch compression').default('none').choices([...COMPRESSION_NAMES]))
      .option('--connections <n>', 'producer connections (each an independent producer)', '1')
      .option('--workers <n>', 'worker threads generating load (0 = main thread)', '1')
      .option('--rate <records/s>', 'fixed rate over all producers, latency from intended send times; 0 = open loop', '0')
      .option('--max-in-flight <n>', 'produce requests in flight per connection', '8')
      .option('--pacing-tick-us <µs>', 'fixed rate above one record per tick: generate records once per tick, those due meanwhile together (0 = per record)', '250')
      .option('--keys <spec>', 'record keys: none, uniform:K or zipf:K[:s]', 'none')
      .option('--buffer-memory <bytes>', 'batch buffer memory per producer (Kafka buffer.memory)', '32MiB')
      .option('--max-request-bytes <bytes>', 'largest produce request (Kafka max.request.size)', '1MiB')
      .option('--seed <n>', 'seed of key and filler generation');
  }
  if (mode !== 'produce') {
    cmd
      .option('--consumers <n>', 'consumer connections (partitions are split between them)', '1')
      .option('--fetch-max-wait-ms <ms>', 'fetch long-poll wait', '500')
      .option('--fetch-max-bytes <bytes>', 'fetch response limit', '16MiB')
      .option('--partition-max-bytes <bytes>', 'per-partition fetch limit', '1MiB')
      .option('--drain-timeout <time>', 'after producing, how long consumers may go without progress', '10s');
  }
  if (mode === 'consume') {
    cmd
      .addOption(new Option('--from <where>', 'start at the earliest or latest offset').default('earliest').choices(['earliest', 'latest']))
      .option('--to-end', 'stop at the log end offsets seen at start (instead of --duration)');
  }
  return cmd;
}

/** Commander's option values → LoadOptionsInput. */
export function optionsFromCli(mode: LoadMode, v: Record<string, unknown>, workloadFile?: string): LoadOptionsInput {
  const { duration, warmup, drainTimeout, requestTimeout, bufferMemory, progress, ...rest } = v;
  return {
    ...(rest as LoadOptionsInput),
    mode,
    ...(workloadFile !== undefined ? { workloadFile } : {}),
    ...(duration !== undefined ? { durationMs: duration as string } : {}),
    ...(warmup !== undefined ? { warmupMs: warmup as string } : {}),
    ...(drainTimeout !== undefined ? { drainTimeoutMs: drainTimeout as string } : {}),
    ...(requestTimeout !== undefined ? { requestTimeoutMs: requestTimeout as string } : {}),
    ...(bufferMemory !== undefined ? { bufferMemoryBytes: bufferMemory as string } : {}),
    ...(progress !== undefined ? { progress: progress as boolean } : {}),
    handleSignals: true,
  };
}

async function run(input: LoadOptionsInput): Promise<void> {
  try {
    const result = await runLoad(input);
    if (!result.ok) process.exitCode = 1;
  } catch (err) {
    if (err instanceof LoadOptionsError || err instanceof LoadSetupError) {
      process.stderr.write(`millrace load: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`millrace load: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

export function registerLoadCommand(program: Command): Command {
  const load = program
    .command('load')
    .description('load generator for any Kafka-compatible broker: produce, consume, end-to-end latency, OpenMessaging-style workloads');
  addLoadOptions(load.command('produce').description('produce records and measure publish throughput and latency'), 'produce')
    .action((opts: Record<string, unknown>) => run(optionsFromCli('produce', opts)));
  addLoadOptions(load.command('consume').description('consume and verify records written by `millrace load`, measuring throughput'), 'consume')
    .action((opts: Record<string, unknown>) => run(optionsFromCli('consume', opts)));
  addLoadOptions(load.command('e2e').description('produce and consume in one run: end-to-end latency, exact verification'), 'e2e')
    .action((opts: Record<string, unknown>) => run(optionsFromCli('e2e', opts)));
  addLoadOptions(load.command('workload').argument('<file>', 'OpenMessaging Benchmark-shaped workload JSON').description('run an OpenMessaging Benchmark-shaped workload (producerRate 0 = find the maximum)'), 'e2e')
    .action((file: string, opts: Record<string, unknown>) => run(optionsFromCli('workload', opts, file)));
  return load;
}
