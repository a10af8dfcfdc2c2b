/**
 * The fake broker in a process of its own, so the load generator can be
 * measured without sharing a thread with it:
 *
 *   node dist/test/integration/load/fake-broker-process.js [--discard] [topic partitions]
 *
 * Prints "port N" when listening; SIGTERM stops it. --discard answers Produce
 * without validating or storing (a sink: measures the generator alone).
 */
import { startFakeBroker } from '../../unit/load/fake-broker.js';

const args = process.argv.slice(2);
const discard = args.includes('--discard');
const [topic = 'millrace-load', partitions = '1'] = args.filter((a) => !a.startsWith('--'));
const b = await startFakeBroker(topic, Number(partitions));
b.discard = discard;
process.stdout.write(`port ${b.port}\n`);
const stop = (): void => { void b.stop().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
