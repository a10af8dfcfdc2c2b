/**
 * Compression codecs against real clients, both directions (issue 3, WASM
 * section: "must decode the LZ4 frames librdkafka (kcat) and
 * kafkajs/@platformatic codecs write, and they must decode the frames it
 * writes"; gzip/snappy/zstd "each tested against a real client's output").
 *
 * (a) Batches written by real clients — kcat `-z gzip|snappy|lz4|zstd`,
 *     kafkajs 2.2.4 with gzip and with kafkajs-lz4 / kafkajs-snappy
 *     registered, @platformatic/kafka with gzip/snappy/lz4 — are fetched raw
 *     from the broker (Fetch v11, the batches as stored) and decoded with
 *     OUR codec: `decompress(codec, bytes after the 61-byte header)`, then the
 *     records. Each batch must carry the requested codec, and every key,
 *     value and header must come back. The frame flavour each client writes
 *     (LZ4 FLG/BD, snappy framing, zstd content size) is pinned too, since
 *     those are what differ between producers (research/protocol.md §P6).
 * (b) Batches compressed by OUR codec — built here with every codec and LZ4
 *     frame setting, plus whole topics written by the load generator
 *     (`runLoad --compression X`) — are consumed by kcat, by kafkajs (codecs
 *     registered, consumer group) and by platformatic (consumer group); the
 *     records must be exactly what was written (load-generator values are
 *     checked with their own CRC-32C header).
 *
 * Not covered, because the client cannot: zstd in kafkajs (no codec package
 * installed) and in platformatic on Node 20 (needs zlib.zstdCompressSync),
 * xerial-framed snappy in platformatic (it calls raw snappy only).
 */
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import type { Consumer as KafkaJsConsumer, Kafka as KafkaJsClient, Producer as KafkaJsProducer } from 'kafkajs';
import { Consumer as PltConsumer, Producer as PltProducer, stringSerializers } from '@platformatic/kafka';
import zstdBinding from 'zstd-napi/binding.js';
import type { KafkaConnection } from '../../../src/client/kafka-connection.js';
import { CompressionType, compressionName, isXerialSnappy, type CompressOptions } from '../../../src/compression/codec.js';
import { LZ4_PRODUCER_PRESETS, parseLz4FrameHeader } from '../../../src/compression/lz4-frame.js';
import { runLoad } from '../../../src/load/load-runner.js';
import { checkValue, ValueCheck, readProducerId, readSequence } from '../../../src/load/record-value.js';
import { crc32c } from '../../../src/wasm/crc32c.js';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';
import { hasKcat, kcat } from '../../helpers/kcat.js';
import { connect, ensureTopic } from '../../helpers/produce.js';
import {
  buildCompressedBatch, decodeBatch, fetchRawBatches, kcatConsume, normalizeDecoded, produceBatch, randomBytes,
  sameRecords, textRecords, until, type SeenRecord, type TestRecord,
} from './support.js';

const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = kafkajs;
const require = createRequire(import.meta.url);
// Loaded as CommonJS: kafkajs-snappy has no type declarations, and kafkajs-lz4's declare an ES default export its CJS build does not have.
const SnappyCodec = require('kafkajs-snappy') as () => unknown;
const LZ4Codec = require('kafkajs-lz4') as new () => { codec: () => unknown };
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;

let tb: TestBroker;
let conn: KafkaConnection;
let kafka: KafkaJsClient;

test.before(async () => {
  assert.ok(hasKcat, 'kcat must be installed (apt-get install kcat)');
  // Default engine (worker shards), one partition per topic so each producer's order is the log's order.
  tb = await startTestBroker({ numPartitions: 1 });
  conn = await connect(tb.broker.port);
  kafka = new Kafka({
    clientId: 'millrace-compat-codecs', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING,
    connectionTimeout: 3000, requestTimeout: 15_000, retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
  });
});
test.after(async () => {
  conn?.close();
  await tb?.close();
});

/**
 * Every batch of the topic decoded with OUR codec; asserts each one carries
 * `codec`. With `someUncompressed`, batches may also be uncompressed, as
 * long as at least 90% of the records come in `codec` batches: librdkafka
 * sends a batch uncompressed when compressing does not make it smaller
 * (typically a first batch of one short message).
 */
