/**
 * Ceilings of this machine, measured in the same run as everything else so
 * that every throughput figure can also be read as a fraction of what the
 * hardware, Node and the unavoidable work allow (research/limits.md has the
 * method and the reference values):
 *
 * - loopback TCP between two Node processes, 1 MiB writes to a discarding
 *   server (tcp-sink-server.ts);
 * - sequential file append, 1 MiB fs.writeSync, page cache (after a warm-up
 *   pass: fresh page-cache pages are slow the first time on this VM);
 * - fdatasync latency on the data dir's disk: 4 KiB append + fdatasync, p50/p99;
 * - the bare produce loop (bare-produce-server.ts): pre-built record batches
 *   of 100-byte records, several in flight, framed, CRC-32C'd, appended, acked;
 * - the bare fetch loop (bare-fetch-server.ts): a file read and written to a socket.
 *
 * The clients run in the suite's process; every server is a child process.
 * Every loop is bounded in time.
 */
import * as fs from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32c } from '../../src/wasm/crc32c.js';
import type { Figure } from '../lib/figures.js';
import { Helper } from '../lib/proc.js';
import { LatencySample } from '../lib/stats.js';
import { batchOf } from '../micro/codec.bench.js';

export const CEILING = {
  tcp: 'loopback TCP, Node → Node, 1 MiB writes',
  fileAppend: 'sequential file append, 1 MiB writes (page cache)',
  bareProduce: 'bare produce loop (best config)',
  bareProduceMb: 'bare produce loop (best config), bytes',
  bareFetch: 'bare fetch loop (file → socket)',
} as const;

const here = (name: string): string => new URL(name, import.meta.url).pathname;

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

// ------------------------------------------------------------------ TCP

export async function tcpThroughput(ms: number): Promise<number> {
  const server = await Helper.start(here('./tcp-sink-server.js'));
  try {
    const s = await connectTo(server.port);
    s.setNoDelay(true);
    const buf = Buffer.alloc(1 << 20, 0x5a);
    const reply = new Promise<number>((resolve, reject) => {
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('end', () => resolve(Number(Buffer.concat(parts).readBigUInt64LE(0))));
      s.on('error', reject);
    });
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      if (!s.write(buf)) await new Promise((r) => s.once('drain', r));
    }
    s.end();
    const bytes = await reply;
    return bytes / ((performance.now() - t0) / 1000) / 1e6;
  } finally {
    await server.stop();
  }
}

// ------------------------------------------------------------------ disk

/** Sequential 1 MiB appends to a fresh file (after writing and deleting a warm-up file of `warmMiB`); MB/s. */
export function fileAppend(dir: string, warmMiB: number, mib: number, maxMs: number): number {
  const buf = Buffer.alloc(1 << 20, 0x33);
  const pass = (name: string, n: number): number => {
    const p = join(dir, name);
    const fd = fs.openSync(p, 'w');
    const t0 = performance.now();
    let i = 0;
    for (; i < n && performance.now() - t0 < maxMs; i++) fs.writeSync(fd, buf);
    const secs = (performance.now() - t0) / 1000;
    fs.closeSync(fd);
    fs.rmSync(p, { force: true });
    return (i * buf.length) / secs / 1e6;
  };
  pass('warm.bin', warmMiB);
  return pass('append.bin', mib);
}

