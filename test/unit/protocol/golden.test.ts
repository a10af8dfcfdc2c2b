/**
 * Golden wire bytes: request frames captured from real clients (kcat /
 * librdkafka 2.0.2 and kafkajs 2.2.4) by scripts/capture-wire.ts into
 * test/fixtures/wire/. Each decodes with the generated codecs (request header
 * + body, nothing left over), shows the fields the client is known to send,
 * and re-encodes to the identical bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeader, requestHeaderVersion } from '../../../src/protocol/header.js';
import {
  Apis, writeRequestHeader, type FetchRequest, type ListOffsetsRequest, type MetadataRequest, type ProduceRequest, type ApiVersionsRequest,
} from '../../../src/protocol/generated/index.js';
import { Reader, Writer } from '../../../src/protocol/primitives/index.js';
import { decodeRecords, validateBatches } from '../../../src/protocol/record-batch/index.js';

/** test/fixtures/wire, found from dist/test/... or test/... */
function wireDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'test', 'fixtures', 'wire');
    if (existsSync(join(p, 'MANIFEST.json'))) return p;
    dir = dirname(dir);
  }
  throw new Error('test/fixtures/wire not found');
}

interface Entry { client: string; api: string; apiKey: number; version: number; bytes: number }
const dir = wireDir();
const manifest = JSON.parse(readFileSync(join(dir, 'MANIFEST.json'), 'utf8')) as { files: Record<string, Entry> };
const files = Object.entries(manifest.files);
const clientIds: Record<string, string> = { kcat: 'golden-kcat', kafkajs: 'golden-kafkajs' };

function decode(file: string) {
  const frame = readFileSync(join(dir, file));
  const r = new Reader(frame, 4);
  const header = readHeader(r);
  const api = Object.values(Apis).find((a) => a.apiKey === header.requestApiKey)!;
  const body = api.readRequest(r, header.requestApiVersion);
  return { frame, header, api, body, left: r.remaining };
}

test('the fixture set covers ApiVersions, Metadata and Produce from both clients', () => {
  for (const client of ['kcat', 'kafkajs']) {
    for (const api of ['ApiVersions', 'Metadata', 'Produce']) {
      assert.ok(files.some(([, e]) => e.client === client && e.api === api), `${client} ${api}`);
    }
  }
});

for (const [file, e] of files) {
  test(`${file}: header and body decode exactly, re-encoding gives the same bytes`, () => {
    const { frame, header, api, body, left } = decode(file);
    assert.is(frame.length, e.bytes);
    assert.is(frame.readInt32BE(0), frame.length - 4, 'size prefix');
    assert.is(api.name, e.api);
    assert.is(header.requestApiKey, e.apiKey);
    assert.is(header.requestApiVersion, e.version);
    assert.is(header.clientId, clientIds[e.client]);
    assert.ok(header.correlationId >= 0);
    assert.is(left, 0, 'no bytes left after the body');
    const w = new Writer(frame.length);
    w.int32(0);
    writeRequestHeader(w, requestHeaderVersion(header.requestApiKey, header.requestApiVersion), header);
    (api.writeRequest as (w: Writer, v: number, m: unknown) => void)(w, header.requestApiVersion, body);
    w.patchInt32(0, w.length - 4);
    const again = w.toBuffer();
    assert.is(again.toString('hex'), frame.toString('hex'));
  });
}

/** Checks the Produce payload both clients were asked to send: two keyed records in one v2 batch. */
function checkProduce(req: ProduceRequest, topic: string): void {
  assert.is(req.transactionalId, null);
  assert.is(req.acks, -1, 'both clients default to acks=all');
  assert.ok(req.timeoutMs > 0);
  assert.is(req.topicData.length, 1);
  assert.is(req.topicData[0]!.name, topic);
  assert.is(req.topicData[0]!.partitionData.length, 1);
  const records = req.topicData[0]!.partitionData[0]!.records!;
  const v = validateBatches(records, { maxMessageBytes: 1 << 20, singleBatch: true });
  assert.ok(v.ok, v.ok ? '' : v.reason);
  if (!v.ok) return;
  assert.is(v.batches.length, 1);
  assert.is(v.recordCount, 2);
  assert.is(v.batches[0]!.compression, 0);
  const recs = decodeRecords(records);
  assert.equal(recs.map((r) => [r.key?.toString(), r.value?.toString()]), [['key-1', 'value-1'], ['key-2', 'value-2']]);
  assert.equal(recs.map((r) => r.offset), [0, 1], 'clients send base offset 0');
}

