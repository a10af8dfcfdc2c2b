/**
 * kafkajs consumer-group members for integration tests. Each records what it
 * consumed and when it (re)joined. A member runs in this process, or — when
 * a test means to kill it — in a child process (kafkajs-group-child.ts) that
 * is SIGKILLed: it never sends LeaveGroup, and the broker only learns of its
 * death from the session timeout.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Consumer, ConsumerConfig, EachMessagePayload } from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface Join { atMs: number; assignment: Record<string, number[]>; isLeader: boolean }

export interface Seen { topic: string; partition: number; offset: number; value: string; atMs: number }

export abstract class GroupMember {
  readonly joins: Join[] = [];
  readonly seen: Seen[] = [];
  protected dead = false;

  constructor(readonly name: string) {}

  abstract start(topic: string, fromBeginning?: boolean): Promise<void>;
  /** Leaves the group (LeaveGroup) and stops. */
  abstract stop(): Promise<void>;

  get isDead(): boolean {
    return this.dead;
  }

  lastJoin(): Join | undefined {
    return this.joins[this.joins.length - 1];
  }

  /** Joined at or after `t`, and consumed a message after its last join. */
  consumingSince(t: number): boolean {
    const j = this.lastJoin();
    if (!j || j.atMs < t) return false;
    const last = this.seen[this.seen.length - 1];
    return last !== undefined && last.atMs >= j.atMs;
  }
}

export class LocalMember extends GroupMember {
  readonly consumer: Consumer;

  constructor(name: string, bootstrap: string, config: ConsumerConfig) {
    super(name);
    const kafka = new Kafka({
      clientId: name,
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    this.consumer = kafka.consumer(config);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.joins.push({ atMs: Date.now(), assignment: e.payload.memberAssignment as Record<string, number[]>, isLeader: e.payload.isLeader });
    });
  }

  async start(topic: string, fromBeginning = true): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning });
    await this.consumer.run({
      eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
        this.seen.push({ topic: t, partition, offset: Number(message.offset), value: message.value!.toString(), atMs: Date.now() });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

const childJs = fileURLToPath(new URL('./kafkajs-group-child.js', import.meta.url));

export class ChildMember extends GroupMember {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(name: string, private readonly bootstrap: string, private readonly config: ConsumerConfig) {
    super(name);
  }

  start(topic: string, fromBeginning = true): Promise<void> {
    const child = fork(childJs, [JSON.stringify({ name: this.name, bootstrap: this.bootstrap, topic, fromBeginning, config: this.config })], { stdio: 'inherit' });
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    return new Promise((resolve, reject) => {
      child.on('message', (m: { type: string; atMs: number; assignment: Record<string, number[]>; isLeader: boolean; items: Seen[] }) => {
        // Reports still in the pipe when the child is killed were consumed (and maybe committed) before it died.
        if (m.type === 'seen') for (const s of m.items) this.seen.push(s);
        if (this.dead) return;
        if (m.type === 'join') this.joins.push({ atMs: m.atMs, assignment: m.assignment, isLeader: m.isLeader });
        else if (m.type === 'ready') resolve();
      });
      child.once('exit', (code) => reject(new Error(`${this.name} exited with ${code} before it started`)));
    });
  }

  /** SIGKILL: no LeaveGroup, no more heartbeats. */
  async kill(): Promise<void> {
    this.dead = true;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => { timer = setTimeout(r, 10_000); })]);
    clearTimeout(timer);
    this.child.kill('SIGKILL');
  }
}

/** Whether the members' last assignments split `partitions` partitions of `topic` between them, each exactly once. */
export function coversExactly(members: GroupMember[], topic: string, partitions: number): boolean {
  const owned: number[] = [];
  for (const m of members) {
    const j = m.lastJoin();
    if (!j) return false;
    owned.push(...(j.assignment[topic] ?? []));
  }
  owned.sort((a, b) => a - b);
  return owned.length === partitions && owned.every((p, i) => p === i);
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, pollMs = 20): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return Date.now();
}