async function decodeTopic(topic: string, codec: CompressionType, someUncompressed = false): Promise<{ records: SeenRecord[]; stored: Buffer[] }> {
  const batches = await fetchRawBatches(conn, topic);
  assert.ok(batches.length > 0, `${topic}: no batches`);
  const records: SeenRecord[] = [];
  const stored: Buffer[] = [];
  let inCodec = 0;
  for (const b of batches) {
    const d = decodeBatch(b);
    if (!(someUncompressed && d.codec === CompressionType.None)) {
      assert.is(compressionName(d.codec), compressionName(codec), `${topic}: batch codec`);
      stored.push(d.stored);
      inCodec += d.records.length;
    }
    for (const r of d.records) records.push(normalizeDecoded(r));
  }
  assert.equal(records.map((r) => r.offset), records.map((_, i) => i), `${topic}: dense offsets`);
  assert.ok(inCodec >= records.length * 0.9, `${topic}: only ${inCodec} of ${records.length} records in ${compressionName(codec)} batches`);
  return { records, stored };
}

function lz4Flags(frames: Buffer[]): string[] {
  return [...new Set(frames.map((f) => { const h = parseLz4FrameHeader(f); return `FLG ${h.flg.toString(16)} BD ${h.bd.toString(16)}`; }))];
}

// ====================================================================
// (a) real clients write, OUR codec decodes
// ====================================================================

/** kcat input lines: key TAB value (no TAB: null key). kcat sets the same -H headers on every message. */
function kcatInput(records: TestRecord[]): Buffer {
  return Buffer.concat(records.map((r) => Buffer.concat([r.key === null ? Buffer.alloc(0) : Buffer.from(`${r.key}\t`), r.value, Buffer.from('\n')])));
}

test('(a) kcat -z gzip|snappy|lz4|zstd: librdkafka 2.0.2 batches decode with our codecs', async () => {
  const flavours: Record<string, string> = {};
  for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    const name = compressionName(codec)!;
    const topic = `a-kcat-${name}`;
    // 3000 records of ~300 B: several librdkafka batches, each well over one 64 KiB LZ4 block.
    const sent = textRecords(`kcat ${name}`, 3000, codec).map((r) => ({ ...r, headers: [['src', 'kcat'], ['codec', name]] as [string, string][] }));
    const r = await kcat(['-b', tb.bootstrap, '-P', '-t', topic, '-z', name, '-K', '\t', '-H', 'src=kcat', '-H', `codec=${name}`,
      '-X', 'linger.ms=20', '-X', 'batch.num.messages=1000'], { input: kcatInput(sent) });
    assert.is(r.code, 0, r.stderr);
    const { records, stored } = await decodeTopic(topic, codec, true);
    const diff = sameRecords(records, sent, `kcat ${name}`);
    assert.is(diff, null, diff ?? '');
    assert.ok(stored.length >= 2, `kcat ${name}: expected several batches, got ${stored.length}`);
    if (codec === CompressionType.Lz4) flavours[name] = lz4Flags(stored).join('; ');
    if (codec === CompressionType.Snappy) flavours[name] = stored.some(isXerialSnappy) ? 'xerial' : 'raw';
    if (codec === CompressionType.Zstd) flavours[name] = stored.every((s) => zstdBinding.getFrameContentSize(s) === null) ? 'no content size' : 'content size';
  }
  // research/protocol.md §P6: librdkafka writes independent 64 KiB blocks, no checksums (FLG 0x60, BD 0x40).
  assert.is(flavours.lz4, 'FLG 60 BD 40');
  assert.is(flavours.snappy, 'raw');
  // librdkafka's streaming zstd compressor leaves the content size out; our decoder streams those frames.
  assert.is(flavours.zstd, 'no content size');
});

function kafkajsMessages(sent: TestRecord[]) {
  return sent.map((r) => ({ key: r.key, value: r.value, headers: Object.fromEntries(r.headers) }));
}

