/**
 * Ring hand-off vs postMessage between two threads (issue 3): messages/s of a
 * one-way stream and round-trip latency, for 100-byte and 64 KiB payloads.
 *
 * - ring: src/shard/ring.ts ShardRing (SPSC over a SharedArrayBuffer, 4 MiB
 *   per direction); the producer copies each payload into the ring
 *   (`tryWrite`), the consumer reads it in place and releases it; both sides
 *   wait with Atomics.waitAsync when empty / full, as the engine does.
 * - postMessage: a standalone Uint8Array per message (structured clone copies
 *   it, as the ring copies it), at most 1024 messages unacknowledged (the
 *   worker acknowledges every 256) so the queue stays bounded.
 *
 * Round trips: the main thread sends one message, the worker echoes it back
 * (ring A → worker → ring B, or postMessage both ways), one at a time; every
 * round trip pays two thread wake-ups, which is what a per-request hop would
 * add to a produce (research/limits.md §3: 10-70 µs per wake-up here).
 *
 * Not tinybench: a cross-thread stream has no per-call unit. Each stream runs
 * for a fixed time (or message count); figures are single runs.
 *
 *   node dist/bench/micro/ring.bench.js [--quick]
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ShardRing } from '../../src/shard/ring.js';
import { percentileSorted } from '../lib/stats.js';
import { isMain, runStandalone } from './harness.js';
import { ACK_EVERY, TAG_DATA, TAG_STOP, type RingWorkerData } from './ring-worker.js';
import type { BenchFigure, BenchRunOptions } from './types.js';

const WORKER_URL = new URL('./ring-worker.js', import.meta.url);
const CAPACITY = 4 * 1024 * 1024;
const PM_WINDOW = 1024;

interface Started { worker: Worker; a: ShardRing | null; b: ShardRing | null; next: (type: string) => Promise<Record<string, number>> }

async function startWorker(mode: RingWorkerData['mode']): Promise<Started> {
  const ringMode = mode.startsWith('ring');
  const buffer = ringMode ? new SharedArrayBuffer(2 * ShardRing.bytesFor(CAPACITY)) : undefined;
  const worker = new Worker(WORKER_URL, { workerData: { mode, buffer, capacity: CAPACITY } satisfies RingWorkerData });
  const waiting = new Map<string, ((m: Record<string, number>) => void)[]>();
  worker.on('message', (m: { type?: string } | Uint8Array) => {
    const type = m instanceof Uint8Array ? 'echo' : String(m.type);
    const list = waiting.get(type);
    const w = list?.shift();
    if (w) w(m as Record<string, number>);
  });
  worker.on('error', (e) => { throw e; });
  const next = (type: string): Promise<Record<string, number>> => new Promise((resolve) => {
    let list = waiting.get(type);
    if (!list) waiting.set(type, (list = []));
    list.push(resolve);
  });
  await next('ready');
  return {
    worker, next,
    a: buffer ? new ShardRing(buffer, 0, CAPACITY) : null,
    b: buffer ? new ShardRing(buffer, ShardRing.bytesFor(CAPACITY), CAPACITY) : null,
  };
}

function payloadOf(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = (i * 31) & 0xff;
  return p;
}

/** One-way stream over a ShardRing: messages/s. */
async function ringStream(size: number, maxMs: number, maxMessages: number): Promise<number> {
  const { worker, a, next } = await startWorker('ring-stream');
  const ring = a!;
  const payload = payloadOf(size);
  const done = next('done');
  const t0 = performance.now();
  let sent = 0;
  while (sent < maxMessages) {
    if (!ring.tryWrite(TAG_DATA, payload)) {
      await ring.waitForSpace(50);
      continue;
    }
    sent++;
    if ((sent & 255) === 0 && performance.now() - t0 > maxMs) break;
  }
  while (!ring.tryWrite(TAG_STOP, new Uint8Array(0))) await ring.waitForSpace(50);
  const r = await done;
  const seconds = (performance.now() - t0) / 1000;
  await worker.terminate();
  if (r.count !== sent) throw new Error(`ring stream: sent ${sent}, worker counted ${r.count}`);
  return sent / seconds;
}

