/**
 * The group APIs at every advertised version, over the protocol client:
 * FindCoordinator 0-4 (batched keys, transaction keys), a whole membership
 * round JoinGroup 0-9 / SyncGroup 0-5 / Heartbeat 0-4 / LeaveGroup 0-5,
 * OffsetCommit 0-8 and OffsetFetch 0-8 (v8 multi-group), ListGroups 0-4,
 * DescribeGroups 0-5, DeleteGroups 0-2, OffsetDelete 0; and bad input: unknown
 * members, illegal generations, inconsistent protocols, unknown topics, a
 * group that a silent member cannot wedge.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { decodeAssignment } from '../../src/coordinator/consumer-protocol.js';
import { GROUP_SUBSCRIBED_TO_TOPIC } from '../../src/coordinator/group-coordinator.js';
import { writeConsumerProtocolAssignment } from '../../src/protocol/generated/consumer-protocol-assignment.js';
import { writeConsumerProtocolSubscription } from '../../src/protocol/generated/consumer-protocol-subscription.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openConnection, produce, sleep, waitForTopics, within } from '../helpers/wire.js';

const TOPIC = 'wire-groups';
let tb: TestBroker;
let conn: KafkaConnection;
const extra: KafkaConnection[] = [];

test.before(async () => {
  tb = await startTestBroker({ numPartitions: 4, shards: 0 });
  conn = await openConnection(tb.broker.port);
  await waitForTopics(conn, [TOPIC]);
});
test.after(async () => {
  for (const c of [conn, ...extra]) c?.close();
  await tb?.close();
});

async function another(): Promise<KafkaConnection> {
  const c = await openConnection(tb.broker.port);
  extra.push(c);
  return c;
}

function subscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(1);
  writeConsumerProtocolSubscription(w, 1, { topics, userData: null, ownedPartitions: [] });
  return w.toBuffer();
}

function assignment(partitions: number[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  writeConsumerProtocolAssignment(w, 0, { assignedPartitions: [{ topic: TOPIC, partitions }], userData: null });
  return w.toBuffer();
}

function join(c: KafkaConnection, v: number, groupId: string, memberId = '', o: { protocolType?: string; protocols?: string[]; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; groupInstanceId?: string | null } = {}) {
  return c.send('JoinGroup', v, {
    groupId, sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000, rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10_000, memberId,
    groupInstanceId: o.groupInstanceId ?? null, protocolType: o.protocolType ?? 'consumer',
    protocols: (o.protocols ?? ['range']).map((name) => ({ name, metadata: subscription([TOPIC]) })), reason: null,
  });
}

/** JoinGroup as a client does it: v4+ first learns its member id from MEMBER_ID_REQUIRED. */
async function joinFully(c: KafkaConnection, v: number, groupId: string, o: Parameters<typeof join>[4] = {}) {
  let r = await join(c, v, groupId, '', o);
  if (v >= 4 && o.groupInstanceId == null) {
    assert.is(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `JoinGroup v${v}`);
    assert.ok(r.memberId.length > 0);
    r = await join(c, v, groupId, r.memberId, o);
  }
  return r;
}