/** 4 KiB append + fdatasync, `ops` times (bounded by maxMs); latencies in µs, ascending. */
export function fdatasyncLatency(dir: string, ops: number, maxMs: number): Float64Array {
  const p = join(dir, 'fsync.bin');
  const fd = fs.openSync(p, 'w');
  const buf = Buffer.alloc(4096, 0x44);
  const lat: number[] = [];
  const tEnd = performance.now() + maxMs;
  try {
    for (let i = 0; i < ops && performance.now() < tEnd; i++) {
      const t = performance.now();
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
      lat.push((performance.now() - t) * 1000);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(p, { force: true });
  }
  return Float64Array.from(lat).sort();
}

// ------------------------------------------------------------------ bare produce loop

export interface BareProduceResult {
  batchBytes: number;
  inFlight: number;
  recordsPerSec: number;
  mbPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** One client run against the bare produce server: `inFlight` frames of one pre-built batch outstanding. */
export async function bareProduceRun(port: number, batchBytes: number, inFlight: number, warmMs: number, ms: number): Promise<BareProduceResult> {
  const batch = batchOf(batchBytes);
  const records = batch.readInt32BE(57);
  const frame = Buffer.allocUnsafe(8 + batch.length);
  frame.writeUInt32BE(4 + batch.length, 0);
  frame.writeUInt32BE(crc32c(batch, 0, batch.length, 0), 4);
  batch.copy(frame, 8);
  const s = await connectTo(port);
  s.setNoDelay(true);
  const sent: number[] = [];
  const lat = new LatencySample(100_000);
  const t0 = performance.now();
  const tStart = t0 + warmMs;
  const tEnd = tStart + ms;
  let acked = 0;
  let bad = 0;
  let pending: Buffer = Buffer.alloc(0);
  let stopping = false;
  let outstanding = 0;
  const done = new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      const buf = pending.length ? Buffer.concat([pending, d]) : d;
      const n = buf.length >> 3;
      const now = performance.now();
      for (let i = 0; i < n; i++) {
        if (buf.readUInt32BE(8 * i + 4) !== 1) bad++;
        const at = sent.shift()!;
        outstanding--;
        if (now >= tStart && now < tEnd) { acked++; lat.add((now - at) * 1000); }
      }
      pending = buf.subarray(n << 3);
      if (now >= tEnd) stopping = true;
      if (!stopping) {
        for (let i = 0; i < n; i++) { sent.push(performance.now()); outstanding++; s.write(frame); }
      } else if (outstanding === 0) {
        s.end();
        resolve();
      }
    });
  });
  for (let i = 0; i < inFlight; i++) { sent.push(performance.now()); outstanding++; s.write(frame); }
  const guard = setTimeout(() => s.destroy(new Error('bare produce run did not finish')), warmMs + ms + 30_000);
  try {
    await done;
  } finally {
    clearTimeout(guard);
    s.destroy();
  }
  if (bad > 0) throw new Error(`bare produce loop: ${bad} batches failed their CRC`);
  const secs = ms / 1000;
  const [p50, p99] = lat.percentiles([50, 99]);
  return { batchBytes, inFlight, recordsPerSec: (acked * records) / secs, mbPerSec: (acked * batch.length) / secs / 1e6, p50Us: p50!, p99Us: p99! };
}

// ------------------------------------------------------------------ bare fetch loop

export async function bareFetchRun(port: number, warmMs: number, ms: number): Promise<number> {
  const s = await connectTo(port);
  let bytes = 0;
  const t0 = performance.now();
  const tStart = t0 + warmMs;
  const tEnd = tStart + ms;
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      const now = performance.now();
      if (now >= tStart) bytes += d.length;
      if (now >= tEnd) { s.destroy(); resolve(); }
    });
    setTimeout(() => { s.destroy(); resolve(); }, warmMs + ms + 10_000);
  });
  return bytes / ((performance.now() - tStart) / 1000) / 1e6;
}

// ------------------------------------------------------------------ all ceilings

export interface CeilingOptions {
  quick: boolean;
  /** Which parts to run (all by default). */
  parts?: { tcp?: boolean; disk?: boolean; bareProduce?: boolean; bareFetch?: boolean };
  log?: (line: string) => void;
}