test('(a) kafkajs 2.2.4 gzip, kafkajs-lz4 and kafkajs-snappy batches decode with our codecs', async () => {
  const producer: KafkaJsProducer = kafka.producer();
  await producer.connect();
  try {
    const frames: Buffer[] = [];
    for (const [codec, kjs] of [[CompressionType.Gzip, CompressionTypes.GZIP], [CompressionType.Snappy, CompressionTypes.Snappy], [CompressionType.Lz4, CompressionTypes.LZ4]] as const) {
      const name = compressionName(codec)!;
      const topic = `a-kafkajs-${name}`;
      const sent = [
        ...textRecords(`kafkajs ${name}`, 1500, 10 + codec),
        { key: 'big-random', value: randomBytes(150_000, codec), headers: [['kind', 'random']] as [string, string][] },
      ];
      // Two sends: two batches; the first ~400 KiB uncompressed (several LZ4 blocks of any size but 4 MiB).
      for (const part of [sent.slice(0, 1000), sent.slice(1000)]) {
        await producer.send({ topic, acks: -1, compression: kjs, messages: kafkajsMessages(part) });
      }
      const { records, stored } = await decodeTopic(topic, codec);
      const diff = sameRecords(records, sent, `kafkajs ${name}`);
      assert.is(diff, null, diff ?? '');
      if (codec === CompressionType.Lz4) frames.push(...stored);
      if (codec === CompressionType.Snappy) assert.not.ok(stored.some(isXerialSnappy), 'kafkajs-snappy writes raw snappy');
    }
    // kafkajs-lz4 (lz4 0.6.5): 4 MiB blocks and a content checksum (FLG 0x64, BD 0x70), which we verify.
    assert.equal(lz4Flags(frames), ['FLG 64 BD 70']);
  } finally {
    await producer.disconnect();
  }
});

test('(a) @platformatic/kafka gzip, snappy and lz4 batches decode with our codecs', async () => {
  const producer = new PltProducer({ clientId: 'compat-plt-producer', bootstrapBrokers: [tb.bootstrap], serializers: { key: stringSerializers.key, headerKey: stringSerializers.headerKey, headerValue: stringSerializers.headerValue },
    autocreateTopics: true, retries: 5, retryDelay: 100 });
  try {
    const frames: Buffer[] = [];
    for (const codec of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
      const name = compressionName(codec)! as 'gzip' | 'snappy' | 'lz4';
      const topic = `a-plt-${name}`;
      const sent = [
        ...textRecords(`platformatic ${name}`, 1500, 20 + codec),
        { key: 'big-random', value: randomBytes(300_000, codec), headers: [['kind', 'random']] as [string, string][] },
      ];
      // Three sends of ~30 KB, ~180 KB and ~550 KB: @platformatic/wasm-utils sizes its LZ4 blocks to the
      // input (64 KiB, 256 KiB, 4 MiB), so each batch gets a different frame flavour.
      for (const part of [sent.slice(0, 100), sent.slice(100, 700), sent.slice(700)]) {
        await producer.send({
          acks: -1, compression: name,
          messages: part.map((r) => ({ topic, key: r.key ?? undefined, value: r.value, headers: new Map(r.headers) })),
        });
      }
      const { records, stored } = await decodeTopic(topic, codec);
      // platformatic sends a missing key as null and no headers as an empty list: the same records.
      const diff = sameRecords(records, sent, `platformatic ${name}`);
      assert.is(diff, null, diff ?? '');
      if (codec === CompressionType.Lz4) frames.push(...stored);
      if (codec === CompressionType.Snappy) assert.not.ok(stored.some(isXerialSnappy), 'platformatic writes raw snappy');
    }
    // @platformatic/wasm-utils (LZ4F, block size from the input size): independent blocks, no checksums
    // (FLG 0x60); BD 0x40 up to 64 KiB of input, 0x50 up to 256 KiB, 0x70 (4 MiB blocks) above.
    assert.equal(lz4Flags(frames), ['FLG 60 BD 40', 'FLG 60 BD 50', 'FLG 60 BD 70']);
  } finally {
    await producer.close();
  }
});

// ====================================================================
// (b) OUR codec writes, real clients decode
// ====================================================================

interface OurTopic {
  topic: string;
  codec: CompressionType;
  sent: TestRecord[];
  /** Readers that cannot decode this one (a documented client limitation, not ours). */
  skip: ('kafkajs' | 'platformatic')[];
}

const ourTopics: OurTopic[] = [];

