/**
 * A kafkajs consumer-group member in its own process (forked by
 * kafkajs-group.ts), so a test can SIGKILL it: no LeaveGroup, sockets closed
 * by the kernel. Each fetched batch is reported to the parent over IPC before
 * kafkajs may commit it, so whatever it consumed is known to the parent even
 * if it dies right after.
 *
 * argv[2]: JSON { name, bootstrap, topic, fromBeginning, config (ConsumerConfig) }
 * to parent: { type: 'join', atMs, assignment, isLeader } | { type: 'seen', items: Seen[] } | { type: 'ready' }
 * from parent: 'stop' → disconnect (LeaveGroup) and exit.
 */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const opts = JSON.parse(process.argv[2]!) as { name: string; bootstrap: string; topic: string; fromBeginning: boolean; config: kafkajs.ConsumerConfig };

function send(msg: unknown): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, undefined, () => resolve()));
}

const kafka = new Kafka({
  clientId: opts.name,
  brokers: [opts.bootstrap],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 3000,
  requestTimeout: 30_000,
  retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
});
const consumer = kafka.consumer(opts.config);
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  void send({ type: 'join', atMs: Date.now(), assignment: e.payload.memberAssignment, isLeader: e.payload.isLeader });
});
process.on('message', (m) => {
  if (m === 'stop') void consumer.disconnect().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));

await consumer.connect();
await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
await consumer.run({
  eachBatch: async ({ batch }) => {
    const atMs = Date.now();
    const items = batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: Number(m.offset), value: m.value!.toString(), atMs }));
    await send({ type: 'seen', items });
  },
});
await send({ type: 'ready' });
