/**
 * The group coordinator (dispatcher thread only): classic consumer-group
 * membership (JoinGroup / SyncGroup / Heartbeat / LeaveGroup), committed
 * offsets, and the admin operations on groups. Semantics follow Kafka's
 * GroupCoordinator.scala (the pre-KIP-848 coordinator) so every classic client
 * behaves as it does against Kafka.
 *
 * One rebalance, as the members see it:
 *
 *   member A         member B (new)        coordinator
 *   heartbeat ───────────────────────────▶ Stable: NONE
 *                    JoinGroup(id "") ───▶ v4+: MEMBER_ID_REQUIRED + id
 *                    JoinGroup(id) ──────▶ PreparingRebalance; B parked
 *   heartbeat ───────────────────────────▶ REBALANCE_IN_PROGRESS
 *   JoinGroup(id) ───────────────────────▶ all joined → CompletingRebalance, generation+1
 *   ◀── leader: all members' metadata ─── ─── follower: no members ──▶ B
 *   SyncGroup(assignments) ──────────────▶ (write group to __consumer_offsets) → Stable
 *   ◀── own assignment ──────────────────  ── own assignment ─────────▶ B (parked SyncGroup)
 *
 * Timers (all through `Scheduler`, so tests can drive time):
 * - session: a member that neither heartbeats, commits nor joins within its
 *   session timeout is removed (members parked in JoinGroup/SyncGroup are
 *   alive); its group rebalances.
 * - rebalance: PreparingRebalance ends when every known member has rejoined,
 *   or at the largest rebalance timeout, dropping dynamic members that did
 *   not rejoin. A group that was Empty first waits group.initial.rebalance.delay.ms.
 * - pending sync: members of a new generation that send no SyncGroup within
 *   the rebalance timeout are removed, so a leader that never assigns cannot
 *   wedge the group.
 * - pending member: an id handed out with MEMBER_ID_REQUIRED lapses after the
 *   session timeout if its JoinGroup never comes.
 * - offsets retention (KIP-211): offsets of a group Empty for
 *   offsets.retention.minutes expire; then the group itself goes.
 *
 * Errors are values: every operation answers with Kafka error codes.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../common/error-codes.js';
import { logger } from '../common/logger.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from './consumer-protocol.js';
import {
  EMPTY_BYTES, Group, Member, type Cancel, type CommittedOffset, type GroupState, type JoinResult, type Protocol, type SyncResult,
} from './group.js';
import type { CoordinatorRecord, GroupMetadataValue, GroupStore } from './offset-store.js';

/** Kafka's GROUP_SUBSCRIBED_TO_TOPIC (OffsetDelete); not in common/error-codes.ts. */
export const GROUP_SUBSCRIBED_TO_TOPIC = 86 as ErrorCode;

export interface Scheduler {
  now(): number;
  /** Runs `fn` after `delayMs`; returns its cancel function. */
  schedule(delayMs: number, fn: () => void): Cancel;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface GroupCoordinatorConfig {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  offsetsRetentionMs: number;
  /** Kafka's offsets.retention.check.interval.ms (600000). */
  offsetsRetentionCheckIntervalMs?: number;
  /** Kafka's offset.metadata.max.bytes (4096). */
  offsetMetadataMaxBytes?: number;
  /** Largest protocol metadata one member may send in JoinGroup (sum over its protocols). */
  maxMemberMetadataBytes?: number;
  /** Kafka's group.max.size (Kafka: unbounded; here a bound on memory under join storms). */
  maxGroupSize?: number;
}

export interface GroupCoordinatorDeps {
  store: GroupStore;
  /** Partition count of an existing topic, else undefined (commits to unknown partitions are refused). */
  partitionCount(topic: string): number | undefined;
  scheduler?: Scheduler;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a dynamic member without an id gets MEMBER_ID_REQUIRED first. */
  requireKnownMemberId: boolean;
  reason?: string | null;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveResult {
  errorCode: ErrorCode;
  members: (MemberIdentity & { errorCode: ErrorCode })[];
}

export interface OffsetCommitPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4; -1 = broker default. */
  retentionTimeMs: number;
  topics: { name: string; partitions: OffsetCommitPartition[] }[];
}

export interface TopicPartitionErrors {
  name: string;
  partitions: { partitionIndex: number; errorCode: ErrorCode }[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: ErrorCode;
}

export interface OffsetFetchResult {
  errorCode: ErrorCode;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface GroupDescription {
  errorCode: ErrorCode;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
}

const DEFAULTS = {
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  maxMemberMetadataBytes: 1024 * 1024,
  maxGroupSize: 10_000,
};

function joinError(memberId: string, errorCode: ErrorCode): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

function syncError(errorCode: ErrorCode): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/** Kafka's mapping of a failed group-metadata write (GroupMetadataManager.storeGroup). */
function groupWriteError(e: ErrorCode): ErrorCode {
  switch (e) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION: case ErrorCode.NOT_ENOUGH_REPLICAS: case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER: case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE: case ErrorCode.RECORD_LIST_TOO_LARGE: case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return e;
  }
}

/** Kafka's mapping of a failed offsets write (GroupMetadataManager.storeOffsets). */
function offsetWriteError(e: ErrorCode): ErrorCode {
  switch (e) {
    case ErrorCode.MESSAGE_TOO_LARGE: case ErrorCode.RECORD_LIST_TOO_LARGE: case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return groupWriteError(e);
  }
}

type Status = 'loading' | 'active' | 'failed' | 'closed';

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private status: Status = 'loading';
  private readonly cfg: Required<GroupCoordinatorConfig>;
  private readonly scheduler: Scheduler;
  private readonly store: GroupStore;
  private readonly inFlight = new Set<Promise<unknown>>();
  private retentionTimer: Cancel | null = null;
  private readonly log = logger.child({ component: 'group-coordinator' });