const VARIANTS: { label: string; codec: CompressionType; opts?: CompressOptions; skip?: OurTopic['skip'] }[] = [
  { label: 'gzip', codec: CompressionType.Gzip },
  { label: 'gzip-1', codec: CompressionType.Gzip, opts: { level: 1 } },
  { label: 'snappy', codec: CompressionType.Snappy },
  // The Java producer's framing: kafkajs-snappy and librdkafka detect it; platformatic calls raw snappy only.
  { label: 'snappy-xerial', codec: CompressionType.Snappy, opts: { snappyFraming: 'xerial' }, skip: ['platformatic'] },
  { label: 'lz4', codec: CompressionType.Lz4 },
  { label: 'lz4-kafkajs-preset', codec: CompressionType.Lz4, opts: { lz4: LZ4_PRODUCER_PRESETS.kafkajs } },
  { label: 'lz4-platformatic-preset', codec: CompressionType.Lz4, opts: { lz4: LZ4_PRODUCER_PRESETS.platformatic } },
  { label: 'lz4-checksums', codec: CompressionType.Lz4, opts: { lz4: { blockChecksum: true, contentChecksum: true, contentSize: true } } },
  { label: 'zstd', codec: CompressionType.Zstd, skip: ['kafkajs', 'platformatic'] },
];

const LOAD_CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const LOAD_RECORDS = 4000;
const LOAD_RECORD_SIZE = 200;

test('(b) setup: topics written by OUR codecs (hand-built batches and the load generator)', async () => {
  for (const v of VARIANTS) {
    const topic = `b-ours-${v.label}`;
    await ensureTopic(conn, topic);
    const sent: TestRecord[] = [];
    // Three batches: small text, a large text batch (many LZ4 blocks), and one with an incompressible value
    // (LZ4 stores those blocks uncompressed; snappy/gzip/zstd hit their worst case).
    const parts = [
      textRecords(`ours ${v.label} a`, 50, 30),
      textRecords(`ours ${v.label} b`, 2000, 31),
      [...textRecords(`ours ${v.label} c`, 20, 32), { key: 'random', value: randomBytes(200_000, 33), headers: [['kind', 'random']] as [string, string][] }],
    ];
    for (const p of parts) {
      await produceBatch(conn, topic, buildCompressedBatch(p, v.codec, v.opts));
      sent.push(...p);
    }
    // Stored as written: our own decoder reads it back (the broker never recompresses).
    const back = await decodeTopic(topic, v.codec);
    assert.is(sameRecords(back.records, sent, `ours ${v.label}`), null);
    ourTopics.push({ topic, codec: v.codec, sent, skip: v.skip ?? [] });
  }
  for (const compression of LOAD_CODECS) {
    const r = await runLoad({
      quiet: true, progress: false, workers: 0, mode: 'produce', bootstrap: tb.bootstrap, topic: `b-load-${compression}`,
      createTopic: true, partitions: 1, records: LOAD_RECORDS, recordSize: LOAD_RECORD_SIZE, compression, acks: -1, keys: 'uniform:100',
    });
    assert.ok(r.ok, r.problems.join('; '));
    assert.is(r.produce!.records, LOAD_RECORDS);
    const batches = await fetchRawBatches(conn, `b-load-${compression}`);
    assert.ok(batches.length >= 2 && batches.every((b) => decodeBatch(b).codec !== CompressionType.None), `load ${compression}: compressed batches`);
  }
});

const loadTopics = LOAD_CODECS.map((c) => ({ topic: `b-load-${c}`, codec: c }));

/**
 * Checks load-generator values as a consumer returned them: each value's own
 * CRC-32C header, and per producer a gap-free sequence 0..n-1.
 */
function checkLoadValues(values: Buffer[], what: string): void {
  assert.is(values.length, LOAD_RECORDS, `${what}: record count`);
  const next = new Map<number, number>();
  for (const v of values) {
    assert.is(v.length, LOAD_RECORD_SIZE, `${what}: value size`);
    assert.is(checkValue(v, 0, v.length, (b, s, e) => crc32c(b, s, e)), ValueCheck.OK, `${what}: value checksum`);
    const pid = readProducerId(v, 0);
    const seq = readSequence(v, 0);
    assert.is(seq, next.get(pid) ?? 0, `${what}: sequence of producer ${pid}`);
    next.set(pid, seq + 1);
  }
}

