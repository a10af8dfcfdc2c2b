/**
 * The `millrace` command: `millrace start` runs a broker; other subcommands
 * register themselves here (load generator, operator tools).
 */
import { Command } from 'commander';
import { addBrokerOptions, brokerConfigFromOptions, ConfigError } from './config/broker-config.js';
import { startBroker } from './broker.js';
import { logger } from './common/logger.js';
import { isOutOfDescriptors, OUT_OF_DESCRIPTORS_HINT } from './common/open-files-limit.js';
import { registerLoadCommand } from './load/load-command.js';
import { registerTopicsCommand } from './cli/topics-command.js';
import { registerProduceCommand } from './cli/produce-command.js';
import { registerConsumeCommand } from './cli/consume-command.js';
import { registerGroupsCommand } from './cli/groups-command.js';

const program = new Command('millrace')
  .description('Millrace: an Apache Kafka-compatible event streaming broker, load generator and benchmark suite')
  .showHelpAfterError();

addBrokerOptions(
  program
    .command('start')
    .description('run a broker (defaults: 127.0.0.1:9092, data in ./data)'),
).action(async (opts: Record<string, unknown>) => {
  let config;
  try {
    config = brokerConfigFromOptions(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`millrace: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  logger.level = config.logLevel;
  const broker = await startBroker(config);
  process.stdout.write(`millrace ready on ${broker.host}:${broker.port} (data dir ${broker.dataDir}, ${broker.shardCount} shard${broker.shardCount === 1 ? '' : 's'})\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    broker.stop().then(
      () => process.exit(0),
      (err: Error) => { logger.error({ err: err.message }, 'stop failed'); process.exit(1); },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
});

registerLoadCommand(program);
registerTopicsCommand(program);
registerProduceCommand(program);
registerConsumeCommand(program);
registerGroupsCommand(program);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`millrace: ${err.message}${isOutOfDescriptors(err) ? ` (${OUT_OF_DESCRIPTORS_HINT})` : ''}\n`);
  process.exit(1);
});