function only(client: string, api: string): ReturnType<typeof decode>[] {
  return files.filter(([, e]) => e.client === client && e.api === api).map(([f]) => decode(f));
}

test('kcat ApiVersions: v3, flexible, names librdkafka 2.0.2', () => {
  const [d] = only('kcat', 'ApiVersions');
  assert.is(d!.header.requestApiVersion, 3);
  const body = d!.body as ApiVersionsRequest;
  assert.is(body.clientSoftwareName, 'librdkafka');
  assert.match(body.clientSoftwareVersion, /^2\.0\.\d+$/);
  // Request header v2: client_id keeps its int16 length, then an empty tag section.
  assert.is(d!.frame.readInt16BE(12), 'golden-kcat'.length);
  assert.is(d!.frame[14 + 'golden-kcat'.length], 0);
});

test('kafkajs ApiVersions: v2, header only', () => {
  const [d] = only('kafkajs', 'ApiVersions');
  assert.is(d!.header.requestApiVersion, 2);
  assert.is(d!.frame.length, 4 + 10 + 'golden-kafkajs'.length, 'no body at all');
});

test('Metadata from both clients asks for the one topic and allows auto-creation', () => {
  for (const [client, topic] of [['kcat', 'golden-kcat'], ['kafkajs', 'golden-kafkajs']] as const) {
    for (const d of only(client, 'Metadata')) {
      const body = d.body as MetadataRequest;
      assert.ok(body.topics === null || body.topics.some((t) => t.name === topic), `${client} Metadata v${d.header.requestApiVersion}`);
      if (d.header.requestApiVersion >= 4) assert.is(body.allowAutoTopicCreation, true);
    }
  }
});

test('Produce from both clients: v7, one record batch v2 with the two keyed records, valid CRC', () => {
  for (const [client, topic] of [['kcat', 'golden-kcat'], ['kafkajs', 'golden-kafkajs']] as const) {
    const ds = only(client, 'Produce');
    assert.ok(ds.length > 0);
    for (const d of ds) {
      assert.is(d.header.requestApiVersion, 7, `${client} picks Produce v7 against Millrace`);
      checkProduce(d.body as ProduceRequest, topic);
    }
  }
});

test('kcat consumer: ListOffsets for the beginning, then a full Fetch without a session', () => {
  for (const d of only('kcat', 'ListOffsets')) {
    const body = d.body as ListOffsetsRequest;
    assert.is(body.replicaId, -1);
    assert.is(body.topics[0]!.name, 'golden-kcat');
    assert.is(body.topics[0]!.partitions[0]!.timestamp, -2, 'EARLIEST');
  }
  for (const d of only('kcat', 'Fetch')) {
    const body = d.body as FetchRequest;
    assert.is(body.replicaId, -1);
    assert.is(body.sessionId, 0);
    assert.is(body.sessionEpoch, -1, 'librdkafka asks for no fetch session');
    assert.is(body.isolationLevel, 1, 'librdkafka defaults to read_committed');
    assert.is(body.topics[0]!.topic, 'golden-kcat');
    assert.is(body.topics[0]!.partitions[0]!.fetchOffset, 0);
    assert.ok(body.maxWaitMs > 0 && body.minBytes >= 1);
  }
});

test('each golden frame minus its last byte fails to decode instead of reading garbage', () => {
  for (const [file] of files) {
    const { frame } = decode(file);
    const r = new Reader(frame.subarray(0, frame.length - 1), 4);
    assert.throws(() => {
      const h = readHeader(r);
      Object.values(Apis).find((a) => a.apiKey === h.requestApiKey)!.readRequest(r, h.requestApiVersion);
    }, undefined, file);
  }
});

test.run();