test('FindCoordinator v0-4 names this broker for groups; transactions have no coordinator yet; v4 batches keys', async () => {
  for (let v = 0; v <= 3; v++) {
    const r = await conn.send('FindCoordinator', v, { key: 'some-group', keyType: 0 });
    assert.is(r.errorCode, ErrorCode.NONE, `v${v}`);
    assert.equal([r.nodeId, r.host, r.port], [0, '127.0.0.1', tb.broker.port], `v${v}`);
  }
  const txn = await conn.send('FindCoordinator', 1, { key: 'tx', keyType: 1 });
  assert.is(txn.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const batch = await conn.send('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
  assert.equal(batch.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port]), [['a', 0, 0, tb.broker.port], ['b', 0, 0, tb.broker.port]]);
  const batchTxn = await conn.send('FindCoordinator', 4, { keyType: 1, coordinatorKeys: ['t'] });
  assert.is(batchTxn.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const md = await conn.send('Metadata', 1, { topics: [{ name: '__consumer_offsets' }] });
  assert.is(md.topics[0]!.errorCode, 0);
  assert.ok(md.topics[0]!.isInternal, 'the offsets topic exists and is internal');
  const p = await produce(conn, '__consumer_offsets', 0, [{ key: 'k', value: 'not a coordinator record' }]);
  assert.is(p.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, 'clients cannot write to the offsets topic');
});

for (const v of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
  test(`JoinGroup v${v} → SyncGroup → Heartbeat → OffsetCommit → OffsetFetch → LeaveGroup`, async () => {
    const group = `wire-v${v}`;
    const syncV = Math.min(v, 5);
    const hbV = Math.min(v, 4);
    const leaveV = Math.min(v, 5);
    const commitV = Math.min(v, 8);
    const fetchV = Math.min(v, 7);
    const j = await joinFully(conn, v, group);
    assert.is(j.errorCode, ErrorCode.NONE);
    assert.is(j.generationId, 1);
    assert.is(j.leader, j.memberId);
    assert.is(j.protocolName, 'range');
    if (v >= 7) assert.is(j.protocolType, 'consumer');
    assert.is(j.members.length, 1);
    const s = await conn.send('SyncGroup', syncV, {
      groupId: group, generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: j.memberId, assignment: assignment([0, 1, 2, 3]) }],
    });
    assert.is(s.errorCode, ErrorCode.NONE);
    assert.equal(decodeAssignment(s.assignment)?.assignedPartitions[0]?.partitions, [0, 1, 2, 3]);
    if (syncV >= 5) assert.equal([s.protocolType, s.protocolName], ['consumer', 'range']);
    assert.is((await conn.send('Heartbeat', hbV, { groupId: group, generationId: 1, memberId: j.memberId, groupInstanceId: null })).errorCode, ErrorCode.NONE);
    assert.is((await conn.send('Heartbeat', hbV, { groupId: group, generationId: 2, memberId: j.memberId, groupInstanceId: null })).errorCode, ErrorCode.ILLEGAL_GENERATION);

    const c = await conn.send('OffsetCommit', commitV, {
      groupId: group, generationIdOrMemberEpoch: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1,
      topics: [
        { name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 100 + v, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: `meta-${v}` }, { partitionIndex: 9, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
      ],
    });
    const codes = c.topics.map((t) => t.partitions.map((p) => p.errorCode));
    if (commitV === 0) {
      // v0 carries no member id or generation: a group with members refuses it as a whole.
      assert.equal(codes, [[ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID], [ErrorCode.UNKNOWN_MEMBER_ID]]);
    } else {
      assert.equal(codes, [[ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    }

    const f = await conn.send('OffsetFetch', fetchV, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0, 1] }], requireStable: true });
    if (fetchV >= 2) assert.is(f.errorCode, ErrorCode.NONE);
    const parts = f.topics[0]!.partitions;
    assert.equal(parts.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode]), [[0, commitV === 0 ? -1 : 100 + v, 0], [1, -1, 0]]);
    if (commitV > 0) assert.is(parts[0]!.metadata, `meta-${v}`);

    const l = await conn.send('LeaveGroup', leaveV, { groupId: group, memberId: j.memberId, members: [{ memberId: j.memberId, groupInstanceId: null, reason: 'test' }] });
    assert.is(l.errorCode, ErrorCode.NONE);
    if (leaveV >= 3) assert.equal(l.members.map((m) => [m.memberId, m.errorCode]), [[j.memberId, 0]]);
    assert.is((await conn.send('Heartbeat', hbV, { groupId: group, generationId: 1, memberId: j.memberId, groupInstanceId: null })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });
}

test('OffsetFetch v8 asks for several groups at once; null topics = everything committed', async () => {
  for (const g of ['multi-a', 'multi-b']) {
    const r = await conn.send('OffsetCommit', 8, { groupId: g, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 2, committedOffset: g === 'multi-a' ? 5 : 6, committedLeaderEpoch: 0, committedMetadata: '' }] }] });
    assert.is(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE, 'simple commit (generation -1)');
  }
  const f = await conn.send('OffsetFetch', 8, { groups: [{ groupId: 'multi-a', topics: null }, { groupId: 'multi-b', topics: [{ name: TOPIC, partitionIndexes: [2, 3] }] }, { groupId: 'nobody', topics: null }], requireStable: false });
  assert.equal(f.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])]), [
    ['multi-a', 0, [[TOPIC, [[2, 5]]]]],
    ['multi-b', 0, [[TOPIC, [[2, 6], [3, -1]]]]],
    ['nobody', 0, []],
  ]);
  const v2 = await conn.send('OffsetFetch', 2, { groupId: 'multi-a', topics: null });
  assert.equal(v2.topics.map((t) => t.partitions.map((p) => p.committedOffset)), [[5]]);
});

