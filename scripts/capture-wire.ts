/**
 * Captures golden request bytes from real clients into test/fixtures/wire/.
 *
 *   npx tsc -p . && node dist/scripts/capture-wire.js
 *
 * Everything stays on 127.0.0.1: a Millrace broker on a free port, and in
 * front of it a recording TCP proxy whose port the broker advertises, so every
 * connection a client opens (bootstrap and the ones from Metadata) passes
 * through it. The proxy keeps the first client→broker frame of each
 * (API key, version) per client. Then:
 *
 *   kcat (librdkafka)   produce 2 keyed messages; consume them (-o beginning -e)
 *   kafkajs 2.2.4       producer.send of 2 keyed messages
 *
 * Each kept frame is written whole (size prefix included) as
 * `<client>-<api>-v<version>.bin`, and MANIFEST.json records the client
 * versions and what each file holds. Timestamps in Produce batches make every
 * capture different; the golden test checks structure, not a fixed hash.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { startBroker } from '../src/broker.js';
import { logger } from '../src/common/logger.js';
import { Apis } from '../src/protocol/generated/index.js';

const HOST = '127.0.0.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'test', 'fixtures', 'wire');
const apiNames = new Map<number, string>(Object.values(Apis).map((a) => [a.apiKey, a.name]));
const kebab = (s: string): string => s.replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());

interface Captured { client: string; apiKey: number; version: number; frame: Buffer }

/** A proxy on 127.0.0.1 that forwards to the broker and records whole client frames. */
class RecordingProxy {
  readonly server: Server;
  readonly frames: Captured[] = [];
  client = 'unknown';
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstreamPort: () => number) {
    this.server = createServer((down) => {
      const up = connect({ host: HOST, port: this.upstreamPort() });
      this.sockets.add(down).add(up);
      const client = this.client;
      let pending = Buffer.alloc(0);
      down.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = pending.readInt32BE(0);
          const frame = pending.subarray(0, 4 + size);
          pending = pending.subarray(4 + size);
          this.frames.push({ client, apiKey: frame.readInt16BE(4), version: frame.readInt16BE(6), frame: Buffer.from(frame) });
        }
        up.write(chunk);
      });
      up.on('data', (chunk: Buffer) => down.write(chunk));
      const close = (): void => { down.destroy(); up.destroy(); this.sockets.delete(down); this.sockets.delete(up); };
      down.on('close', close).on('error', close);
      up.on('close', close).on('error', close);
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, HOST, () => resolve((this.server.address() as { port: number }).port)));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function runKcat(args: string[], input: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kcat ${args.join(' ')} timed out: ${err}`)); }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => { clearTimeout(timer); code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${err}`)); });
    child.stdin.end(input);
  });
}

async function main(): Promise<void> {
  logger.level = 'silent';
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-capture-'));
  let brokerPort = 0;
  const proxy = new RecordingProxy(() => brokerPort);
  const proxyPort = await proxy.listen();
  const broker = await startBroker({ host: HOST, port: 0, advertisedHost: HOST, advertisedPort: proxyPort, dataDir, shards: 0, numPartitions: 1, logLevel: 'silent' });
  brokerPort = broker.port;
  const bootstrap = `${HOST}:${proxyPort}`;
  try {
    proxy.client = 'kcat';
    await runKcat(['-b', bootstrap, '-P', '-t', 'golden-kcat', '-K', ':', '-X', 'client.id=golden-kcat'], 'key-1:value-1\nkey-2:value-2\n');
    await runKcat(['-b', bootstrap, '-C', '-t', 'golden-kcat', '-o', 'beginning', '-e', '-q', '-X', 'client.id=golden-kcat'], '');

    proxy.client = 'kafkajs';
    const require = createRequire(import.meta.url);
    const { Kafka, logLevel } = require('kafkajs') as typeof import('kafkajs');
    const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'golden-kafkajs', messages: [{ key: 'key-1', value: 'value-1' }, { key: 'key-2', value: 'value-2' }] });
    await producer.disconnect();
  } finally {
    await proxy.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const kcatVersion = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).stdout.split('\n').find((l) => /librdkafka/.test(l))?.trim() ?? 'unknown';
  const kafkajsVersion = (createRequire(import.meta.url)('kafkajs/package.json') as { version: string }).version;
  const wanted = new Set(['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets']);
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.bin')) rmSync(join(outDir, f));
  const files: Record<string, { client: string; api: string; apiKey: number; version: number; bytes: number }> = {};
  for (const c of proxy.frames) {
    const api = apiNames.get(c.apiKey);
    if (!api || !wanted.has(api)) continue;
    const name = `${c.client}-${kebab(api)}-v${c.version}.bin`;
    if (files[name]) continue;
    writeFileSync(join(outDir, name), c.frame);
    files[name] = { client: c.client, api, apiKey: c.apiKey, version: c.version, bytes: c.frame.length };
  }
  writeFileSync(join(outDir, 'MANIFEST.json'), JSON.stringify({
    generator: 'scripts/capture-wire.ts',
    clients: { kcat: kcatVersion, kafkajs: `kafkajs ${kafkajsVersion}` },
    what: {
      kcat: "kcat -P -t golden-kcat -K : -X client.id=golden-kcat <<< 'key-1:value-1\\nkey-2:value-2'; then kcat -C -t golden-kcat -o beginning -e",
      kafkajs: "new Kafka({ clientId: 'golden-kafkajs' }).producer().send({ topic: 'golden-kafkajs', messages: [{ key: 'key-1', value: 'value-1' }, { key: 'key-2', value: 'value-2' }] })",
    },
    files,
  }, null, 2) + '\n');
  process.stdout.write(`wrote ${Object.keys(files).length} frames to ${outDir}:\n${Object.keys(files).sort().join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`capture-wire: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
