/**
 * The side-by-side client check: the same produce workload sent with kcat
 * (Debian's kcat, librdkafka) from a file, timed from spawn to exit.
 *
 *   kcat -P -b 127.0.0.1:PORT -t TOPIC -l FILE -X acks=1 -X linger.ms=5 -X batch.num.messages=10000
 *
 * The file holds N lines of 100 characters, so each record value is 100 bytes
 * (kcat strips the newline). The wall time includes kcat's start-up,
 * bootstrap and metadata round trips and its final flush. `kcatTimedRun`
 * first sends one record to the topic (which auto-creates it), then times
 * one more single record (the fixed cost against an existing topic), then
 * the N records; the reported rate is N / (wall − fixed). Only 127.0.0.1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { track } from '../lib/proc.js';

export function kcatAvailable(): string | null {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const out = r.stdout + r.stderr;
  const k = /Version ([0-9.]+)/.exec(out);
  const l = /librdkafka ([0-9.]+)/.exec(out);
  return `kcat ${k?.[1] ?? '?'} (librdkafka ${l?.[1] ?? '?'})`;
}

/** Writes `records` lines of `size` characters (+ "\n") to `path`. */
export function writeRecordFile(path: string, records: number, size = 100): void {
  const line = Buffer.from('x'.repeat(size) + '\n');
  const perChunk = Math.max(1, Math.floor((1 << 20) / line.length));
  const chunk = Buffer.concat(Array.from({ length: perChunk }, () => line));
  const fd = openSync(path, 'w');
  try {
    let left = records;
    while (left > 0) {
      const n = Math.min(left, perChunk);
      writeSync(fd, chunk, 0, n * line.length);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

export const KCAT_PRODUCE_ARGS = ['-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000'];

/** Runs kcat -P; resolves with the wall time in ms. Rejects on a non-zero exit or after `timeoutMs`. */
export function kcatProduce(bootstrap: string, topic: string, file: string | null, stdin: string | null, timeoutMs = 120_000): Promise<number> {
  const args = ['-P', '-b', bootstrap, '-t', topic, ...KCAT_PRODUCE_ARGS];
  if (file) args.push('-l', file);
  const t0 = performance.now();
  const child = track(spawn('kcat', args, { stdio: [stdin === null ? 'ignore' : 'pipe', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  if (stdin !== null) child.stdin!.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kcat did not finish within ${timeoutMs} ms`)); }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`kcat exited with ${code}: ${err.slice(0, 2000)}`));
    });
  });
}

export interface KcatRun { wallMs: number; fixedMs: number; recordsPerSec: number }

/** One measured kcat run of `records` records from `file` to a fresh `topic` (see the top of the file). */
export async function kcatTimedRun(bootstrap: string, topic: string, file: string, records: number): Promise<KcatRun> {
  await kcatProduce(bootstrap, topic, null, 'x\n');
  const fixedMs = await kcatProduce(bootstrap, topic, null, 'x\n');
  const wallMs = await kcatProduce(bootstrap, topic, file, null);
  return { wallMs, fixedMs, recordsPerSec: records / (Math.max(1, wallMs - fixedMs) / 1000) };
}
