/**
 * Child processes of the benchmark suite: helper servers (ceilings) forked
 * with an IPC channel, and brokers (see broker-process.ts). Every child is
 * registered so that an interrupted or failed run kills what it started, by
 * pid, and nothing else.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Registers a child for clean-up at exit; unregisters it when it exits. */
export function track(child: ChildProcess): ChildProcess {
  hookExit();
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Waits for a child to exit; SIGKILL after `graceMs`. Resolves with its exit code. */
export function waitExit(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

/** Path of a compiled bench module, from a URL relative to the caller (`new URL('./x.js', import.meta.url)`). */
export function modulePath(url: URL): string {
  return fileURLToPath(url);
}

export interface HelperMessage { type: string; [k: string]: unknown }

/**
 * A forked helper process that talks JSON messages over IPC. The helper
 * sends `{ type: 'ready', ... }` once it listens; `ask` sends a request and
 * resolves with the next message of the given reply type.
 */
export class Helper {
  private waiters: { type: string; resolve: (m: HelperMessage) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';

  private constructor(readonly child: ChildProcess, readonly ready: HelperMessage) {}

  static start(script: string, args: string[] = [], timeoutMs = 15_000, execArgv: string[] = []): Promise<Helper> {
    const child = track(fork(script, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv }));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 20_000) err = err.slice(-20_000); });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${script} did not start:\n${err}`)); }, timeoutMs);
      child.once('message', (m: HelperMessage) => {
        clearTimeout(timer);
        const h = new Helper(child, m);
        h.stderr = err;
        child.stderr!.on('data', (d: Buffer) => { h.stderr += d.toString(); if (h.stderr.length > 20_000) h.stderr = h.stderr.slice(-20_000); });
        child.on('message', (msg: HelperMessage) => h.onMessage(msg));
        child.on('exit', (code) => {
          for (const w of h.waiters.splice(0)) w.reject(new Error(`${script} exited with ${code}:\n${h.stderr}`));
        });
        resolve(h);
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited with ${code} before it was ready:\n${err}`)); });
    });
  }

  private onMessage(m: HelperMessage): void {
    const i = this.waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
  }

  get port(): number {
    return Number(this.ready.port);
  }

  ask(msg: HelperMessage, replyType: string, timeoutMs = 60_000): Promise<HelperMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${replyType} reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type: replyType,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.child.send(msg);
    });
  }

  /** Asks the helper to exit (it should close its files and sockets), then waits; SIGKILL after graceMs. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.connected) this.child.send({ type: 'stop' });
    await waitExit(this.child, graceMs);
  }
}

/** Helper side: announce readiness, and route requests to handlers until 'stop'. */
export function serveHelper(ready: Record<string, unknown>, handlers: Record<string, (m: HelperMessage) => Promise<HelperMessage | void> | HelperMessage | void>, onStop: () => Promise<void> | void): void {
  if (!process.send) throw new Error('a helper must be started with an IPC channel (Helper.start)');
  process.on('message', (m: HelperMessage) => {
    if (m.type === 'stop') {
      Promise.resolve(onStop()).finally(() => process.exit(0));
      return;
    }
    const h = handlers[m.type];
    if (!h) return;
    Promise.resolve(h(m)).then(
      (reply) => { if (reply) process.send!(reply); },
      (err: Error) => { process.stderr.write(`${err.stack}\n`); process.exit(1); },
    );
  });
  // The parent died: leave too.
  process.on('disconnect', () => { Promise.resolve(onStop()).finally(() => process.exit(0)); });
  process.send({ type: 'ready', ...ready });
}
