/**
 * Interop with an independent implementation: kafkajs' record batch encoder
 * and decoder (a devDependency). Our validator and decoder must accept what
 * kafkajs produces, gzip-compressed batches included, and kafkajs must decode
 * what our builder produces.
 */
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateBatches } from '../../../../src/protocol/record-batch/batch-validator.js';
import { buildBatch } from '../../../../src/protocol/record-batch/record-batch-builder.js';
import { decodeRecords, findRecordByTimestamp } from '../../../../src/protocol/record-batch/records.js';
import * as H from '../../../../src/protocol/record-batch/record-batch-header.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (o: any) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: any) => any;
const batchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: any) => Promise<any>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => any;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

async function kafkajsBatch(compression: number): Promise<Buffer> {
  const records = [
    Record({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: { h: 'x' } }),
    Record({ offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.from('v1') }),
  ];
  const enc = await RecordBatch({
    compression, firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_007, lastOffsetDelta: 1,
    producerId: -1, firstSequence: 0, records,
  });
  return enc.buffer;
}

test('a kafkajs batch validates and decodes', async () => {
  const b = await kafkajsBatch(Compression.None);
  const v = validateBatches(b, { maxMessageBytes: 1 << 20 });
  assert.ok(v.ok, v.ok ? '' : v.reason);
  const recs = decodeRecords(b);
  assert.equal(recs.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]), [
    [0, 1_700_000_000_000, 'k0', 'v0'],
    [1, 1_700_000_000_007, null, 'v1'],
  ]);
  assert.equal(recs[0]!.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
});

test('a gzip kafkajs batch validates (CRC over the compressed bytes) and answers timestamps per batch', async () => {
  const b = await kafkajsBatch(Compression.GZIP);
  assert.is(H.compression(b, 0), 1);
  assert.ok(validateBatches(b, { maxMessageBytes: 1 << 20 }).ok);
  assert.equal(findRecordByTimestamp(b, 0, 1_700_000_000_005, 0), { offset: 0, timestamp: 1_700_000_000_007 });
});

test('kafkajs decodes a batch from our builder', async () => {
  const ours = buildBatch([
    { key: 'a', value: 'one', timestamp: 1_700_000_000_000, headers: [{ key: 'hk', value: 'hv' }] },
    { key: null, value: 'two', timestamp: 1_700_000_000_010 },
  ], { baseOffset: 40 });
  const decoded = await batchDecoder(new Decoder(ours));
  const recs = decoded.records as any[];
  assert.is(recs.length, 2);
  assert.equal(recs.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value.toString()]), [
    ['40', '1700000000000', 'a', 'one'],
    ['41', '1700000000010', null, 'two'],
  ]);
  assert.is(recs[0].headers.hk.toString(), 'hv');
});

test.run();