test('ListGroups v0-4, DescribeGroups v0-5, DeleteGroups v0-2, OffsetDelete v0', async () => {
  const c2 = await another();
  const j = await joinFully(c2, 5, 'described');
  await c2.send('SyncGroup', 3, { groupId: 'described', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, assignments: [{ memberId: j.memberId, assignment: assignment([1]) }] });
  for (let v = 0; v <= 4; v++) {
    const r = await conn.send('ListGroups', v, { statesFilter: v >= 4 ? ['Stable'] : [] });
    assert.is(r.errorCode, 0);
    const d = r.groups.find((g) => g.groupId === 'described');
    assert.ok(d, `v${v}`);
    assert.is(d.protocolType, 'consumer');
    if (v >= 4) {
      assert.is(d.groupState, 'Stable');
      assert.ok(r.groups.every((g) => g.groupState === 'Stable'), 'filtered by state');
    }
  }
  for (let v = 0; v <= 5; v++) {
    const r = await conn.send('DescribeGroups', v, { groups: ['described', 'unknown-group'], includeAuthorizedOperations: true });
    const [d, u] = r.groups;
    assert.equal([d!.errorCode, d!.groupState, d!.protocolType, d!.protocolData, d!.members.length], [0, 'Stable', 'consumer', 'range', 1], `v${v}`);
    assert.is(d!.members[0]!.clientId, 'millrace-test');
    assert.is(d!.members[0]!.clientHost, '/127.0.0.1');
    assert.equal(decodeAssignment(d!.members[0]!.memberAssignment)?.assignedPartitions[0]?.partitions, [1]);
    if (v >= 3) assert.ok(d!.authorizedOperations > 0);
    assert.equal([u!.errorCode, u!.groupState], [0, 'Dead']);
  }
  await c2.send('OffsetCommit', 5, { groupId: 'described', generationIdOrMemberEpoch: j.generationId, memberId: j.memberId, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1, committedOffset: 3 }, { partitionIndex: 2, committedOffset: 3 }] }] });
  const od = await conn.send('OffsetDelete', 0, { groupId: 'described', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1 }] }] });
  assert.equal([od.errorCode, od.topics[0]!.partitions[0]!.errorCode], [0, GROUP_SUBSCRIBED_TO_TOPIC]);
  for (let v = 0; v <= 2; v++) {
    const r = await conn.send('DeleteGroups', v, { groupsNames: ['described', 'missing'] });
    assert.equal(r.results.map((x) => [x.groupId, x.errorCode]), [['described', ErrorCode.NON_EMPTY_GROUP], ['missing', ErrorCode.GROUP_ID_NOT_FOUND]], `v${v}`);
  }
  await c2.send('LeaveGroup', 1, { groupId: 'described', memberId: j.memberId });
  const od2 = await conn.send('OffsetDelete', 0, { groupId: 'described', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 1 }] }] });
  assert.equal([od2.errorCode, od2.topics[0]!.partitions[0]!.errorCode], [0, 0]);
  const del = await conn.send('DeleteGroups', 2, { groupsNames: ['described'] });
  assert.is(del.results[0]!.errorCode, ErrorCode.NONE);
  const f = await conn.send('OffsetFetch', 3, { groupId: 'described', topics: null });
  assert.equal(f.topics, [], 'offsets went with the group');
});

