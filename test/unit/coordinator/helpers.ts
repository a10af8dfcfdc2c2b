/** Test doubles for the group coordinator: a manual clock/scheduler and an in-memory GroupStore. */
import { ErrorCode } from '../../../src/common/error-codes.js';
import type { Cancel } from '../../../src/coordinator/group.js';
import { GroupCoordinator, type GroupCoordinatorConfig, type JoinRequest, type Scheduler } from '../../../src/coordinator/group-coordinator.js';
import type { CoordinatorRecord, GroupStore } from '../../../src/coordinator/offset-store.js';
import { writeConsumerProtocolAssignment } from '../../../src/protocol/generated/consumer-protocol-assignment.js';
import { writeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.js';
import { Writer } from '../../../src/protocol/primitives/index.js';

interface Task { at: number; seq: number; fn: () => void; cancelled: boolean }

/** Time moves only when the test says so; due tasks run in time order. */
export class ManualScheduler implements Scheduler {
  private t = 1_700_000_000_000;
  private seq = 0;
  private tasks: Task[] = [];

  now(): number { return this.t; }

  schedule(delayMs: number, fn: () => void): Cancel {
    const task: Task = { at: this.t + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return () => { task.cancelled = true; };
  }

  /** Advances the clock by `ms`, running every task that falls due (and letting promises settle after each). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.tasks = this.tasks.filter((x) => !x.cancelled);
      const due = this.tasks.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.tasks.splice(this.tasks.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  get pendingTasks(): number {
    return this.tasks.filter((x) => !x.cancelled).length;
  }
}

/** Lets pending promise callbacks run. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

export class MemoryStore implements GroupStore {
  readonly records: CoordinatorRecord[] = [];
  /** Error returned by the next appends (NONE = succeed). */
  failWith: ErrorCode = ErrorCode.NONE;
  prepared = 0;

  async prepare(): Promise<void> { this.prepared++; }

  async append(_groupId: string, records: readonly CoordinatorRecord[]): Promise<ErrorCode> {
    await Promise.resolve();
    if (this.failWith !== ErrorCode.NONE) return this.failWith;
    this.records.push(...records);
    return ErrorCode.NONE;
  }

  async load(apply: (r: CoordinatorRecord) => void): Promise<void> {
    for (const r of this.records) apply(r);
  }
}

export const TOPICS: Record<string, number> = { orders: 6, payments: 3 };

export const BASE_CONFIG: GroupCoordinatorConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 300_000,
  initialRebalanceDelayMs: 0,
  offsetsRetentionMs: 7 * 24 * 3600_000,
};

export async function newCoordinator(config: Partial<GroupCoordinatorConfig> = {}, store = new MemoryStore(), scheduler = new ManualScheduler()) {
  const gc = new GroupCoordinator({ ...BASE_CONFIG, ...config }, { store, scheduler, partitionCount: (t) => TOPICS[t] });
  await gc.start();
  return { gc, store, scheduler };
}

/** ConsumerProtocolSubscription bytes (int16 version + body). */
export function subscription(topics: string[], version = 0): Buffer {
  const w = new Writer(64);
  w.int16(version);
  writeConsumerProtocolSubscription(w, version, { topics, userData: null });
  return w.toBuffer();
}

export function assignment(parts: Record<string, number[]>): Buffer {
  const w = new Writer(64);
  w.int16(0);
  writeConsumerProtocolAssignment(w, 0, { assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null });
  return w.toBuffer();
}

export function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    requireKnownMemberId: false,
    ...over,
  };
}
