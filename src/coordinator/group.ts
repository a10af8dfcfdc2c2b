/**
 * One classic consumer group: its state machine, members, generation,
 * protocol vote, leader and committed offsets. Pure data and rules, no I/O
 * and no timers; group-coordinator.ts drives it (dispatcher thread only).
 *
 * States and the transitions Kafka allows (GroupMetadata.scala, validPreviousStates):
 *
 *              ┌──────────── member joins / leaves / expires ─────────────┐
 *              ▼                                                          │
 *   Empty ──▶ PreparingRebalance ──all joined──▶ CompletingRebalance ──leader's SyncGroup──▶ Stable
 *     ▲            │  ▲                                 │                                     │
 *     └─no members─┘  └──────── member change ──────────┴─────────────────────────────────────┘
 *   any state ──▶ Dead (group deleted or its offsets expired)
 *
 * A member of a generation is "awaiting join" while its JoinGroup is parked
 * until the rebalance completes, and "awaiting sync" while its SyncGroup waits
 * for the leader's assignments.
 */
import { assert } from '../common/assert.js';
import type { ErrorCode } from '../common/error-codes.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: ErrorCode;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** All members with their metadata for the chosen protocol: for the leader only. */
  members: JoinMember[];
  /** JoinGroup v9: the leader must not compute a new assignment (static leader rejoined). */
  skipAssignment: boolean;
}

export interface SyncResult {
  errorCode: ErrorCode;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Cancels a scheduled timer. */
export type Cancel = () => void;

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  joinWaiter: ((r: JoinResult) => void) | null = null;
  syncWaiter: ((r: SyncResult) => void) | null = null;
  /** Added in the current rebalance and not yet through a completed join. */
  isNew = false;
  /** When the session of this member expires unless it heartbeats (ms since epoch). */
  sessionDeadlineMs = 0;
  sessionTimer: Cancel | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public sessionTimeoutMs: number,
    public rebalanceTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isAwaitingJoin(): boolean { return this.joinWaiter !== null; }
  get isAwaitingSync(): boolean { return this.syncWaiter !== null; }
  get isStatic(): boolean { return this.groupInstanceId !== null; }

  /** The member's metadata for a protocol; empty if it does not list it (a static member that rejoined with other protocols). */
  metadataFor(protocolName: string): Buffer {
    return this.protocols.find((x) => x.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** Answers a parked JoinGroup, if any. */
  answerJoin(r: JoinResult): void {
    const w = this.joinWaiter;
    this.joinWaiter = null;
    w?.(r);
  }

  answerSync(r: SyncResult): void {
    const w = this.syncWaiter;
    this.syncWaiter = null;
    w?.(r);
  }
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Explicit expiry (OffsetCommit v2-4 RetentionTimeMs); -1 = the broker's retention rules. */
  expireTimestampMs: number;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  /** Set by the first member to join; kept while the group is Empty; null for groups that only store offsets. */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group entered its current state (persisted: offsets of Empty groups expire from it). */
  stateTimestampMs: number;
  /** In join order: the first is the leader candidate. */
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with their expiry timers. */
  readonly pendingMembers = new Map<string, Cancel | null>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  /** Partitions with transactional offsets not yet committed (filled by the transaction coordinator; RequireStable). */
  readonly pendingTransactionalOffsets = new Set<string>();
  /** PreparingRebalance: when the rebalance completes even if members are missing. */
  rebalanceDeadlineMs = 0;
  /** PreparingRebalance of a group that was Empty: group.initial.rebalance.delay.ms runs until then. */
  initialDelayUntilMs = 0;
  joinTimer: Cancel | null = null;
  /** CompletingRebalance/Stable: expiry of members that never sent SyncGroup. */
  syncTimer: Cancel | null = null;

  constructor(readonly groupId: string, nowMs: number) {
    this.stateTimestampMs = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    assert(VALID_PREVIOUS[state].includes(this.state), `group ${this.groupId}: illegal transition ${this.state} → ${state}`);
    this.state = state;
    this.stateTimestampMs = nowMs;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member | undefined {
    return this.members.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    assert(!this.members.has(member.memberId), `group ${this.groupId}: member ${member.memberId} added twice`);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assert(this.protocolType === member.protocolType, `group ${this.groupId}: protocol type mismatch`);
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return m;
  }

  /** A static member restarted with an unknown member id: same member (and assignment), new id. */
  replaceStaticMember(oldMemberId: string, newMemberId: string): Member {
    const m = this.members.get(oldMemberId);
    assert(m && m.groupInstanceId !== null, `group ${this.groupId}: no static member ${oldMemberId}`);
    // Rebuild the map so join order (leader succession) is kept.
    const entries = [...this.members.entries()];
    this.members.clear();
    for (const [id, member] of entries) this.members.set(id === oldMemberId ? newMemberId : id, member);
    m.memberId = newMemberId;
    this.staticMembers.set(m.groupInstanceId, newMemberId);
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    return m;
  }

  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  /** A request naming a group.instance.id whose current member id is a different one: a zombie instance. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  get size(): number {
    return this.members.size;
  }

  /** Protocols every member supports (Kafka's candidateProtocols), in the first member's order. */
  candidateProtocols(): string[] {
    let candidates: string[] | null = null;
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((n) => names.includes(n));
    }
    return candidates ?? [];
  }

  /** Whether a member with this protocol type and these protocols may join (else INCONSISTENT_GROUP_PROTOCOL). */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is('Empty') || this.members.size === 0) return protocolType.length > 0 && protocolNames.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocolNames.some((n) => candidates.includes(n));
  }

  /**
   * The protocol for the next generation: each member votes for the first
   * protocol of its own preference list that every member supports; most
   * votes wins, ties go to the earlier candidate (GroupMetadata.selectProtocol).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    assert(candidates.length > 0, `group ${this.groupId}: no protocol supported by every member`);
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => votes.has(p.name))!.name;
      votes.set(vote, votes.get(vote)! + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
    return best;
  }

  /** Every known member has a JoinGroup parked and no MEMBER_ID_REQUIRED member is still to come. */
  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.isAwaitingJoin) return false;
    return true;
  }

  notYetRejoined(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** Largest rebalance timeout of the members: how long a rebalance may wait for them. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** If the leader has not rejoined, hand leadership to a member that has; false if none has. */
  maybeElectNewJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    this.leaderId = null;
    return false;
  }

  /** Starts the next generation: CompletingRebalance with a chosen protocol, or Empty without members. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', nowMs);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', nowMs);
    }
    this.pendingSync.clear();
    for (const id of this.members.keys()) this.pendingSync.add(id);
  }

  /** Members with their metadata for the chosen protocol (the leader's JoinGroup response). */
  currentMemberMetadata(): JoinMember[] {
    const protocol = this.protocolName;
    assert(protocol !== null, `group ${this.groupId}: no protocol chosen`);
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) }));
  }

  resetAssignments(): void {
    for (const m of this.members.values()) m.assignment = EMPTY_BYTES;
  }

  // ---- offsets ----

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, o: CommittedOffset): void {
    let t = this.offsets.get(topic);
    if (!t) this.offsets.set(topic, (t = new Map()));
    t.set(partition, o);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const t = this.offsets.get(topic);
    if (!t?.delete(partition)) return false;
    if (t.size === 0) this.offsets.delete(topic);
    return true;
  }

  get offsetCount(): number {
    let n = 0;
    for (const t of this.offsets.values()) n += t.size;
    return n;
  }
}
