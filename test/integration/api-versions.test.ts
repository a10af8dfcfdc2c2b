/**
 * ApiVersions against a running broker: every version 0-3 decodes exactly
 * (v3: flexible body, response header v0 per KIP-511), the advertised ranges
 * are exactly the handler registry's, and they contain what each real client
 * needs (research/protocol.md §1.2 "Must ⊇" column and librdkafka's feature
 * map, §1.3: a missing advertised *minimum* silently disables features).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../src/common/error-codes.js';
import { createHandlers } from '../../src/handlers/index.js';
import { HandlerRegistry } from '../../src/handlers/registry.js';
import type { BrokerServices } from '../../src/handlers/services.js';
import { Apis } from '../../src/protocol/generated/index.js';
import { buildBatch } from '../../src/protocol/record-batch/index.js';
import { MAGIC_OFFSET } from '../../src/protocol/record-batch/record-batch-header.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient, encodeRequest, openConnection, waitForTopics } from '../helpers/wire.js';

let tb: TestBroker;
let raw: RawClient;

test.before(async () => {
  tb = await startTestBroker();
  raw = await RawClient.open(tb.broker.port);
});
test.after(async () => {
  raw?.close();
  await tb?.close();
});

type Range = { apiKey: number; minVersion: number; maxVersion: number };
const byKey = (ranges: Range[]): Map<number, Range> => new Map(ranges.map((r) => [r.apiKey, r]));
const plain = (ranges: Range[]): Range[] => ranges.map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })).sort((a, b) => a.apiKey - b.apiKey);

/** What the registry advertises; handler factories only keep `services` for later, so a stub does. */
function registryRanges(): Range[] {
  return new HandlerRegistry(createHandlers({} as BrokerServices)).versionRanges();
}

test('ApiVersions v0-v3 decode exactly and list the same ranges', async () => {
  const lists: Range[][] = [];
  for (const v of [0, 1, 2, 3]) {
    const body = v >= 3 ? { clientSoftwareName: 'millrace-test', clientSoftwareVersion: '0.1.0' } : {};
    const res = await raw.request('ApiVersions', v, body); // readResponse fails on any byte left over
    assert.is(res.errorCode, ErrorCode.NONE, `v${v}`);
    if (v >= 1) assert.is(res.throttleTimeMs, 0, `v${v} throttle`);
    lists.push(plain(res.apiKeys));
  }
  for (const l of lists) assert.equal(l, lists[0]);
});

test('ApiVersions v3: response header v0 (no tag buffer), flexible body with empty tag sections', async () => {
  const id = 1000;
  raw.write(encodeRequest('ApiVersions', 3, { clientSoftwareName: 'millrace-test', clientSoftwareVersion: '0.1.0' }, id));
  const f = await raw.nextFrame();
  assert.is(f.readInt32BE(0), id);
  // Header v0: the error code follows the correlation id directly; then the compact array
  // length (count + 1) as an unsigned varint.
  assert.is(f.readInt16BE(4), ErrorCode.NONE);
  const count = registryRanges().length;
  assert.ok(count < 127);
  assert.is(f[6], count + 1, 'compact array length right after the error code');
  // Each entry: apiKey int16, min int16, max int16, empty tag buffer.
  for (let i = 0; i < count; i++) assert.is(f[7 + i * 7 + 6], 0, `entry ${i} has an empty tag section`);
  // Then throttleTimeMs int32 and the body's tag buffer, empty: no SupportedFeatures & co (platformatic mis-parses tags).
  const end = 7 + count * 7;
  assert.is(f.readInt32BE(end), 0);
  assert.is(f[end + 4], 0, 'empty top-level tag buffer');
  assert.is(f.length, end + 5);
});

test('ApiVersions v0 body: error code and int32-counted array, no throttle time', async () => {
  const id = 1001;
  raw.write(encodeRequest('ApiVersions', 0, {}, id));
  const f = await raw.nextFrame();
  const count = registryRanges().length;
  assert.is(f.readInt32BE(0), id);
  assert.is(f.readInt16BE(4), 0);
  assert.is(f.readInt32BE(6), count);
  assert.is(f.length, 10 + count * 6);
});

test('advertised ranges are exactly the handler registry, each within the spec', async () => {
  const res = await raw.request('ApiVersions', 3, { clientSoftwareName: 'millrace-test', clientSoftwareVersion: '0.1.0' });
  assert.equal(plain(res.apiKeys), plain(registryRanges()));
  const specs = new Map(Object.values(Apis).map((a) => [a.apiKey, a]));
  for (const r of res.apiKeys) {
    const spec = specs.get(r.apiKey);
    assert.ok(spec, `api key ${r.apiKey} has a generated codec`);
    assert.ok(r.minVersion >= spec!.minVersion && r.maxVersion <= spec!.maxVersion && r.minVersion <= r.maxVersion, `${spec!.name} ${r.minVersion}-${r.maxVersion} within ${spec!.minVersion}-${spec!.maxVersion}`);
    assert.not.ok(spec!.latestVersionUnstable && r.maxVersion === spec!.maxVersion, `${spec!.name}: unstable latest version advertised`);
  }
  // Keys are unique and sorted.
  const keys = res.apiKeys.map((k) => k.apiKey);
  assert.equal(keys, [...new Set(keys)].sort((a, b) => a - b));
});