  constructor(config: GroupCoordinatorConfig, private readonly deps: GroupCoordinatorDeps) {
    this.cfg = { ...DEFAULTS, ...config };
    this.scheduler = deps.scheduler ?? realScheduler;
    this.store = deps.store;
  }

  /** Replays the stored groups and offsets; until it is done, group requests get COORDINATOR_LOAD_IN_PROGRESS. */
  async start(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      // Unreadable state must not be silently replaced by new commits: refuse group requests instead.
      if (this.status === 'loading') this.status = 'failed';
      throw err;
    }
  }

  private async load(): Promise<void> {
    const offsets = new Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset }>>();
    const values = new Map<string, GroupMetadataValue>();
    await this.store.load((r) => {
      if (r.type === 'group') {
        if (r.value === null) {
          values.delete(r.groupId);
          offsets.delete(r.groupId);
        } else values.set(r.groupId, r.value);
        return;
      }
      let m = offsets.get(r.groupId);
      const k = `${r.topic}\u0000${r.partition}`;
      if (r.value === null) { m?.delete(k); return; }
      if (!m) offsets.set(r.groupId, (m = new Map()));
      m.set(k, { topic: r.topic, partition: r.partition, value: r.value });
    });
    if (this.status === 'closed') return;
    const now = this.scheduler.now();
    for (const id of new Set([...values.keys(), ...offsets.keys()])) {
      const g = new Group(id, now);
      const v = values.get(id);
      if (v) this.restoreGroup(g, v);
      for (const o of offsets.get(id)?.values() ?? []) g.setOffset(o.topic, o.partition, o.value);
      if (g.is('Empty') && g.size === 0 && g.offsetCount === 0 && !v) continue;
      this.groups.set(id, g);
    }
    this.status = 'active';
    this.scheduleRetention();
    this.log.info({ groups: this.groups.size }, 'group coordinator loaded');
  }

  private restoreGroup(g: Group, v: GroupMetadataValue): void {
    g.protocolType = v.protocolType === '' ? null : v.protocolType;
    g.generationId = v.generation;
    g.protocolName = v.protocol;
    g.stateTimestampMs = v.currentStateTimestampMs;
    for (const pm of v.members) {
      const protocols = v.protocol === null ? [] : [{ name: v.protocol, metadata: pm.subscription }];
      const m = new Member(pm.memberId, pm.groupInstanceId, pm.clientId, pm.clientHost, pm.sessionTimeoutMs, pm.rebalanceTimeoutMs, v.protocolType, protocols);
      m.assignment = pm.assignment;
      g.add(m);
    }
    g.leaderId = v.leader !== null && g.has(v.leader) ? v.leader : (g.members.keys().next().value ?? null);
    g.state = g.size > 0 ? 'Stable' : 'Empty';
    for (const m of g.members.values()) this.touch(g, m);
  }

  get isLoading(): boolean {
    return this.status === 'loading';
  }

  /** Makes sure the offsets topic exists (FindCoordinator creates it on first use, as Kafka does). */
  prepare(): Promise<void> {
    return this.store.prepare();
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.status = 'closed';
    this.retentionTimer?.();
    for (const g of this.groups.values()) {
      g.joinTimer?.(); g.syncTimer?.();
      for (const cancel of g.pendingMembers.values()) cancel?.();
      for (const m of g.members.values()) {
        m.sessionTimer?.();
        m.answerJoin(joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        m.answerSync(syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    await Promise.allSettled([...this.inFlight]);
  }

  // ---------------------------------------------------------------- validation

  /** Kafka's validateGroupStatus: join/sync/heartbeat/leave need a non-empty id; offsets and admin APIs accept "". */
  private groupStatusError(groupId: string, requireNonEmpty: boolean): ErrorCode | null {
    if (requireNonEmpty && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (this.status === 'closed' || this.status === 'failed') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.status === 'loading') return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return null;
  }

  private now(): number {
    return this.scheduler.now();
  }

  // ---------------------------------------------------------------- JoinGroup

  join(req: JoinRequest): Promise<JoinResult> | JoinResult {
    const err = this.groupStatusError(req.groupId, true);
    if (err !== null) return joinError(req.memberId, err);
    if (req.sessionTimeoutMs < this.cfg.minSessionTimeoutMs || req.sessionTimeoutMs > this.cfg.maxSessionTimeoutMs) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    let metadataBytes = 0;
    for (const p of req.protocols) metadataBytes += p.metadata.length;
    if (metadataBytes > this.cfg.maxMemberMetadataBytes) {
      this.log.warn({ groupId: req.groupId, clientId: req.clientId, metadataBytes }, 'JoinGroup refused: member metadata too large');
      return joinError(req.memberId, ErrorCode.INVALID_REQUEST);
    }
    // Copy the request's byte slices: they point into the request frame.
    const protocols = req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
    const r: JoinRequest = { ...req, protocols, rebalanceTimeoutMs: req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs };
    const isUnknown = r.memberId === '';
    let g = this.groups.get(r.groupId);
    if (!g) {
      if (!isUnknown) return joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      g = new Group(r.groupId, this.now());
      this.groups.set(r.groupId, g);
    }
    const group = g;
    if (isUnknown && group.staticMemberId(r.groupInstanceId) === undefined &&
        group.size + group.pendingMembers.size >= this.cfg.maxGroupSize) {
      return joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    return new Promise<JoinResult>((resolve) => {
      if (isUnknown) this.doUnknownJoin(group, r, resolve);
      else this.doJoin(group, r, resolve);
      if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
      this.dropIfUnused(group);
    });
  }

  private doUnknownJoin(g: Group, r: JoinRequest, resolve: (r: JoinResult) => void): void {
    if (g.is('Dead')) return resolve(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!g.supportsProtocols(r.protocolType, r.protocols.map((p) => p.name))) return resolve(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${r.groupInstanceId ?? r.clientId}-${randomUUID()}`;
    const oldMemberId = g.staticMemberId(r.groupInstanceId);
    if (oldMemberId !== undefined) return this.replaceStaticMember(g, oldMemberId, newMemberId, r, resolve);
    if (r.groupInstanceId === null && r.requireKnownMemberId) {
      const cancel = this.scheduler.schedule(r.sessionTimeoutMs, () => this.expirePendingMember(g, newMemberId));
      g.pendingMembers.set(newMemberId, cancel);
      return resolve(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberAndRebalance(g, newMemberId, r, resolve);
  }

  /** KIP-345: a static member restarted within its session timeout takes its old place without a rebalance. */
  private replaceStaticMember(g: Group, oldMemberId: string, newMemberId: string, r: JoinRequest, resolve: (r: JoinResult) => void): void {
    const old = g.get(oldMemberId)!;
    old.answerJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    old.answerSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const previousLeader = g.leaderId;
    const m = g.replaceStaticMember(oldMemberId, newMemberId);
    m.clientId = r.clientId;
    m.clientHost = r.clientHost;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    this.touch(g, m);
    this.log.info({ groupId: g.groupId, instance: r.groupInstanceId, oldMemberId, newMemberId, state: g.state }, 'static member rejoined');
    if (g.is('PreparingRebalance')) {
      m.protocols = r.protocols;
      m.joinWaiter = resolve;
      return;
    }
    const selectedChanged = g.protocolName !== null && !r.protocols.some((p) => p.name === g.protocolName &&
      p.metadata.equals(m.protocols.find((q) => q.name === g.protocolName)?.metadata ?? EMPTY_BYTES));
    m.protocols = r.protocols;
    if (selectedChanged || g.is('CompletingRebalance')) {
      // Its subscription changed, or the assignment of this generation is still being made (and the
      // restarted instance may have been the leader that was to send it): rebalance after all.
      m.joinWaiter = resolve;
      this.prepareRebalance(g, `static member ${r.groupInstanceId} rejoined`);
      return;
    }
    // The old leader id is returned so a rejoining leader does not compute an assignment that a
    // Stable group would ignore (Kafka does the same for JoinGroup < v9).
    const result: JoinResult = {
      errorCode: ErrorCode.NONE, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName,
      leader: previousLeader === oldMemberId ? oldMemberId : (previousLeader ?? ''), memberId: newMemberId, members: [], skipAssignment: false,
    };
    const gen = g.generationId;
    this.persist(g.groupId, [{ type: 'group', groupId: g.groupId, value: this.groupValue(g) }]).then((e) => {
      if (e !== ErrorCode.NONE && g.generationId === gen) resolve(joinError(newMemberId, groupWriteError(e)));
      else resolve(result);
    });
  }

  private doJoin(g: Group, r: JoinRequest, resolve: (r: JoinResult) => void): void {
    if (g.is('Dead')) return resolve(joinError(r.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!g.supportsProtocols(r.protocolType, r.protocols.map((p) => p.name))) return resolve(joinError(r.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (g.pendingMembers.has(r.memberId)) {
      g.pendingMembers.get(r.memberId)?.();
      g.pendingMembers.delete(r.memberId);
      if (r.groupInstanceId !== null) return resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return this.addMemberAndRebalance(g, r.memberId, r, resolve);
    }
    if (g.isStaticMemberFenced(r.memberId, r.groupInstanceId)) return resolve(joinError(r.memberId, ErrorCode.FENCED_INSTANCE_ID));
    const m = g.get(r.memberId);
    if (!m || (r.groupInstanceId !== null && g.staticMemberId(r.groupInstanceId) === undefined)) {
      return resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
    switch (g.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(g, m, r, resolve);
      case 'CompletingRebalance':
        // A member that lost the JoinGroup response gets the current generation again.
        if (m.matches(r.protocols)) return resolve(this.joinResultFor(g, m));
        return this.updateMemberAndRebalance(g, m, r, resolve);
      case 'Stable':
        // The leader's JoinGroup forces a rebalance (its view of topic metadata may have changed).
        if (g.isLeader(m.memberId) || !m.matches(r.protocols)) return this.updateMemberAndRebalance(g, m, r, resolve);
        this.touch(g, m);
        return resolve(this.joinResultFor(g, m));
      default:
        return resolve(joinError(r.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResultFor(g: Group, m: Member): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leader: g.leaderId ?? '',
      memberId: m.memberId,
      members: g.isLeader(m.memberId) ? g.currentMemberMetadata() : [],
      skipAssignment: false,
    };
  }

  private addMemberAndRebalance(g: Group, memberId: string, r: JoinRequest, resolve: (r: JoinResult) => void): void {
    const m = new Member(memberId, r.groupInstanceId, r.clientId, r.clientHost, r.sessionTimeoutMs, r.rebalanceTimeoutMs, r.protocolType, r.protocols);
    m.isNew = true;
    m.joinWaiter = resolve;
    g.add(m);
    this.touch(g, m);
    if (g.is('PreparingRebalance') && g.initialDelayUntilMs > 0) {
      // group.initial.rebalance.delay.ms restarts with each new member, up to the rebalance timeout.
      g.initialDelayUntilMs = Math.min(this.now() + this.cfg.initialRebalanceDelayMs, g.rebalanceDeadlineMs);
    }
    this.maybePrepareRebalance(g, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(g: Group, m: Member, r: JoinRequest, resolve: (r: JoinResult) => void): void {
    // A repeated JoinGroup replaces the parked one (the client gave up on it).
    m.answerJoin(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    m.protocols = r.protocols;
    m.sessionTimeoutMs = r.sessionTimeoutMs;
    m.rebalanceTimeoutMs = r.rebalanceTimeoutMs;
    m.joinWaiter = resolve;
    this.touch(g, m);
    this.maybePrepareRebalance(g, `member ${m.memberId} rejoined`);
  }

  private maybePrepareRebalance(g: Group, reason: string): void {
    if (g.is('Stable') || g.is('CompletingRebalance') || g.is('Empty')) this.prepareRebalance(g, reason);
  }

  private prepareRebalance(g: Group, reason: string): void {
    if (g.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(g, ErrorCode.REBALANCE_IN_PROGRESS);
    g.syncTimer?.();
    g.syncTimer = null;
    g.pendingSync.clear();
    const wasEmpty = g.is('Empty');
    const now = this.now();
    g.transitionTo('PreparingRebalance', now);
    const timeout = g.rebalanceTimeoutMs();
    g.rebalanceDeadlineMs = now + timeout;
    g.initialDelayUntilMs = wasEmpty && this.cfg.initialRebalanceDelayMs > 0 ? now + Math.min(this.cfg.initialRebalanceDelayMs, timeout) : 0;
    this.log.info({ groupId: g.groupId, generationId: g.generationId, reason }, 'preparing to rebalance');
    this.tryCompleteJoin(g);
  }

  /** Completes the join phase if it can; otherwise (re)arms the timer for when it next could. */
  private tryCompleteJoin(g: Group): void {
    if (!g.is('PreparingRebalance') || this.status !== 'active') return;
    const now = this.now();
    const allJoined = g.hasAllMembersJoined();
    if ((allJoined && now >= g.initialDelayUntilMs) || now >= g.rebalanceDeadlineMs) {
      this.completeJoin(g);
      return;
    }
    const at = allJoined ? Math.min(g.initialDelayUntilMs, g.rebalanceDeadlineMs) : g.rebalanceDeadlineMs;
    g.joinTimer?.();
    g.joinTimer = this.scheduler.schedule(at - now, () => {
      g.joinTimer = null;
      this.tryCompleteJoin(g);
    });
  }

  private completeJoin(g: Group): void {
    g.joinTimer?.();
    g.joinTimer = null;
    const now = this.now();
    const dropped = g.notYetRejoined().filter((m) => !m.isStatic);
    for (const m of dropped) {
      this.log.info({ groupId: g.groupId, memberId: m.memberId }, 'member did not rejoin in time; removed');
      this.removeMember(g, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    if (!g.maybeElectNewJoinedLeader() && g.size > 0) {
      // Only static members that have not rejoined are left: wait for them (or their sessions) once more.
      g.rebalanceDeadlineMs = now + g.rebalanceTimeoutMs();
      g.initialDelayUntilMs = 0;
      this.tryCompleteJoin(g);
      return;
    }
    g.initNextGeneration(now);
    if (g.is('Empty')) {
      this.log.info({ groupId: g.groupId, generationId: g.generationId }, 'group is now empty');
      void this.persist(g.groupId, [{ type: 'group', groupId: g.groupId, value: this.groupValue(g) }]);
      return;
    }
    this.log.info({ groupId: g.groupId, generationId: g.generationId, protocol: g.protocolName, members: g.size, leader: g.leaderId }, 'rebalance: join complete');
    for (const m of g.members.values()) {
      m.answerJoin(this.joinResultFor(g, m));
      m.isNew = false;
      this.touch(g, m);
    }
    const gen = g.generationId;
    g.syncTimer = this.scheduler.schedule(g.rebalanceTimeoutMs(), () => {
      g.syncTimer = null;
      this.expirePendingSync(g, gen);
    });
  }

  private expirePendingSync(g: Group, generationId: number): void {
    if (g.generationId !== generationId || g.pendingSync.size === 0) return;
    if (!g.is('CompletingRebalance') && !g.is('Stable')) return;
    const missing = [...g.pendingSync];
    this.log.warn({ groupId: g.groupId, generationId, members: missing }, 'members sent no SyncGroup within the rebalance timeout; removed');
    for (const id of missing) {
      const m = g.get(id);
      if (m) this.removeMember(g, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    this.prepareRebalance(g, 'pending SyncGroup expired');
  }

  private expirePendingMember(g: Group, memberId: string): void {
    if (!g.pendingMembers.delete(memberId)) return;
    if (g.is('PreparingRebalance')) this.tryCompleteJoin(g);
    this.dropIfUnused(g);
  }

  // ---------------------------------------------------------------- SyncGroup

  sync(req: SyncRequest): Promise<SyncResult> | SyncResult {
    const err = this.groupStatusError(req.groupId, true);
    if (err !== null) return syncError(err);
    const g = this.groups.get(req.groupId);
    if (!g) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (g.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (g.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return syncError(ErrorCode.FENCED_INSTANCE_ID);
    const m = g.get(req.memberId);
    if (!m) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== g.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (g.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        g.pendingSync.delete(m.memberId);
        this.touch(g, m);
        return { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          m.answerSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          m.syncWaiter = resolve;
          g.pendingSync.delete(m.memberId);
          this.touch(g, m);
          if (g.isLeader(m.memberId)) this.onLeaderSync(g, req.assignments);
        });
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private onLeaderSync(g: Group, assignments: SyncRequest['assignments']): void {
    const byMember = new Map<string, Buffer>();
    for (const a of assignments) if (g.has(a.memberId)) byMember.set(a.memberId, Buffer.from(a.assignment));
    const gen = g.generationId;
    const value = this.groupValue(g, byMember);
    void this.persist(g.groupId, [{ type: 'group', groupId: g.groupId, value }]).then((e) => {
      // The group may have moved on while the write was in flight; then its waiters were already answered.
      if (!g.is('CompletingRebalance') || g.generationId !== gen) return;
      if (e !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentError(g, groupWriteError(e));
        this.maybePrepareRebalance(g, 'group metadata write failed');
        return;
      }
      for (const m of g.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY_BYTES;
      g.transitionTo('Stable', this.now());
      this.log.info({ groupId: g.groupId, generationId: gen, members: g.size }, 'rebalance complete: group stable');
      for (const m of g.members.values()) {
        if (!m.isAwaitingSync) continue;
        m.answerSync({ errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment });
        this.touch(g, m);
      }
      if (g.pendingSync.size === 0) { g.syncTimer?.(); g.syncTimer = null; }
    });
  }

  private resetAndPropagateAssignmentError(g: Group, errorCode: ErrorCode): void {
    g.resetAssignments();
    for (const m of g.members.values()) m.answerSync(syncError(errorCode));
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): ErrorCode {
    const err = this.groupStatusError(groupId, true);
    if (err !== null) return err;
    const g = this.groups.get(groupId);
    if (!g) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (g.isStaticMemberFenced(memberId, groupInstanceId)) return ErrorCode.FENCED_INSTANCE_ID;
    const m = g.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (g.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.touch(g, m);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.touch(g, m);
        return ErrorCode.NONE;
    }
  }

  /** Pushes a member's session deadline out by its session timeout, arming its timer if needed. */
  private touch(g: Group, m: Member): void {
    m.sessionDeadlineMs = this.now() + m.sessionTimeoutMs;
    if (!m.sessionTimer) m.sessionTimer = this.scheduler.schedule(m.sessionTimeoutMs, () => this.onSessionTimer(g, m));
  }

  private onSessionTimer(g: Group, m: Member): void {
    m.sessionTimer = null;
    if (this.status === 'closed' || g.get(m.memberId) !== m || this.groups.get(g.groupId) !== g) return;
    const now = this.now();
    // Members parked in JoinGroup or SyncGroup cannot heartbeat; the rebalance and sync timers bound them instead.
    if (m.isAwaitingJoin || m.isAwaitingSync) m.sessionDeadlineMs = now + m.sessionTimeoutMs;
    if (m.sessionDeadlineMs > now) {
      m.sessionTimer = this.scheduler.schedule(m.sessionDeadlineMs - now, () => this.onSessionTimer(g, m));
      return;
    }
    this.log.info({ groupId: g.groupId, memberId: m.memberId, sessionTimeoutMs: m.sessionTimeoutMs }, 'member session expired');
    this.removeMemberAndUpdateGroup(g, m, `member ${m.memberId} session expired`);
  }

  // ---------------------------------------------------------------- LeaveGroup

  leave(groupId: string, members: MemberIdentity[]): LeaveResult {
    const err = this.groupStatusError(groupId, true);
    if (err !== null) return { errorCode: err, members: [] };
    const g = this.groups.get(groupId);
    if (!g) return { errorCode: ErrorCode.NONE, members: members.map((x) => ({ ...x, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (g.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out = members.map((x) => ({ ...x, errorCode: this.leaveOne(g, x) }));
    this.dropIfUnused(g);
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private leaveOne(g: Group, x: MemberIdentity): ErrorCode {
    if (x.groupInstanceId === null && g.pendingMembers.has(x.memberId)) {
      g.pendingMembers.get(x.memberId)?.();
      g.pendingMembers.delete(x.memberId);
      if (g.is('PreparingRebalance')) this.tryCompleteJoin(g);
      return ErrorCode.NONE;
    }
    let memberId = x.memberId;
    if (x.groupInstanceId !== null) {
      const current = g.staticMemberId(x.groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      // A static member may leave by instance id alone (kafka-leave-group tooling sends no member id).
      if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
      memberId = current;
    }
    const m = g.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.log.info({ groupId: g.groupId, memberId }, 'member left the group');
    this.removeMemberAndUpdateGroup(g, m, `member ${memberId} left`);
    return ErrorCode.NONE;
  }

  /** Removes a member (answering its parked requests) without touching the group's state. */
  private removeMember(g: Group, m: Member, answer: ErrorCode): void {
    m.answerJoin(joinError('', answer));
    m.answerSync(syncError(answer));
    m.sessionTimer?.();
    m.sessionTimer = null;
    g.remove(m.memberId);
  }

  private removeMemberAndUpdateGroup(g: Group, m: Member, reason: string): void {
    this.removeMember(g, m, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (g.state) {
      case 'Stable': case 'CompletingRebalance':
        this.maybePrepareRebalance(g, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(g);
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(req: CommitRequest): Promise<TopicPartitionErrors[]> {
    const all = (e: ErrorCode): TopicPartitionErrors[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: e })) }));
    const err = this.groupStatusError(req.groupId, false);
    if (err !== null) return all(err);
    let g = this.groups.get(req.groupId);
    if (!g) {
      // generation < 0: a consumer that assigns partitions itself and stores offsets here (a "simple" group).
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      g = new Group(req.groupId, this.now());
      this.groups.set(req.groupId, g);
    }
    if (g.is('Dead')) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (g.isStaticMemberFenced(req.memberId, req.groupInstanceId)) return all(ErrorCode.FENCED_INSTANCE_ID);
    if (!(req.generationId < 0 && g.is('Empty'))) {
      // Members learn their generation from SyncGroup; a commit before the rebalance completes is refused.
      if (g.is('CompletingRebalance')) return all(ErrorCode.REBALANCE_IN_PROGRESS);
      const m = g.get(req.memberId);
      if (!m) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (req.generationId !== g.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      this.touch(g, m);
    }
    const out = await this.storeOffsets(g, req);
    this.dropIfUnused(g);
    return out;
  }

  private async storeOffsets(g: Group, req: CommitRequest): Promise<TopicPartitionErrors[]> {
    const now = this.now();
    const expire = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : -1;
    const records: (CoordinatorRecord & { type: 'offset' })[] = [];
    const results: TopicPartitionErrors[] = [];
    const pending: { errorCode: ErrorCode }[] = [];
    for (const t of req.topics) {
      const count = this.deps.partitionCount(t.name);
      const partitions = [];
      for (const p of t.partitions) {
        const out = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as ErrorCode };
        partitions.push(out);
        const metadata = p.committedMetadata ?? '';
        if (count === undefined || p.partitionIndex < 0 || p.partitionIndex >= count) out.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (Buffer.byteLength(metadata) > this.cfg.offsetMetadataMaxBytes) out.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else {
          records.push({
            type: 'offset', groupId: g.groupId, topic: t.name, partition: p.partitionIndex,
            value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestampMs: now, expireTimestampMs: expire },
          });
          pending.push(out);
        }
      }
      results.push({ name: t.name, partitions });
    }
    if (records.length === 0) return results;
    const e = await this.persist(g.groupId, records);
    if (e !== ErrorCode.NONE) {
      const mapped = offsetWriteError(e);
      for (const o of pending) o.errorCode = mapped;
      return results;
    }
    if (this.groups.get(g.groupId) === g && !g.is('Dead')) {
      for (const r of records) g.setOffset(r.topic, r.partition, r.value!);
    }
    return results;
  }

  /**
   * Committed offsets of a group: every partition asked for (offset -1 and no
   * error where nothing is committed), or all of them when `topics` is null.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): OffsetFetchResult {
    const err = this.groupStatusError(groupId, false);
    if (err !== null) return { errorCode: err, topics: [] };
    const g = this.groups.get(groupId);
    const live = g && !g.is('Dead') ? g : undefined;
    const one = (topic: string, partition: number): FetchedOffset => {
      const o = live?.offset(topic, partition);
      const unstable = requireStable && live?.pendingTransactionalOffsets.has(`${topic}\u0000${partition}`);
      if (unstable) return { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      return o
        ? { partitionIndex: partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex: partition, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics === null) {
      const out = [];
      for (const [name, parts] of live?.offsets ?? []) {
        out.push({ name, partitions: [...parts.keys()].sort((a, b) => a - b).map((p) => one(name, p)) });
      }
      return { errorCode: ErrorCode.NONE, topics: out };
    }
    return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => one(t.name, p)) })) };
  }

  // ---------------------------------------------------------------- admin

  listGroups(statesFilter: readonly string[] = []): { errorCode: ErrorCode; groups: GroupListing[] } {
    const err = this.groupStatusError('-', false);
    if (err !== null) return { errorCode: err, groups: [] };
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const groups: GroupListing[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroup(groupId: string): GroupDescription {
    const dead = (errorCode: ErrorCode): GroupDescription => ({ errorCode, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
    const err = this.groupStatusError(groupId, false);
    if (err !== null) return dead(err);
    const g = this.groups.get(groupId);
    if (!g) return dead(ErrorCode.NONE);
    const stable = g.is('Stable') && g.protocolName !== null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? g.protocolName! : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(g.protocolName!) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: ErrorCode }[]> {
    return Promise.all(groupIds.map(async (groupId) => ({ groupId, errorCode: await this.deleteGroup(groupId) })));
  }

  private async deleteGroup(groupId: string): Promise<ErrorCode> {
    const err = this.groupStatusError(groupId, false);
    if (err !== null) return err;
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const records = this.killGroup(g, [...this.offsetKeys(g)]);
    const e = await this.persist(groupId, records);
    this.log.info({ groupId }, 'group deleted');
    return e === ErrorCode.NONE ? ErrorCode.NONE : groupWriteError(e);
  }

  /** Marks a group Dead, forgets it, and returns the tombstones that delete it from the log. */
  private killGroup(g: Group, offsets: { topic: string; partition: number }[]): CoordinatorRecord[] {
    for (const cancel of g.pendingMembers.values()) cancel?.();
    g.pendingMembers.clear();
    g.joinTimer?.(); g.syncTimer?.();
    g.transitionTo('Dead', this.now());
    this.groups.delete(g.groupId);
    return [
      ...offsets.map((o): CoordinatorRecord => ({ type: 'offset', groupId: g.groupId, topic: o.topic, partition: o.partition, value: null })),
      { type: 'group', groupId: g.groupId, value: null },
    ];
  }

  private *offsetKeys(g: Group): Iterable<{ topic: string; partition: number }> {
    for (const [topic, parts] of g.offsets) for (const partition of parts.keys()) yield { topic, partition };
  }

  async deleteOffsets(groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[]): Promise<{ errorCode: ErrorCode; topics: TopicPartitionErrors[] }> {
    const err = this.groupStatusError(groupId, false);
    if (err !== null) return { errorCode: err, topics: [] };
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    let subscribed: Set<string> | null = null;
    if (!g.is('Empty')) {
      if (g.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
      subscribed = this.subscribedTopics(g);
    }
    const records: CoordinatorRecord[] = [];
    const pending: { errorCode: ErrorCode }[] = [];
    const out: TopicPartitionErrors[] = topics.map((t) => {
      const count = this.deps.partitionCount(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          const o = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE as ErrorCode };
          if (count === undefined || p.partitionIndex < 0 || p.partitionIndex >= count) o.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (subscribed && (subscribed.has(t.name) || subscribed.has('\u0000unknown'))) o.errorCode = GROUP_SUBSCRIBED_TO_TOPIC;
          else if (g.deleteOffset(t.name, p.partitionIndex)) {
            records.push({ type: 'offset', groupId, topic: t.name, partition: p.partitionIndex, value: null });
            pending.push(o);
          }
          return o;
        }),
      };
    });
    if (records.length > 0) {
      const e = await this.persist(groupId, records);
      if (e !== ErrorCode.NONE) for (const o of pending) o.errorCode = groupWriteError(e);
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  /** Topics the members subscribe to; contains '\0unknown' if a subscription cannot be read (then nothing is deletable). */
  private subscribedTopics(g: Group): Set<string> {
    const topics = new Set<string>();
    for (const m of g.members.values()) {
      const meta = g.protocolName !== null ? m.protocols.find((p) => p.name === g.protocolName)?.metadata : m.protocols[0]?.metadata;
      const sub = decodeSubscription(meta);
      if (!sub) { topics.add('\u0000unknown'); continue; }
      for (const t of sub.topics) topics.add(t);
    }
    return topics;
  }

  /**
   * A topic was deleted: its committed offsets go from every group (as Kafka
   * does), so a topic re-created under the same name starts afresh.
   */
  async onTopicDeleted(topic: string): Promise<void> {
    if (this.status !== 'active') return;
    const writes: Promise<ErrorCode>[] = [];
    for (const g of this.groups.values()) {
      const parts = g.offsets.get(topic);
      if (!parts) continue;
      const records: CoordinatorRecord[] = [...parts.keys()].map((partition) => ({ type: 'offset', groupId: g.groupId, topic, partition, value: null }));
      g.offsets.delete(topic);
      writes.push(this.persist(g.groupId, records));
    }
    await Promise.all(writes);
  }

  // ---------------------------------------------------------------- retention

  private scheduleRetention(): void {
    this.retentionTimer = this.scheduler.schedule(this.cfg.offsetsRetentionCheckIntervalMs, () => {
      this.retentionTimer = null;
      if (this.status !== 'active') return;
      void this.expireOffsets().finally(() => { if (this.status === 'active') this.scheduleRetention(); });
    });
  }

  /**
   * KIP-211 offset expiry: offsets of a consumer group expire once the group
   * has been Empty for the retention period; a Stable group's offsets of
   * topics it no longer subscribes to expire per commit time; offsets of a
   * simple group (no protocol) expire per commit time. An explicit expiry
   * from OffsetCommit v2-4 wins. An Empty group left without offsets is deleted.
   */
  async expireOffsets(): Promise<number> {
    if (this.status !== 'active') return 0;
    const now = this.now();
    const retention = this.cfg.offsetsRetentionMs;
    let expiredCount = 0;
    const writes: Promise<ErrorCode>[] = [];
    for (const g of [...this.groups.values()]) {
      let base: ((o: CommittedOffset) => number) | null = null;
      let keep = new Set<string>();
      if (g.protocolType === null) base = (o) => o.commitTimestampMs;
      else if (g.is('Empty')) base = (o) => (g.stateTimestampMs >= 0 ? g.stateTimestampMs : o.commitTimestampMs);
      else if (g.is('Stable') && g.protocolType === CONSUMER_PROTOCOL_TYPE) {
        keep = this.subscribedTopics(g);
        if (!keep.has('\u0000unknown')) base = (o) => o.commitTimestampMs;
      }
      const records: CoordinatorRecord[] = [];
      if (base) {
        for (const { topic, partition } of [...this.offsetKeys(g)]) {
          if (keep.has(topic) || g.pendingTransactionalOffsets.has(`${topic}\u0000${partition}`)) continue;
          const o = g.offset(topic, partition)!;
          const expired = o.expireTimestampMs >= 0 ? now >= o.expireTimestampMs : now - base(o) >= retention;
          if (!expired) continue;
          g.deleteOffset(topic, partition);
          records.push({ type: 'offset', groupId: g.groupId, topic, partition, value: null });
          expiredCount++;
        }
      }
      if (g.is('Empty') && g.offsetCount === 0 && g.pendingMembers.size === 0) {
        this.log.info({ groupId: g.groupId }, 'group expired: empty and without offsets');
        records.push(...this.killGroup(g, []));
      }
      if (records.length > 0) writes.push(this.persist(g.groupId, records));
    }
    await Promise.all(writes);
    if (expiredCount > 0) this.log.info({ offsets: expiredCount }, 'expired committed offsets');
    return expiredCount;
  }

  // ---------------------------------------------------------------- persistence

  private groupValue(g: Group, assignments?: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    return {
      protocolType: g.protocolType ?? '',
      generation: g.generationId,
      protocol: g.protocolName,
      leader: g.leaderId,
      currentStateTimestampMs: g.stateTimestampMs,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: g.protocolName !== null ? (m.protocols.find((p) => p.name === g.protocolName)?.metadata ?? EMPTY_BYTES) : EMPTY_BYTES,
        assignment: assignments ? (assignments.get(m.memberId) ?? EMPTY_BYTES) : m.assignment,
      })),
    };
  }

  private persist(groupId: string, records: readonly CoordinatorRecord[]): Promise<ErrorCode> {
    const p = this.store.append(groupId, records).catch((err: Error) => {
      this.log.error({ groupId, err: err.message }, 'coordinator write failed');
      return ErrorCode.UNKNOWN_SERVER_ERROR as ErrorCode;
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  /** A group created by a request that failed (bad protocol, lapsed member id) is not kept. */
  private dropIfUnused(g: Group): void {
    if (g.is('Empty') && g.generationId === 0 && g.size === 0 && g.pendingMembers.size === 0 && g.offsetCount === 0 && g.protocolType === null &&
        this.groups.get(g.groupId) === g) {
      this.groups.delete(g.groupId);
    }
  }

  // ---------------------------------------------------------------- introspection (tests, metrics)

  groupState(groupId: string): { state: GroupState; generationId: number; leaderId: string | null; protocolName: string | null; members: string[] } | undefined {
    const g = this.groups.get(groupId);
    return g && { state: g.state, generationId: g.generationId, leaderId: g.leaderId, protocolName: g.protocolName, members: [...g.members.keys()] };
  }
}
