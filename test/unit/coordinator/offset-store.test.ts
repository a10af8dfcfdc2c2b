/**
 * The offsets topic store over real partition logs (cluster metadata, engine,
 * inline shard): record encoding, the group → partition hash, replay with
 * tombstones, self-compaction (snapshot + log start move) and replay after it,
 * and the coordinator's state surviving a reopen.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterMetadata, type TopicInfo } from '../../../src/cluster/cluster-metadata.js';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import { GroupCoordinator } from '../../../src/coordinator/group-coordinator.js';
import {
  OFFSETS_TOPIC, OffsetStore, decodeRecord, encodeKey, encodeValue, javaStringHash, partitionForGroup, type CoordinatorRecord,
} from '../../../src/coordinator/offset-store.js';
import { Engine } from '../../../src/shard/engine.js';
import { InlineShard } from '../../../src/shard/inline-shard.js';
import { BASE_CONFIG, ManualScheduler, joinReq } from './helpers.js';

const dirs: string[] = [];
test.after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

/** Metadata + engine over one inline shard, opening partitions as the broker does. */
async function openStorage(dataDir: string) {
  const config = defaultBrokerConfig({ dataDir, shards: 0 });
  const metadata = await ClusterMetadata.open(dataDir, config);
  const engine = new Engine([new InlineShard(0)], dataDir);
  const open = async (t: TopicInfo) => {
    for (let p = 0; p < t.partitions; p++) await engine.openPartition(t.name, t.topicId, p, metadata.shardOf(t.name, p)!, { ...metadata.effectiveLogConfig(t), flush: config.flush });
  };
  for (const t of metadata.topics()) await open(t);
  metadata.on('topicCreated', (t) => { void open(t); });
  if (!metadata.topic('orders')) await metadata.createTopic('orders', { partitions: 4 });
  return {
    metadata, engine,
    async close() { await engine.close(); await metadata.close(); },
  };
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'millrace-offsets-'));
  dirs.push(d);
  return d;
}

const offsetRec = (groupId: string, partition: number, offset: number): CoordinatorRecord => ({
  type: 'offset', groupId, topic: 'orders', partition, value: { offset, leaderEpoch: 2, metadata: `m${offset}`, commitTimestampMs: 1_700_000_000_000 + offset, expireTimestampMs: -1 },
});

async function replay(store: OffsetStore): Promise<Map<string, CoordinatorRecord>> {
  const state = new Map<string, CoordinatorRecord>();
  await store.load((r) => {
    const k = r.type === 'offset' ? `${r.groupId}/${r.topic}/${r.partition}` : `${r.groupId}`;
    if (r.value === null) state.delete(k);
    else state.set(k, r);
  });
  return state;
}

test('record encoding round-trips every kind; keys and values use Kafka\'s layouts', () => {
  const recs: CoordinatorRecord[] = [
    offsetRec('g', 3, 42),
    { type: 'offset', groupId: 'g', topic: 't', partition: 0, value: { offset: 7, leaderEpoch: -1, metadata: '', commitTimestampMs: 5, expireTimestampMs: 99 } },
    { type: 'offset', groupId: 'g', topic: 't', partition: 1, value: null },
    { type: 'group', groupId: 'g', value: null },
    { type: 'group', groupId: 'g', value: {
      protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestampMs: 123,
      members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/1.2.3.4', rebalanceTimeoutMs: 300, sessionTimeoutMs: 100, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
    } },
  ];
  for (const r of recs) assert.equal(decodeRecord(encodeKey(r), encodeValue(r)), r);
  // OffsetCommitKey: int16 type 1, group, topic, partition.
  assert.equal([...encodeKey(offsetRec('g', 3, 1))], [0, 1, 0, 1, 0x67, 0, 6, ...Buffer.from('orders'), 0, 0, 0, 3]);
  assert.is(encodeValue(offsetRec('g', 3, 1))!.readInt16BE(0), 3, 'OffsetCommitValue v3');
  assert.is(encodeValue(recs[1]!)!.readInt16BE(0), 1, 'v1 when the commit carried an expiry');
  assert.equal([...encodeKey({ type: 'group', groupId: 'g', value: null })], [0, 2, 0, 1, 0x67]);
});

test('groups map to partitions as Kafka does: abs(String.hashCode) % partitions', () => {
  assert.is(javaStringHash('hello'), 99162322);
  assert.is(javaStringHash(''), 0);
  assert.is(javaStringHash('polygenelubricants'), -2147483648, 'Integer.MIN_VALUE: Kafka\'s Utils.abs maps it to 0');
  assert.is(partitionForGroup('polygenelubricants', 50), 0);
  assert.is(partitionForGroup('hello', 50), 99162322 % 50);
  for (const g of ['a', 'group-1', 'ünïcødé']) {
    const p = partitionForGroup(g, 7);
    assert.ok(p >= 0 && p < 7);
  }
});