test('deleting a topic deletes the groups\' offsets for it; a re-created topic starts without them', async () => {
  await waitForTopics(conn, ['short-lived']);
  const c = await conn.send('OffsetCommit', 2, { groupId: 'deleter', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1, topics: [{ name: 'short-lived', partitions: [{ partitionIndex: 0, committedOffset: 9 }] }] });
  assert.is(c.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const d = await conn.send('DeleteTopics', 1, { topicNames: ['short-lived'], timeoutMs: 10_000 });
  assert.is(d.responses[0]!.errorCode, ErrorCode.NONE);
  await waitForTopics(conn, ['short-lived']);
  let offset = 0;
  for (let i = 0; i < 50; i++) {
    offset = (await conn.send('OffsetFetch', 3, { groupId: 'deleter', topics: [{ name: 'short-lived', partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.committedOffset;
    if (offset === -1) break;
    await sleep(20);
  }
  assert.is(offset, -1);
});

test('bad input: unknown member, empty group id, bad session timeout, mixed protocol types, oversize metadata, commit for an unknown group', async () => {
  assert.is((await join(conn, 5, 'bad', 'who-am-i')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await join(conn, 5, '')).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.is((await join(conn, 5, 'bad', '', { sessionTimeoutMs: 10 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.is((await conn.send('Heartbeat', 1, { groupId: 'bad', generationId: 1, memberId: 'x' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await conn.send('SyncGroup', 1, { groupId: 'bad', generationId: 1, memberId: 'x', assignments: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const c = await conn.send('OffsetCommit', 2, { groupId: 'bad', generationIdOrMemberEpoch: 3, memberId: 'x', retentionTimeMs: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1 }] }] });
  assert.is(c.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);

  const j = await joinFully(conn, 5, 'typed');
  await conn.send('SyncGroup', 3, { groupId: 'typed', generationId: 1, memberId: j.memberId, assignments: [] });
  assert.is((await join(conn, 2, 'typed', '', { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.is((await join(conn, 2, 'typed', '', { protocols: ['sticky'] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const huge = await conn.send('JoinGroup', 5, { groupId: 'typed', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(2 << 20) }] });
  assert.is(huge.errorCode, ErrorCode.INVALID_REQUEST);
  assert.is((await conn.send('Heartbeat', 2, { groupId: 'typed', generationId: 1, memberId: j.memberId })).errorCode, ErrorCode.NONE, 'the group is undisturbed');
  await conn.send('LeaveGroup', 0, { groupId: 'typed', memberId: j.memberId });
});

test('a member that joins and then falls silent cannot wedge the group for the others', async () => {
  const a = await another();
  const b = await another();
  const group = 'wedge';
  // A joins and syncs; B joins (A must rejoin); B never sends SyncGroup nor heartbeats.
  const aj = await joinFully(a, 5, group, { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 });
  await a.send('SyncGroup', 3, { groupId: group, generationId: aj.generationId, memberId: aj.memberId, assignments: [] });
  const bFirst = await join(b, 5, group, '', { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 });
  const bJoin = join(b, 5, group, bFirst.memberId, { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 });
  assert.is((await a.send('Heartbeat', 3, { groupId: group, generationId: aj.generationId, memberId: aj.memberId })).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const aj2 = await join(a, 5, group, aj.memberId, { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 });
  await bJoin;
  assert.is(aj2.members.length, 2);
  const started = Date.now();
  // A syncs (as leader) and keeps heartbeating; B is silent from now on.
  await a.send('SyncGroup', 3, { groupId: group, generationId: aj2.generationId, memberId: aj.memberId, assignments: [{ memberId: aj.memberId, assignment: assignment([0, 1]) }, { memberId: bFirst.memberId, assignment: assignment([2, 3]) }] });
  let err = 0;
  while (Date.now() - started < 15_000) {
    err = (await a.send('Heartbeat', 3, { groupId: group, generationId: aj2.generationId, memberId: aj.memberId })).errorCode;
    if (err === ErrorCode.REBALANCE_IN_PROGRESS) break;
    await sleep(500);
  }
  assert.is(err, ErrorCode.REBALANCE_IN_PROGRESS, 'the silent member was dropped');
  const aj3 = await within(join(a, 5, group, aj.memberId, { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000 }), 5000, 'rejoin');
  assert.is(aj3.errorCode, ErrorCode.NONE);
  assert.equal(aj3.members.map((m) => m.memberId), [aj.memberId], 'A is alone, and leader');
  assert.ok(Date.now() - started < 9000, `took ${Date.now() - started} ms`);
});

test('static membership over the wire: a restarted instance gets its assignment back without a rebalance', async () => {
  const c = await another();
  const j = await joinFully(c, 5, 'static', { groupInstanceId: 'pod-1' });
  assert.is(j.errorCode, ErrorCode.NONE);
  await c.send('SyncGroup', 3, { groupId: 'static', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'pod-1', assignments: [{ memberId: j.memberId, assignment: assignment([0, 3]) }] });
  const again = await join(conn, 5, 'static', '', { groupInstanceId: 'pod-1' });
  assert.is(again.errorCode, ErrorCode.NONE);
  assert.is(again.generationId, j.generationId, 'same generation: no rebalance');
  const s = await conn.send('SyncGroup', 3, { groupId: 'static', generationId: again.generationId, memberId: again.memberId, groupInstanceId: 'pod-1', assignments: [] });
  assert.equal(decodeAssignment(s.assignment)?.assignedPartitions[0]?.partitions, [0, 3]);
  assert.is((await c.send('Heartbeat', 3, { groupId: 'static', generationId: j.generationId, memberId: j.memberId, groupInstanceId: 'pod-1' })).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const l = await conn.send('LeaveGroup', 4, { groupId: 'static', members: [{ memberId: again.memberId, groupInstanceId: 'pod-1' }] });
  assert.equal(l.members.map((m) => m.errorCode), [0]);
});

test.run();