export async function measureCeilings(o: CeilingOptions): Promise<Figure[]> {
  const parts = { tcp: true, disk: true, bareProduce: true, bareFetch: true, ...o.parts };
  const log = o.log ?? ((): void => undefined);
  const figures: Figure[] = [];
  const q = o.quick;
  const dir = fs.mkdtempSync(join(tmpdir(), 'millrace-bench-ceil-'));
  try {
    if (parts.tcp) {
      const runs = [];
      for (let i = 0; i < (q ? 1 : 2); i++) runs.push(await tcpThroughput(q ? 1000 : 2000));
      const best = Math.max(...runs);
      figures.push({ section: 'ceiling', name: CEILING.tcp, value: Math.round(best), unit: 'MB/s', runs: runs.map(Math.round), note: runs.length > 1 ? `best of ${runs.length}` : '' });
      log(`loopback TCP: ${runs.map((r) => r.toFixed(0)).join(', ')} MB/s`);
    }
    if (parts.disk) {
      // The warm-up file must be as large as the measured one: pages the guest has not touched
      // lately are several times slower (711 MB/s for 1 GiB after a 512 MiB warm-up, 5.4 GB/s after 1 GiB).
      const mib = q ? 128 : 512;
      const mbps = fileAppend(dir, mib, mib, q ? 1500 : 3000);
      figures.push({ section: 'ceiling', name: CEILING.fileAppend, value: Math.round(mbps), unit: 'MB/s', note: `${mib} MiB, after a ${mib} MiB warm-up file` });
      const lat = fdatasyncLatency(dir, q ? 300 : 1000, q ? 2000 : 5000);
      const pct = (p: number): number => Math.round(lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)]!);
      figures.push(
        { section: 'ceiling', name: 'fdatasync, 4 KiB append + fdatasync, p50', value: pct(50), unit: 'µs', note: `${lat.length} ops on ${tmpdir()}` },
        { section: 'ceiling', name: 'fdatasync, 4 KiB append + fdatasync, p99', value: pct(99), unit: 'µs' },
      );
      log(`file append ${mbps.toFixed(0)} MB/s; fdatasync p50 ${pct(50)} µs p99 ${pct(99)} µs`);
    }
    if (parts.bareProduce) {
      const server = await Helper.start(here('./bare-produce-server.js'), [join(dir, 'bare-produce.log')]);
      try {
        const configs: [number, number][] = q ? [[16 * 1024, 32], [1 << 20, 4]] : [[16 * 1024, 32], [256 * 1024, 8], [1 << 20, 4]];
        const results: BareProduceResult[] = [];
        for (const [bytes, inFlight] of configs) {
          const r = await bareProduceRun(server.port, bytes, inFlight, q ? 300 : 700, q ? 1200 : 3000);
          results.push(r);
          const label = bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
          figures.push({
            section: 'ceiling', name: `bare produce loop, ${label} batches × ${inFlight} in flight`, value: Math.round(r.recordsPerSec), unit: 'rec/s',
            note: `${r.mbPerSec.toFixed(0)} MB/s, ack p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms`,
          });
          log(`bare produce ${label} × ${inFlight}: ${(r.recordsPerSec / 1e6).toFixed(2)} M rec/s, ${r.mbPerSec.toFixed(0)} MB/s`);
        }
        const best = results.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
        figures.push(
          { section: 'ceiling', name: CEILING.bareProduce, value: Math.round(best.recordsPerSec), unit: 'rec/s', note: `${best.batchBytes >> 10} KiB × ${best.inFlight}` },
          { section: 'ceiling', name: CEILING.bareProduceMb, value: Math.round(best.mbPerSec), unit: 'MB/s', ceiling: CEILING.tcp },
        );
      } finally {
        await server.stop();
      }
    }
    if (parts.bareFetch) {
      const mib = q ? 128 : 512;
      const server = await Helper.start(here('./bare-fetch-server.js'), [join(dir, 'bare-fetch.bin'), String(mib)], 60_000);
      try {
        const runs = [];
        for (let i = 0; i < (q ? 1 : 2); i++) runs.push(await bareFetchRun(server.port, 300, q ? 1200 : 2500));
        const best = Math.max(...runs);
        figures.push({ section: 'ceiling', name: CEILING.bareFetch, value: Math.round(best), unit: 'MB/s', ceiling: CEILING.tcp, runs: runs.map(Math.round), note: `${mib} MiB file in page cache, 1 MiB reads` });
        log(`bare fetch: ${runs.map((r) => r.toFixed(0)).join(', ')} MB/s`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await sleep(0);
  return figures;
}