test('replay returns the last value of every key; tombstones delete', async () => {
  const dir = await tempDir();
  const s = await openStorage(dir);
  const store = new OffsetStore(s.metadata, s.engine, { partitions: 3 });
  await store.prepare();
  assert.ok(s.metadata.topic(OFFSETS_TOPIC)?.isInternal);
  assert.is(s.metadata.topic(OFFSETS_TOPIC)?.configs.get('cleanup.policy'), 'compact');
  for (let i = 0; i < 5; i++) assert.is(await store.append('g1', [offsetRec('g1', 0, i), offsetRec('g1', 1, 10 + i)]), ErrorCode.NONE);
  await store.append('g2', [offsetRec('g2', 0, 1)]);
  await store.append('g1', [{ type: 'offset', groupId: 'g1', topic: 'orders', partition: 1, value: null }]);
  const state = await replay(new OffsetStore(s.metadata, s.engine, { partitions: 3 }));
  assert.equal([...state.keys()].sort(), ['g1/orders/0', 'g2/orders/0']);
  assert.is((state.get('g1/orders/0') as { value: { offset: number } }).value.offset, 4);
  await s.close();
});

test('a partition that is mostly superseded records compacts itself; replay after it is short and complete', async () => {
  const dir = await tempDir();
  let s = await openStorage(dir);
  const store = new OffsetStore(s.metadata, s.engine, { partitions: 1, compactMinRecords: 200, compactRatio: 4 });
  await store.prepare();
  for (let i = 0; i < 300; i++) {
    await store.append('hot', [offsetRec('hot', 0, i), offsetRec('hot', 1, i), offsetRec('hot', 2, i)]);
  }
  await store.append('cold', [offsetRec('cold', 0, 5)]);
  await store.append('gone', [offsetRec('gone', 3, 1)]);
  await store.append('gone', [{ type: 'offset', groupId: 'gone', topic: 'orders', partition: 3, value: null }]);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(store.compactionCount >= 2, `compactions: ${store.compactionCount}`);
  const route = s.engine.route(OFFSETS_TOPIC, 0)!;
  const o = (await route.shard.offsets(route.key))!;
  assert.ok(o.logStartOffset > 0, 'the log start moved past the superseded records');
  assert.ok(o.highWatermark - o.logStartOffset < 250, `replay reads ${o.highWatermark - o.logStartOffset} records instead of ${o.highWatermark}`);
  await s.close();

  // After a restart the state is exactly the latest one.
  s = await openStorage(dir);
  const state = await replay(new OffsetStore(s.metadata, s.engine, { partitions: 1 }));
  assert.equal([...state.keys()].sort(), ['cold/orders/0', 'hot/orders/0', 'hot/orders/1', 'hot/orders/2']);
  for (let p = 0; p < 3; p++) assert.is((state.get(`hot/orders/${p}`) as { value: { offset: number } }).value.offset, 299);
  await s.close();
});

test('the coordinator over the log: a Stable group and its offsets survive a reopen', async () => {
  const dir = await tempDir();
  let s = await openStorage(dir);
  const deps = (st: typeof s) => ({ store: new OffsetStore(st.metadata, st.engine, { partitions: 5 }), scheduler: new ManualScheduler(), partitionCount: (t: string) => st.metadata.topic(t)?.partitions });
  let gc = new GroupCoordinator(BASE_CONFIG, deps(s));
  await gc.start();
  await gc.prepare();
  const j = await gc.join(joinReq({ groupId: 'persisted' }));
  await gc.sync({ groupId: 'persisted', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: Buffer.from('A') }] });
  const c = await gc.commitOffsets({ groupId: 'persisted', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 314, committedLeaderEpoch: 1, committedMetadata: 'pi' }] }] });
  assert.is(c[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  await gc.close();
  await s.close();

  s = await openStorage(dir);
  gc = new GroupCoordinator(BASE_CONFIG, deps(s));
  await gc.start();
  assert.equal(gc.groupState('persisted'), { state: 'Stable', generationId: 1, leaderId: j.memberId, protocolName: 'range', members: [j.memberId] });
  const f = gc.fetchOffsets('persisted', [{ name: 'orders', partitionIndexes: [2] }], false).topics[0]!.partitions[0]!;
  assert.equal([f.committedOffset, f.committedLeaderEpoch, f.metadata], [314, 1, 'pi']);
  const s2 = await gc.sync({ groupId: 'persisted', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  assert.is(s2.assignment.toString(), 'A');
  await gc.close();
  await s.close();
});

test.run();
