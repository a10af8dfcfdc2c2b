/**
 * The group state machine driven directly, with a manual clock: join/sync
 * rounds, MEMBER_ID_REQUIRED, leader election, the protocol vote, heartbeat
 * errors, session expiry, rebalance and sync timeouts, static membership,
 * leave, commits and fetches, replay, retention, deletes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode } from '../../../src/common/error-codes.js';
import { decodeAssignment, decodeSubscription } from '../../../src/coordinator/consumer-protocol.js';
import { GROUP_SUBSCRIBED_TO_TOPIC, GroupCoordinator } from '../../../src/coordinator/group-coordinator.js';
import type { JoinResult } from '../../../src/coordinator/group.js';
import { BASE_CONFIG, ManualScheduler, MemoryStore, TOPICS, assignment, joinReq, newCoordinator, settle, subscription } from './helpers.js';

async function joined(p: Promise<JoinResult> | JoinResult): Promise<JoinResult> {
  return p;
}

/** Starts a JoinGroup and reports whether it has been answered yet. */
function parkJoin(gc: GroupCoordinator, req: Parameters<GroupCoordinator['join']>[0]) {
  let result: JoinResult | null = null;
  const p = Promise.resolve(gc.join(req)).then((r) => (result = r));
  return { p, get result() { return result; } };
}

/** One member joins an empty group and syncs: the group is Stable at generation 1. */
async function singleStable(gc: GroupCoordinator, groupId = 'g') {
  const j = await joined(gc.join(joinReq({ groupId })));
  assert.is(j.errorCode, ErrorCode.NONE);
  const s = await gc.sync({ groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: assignment({ orders: [0, 1, 2, 3, 4, 5] }) }] });
  assert.is(s.errorCode, ErrorCode.NONE);
  return j;
}