test('(b) kcat (librdkafka) reads every batch our codecs wrote', async () => {
  assert.ok(ourTopics.length === VARIANTS.length, 'setup ran');
  for (const t of ourTopics) {
    const seen = await kcatConsume(tb.bootstrap, t.topic);
    const diff = sameRecords(seen, t.sent, `kcat ${t.topic}`);
    assert.is(diff, null, diff ?? '');
  }
  for (const t of loadTopics) {
    checkLoadValues((await kcatConsume(tb.bootstrap, t.topic)).map((r) => r.value), `kcat ${t.topic}`);
  }
});

test('(b) kafkajs (gzip built in, kafkajs-lz4, kafkajs-snappy) reads every batch our codecs wrote', async () => {
  const ours = ourTopics.filter((t) => !t.skip.includes('kafkajs'));
  const loads = loadTopics.filter((t) => t.codec !== 'zstd');
  const topics = [...ours.map((t) => t.topic), ...loads.map((t) => t.topic)];
  const seen = new Map<string, SeenRecord[]>(topics.map((t) => [t, []]));
  const consumer: KafkaJsConsumer = kafka.consumer({ groupId: 'compat-codecs-kafkajs', maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  let failure: unknown;
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        seen.get(topic)!.push({
          offset: Number(message.offset), key: message.key === null ? null : message.key.toString(), value: message.value ?? Buffer.alloc(0),
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        });
      },
    });
    consumer.on(consumer.events.CRASH, (e) => { failure = e.payload.error; });
    const expected = new Map<string, number>([...ours.map((t) => [t.topic, t.sent.length] as const), ...loads.map((t) => [t.topic, LOAD_RECORDS] as const)]);
    await until(() => failure !== undefined || topics.every((t) => seen.get(t)!.length >= expected.get(t)!), 30_000,
      () => topics.map((t) => `${t} ${seen.get(t)!.length}/${expected.get(t)}`).join(', '));
  } finally {
    await consumer.disconnect();
  }
  assert.is(failure, undefined, `kafkajs consumer crashed: ${String(failure)}`);
  for (const t of ours) {
    const diff = sameRecords(seen.get(t.topic)!, t.sent, `kafkajs ${t.topic}`);
    assert.is(diff, null, diff ?? '');
  }
  for (const t of loads) checkLoadValues(seen.get(t.topic)!.map((r) => r.value), `kafkajs ${t.topic}`);
});

test('(b) @platformatic/kafka reads every batch our codecs wrote', async () => {
  const ours = ourTopics.filter((t) => !t.skip.includes('platformatic'));
  const loads = loadTopics.filter((t) => t.codec !== 'zstd');
  const topics = [...ours.map((t) => t.topic), ...loads.map((t) => t.topic)];
  const seen = new Map<string, SeenRecord[]>(topics.map((t) => [t, []]));
  const expected = new Map<string, number>([...ours.map((t) => [t.topic, t.sent.length] as const), ...loads.map((t) => [t.topic, LOAD_RECORDS] as const)]);
  const consumer = new PltConsumer({
    groupId: 'compat-codecs-plt', clientId: 'compat-plt-consumer', bootstrapBrokers: [tb.bootstrap],
    maxWaitTime: 200, sessionTimeout: 10_000, heartbeatInterval: 1000, autocommit: false, retries: 2,
  });
  try {
    const stream = await consumer.consume({ topics, mode: 'earliest' });
    const done = (): boolean => topics.every((t) => seen.get(t)!.length >= expected.get(t)!);
    const timer = setTimeout(() => { void stream.close(); }, 30_000);
    try {
      for await (const m of stream) {
        seen.get(m.topic)!.push({
          offset: Number(m.offset), key: keyOf(m.key),
          value: Buffer.from(m.value ?? Buffer.alloc(0)), headers: [...m.headers].map(([k, v]) => [k.toString(), v.toString()]),
        });
        if (done()) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
    assert.ok(done(), topics.map((t) => `${t} ${seen.get(t)!.length}/${expected.get(t)}`).join(', '));
  } finally {
    await consumer.close();
  }
  for (const t of ours) {
    const diff = sameRecords(seen.get(t.topic)!, t.sent, `platformatic ${t.topic}`);
    assert.is(diff, null, diff ?? '');
  }
  for (const t of loads) checkLoadValues(seen.get(t.topic)!.map((r) => r.value), `platformatic ${t.topic}`);
});

/** platformatic hands a null key to the deserializer as undefined; map it back to null. */
function keyOf(k: Buffer | undefined | null): string | null {
  return k === undefined || k === null ? null : k.toString();
}

test.run();