/**
 * research/protocol.md §1.2, "Must ⊇": the range each API must contain, when
 * advertised at all, for librdkafka 2.0.2, kafka-python 2.0.2, kafkajs 2.2.4,
 * @platformatic/kafka and the Java client 3.x to negotiate. One correction:
 * Produce must contain v0 (not only 3-7), see the compression test below.
 */
const MUST_CONTAIN: Record<string, [number, number]> = {
  ApiVersions: [0, 3], Metadata: [0, 9], Produce: [0, 7], Fetch: [4, 12], ListOffsets: [1, 5],
  FindCoordinator: [0, 4], JoinGroup: [0, 6], SyncGroup: [0, 4], Heartbeat: [0, 4], LeaveGroup: [0, 4],
  OffsetCommit: [2, 8], OffsetFetch: [1, 8], ListGroups: [0, 4], DescribeGroups: [0, 5], DeleteGroups: [1, 2],
  CreateTopics: [3, 7], DeleteTopics: [1, 6], CreatePartitions: [0, 3], DescribeConfigs: [1, 4], AlterConfigs: [0, 2],
  IncrementalAlterConfigs: [1, 1], DeleteRecords: [1, 2], InitProducerId: [1, 4], AddPartitionsToTxn: [0, 3],
  AddOffsetsToTxn: [0, 3], EndTxn: [1, 3], TxnOffsetCommit: [1, 3], SaslHandshake: [0, 1], SaslAuthenticate: [0, 2],
};

/** APIs every client needs from the first connection on. */
const REQUIRED = ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets'];

test('advertised ranges contain what every supported client sends (protocol.md §1.2)', async () => {
  const res = await raw.request('ApiVersions', 0, {});
  const adv = byKey(res.apiKeys);
  for (const name of REQUIRED) assert.ok(adv.has(Apis[name as keyof typeof Apis].apiKey), `${name} advertised`);
  for (const [name, [lo, hi]] of Object.entries(MUST_CONTAIN)) {
    const r = adv.get(Apis[name as keyof typeof Apis].apiKey);
    if (!r) continue;
    assert.ok(r.minVersion <= lo && r.maxVersion >= hi, `${name}: advertised ${r.minVersion}-${r.maxVersion} must contain ${lo}-${hi}`);
  }
});

test("librdkafka 2.0.2 feature map (protocol.md §1.3): the advertised minimums enable every feature", async () => {
  const res = await raw.request('ApiVersions', 0, {});
  const adv = byKey(res.apiKeys);
  const has = (name: keyof typeof Apis, v: number): boolean => {
    const r = adv.get(Apis[name].apiKey);
    return !!r && r.minVersion <= v && r.maxVersion >= v;
  };
  const present = (name: keyof typeof Apis): boolean => adv.has(Apis[name].apiKey);
  assert.ok(has('Produce', 3) && has('Fetch', 4), 'MsgVer2 needs Produce 3 and Fetch 4');
  assert.ok(has('Produce', 7) && has('Fetch', 10), 'ZSTD needs Produce 7 and Fetch 10');
  // rd_kafka_msgset_writer_select_MsgVersion: compression is used only if
  // ApiVersion_supported(Produce, 0, compr_req[codec].ApiVersion) overlaps, and compr_req is
  // 0 for gzip, snappy and lz4 (7 for zstd). Without Produce v0 they are sent uncompressed.
  assert.ok(has('Produce', 0), 'gzip/snappy/lz4 compression needs Produce 0 in the advertised range');
  assert.ok(has('ApiVersions', 0), 'ApiVersion feature needs ApiVersions 0');
  assert.ok(has('ListOffsets', 1), 'OffsetTime needs ListOffsets 1');
  // Features that depend on APIs served by later issues: once advertised, the v0 they key on must stay.
  if (present('FindCoordinator')) assert.ok(has('FindCoordinator', 0), 'BrokerGroupCoordinator and LZ4 need FindCoordinator 0');
  for (const g of ['JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup'] as const) if (present(g)) assert.ok(has(g, 0), `BrokerBalancedConsumer needs ${g} 0`);
  if (present('OffsetCommit')) assert.ok(has('OffsetCommit', 1) && has('OffsetCommit', 2), 'OffsetCommit 1-2');
  if (present('OffsetFetch')) assert.ok(has('OffsetFetch', 1), 'OffsetFetch 1');
  if (present('SaslHandshake')) assert.ok(has('SaslHandshake', 0) && has('SaslHandshake', 1), 'SaslHandshake 0 and 1');
  if (present('SaslAuthenticate')) assert.ok(has('SaslAuthenticate', 0), 'SaslAuthReq needs SaslAuthenticate 0');
  if (present('InitProducerId')) assert.ok(has('InitProducerId', 0), 'IdempotentProducer needs InitProducerId 0');
  // LZ4 keys on FindCoordinator 0: until consumer groups land, librdkafka sends LZ4-requested batches uncompressed.
});

