/**
 * CPU profile of the produce path: runs a broker under `node --cpu-prof`
 * (every thread writes its own .cpuprofile: the dispatcher and, in worker
 * mode, each shard) in inline mode (--shards 0) and worker mode (the default
 * shard count), drives it with the suite's maximum-throughput produce load
 * (bench/workloads MAX_PRODUCE, 100-byte records, acks=1), stops it cleanly
 * and prints, per thread, where the time went: idle, GC, and the functions
 * with the most self time.
 *
 *   npm run build && node dist/bench/profile-produce.js [--seconds 8] [--top 15] [--keep DIR] [--only inline|worker] [--flush os|group|interval:MS] [--e2e RATE]
 *
 * --e2e RATE profiles the suite's end-to-end latency workload at RATE
 * records/s (bench/workloads E2E shape) instead of maximum throughput.
 *
 * The load generator runs in this process (and its worker thread), not in the
 * profiled broker. The .cpuprofile files can be opened in Chrome DevTools
 * (Performance tab) or speedscope; pass --keep DIR to keep them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBrokerProcess } from './lib/broker-process.js';
import { e2eAtRate, produceMax } from './workloads/workloads.js';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface SelfTime { name: string; where: string; ms: number; share: number }
export interface ThreadProfile { file: string; thread: string; totalMs: number; idleShare: number; gcShare: number; programShare: number; top: SelfTime[] }

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function where(cf: CallFrame): string {
  if (!cf.url) return '';
  let u = cf.url.replace(/^file:\/\//, '');
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length + (ROOT.endsWith('/') ? 0 : 1));
  return `${u}:${cf.lineNumber + 1}`;
}

/** Self time per function (name + location) of one profile, from its samples and time deltas. */
export function summarizeProfile(p: CpuProfile, top: number): Omit<ThreadProfile, 'file' | 'thread'> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // timeDeltas[i] is the time since the previous sample; attribute it to sample i's node.
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, deltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const agg = new Map<string, SelfTime>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') { idle += us; continue; }
    if (name === '(garbage collector)') gc += us;
    if (name === '(program)') program += us;
    const key = `${name}@${where(cf)}`;
    const e = agg.get(key) ?? { name, where: where(cf), ms: 0, share: 0 };
    e.ms += us / 1000;
    agg.set(key, e);
  }
  const list = [...agg.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
  for (const e of list) e.share = (e.ms * 1000) / total;
  return { totalMs: total / 1000, idleShare: idle / total, gcShare: gc / total, programShare: program / total, top: list };
}

/** Node names profiles CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread. */
function threadOf(file: string): string {
  const parts = basename(file).split('.');
  const tid = parts.length >= 6 ? Number(parts[parts.length - 3]) : NaN;
  return tid === 0 ? 'dispatcher (main thread)' : Number.isFinite(tid) ? `worker thread ${tid}` : basename(file);
}

export function formatThread(t: ThreadProfile): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `${t.thread}: ${(t.totalMs / 1000).toFixed(1)} s sampled, idle ${pct(t.idleShare)}, GC ${pct(t.gcShare)}, (program) ${pct(t.programShare)}`,
    '   self %    self ms  function (file:line)',
  ];
  for (const e of t.top) lines.push(`   ${pct(e.share).padStart(6)}  ${e.ms.toFixed(0).padStart(9)}  ${e.name}${e.where ? ` (${e.where})` : ''}`);
  return lines.join('\n');
}

async function profileMode(label: string, shards: number | undefined, seconds: number, top: number, keep: string | null, brokerArgs: string[], e2eRate: number | null): Promise<{ rate: number; threads: ThreadProfile[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-prof-'));
  try {
    const broker = await startBrokerProcess({ shards, args: brokerArgs, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    let rate = 0;
    try {
      const t = { durationMs: seconds * 1000, warmupMs: 1000 };
      const r = e2eRate === null ? await produceMax(broker.bootstrap, t) : await e2eAtRate(broker.bootstrap, e2eRate, t);
      rate = r.produce!.recordsPerSec;
      const e2e = r.consume ? `, end-to-end p50 ${r.consume.latency.p50Ms} ms, p99 ${r.consume.latency.p99Ms} ms` : '';
      process.stdout.write(`\n== ${label}: ${(rate / 1e6).toFixed(2)} M rec/s (${r.produce!.mbPerSec.toFixed(0)} MB/s), publish p50 ${r.produce!.latency.p50Ms} ms, p99 ${r.produce!.latency.p99Ms} ms${e2e}\n`);
    } finally {
      await broker.stop();
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
    const threads = files.map((f) => ({ file: f, thread: threadOf(f), ...summarizeProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, top) }));
    // Shard workers that lived only briefly (e.g. a recovery pool) are not interesting.
    for (const t of threads) if (t.totalMs > 500) process.stdout.write(formatThread(t) + '\n');
    if (keep) {
      mkdirSync(join(keep, label), { recursive: true });
      cpSync(dir, join(keep, label), { recursive: true });
      process.stdout.write(`profiles kept in ${join(keep, label)}\n`);
    }
    return { rate, threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const seconds = Number(opt('--seconds') ?? 8);
  const top = Number(opt('--top') ?? 15);
  const keep = opt('--keep') ?? null;
  const only = opt('--only');
  const flush = opt('--flush');
  const brokerArgs = flush ? ['--flush', flush] : [];
  const e2eRate = opt('--e2e') === undefined ? null : Number(opt('--e2e'));
  const shape = e2eRate === null ? 'maximum produce throughput' : `end-to-end at ${e2eRate} rec/s`;
  process.stdout.write(`CPU profile, ${shape}: 100 B records, acks=1, flush ${flush ?? 'group (default)'}, ${seconds} s per mode (+1 s warm-up); the load generator runs in this process\n`);
  if (!only || only === 'inline') await profileMode('inline (--shards 0)', 0, seconds, top, keep, brokerArgs, e2eRate);
  if (!only || only === 'worker') await profileMode('worker (default shards)', undefined, seconds, top, keep, brokerArgs, e2eRate);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: Error) => { process.stderr.write(`${err.stack}\n`); process.exit(1); });
}
