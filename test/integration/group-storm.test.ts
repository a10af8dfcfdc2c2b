/**
 * A join storm over the wire: 100 members (one connection each, a minimal
 * client loop: JoinGroup with MEMBER_ID_REQUIRED, SyncGroup, heartbeats,
 * rejoin on REBALANCE_IN_PROGRESS) join one group at once, while other
 * clients misbehave — some take a member id and never come back, some send
 * an inconsistent protocol. The group must converge to one Stable generation
 * holding exactly the 100 members, each with its own assignment, and a
 * batched LeaveGroup (v3+) empties it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/common/error-codes.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openConnection, sleep } from '../helpers/wire.js';

const GROUP = 'storm';
const MEMBERS = 100;
const VANISHING = 10;
const SESSION_MS = 6000;

let tb: TestBroker;
const conns: KafkaConnection[] = [];
let stop = false;

test.before(async () => {
  tb = await startTestBroker({ shards: 0 });
});
test.after(async () => {
  stop = true;
  for (const c of conns) c.close();
  await tb?.close();
});

interface State { memberId: string; generation: number; assignment: string; joins: number }

function metadata(): Buffer {
  return Buffer.from([0, 0, 0, 0, 0, 1, 0, 5, 0x73, 0x74, 0x6f, 0x72, 0x6d, 0xff, 0xff, 0xff, 0xff]); // v0: topics ["storm"], userData null
}

function joinRequest(memberId: string, protocolType = 'consumer') {
  return {
    groupId: GROUP, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 15_000, memberId, groupInstanceId: null,
    protocolType, protocols: [{ name: 'range', metadata: metadata() }],
  };
}

async function member(c: KafkaConnection, st: State): Promise<void> {
  while (!stop) {
    const j = await c.send('JoinGroup', 5, joinRequest(st.memberId));
    st.joins++;
    if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) { st.memberId = j.memberId; continue; }
    if (j.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) { st.memberId = ''; continue; }
    if (j.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
    assert.is(j.errorCode, ErrorCode.NONE, `JoinGroup: ${j.errorCode}`);
    st.memberId = j.memberId;
    // The leader hands each member its own "partition": its position in the member list.
    const assignments = j.leader === j.memberId ? j.members.map((m, i) => ({ memberId: m.memberId, assignment: Buffer.from(String(i)) })) : [];
    const s = await c.send('SyncGroup', 3, { groupId: GROUP, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, assignments });
    if (s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
    if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) { st.memberId = ''; continue; }
    assert.is(s.errorCode, ErrorCode.NONE, `SyncGroup: ${s.errorCode}`);
    st.generation = j.generationId;
    st.assignment = s.assignment.toString();
    while (!stop) {
      await sleep(300);
      const hb = await c.send('Heartbeat', 3, { groupId: GROUP, generationId: st.generation, memberId: st.memberId, groupInstanceId: null });
      if (hb.errorCode === ErrorCode.NONE) continue;
      if (hb.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) st.memberId = '';
      st.generation = -1;
      break;
    }
  }
}

test(`${MEMBERS} members joining at once converge to one Stable generation; misbehaving clients do not hold it up`, async () => {
  const states: State[] = Array.from({ length: MEMBERS }, () => ({ memberId: '', generation: -1, assignment: '', joins: 0 }));
  for (let i = 0; i < MEMBERS + VANISHING + 5; i++) conns.push(await openConnection(tb.broker.port, `storm-${i}`));
  const started = Date.now();
  const loops = states.map((st, i) => member(conns[i]!, st).catch((err: Error) => { if (!stop) throw err; }));
  // Misbehaving clients: take a member id and vanish; or speak another protocol type.
  for (let i = 0; i < VANISHING; i++) {
    const r = await conns[MEMBERS + i]!.send('JoinGroup', 5, joinRequest(''));
    assert.is(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  }
  for (let i = 0; i < 5; i++) {
    const r = await conns[MEMBERS + VANISHING + i]!.send('JoinGroup', 5, joinRequest('', 'connect'));
    assert.ok(r.errorCode === ErrorCode.INCONSISTENT_GROUP_PROTOCOL || r.errorCode === ErrorCode.MEMBER_ID_REQUIRED, `got ${r.errorCode}`);
  }
  const admin = conns[0]!;
  let described = null;
  while (Date.now() - started < 40_000) {
    await sleep(200);
    const gens = new Set(states.map((s) => s.generation));
    if (gens.size !== 1 || gens.has(-1)) continue;
    const d = (await admin.send('DescribeGroups', 0, { groups: [GROUP] })).groups[0]!;
    if (d.groupState === 'Stable' && d.members.length === MEMBERS) { described = d; break; }
  }
  const tookMs = Date.now() - started;
  assert.ok(described, `no convergence after ${tookMs} ms: generations ${[...new Set(states.map((s) => s.generation))]}`);
  const assignments = new Set(states.map((s) => s.assignment));
  assert.is(assignments.size, MEMBERS, 'each member has its own assignment');
  assert.equal(new Set(described.members.map((m) => m.memberId)), new Set(states.map((s) => s.memberId)));
  const joins = states.reduce((n, s) => n + s.joins, 0);
  console.log(`  ${MEMBERS} members stable at generation ${states[0]!.generation} after ${tookMs} ms (${joins} JoinGroups; ${VANISHING} member ids never used lapsed after the ${SESSION_MS} ms session timeout)`);
  assert.ok(tookMs < SESSION_MS + 15_000, `took ${tookMs} ms`);

  stop = true;
  await sleep(400);
  const leave = await admin.send('LeaveGroup', 3, { groupId: GROUP, members: states.map((s) => ({ memberId: s.memberId, groupInstanceId: null })) });
  assert.is(leave.errorCode, ErrorCode.NONE);
  assert.ok(leave.members.every((m) => m.errorCode === ErrorCode.NONE), 'every member left');
  const d = (await admin.send('DescribeGroups', 0, { groups: [GROUP] })).groups[0]!;
  assert.equal([d.groupState, d.members.length], ['Empty', 0]);
  for (const c of conns) c.close();
  await Promise.all(loops);
});

test.run();