test('ranges that must not be advertised: AddPartitionsToTxn 4+, KIP-848 and telemetry unless implemented, Fetch 13+ without topic ids', async () => {
  const res = await raw.request('ApiVersions', 0, {});
  const adv = byKey(res.apiKeys);
  const addParts = adv.get(Apis.AddPartitionsToTxn.apiKey);
  if (addParts) assert.ok(addParts.maxVersion <= 3, 'AddPartitionsToTxn v4+ is broker-to-broker');
  for (const key of [68, 71, 72]) assert.not.ok(adv.has(key), `api key ${key} must not be advertised`);
  const fetch = adv.get(Apis.Fetch.apiKey)!;
  if (fetch.maxVersion >= 13) assert.ok(adv.get(Apis.Metadata.apiKey)!.maxVersion >= 10, 'Fetch 13+ needs topic ids from Metadata 10+');
});

test("kafka-python's probe: ApiVersions v0 and Metadata v0 pipelined on a fresh socket, both answered in order", async () => {
  const c = await RawClient.open(tb.broker.port);
  c.write(Buffer.concat([encodeRequest('ApiVersions', 0, {}, 1), encodeRequest('Metadata', 0, { topics: [] }, 2)]));
  const av = await c.readResponse('ApiVersions', 0, 1);
  assert.is(av.errorCode, 0);
  const md = await c.readResponse('Metadata', 0, 2);
  assert.is(md.brokers.length, 1);
  assert.is(md.brokers[0]!.port, tb.broker.port);
  c.close();
});

test('Produce v0-v2 (advertised for librdkafka) answer in their own layout; legacy magic 0/1 message sets get INVALID_RECORD', async () => {
  const admin = await openConnection(tb.broker.port);
  await waitForTopics(admin, ['old-produce']);
  admin.close();
  const c = await RawClient.open(tb.broker.port);
  for (const v of [0, 1, 2]) {
    const legacy = buildBatch([{ value: `v${v}` }]);
    legacy[MAGIC_OFFSET] = 1;
    const res = await c.request('Produce', v, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'old-produce', partitionData: [{ index: 0, records: legacy }] }] });
    assert.is(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_RECORD, `Produce v${v}`);
  }
  c.close();
});

test('a null client id (length -1) is accepted', async () => {
  const c = await RawClient.open(tb.broker.port);
  c.write(encodeRequest('ApiVersions', 2, {}, 5, null));
  assert.is((await c.readResponse('ApiVersions', 2, 5)).errorCode, 0);
  c.write(encodeRequest('ApiVersions', 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 6, null));
  assert.is((await c.readResponse('ApiVersions', 3, 6)).errorCode, 0);
  c.close();
});

test('librdkafka-style downgrade: the v0 error answer to an unknown version carries the ApiVersions range to retry with', async () => {
  const c = await RawClient.open(tb.broker.port);
  const req = encodeRequest('ApiVersions', 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 9);
  req.writeInt16BE(4, 6); // v4 exists in the spec (Java 3.9 sends it) but is not served
  c.write(req);
  const f = await c.nextFrame();
  // v0 layout: correlation id, error code, int32 array count, entries of 3 int16.
  assert.is(f.readInt32BE(0), 9);
  assert.is(f.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION);
  const n = f.readInt32BE(6);
  assert.is(f.length, 10 + n * 6);
  const entries = Array.from({ length: n }, (_, i) => [f.readInt16BE(10 + i * 6), f.readInt16BE(12 + i * 6), f.readInt16BE(14 + i * 6)]);
  const own = registryRanges().find((r) => r.apiKey === 18)!;
  assert.ok(entries.some(([k, lo, hi]) => k === 18 && lo === own.minVersion && hi === own.maxVersion));
  // Retrying with the advertised max works on the same connection.
  c.write(encodeRequest('ApiVersions', own.maxVersion, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 10));
  assert.is((await c.readResponse('ApiVersions', own.maxVersion, 10)).errorCode, 0);
  c.close();
});

test.run();