test('v4+: an unknown member gets MEMBER_ID_REQUIRED with an id, then joins with it and leads generation 1', async () => {
  const { gc } = await newCoordinator();
  const first = await joined(gc.join(joinReq({ requireKnownMemberId: true, clientId: 'app' })));
  assert.is(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.ok(first.memberId.startsWith('app-'), first.memberId);
  const second = await joined(gc.join(joinReq({ requireKnownMemberId: true, memberId: first.memberId })));
  assert.is(second.errorCode, ErrorCode.NONE);
  assert.is(second.memberId, first.memberId);
  assert.is(second.leader, first.memberId);
  assert.is(second.generationId, 1);
  assert.is(second.protocolName, 'range');
  assert.is(second.protocolType, 'consumer');
  assert.equal(second.members.map((m) => m.memberId), [first.memberId]);
  assert.equal(decodeSubscription(second.members[0]!.metadata)?.topics, ['orders']);
  assert.is(gc.groupState('g')?.state, 'CompletingRebalance');
});

test('v0-3: an unknown member gets its id directly; SyncGroup delivers the leader\'s assignment and the group is Stable', async () => {
  const { gc, store } = await newCoordinator();
  const j = await singleStable(gc);
  assert.is(gc.groupState('g')?.state, 'Stable');
  const again = await gc.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(decodeAssignment(again.assignment)?.assignedPartitions, [{ topic: 'orders', partitions: [0, 1, 2, 3, 4, 5] }]);
  const groupRecords = store.records.filter((r) => r.type === 'group');
  assert.is(groupRecords.length, 1, 'the completed generation is persisted');
});

test('a second member triggers a rebalance: heartbeat says REBALANCE_IN_PROGRESS, both get generation 2, followers wait for the leader', async () => {
  const { gc } = await newCoordinator();
  const a = await singleStable(gc);
  const b = parkJoin(gc, joinReq({ clientId: 'b' }));
  await settle();
  assert.is(b.result, null, 'B waits for A to rejoin');
  assert.is(gc.groupState('g')?.state, 'PreparingRebalance');
  assert.is(gc.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const aj = await joined(gc.join(joinReq({ memberId: a.memberId })));
  await b.p;
  const bj = b.result!;
  assert.is(aj.generationId, 2);
  assert.is(bj.generationId, 2);
  assert.is(aj.leader, a.memberId, 'the first member stays leader');
  assert.is(bj.leader, a.memberId);
  assert.is(aj.members.length, 2, 'the leader sees every member');
  assert.is(bj.members.length, 0, 'followers see none');
  assert.is(gc.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE, 'CompletingRebalance heartbeats are fine');

  let followerSync: Buffer | null = null;
  const fs = Promise.resolve(gc.sync({ groupId: 'g', generationId: 2, memberId: bj.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }))
    .then((r) => { assert.is(r.errorCode, ErrorCode.NONE); followerSync = r.assignment; });
  await settle();
  assert.is(followerSync, null, 'the follower waits for the leader\'s SyncGroup');
  const ls = await gc.sync({
    groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: [
      { memberId: a.memberId, assignment: assignment({ orders: [0, 1, 2] }) },
      { memberId: bj.memberId, assignment: assignment({ orders: [3, 4, 5] }) },
    ],
  });
  await fs;
  assert.equal(decodeAssignment(ls.assignment)?.assignedPartitions[0]?.partitions, [0, 1, 2]);
  assert.equal(decodeAssignment(followerSync)?.assignedPartitions[0]?.partitions, [3, 4, 5]);
  assert.is(gc.groupState('g')?.state, 'Stable');
});

test('protocol vote: only protocols every member supports count; most first choices win', async () => {
  const { gc } = await newCoordinator();
  const meta = subscription(['orders']);
  const p = (...names: string[]) => names.map((name) => ({ name, metadata: meta }));
  // C lacks range, so roundrobin is the only candidate.
  const a = parkJoin(gc, joinReq({ clientId: 'a', protocols: p('range', 'roundrobin') }));
  await settle();
  const aId = a.result!.memberId;
  await gc.sync({ groupId: 'g', generationId: 1, memberId: aId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  const b = parkJoin(gc, joinReq({ clientId: 'b', protocols: p('roundrobin', 'range') }));
  const c = parkJoin(gc, joinReq({ clientId: 'c', protocols: p('roundrobin') }));
  const a2 = await joined(gc.join(joinReq({ memberId: aId, protocols: p('range', 'roundrobin') })));
  await Promise.all([b.p, c.p]);
  assert.is(a2.protocolName, 'roundrobin');

  // Two of three prefer range; all support both.
  const { gc: gc2 } = await newCoordinator();
  const x = parkJoin(gc2, joinReq({ clientId: 'x', protocols: p('range', 'roundrobin') }));
  await settle();
  const xId = x.result!.memberId;
  await gc2.sync({ groupId: 'g', generationId: 1, memberId: xId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  const y = parkJoin(gc2, joinReq({ clientId: 'y', protocols: p('range', 'roundrobin') }));
  const z = parkJoin(gc2, joinReq({ clientId: 'z', protocols: p('roundrobin', 'range') }));
  const x2 = await joined(gc2.join(joinReq({ memberId: xId, protocols: p('range', 'roundrobin') })));
  await Promise.all([y.p, z.p]);
  assert.is(x2.protocolName, 'range');
  assert.is(z.result!.protocolName, 'range');
});

test('INCONSISTENT_GROUP_PROTOCOL for another protocol type or no common protocol; SyncGroup v5 names must match', async () => {
  const { gc } = await newCoordinator();
  const j = await singleStable(gc);
  const other = await joined(gc.join(joinReq({ protocolType: 'connect' })));
  assert.is(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const none = await joined(gc.join(joinReq({ protocols: [{ name: 'sticky', metadata: subscription(['orders']) }] })));
  assert.is(none.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const empty = await joined(gc.join(joinReq({ groupId: 'fresh', protocols: [] })));
  assert.is(empty.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.is(gc.groupState('fresh'), undefined, 'a failed first join leaves no group behind');
  const s = await gc.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] });
  assert.is(s.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.is(gc.groupState('g')?.state, 'Stable', 'the group is unaffected');
});

test('heartbeat, sync and join errors: unknown group/member, illegal generation, invalid group id and session timeout', async () => {
  const { gc } = await newCoordinator();
  assert.is(gc.heartbeat('nope', 'm', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is(gc.heartbeat('', 'm', null, 1), ErrorCode.INVALID_GROUP_ID);
  const j = await singleStable(gc);
  assert.is(gc.heartbeat('g', 'someone-else', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is(gc.heartbeat('g', j.memberId, null, 7), ErrorCode.ILLEGAL_GENERATION);
  assert.is(gc.heartbeat('g', j.memberId, null, 1), ErrorCode.NONE);
  assert.is((await gc.sync({ groupId: 'g', generationId: 0, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.is((await gc.sync({ groupId: 'g', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await joined(gc.join(joinReq({ memberId: 'not-a-member' })))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await joined(gc.join(joinReq({ groupId: 'other', memberId: 'not-a-member' })))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await joined(gc.join(joinReq({ sessionTimeoutMs: 1000 })))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.is((await joined(gc.join(joinReq({ sessionTimeoutMs: 400_000 })))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.is((await joined(gc.join(joinReq({ groupId: '' })))).errorCode, ErrorCode.INVALID_GROUP_ID);
  const huge = [{ name: 'range', metadata: Buffer.alloc(2 * 1024 * 1024) }];
  assert.is((await joined(gc.join(joinReq({ protocols: huge })))).errorCode, ErrorCode.INVALID_REQUEST);
  assert.is(gc.groupState('g')?.state, 'Stable', 'none of it disturbs the group');
});

test('session expiry: a member that stops heartbeating is removed and the others rebalance without it', async () => {
  const { gc, scheduler } = await newCoordinator();
  const a = await singleStable(gc);
  const b = parkJoin(gc, joinReq({ clientId: 'b', sessionTimeoutMs: 6000 }));
  await joined(gc.join(joinReq({ memberId: a.memberId })));
  await b.p;
  const bId = b.result!.memberId;
  await Promise.all([
    gc.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
    gc.sync({ groupId: 'g', generationId: 2, memberId: bId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
  ]);
  // A heartbeats; B falls silent.
  await scheduler.advance(3000);
  assert.is(gc.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);
  await scheduler.advance(2900);
  assert.is(gc.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);
  await scheduler.advance(200);
  assert.is(gc.groupState('g')?.state, 'PreparingRebalance', 'B expired after 6 s');
  assert.equal(gc.groupState('g')?.members, [a.memberId]);
  assert.is(gc.heartbeat('g', a.memberId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.is(gc.heartbeat('g', bId, null, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  const again = await joined(gc.join(joinReq({ memberId: a.memberId })));
  assert.is(again.generationId, 3);
  assert.is(again.members.length, 1);
});

test('rebalance timeout: a member that keeps heartbeating but never rejoins is dropped when the rebalance times out', async () => {
  const { gc, scheduler } = await newCoordinator();
  const a = await singleStable(gc);
  // The group waits up to the largest rebalance timeout of its members (A's 30 s).
  const b = parkJoin(gc, joinReq({ clientId: 'b', rebalanceTimeoutMs: 20_000 }));
  for (let t = 0; t < 27_000; t += 3000) {
    await scheduler.advance(3000);
    assert.is(gc.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  }
  assert.is(b.result, null);
  await scheduler.advance(3000);
  await b.p;
  assert.is(b.result!.errorCode, ErrorCode.NONE);
  assert.is(b.result!.generationId, 2);
  assert.is(b.result!.leader, b.result!.memberId, 'the only member that rejoined becomes leader');
  assert.equal(gc.groupState('g')?.members, [b.result!.memberId]);
  assert.is(gc.heartbeat('g', a.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a leader that never sends SyncGroup cannot wedge the group: it is removed after the rebalance timeout', async () => {
  const { gc, scheduler } = await newCoordinator();
  const a = await singleStable(gc);
  const b = parkJoin(gc, joinReq({ clientId: 'b', rebalanceTimeoutMs: 10_000 }));
  const aj = await joined(gc.join(joinReq({ memberId: a.memberId, rebalanceTimeoutMs: 10_000 })));
  await b.p;
  const bId = b.result!.memberId;
  let followerError: number | null = null;
  void Promise.resolve(gc.sync({ groupId: 'g', generationId: 2, memberId: bId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }))
    .then((r) => { followerError = r.errorCode; });
  // The leader keeps heartbeating but never syncs.
  for (let t = 0; t < 9000; t += 3000) {
    await scheduler.advance(3000);
    assert.is(gc.heartbeat('g', aj.memberId, null, 2), ErrorCode.NONE);
  }
  assert.is(followerError, null);
  await scheduler.advance(1500);
  assert.is(followerError, ErrorCode.REBALANCE_IN_PROGRESS, 'the waiting follower is told to rejoin');
  assert.equal(gc.groupState('g')?.members, [bId], 'the silent leader is gone');
  const bj = await joined(gc.join(joinReq({ memberId: bId })));
  assert.is(bj.generationId, 3);
  assert.is(bj.leader, bId);
});

test('a dynamic member that got MEMBER_ID_REQUIRED and never came back does not hold up the rebalance forever', async () => {
  const { gc, scheduler } = await newCoordinator();
  const a = await singleStable(gc);
  const pending = await joined(gc.join(joinReq({ requireKnownMemberId: true })));
  assert.is(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  const c = parkJoin(gc, joinReq({ clientId: 'c' }));
  const aj = parkJoin(gc, joinReq({ memberId: a.memberId }));
  await settle();
  assert.is(aj.result, null, 'waiting for the pending member');
  await scheduler.advance(10_000);
  await Promise.all([aj.p, c.p]);
  assert.is(aj.result!.members.length, 2);
  assert.is((await joined(gc.join(joinReq({ memberId: pending.memberId })))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('initial rebalance delay: members joining an empty group within the delay share the first generation', async () => {
  const { gc, scheduler } = await newCoordinator({ initialRebalanceDelayMs: 3000 });
  const a = parkJoin(gc, joinReq({ clientId: 'a' }));
  await scheduler.advance(2000);
  const b = parkJoin(gc, joinReq({ clientId: 'b' }));
  await scheduler.advance(2000);
  assert.is(a.result, null, 'the delay restarted when B joined');
  await scheduler.advance(1100);
  await Promise.all([a.p, b.p]);
  assert.is(a.result!.generationId, 1);
  assert.is(a.result!.members.length, 2);
});

test('static membership: a restarted static member takes its place without a rebalance; the old id is fenced', async () => {
  const { gc } = await newCoordinator();
  const j = await joined(gc.join(joinReq({ groupInstanceId: 'host-1', requireKnownMemberId: true })));
  assert.is(j.errorCode, ErrorCode.NONE, 'static members skip MEMBER_ID_REQUIRED');
  assert.ok(j.memberId.startsWith('host-1-'));
  await gc.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: 'host-1', protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: assignment({ orders: [0, 1] }) }] });
  const restarted = await joined(gc.join(joinReq({ groupInstanceId: 'host-1', requireKnownMemberId: true })));
  assert.is(restarted.errorCode, ErrorCode.NONE);
  assert.is.not(restarted.memberId, j.memberId);
  assert.is(restarted.generationId, 1, 'no new generation');
  assert.is(restarted.leader, j.memberId, 'the old leader id, so it does not reassign');
  assert.is(gc.groupState('g')?.state, 'Stable');
  const s = await gc.sync({ groupId: 'g', generationId: 1, memberId: restarted.memberId, groupInstanceId: 'host-1', protocolType: null, protocolName: null, assignments: [] });
  assert.equal(decodeAssignment(s.assignment)?.assignedPartitions[0]?.partitions, [0, 1], 'it gets its old assignment');
  assert.is(gc.heartbeat('g', j.memberId, 'host-1', 1), ErrorCode.FENCED_INSTANCE_ID);
  assert.is(gc.heartbeat('g', restarted.memberId, 'host-1', 1), ErrorCode.NONE);
  const leave = gc.leave('g', [{ memberId: j.memberId, groupInstanceId: 'host-1' }]);
  assert.is(leave.members[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const leave2 = gc.leave('g', [{ memberId: '', groupInstanceId: 'host-1' }]);
  assert.is(leave2.members[0]!.errorCode, ErrorCode.NONE, 'a static member can leave by instance id');
  await settle();
  assert.is(gc.groupState('g')?.state, 'Empty');
});

test('static leader restarted before it sent the assignment: the group rebalances instead of waiting for it', async () => {
  const { gc } = await newCoordinator();
  const a = await joined(gc.join(joinReq({ groupInstanceId: 'a' })));
  assert.is(gc.groupState('g')?.state, 'CompletingRebalance');
  const again = await joined(gc.join(joinReq({ groupInstanceId: 'a' })));
  assert.is(again.errorCode, ErrorCode.NONE);
  assert.is(again.generationId, a.generationId + 1, 'a new generation');
  assert.is(again.leader, again.memberId, 'and it leads it');
  const s = await gc.sync({ groupId: 'g', generationId: again.generationId, memberId: again.memberId, groupInstanceId: 'a', protocolType: null, protocolName: null, assignments: [{ memberId: again.memberId, assignment: assignment({ orders: [1] }) }] });
  assert.equal(decodeAssignment(s.assignment)?.assignedPartitions[0]?.partitions, [1]);
});

test('leave: the group rebalances without the member; batch leave reports unknown members per member', async () => {
  const { gc } = await newCoordinator();
  const a = await singleStable(gc);
  const r = gc.leave('g', [{ memberId: a.memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }]);
  assert.is(r.errorCode, ErrorCode.NONE);
  assert.equal(r.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  await settle();
  const st = gc.groupState('g')!;
  assert.is(st.state, 'Empty');
  assert.is(st.generationId, 2, 'going empty is a generation too');
  assert.equal(gc.leave('missing', [{ memberId: 'm', groupInstanceId: null }]).members[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('commits: members of the generation, simple (generation -1) commits, per-partition errors, fetch -1 for nothing committed', async () => {
  const { gc } = await newCoordinator();
  const c = (over: Partial<Parameters<GroupCoordinator['commitOffsets']>[0]>) => gc.commitOffsets({
    groupId: 'g', generationId: 1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: 'm' }] }],
    ...over,
  });
  assert.is((await c({ generationId: 1 }))[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION, 'no such group, generation ≥ 0');
  const simple = await c({ groupId: 'simple', generationId: -1, topics: [
    { name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 10, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 6, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
    { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
    { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: 'x'.repeat(5000) }] },
  ] });
  assert.equal(simple.map((t) => t.partitions.map((p) => p.errorCode)), [
    [ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.OFFSET_METADATA_TOO_LARGE],
  ]);
  const f = gc.fetchOffsets('simple', [{ name: 'orders', partitionIndexes: [1, 2] }], false);
  assert.equal(f.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata, p.errorCode]), [[10, '', 0], [-1, '', 0]]);
  assert.equal(gc.fetchOffsets('simple', null, false).topics, [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 10, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] }]);
  assert.equal(gc.fetchOffsets('nobody', null, true), { errorCode: 0, topics: [] });
  assert.equal(gc.listGroups().groups, [{ groupId: 'simple', protocolType: '', groupState: 'Empty' }]);

  const j = await singleStable(gc);
  assert.is((await c({ memberId: 'ghost' }))[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.is((await c({ memberId: j.memberId, generationId: 5 }))[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.is((await c({ memberId: j.memberId, generationId: -1 }))[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION, 'simple commits only for Empty groups');
  assert.is((await c({ memberId: j.memberId }))[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const got = gc.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0] }], true).topics[0]!.partitions[0]!;
  assert.equal([got.committedOffset, got.committedLeaderEpoch, got.metadata], [42, 3, 'm']);
  // During PreparingRebalance a member of the current generation may still commit (kafkajs does before rejoining).
  const b = parkJoin(gc, joinReq({ clientId: 'b' }));
  assert.is((await c({ memberId: j.memberId, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 43, committedLeaderEpoch: 3, committedMetadata: '' }] }] }))[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  const aj = await joined(gc.join(joinReq({ memberId: j.memberId })));
  await b.p;
  assert.is((await c({ memberId: j.memberId, generationId: aj.generationId }))[0]!.partitions[0]!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'not during CompletingRebalance');
});

test('a failed write is reported and does not change what is committed', async () => {
  const { gc, store } = await newCoordinator();
  await gc.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  store.failWith = ErrorCode.MESSAGE_TOO_LARGE;
  const r = await gc.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 9, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  assert.is(r[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
  assert.is(gc.fetchOffsets('s', [{ name: 'orders', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, 5);
  // A failed group write in SyncGroup resets the round.
  store.failWith = ErrorCode.KAFKA_STORAGE_ERROR;
  const j = await joined(gc.join(joinReq({ groupId: 'w' })));
  const s = await gc.sync({ groupId: 'w', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  assert.is(s.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.is(gc.groupState('w')?.state, 'PreparingRebalance');
});

test('replay: a new coordinator over the same store has the Stable group, its members and offsets; LOAD_IN_PROGRESS before', async () => {
  const { gc, store } = await newCoordinator();
  const j = await singleStable(gc);
  await gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 77, committedLeaderEpoch: -1, committedMetadata: 'meta' }] }] });
  await gc.deleteGroups([]);
  await gc.close();

  const scheduler = new ManualScheduler();
  const gc2 = new GroupCoordinator(BASE_CONFIG, { store, scheduler, partitionCount: (t) => TOPICS[t] });
  assert.is(gc2.heartbeat('g', j.memberId, null, 1), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  assert.is(gc2.fetchOffsets('g', null, false).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await gc2.start();
  assert.is(gc2.groupState('g')?.state, 'Stable');
  assert.is(gc2.heartbeat('g', j.memberId, null, 1), ErrorCode.NONE, 'members carry on after a restart');
  const s = await gc2.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  assert.equal(decodeAssignment(s.assignment)?.assignedPartitions[0]?.partitions, [0, 1, 2, 3, 4, 5]);
  const d = gc2.describeGroup('g');
  assert.is(d.protocolData, 'range');
  assert.is(d.members[0]!.clientHost, '/127.0.0.1');
  assert.equal(decodeSubscription(d.members[0]!.memberMetadata)?.topics, ['orders']);
  assert.is(gc2.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [2] }], false).topics[0]!.partitions[0]!.committedOffset, 77);
  // Session timers restart at load: silence expires the member.
  await scheduler.advance(10_001);
  assert.is(gc2.groupState('g')?.state, 'Empty');
  await gc2.close();
});

test('retention: offsets of a group Empty for the retention period expire, then the group; simple groups by commit time', async () => {
  const { gc, scheduler, store } = await newCoordinator({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  const j = await singleStable(gc);
  await gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  await gc.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  // g stays Stable (heartbeating) for two minutes: its subscribed offsets stay.
  for (let t = 0; t < 120_000; t += 5000) {
    await scheduler.advance(5000);
    gc.heartbeat('g', j.memberId, null, 1);
  }
  assert.is(gc.groupState('s'), undefined, 'the simple group expired by commit time');
  assert.is(gc.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, 1);
  gc.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
  await scheduler.advance(50_000);
  assert.is(gc.groupState('g')?.state, 'Empty', 'not yet');
  await scheduler.advance(20_000);
  assert.is(gc.groupState('g'), undefined, 'expired');
  assert.ok(store.records.some((r) => r.type === 'group' && r.groupId === 'g' && r.value === null), 'a tombstone deletes it from the log');
});

test('explicit retention (OffsetCommit v2-4) expires that offset at its time', async () => {
  const { gc, scheduler } = await newCoordinator({ offsetsRetentionCheckIntervalMs: 1000 });
  await gc.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: 5000, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  await scheduler.advance(4000);
  assert.is(gc.fetchOffsets('s', [{ name: 'orders', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, 1);
  await scheduler.advance(2000);
  assert.is(gc.fetchOffsets('s', [{ name: 'orders', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, -1);
});

test('DeleteGroups and OffsetDelete: only Empty groups are deleted; subscribed topics\' offsets are kept while the group lives', async () => {
  const { gc } = await newCoordinator();
  const j = await singleStable(gc);
  const commit = (topic: string) => gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  await commit('orders');
  await commit('payments');
  assert.equal(await gc.deleteGroups(['g', 'missing']), [{ groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP }, { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  const od = await gc.deleteOffsets('g', [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }, { name: 'payments', partitions: [{ partitionIndex: 0 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }]);
  assert.is(od.errorCode, ErrorCode.NONE);
  assert.equal(od.topics.map((t) => t.partitions[0]!.errorCode), [GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.is(gc.fetchOffsets('g', [{ name: 'payments', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, -1);
  assert.is((await gc.deleteOffsets('missing', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  gc.leave('g', [{ memberId: j.memberId, groupInstanceId: null }]);
  await settle();
  assert.equal(await gc.deleteGroups(['g']), [{ groupId: 'g', errorCode: ErrorCode.NONE }]);
  assert.is(gc.groupState('g'), undefined);
  assert.is(gc.fetchOffsets('g', [{ name: 'orders', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.committedOffset, -1);
  assert.is(gc.describeGroup('g').groupState, 'Dead');
});

test('ListGroups filters by state; DescribeGroups shows metadata and assignments only while Stable', async () => {
  const { gc } = await newCoordinator();
  const j = await singleStable(gc);
  await gc.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
  assert.equal(gc.listGroups(['stable']).groups.map((g) => g.groupId), ['g']);
  assert.equal(gc.listGroups(['Empty']).groups.map((g) => g.groupId), ['simple']);
  assert.is(gc.listGroups().groups.length, 2);
  const d = gc.describeGroup('g');
  assert.equal([d.groupState, d.protocolType, d.protocolData, d.members.length], ['Stable', 'consumer', 'range', 1]);
  assert.equal(decodeAssignment(d.members[0]!.memberAssignment)?.assignedPartitions[0]?.topic, 'orders');
  const b = parkJoin(gc, joinReq({ clientId: 'b' }));
  const during = gc.describeGroup('g');
  assert.equal([during.groupState, during.protocolData, during.members.length, during.members[0]!.memberMetadata.length], ['PreparingRebalance', '', 2, 0]);
  await joined(gc.join(joinReq({ memberId: j.memberId })));
  await b.p;
});

test('offsets of a deleted topic go from every group', async () => {
  const { gc, store } = await newCoordinator();
  for (const g of ['x', 'y']) {
    await gc.commitOffsets({ groupId: g, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [
      { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: '' }] },
    ] });
  }
  await gc.onTopicDeleted('orders');
  for (const g of ['x', 'y']) {
    assert.equal(gc.fetchOffsets(g, null, false).topics.map((t) => t.name), ['payments']);
  }
  assert.is(store.records.filter((r) => r.type === 'offset' && r.topic === 'orders' && r.value === null).length, 2, 'tombstoned');
});

test('close answers parked requests with NOT_COORDINATOR', async () => {
  const { gc } = await newCoordinator();
  const a = await singleStable(gc);
  const b = parkJoin(gc, joinReq({ clientId: 'b' }));
  await gc.close();
  await b.p;
  assert.is(b.result!.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.is(gc.heartbeat('g', a.memberId, null, 1), ErrorCode.COORDINATOR_NOT_AVAILABLE);
});

test.run();
