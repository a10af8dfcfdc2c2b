/**
 * A Millrace broker as a child process, for the benchmark suite:
 * `node dist/src/main.js start --host 127.0.0.1 --port 0 --data-dir <tmp>
 * --shards N ...`, ready when it prints "ready on host:port". `stop()`
 * sends SIGTERM (the broker flushes and exits), waits, and removes the data
 * directory. Only 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { track, waitExit } from './proc.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));
/** The Node flags `npm start` and bin/millrace.js run the broker with (README, "Garbage collection"). */
const BROKER_NODE_ARGS = ['--max-semi-space-size=4', '--initial-old-space-size=64', '--no-memory-reducer'];

export interface BrokerProcessOptions {
  /** --shards; undefined = the broker's default (number of CPUs). */
  shards?: number;
  /** Further `millrace start` flags. */
  args?: string[];
  /** Node flags besides BROKER_NODE_ARGS, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  /** Keep the data dir after stop (for inspection). */
  keepDataDir?: boolean;
  startTimeoutMs?: number;
  env?: Record<string, string>;
}

export interface BrokerProcess {
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  pid: number;
  /** What the broker printed (stdout and stderr, the last 20 kB). */
  output(): string;
  stop(): Promise<void>;
}

export function startBrokerProcess(o: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-'));
  const args = [...BROKER_NODE_ARGS, ...(o.nodeArgs ?? []), MAIN_JS, 'start', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir];
  if (o.shards !== undefined) args.push('--shards', String(o.shards));
  args.push(...(o.args ?? []));
  const child = track(spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MILLRACE_LOG_LEVEL: 'warn', ...o.env },
  }));
  let out = '';
  const onData = (d: Buffer): void => { out += d.toString(); if (out.length > 20_000) out = out.slice(-20_000); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const cleanup = (): void => { if (!o.keepDataDir) rmSync(dataDir, { recursive: true, force: true }); };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); cleanup(); reject(new Error(`broker did not start in time:\n${out}`)); }, o.startTimeoutMs ?? 30_000);
    const onExit = (code: number | null): void => { clearTimeout(timer); cleanup(); reject(new Error(`broker exited with ${code} before it was ready:\n${out}`)); };
    child.once('exit', onExit);
    const check = (): void => {
      const m = /ready on ([0-9.]+):(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', check);
      const host = m[1]!;
      const port = Number(m[2]);
      resolve({
        host, port, bootstrap: `${host}:${port}`, dataDir, pid: child.pid!,
        output: () => out,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await waitExit(child, 20_000);
          cleanup();
        },
      });
    };
    child.stdout!.on('data', check);
  });
}