/** One-way stream over postMessage with a bounded window: messages/s. */
async function postMessageStream(size: number, maxMs: number, maxMessages: number): Promise<number> {
  const { worker, next } = await startWorker('pm-stream');
  const payload = payloadOf(size);
  let acked = 0;
  let wake: (() => void) | null = null;
  worker.on('message', (m: { type?: string; count?: number }) => {
    if (m.type === 'ack') { acked = m.count!; wake?.(); wake = null; }
  });
  const done = next('done');
  const t0 = performance.now();
  let sent = 0;
  while (sent < maxMessages) {
    if (sent - acked >= PM_WINDOW) {
      await new Promise<void>((r) => { wake = r; });
      continue;
    }
    worker.postMessage(payload);
    sent++;
    if ((sent & 255) === 0 && performance.now() - t0 > maxMs) break;
  }
  worker.postMessage('stop');
  const r = await done;
  const seconds = (performance.now() - t0) / 1000;
  await worker.terminate();
  if (r.count !== sent) throw new Error(`postMessage stream: sent ${sent}, worker counted ${r.count}`);
  void ACK_EVERY;
  return sent / seconds;
}

/** Round trips one at a time; returns latencies in µs, ascending. */
async function ringRoundTrips(size: number, count: number, maxMs: number): Promise<Float64Array> {
  const { worker, a, b, next } = await startWorker('ring-echo');
  const payload = payloadOf(size);
  const lat: number[] = [];
  const tEnd = performance.now() + maxMs;
  for (let i = 0; i < count + 50 && performance.now() < tEnd; i++) {
    const t = performance.now();
    while (!a!.tryWrite(TAG_DATA, payload)) await a!.waitForSpace(50);
    for (;;) {
      const m = b!.peek();
      if (m !== null) { b!.release(m); break; }
      await b!.waitForMessage(100);
    }
    if (i >= 50) lat.push((performance.now() - t) * 1000); // the first 50 warm up
  }
  const done = next('done');
  while (!a!.tryWrite(TAG_STOP, new Uint8Array(0))) await a!.waitForSpace(50);
  await done;
  await worker.terminate();
  return Float64Array.from(lat).sort();
}

async function postMessageRoundTrips(size: number, count: number, maxMs: number): Promise<Float64Array> {
  const { worker, next } = await startWorker('pm-echo');
  const payload = payloadOf(size);
  const lat: number[] = [];
  const tEnd = performance.now() + maxMs;
  for (let i = 0; i < count + 50 && performance.now() < tEnd; i++) {
    const t = performance.now();
    const echoed = next('echo');
    worker.postMessage(payload);
    await echoed;
    if (i >= 50) lat.push((performance.now() - t) * 1000);
  }
  const done = next('done');
  worker.postMessage('stop');
  await done;
  await worker.terminate();
  return Float64Array.from(lat).sort();
}

export async function run(opts: BenchRunOptions): Promise<BenchFigure[]> {
  const streamMs = opts.quick ? 300 : 1000;
  const rtCount = opts.quick ? 300 : 2000;
  const rtMs = opts.quick ? 500 : 1500;
  const figures: BenchFigure[] = [];
  for (const [label, size] of [['100 B', 100], ['64 KiB', 65536]] as const) {
    const maxMessages = size === 100 ? 50_000_000 : 2_000_000;
    // Interleave the two mechanisms so a noisy second hurts both alike.
    const ring = await ringStream(size, streamMs, maxMessages);
    const pm = await postMessageStream(size, streamMs, maxMessages);
    figures.push(
      { name: `ring hand-off stream, ${label}`, value: Math.round(ring), unit: 'msgs/s' },
      { name: `postMessage stream, ${label}`, value: Math.round(pm), unit: 'msgs/s' },
    );
    const ratio: BenchFigure = { name: `ring / postMessage messages/s, ${label}`, value: Math.round((ring / pm) * 10) / 10, unit: 'x' };
    if (size === 100) ratio.target = { op: '>=', value: 5 };
    figures.push(ratio);
    const rrt = await ringRoundTrips(size, rtCount, rtMs);
    const prt = await postMessageRoundTrips(size, rtCount, rtMs);
    const us = (s: Float64Array, p: number): number => Math.round(percentileSorted(s, p));
    figures.push(
      { name: `ring round trip p50, ${label}`, value: us(rrt, 50), unit: 'µs' },
      { name: `ring round trip p99, ${label}`, value: us(rrt, 99), unit: 'µs' },
      { name: `postMessage round trip p50, ${label}`, value: us(prt, 50), unit: 'µs' },
      { name: `postMessage round trip p99, ${label}`, value: us(prt, 99), unit: 'µs' },
    );
  }
  return figures;
}

if (isMain(import.meta.url)) await runStandalone('Ring hand-off vs postMessage', run);
