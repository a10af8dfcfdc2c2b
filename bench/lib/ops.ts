/**
 * Operations per second with tinybench, for micro-benchmarks whose natural
 * unit is an operation (a decode, a lookup) rather than bytes. Same settings
 * and sample batching as bench/micro/harness.ts measureThroughput.
 */
import { Bench } from 'tinybench';
import type { BenchFigure, BenchRunOptions } from '../micro/types.js';

export interface OpsCase {
  name: string;
  /** One operation; its result is consumed so the JIT cannot drop it. */
  fn: () => unknown;
  /** Operations per call of fn (e.g. a call that does 1000 lookups). Default 1. */
  opsPerCall?: number;
  /** Calls per tinybench sample, so each sample lasts tens of µs. Default 64. */
  reps?: number;
  /** 'ops/s' (default) or 'ns/op'. */
  report?: 'ops/s' | 'ns/op';
  /** Bytes per operation: adds a MB/s figure named "<name> (MB/s)". */
  bytes?: number;
  target?: BenchFigure['target'];
  bytesTarget?: BenchFigure['target'];
}

let sink = 0;
export function opsSink(): number { return sink; }

export async function measureOps(cases: OpsCase[], opts: BenchRunOptions): Promise<BenchFigure[]> {
  const bench = new Bench({
    time: opts.quick ? 150 : 700,
    warmupTime: opts.quick ? 50 : 200,
    iterations: opts.quick ? 5 : 20,
  });
  for (const c of cases) {
    const r = c.reps ?? 64;
    bench.add(c.name, () => {
      for (let i = 0; i < r; i++) {
        const v = c.fn();
        sink ^= typeof v === 'number' ? v : 1;
      }
    });
  }
  await bench.run();
  const out: BenchFigure[] = [];
  for (const c of cases) {
    const result = bench.getTask(c.name)?.result as { latency?: { p50: number }; error?: unknown } | undefined;
    if (!result?.latency) throw new Error(`benchmark ${c.name} failed: ${String(result?.error ?? 'no result')}`);
    const secondsPerOp = result.latency.p50 / 1000 / (c.reps ?? 64) / (c.opsPerCall ?? 1);
    const fig: BenchFigure = c.report === 'ns/op'
      ? { name: c.name, value: Math.round(secondsPerOp * 1e9 * 10) / 10, unit: 'ns/op' }
      : { name: c.name, value: Math.round(1 / secondsPerOp), unit: 'ops/s' };
    if (c.target) fig.target = c.target;
    out.push(fig);
    if (c.bytes) {
      const b: BenchFigure = { name: `${c.name} (bytes)`, value: Math.round(c.bytes / secondsPerOp / 1e6), unit: 'MB/s' };
      if (c.bytesTarget) b.target = c.bytesTarget;
      out.push(b);
    }
  }
  return out;
}
