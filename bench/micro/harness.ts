/**
 * Helpers shared by the micro-benchmarks: a throughput task for tinybench, a
 * results table, and "run me when executed directly".
 *
 * Small inputs are timed in batches: one tinybench iteration calls the
 * function `reps` times so that each sample lasts tens of microseconds and the
 * timer's own cost (tens of ns) does not distort a 100-byte figure.
 */
import { Bench } from 'tinybench';
import { pathToFileURL } from 'node:url';
import type { BenchFigure, BenchRunOptions } from './types.js';

export interface ThroughputCase {
  /** Figure name. */
  name: string;
  /** Bytes processed by one call of `fn` (the MB/s numerator). */
  bytes: number;
  /** The operation. Its return value is consumed so the JIT cannot drop the call. */
  fn: () => unknown;
  target?: BenchFigure['target'];
}

let sink = 0;
/** Keeps results alive; read it so the JIT cannot prove the work unused. */
export function blackhole(): number { return sink; }

/**
 * Runs each case with tinybench and returns MB/s figures (10^6 bytes/s) from
 * the median sample. Cases run one after another in the same process, after a
 * warm-up, so ratios between them are fair; absolute numbers are noisy on a
 * shared 2-vCPU VM (see research/limits.md), so compare medians of several runs.
 */
export async function measureThroughput(cases: ThroughputCase[], opts: BenchRunOptions): Promise<BenchFigure[]> {
  const bench = new Bench({
    time: opts.quick ? 150 : 1000,
    warmupTime: opts.quick ? 50 : 250,
    iterations: opts.quick ? 5 : 20,
  });
  const reps = new Map<string, number>();
  for (const c of cases) {
    // Aim for >= ~64 KiB of work per sample.
    const r = Math.max(1, Math.ceil(65536 / Math.max(1, c.bytes)));
    reps.set(c.name, r);
    bench.add(c.name, () => {
      for (let i = 0; i < r; i++) {
        const v = c.fn();
        sink ^= typeof v === 'number' ? v : 1;
      }
    });
  }
  await bench.run();
  const figures: BenchFigure[] = [];
  for (const c of cases) {
    const task = bench.getTask(c.name);
    const result = task?.result as { latency?: { p50: number }; error?: unknown } | undefined;
    if (!result?.latency) throw new Error(`benchmark ${c.name} failed: ${String(result?.error ?? 'no result')}`);
    const seconds = result.latency.p50 / 1000 / reps.get(c.name)!;
    const fig: BenchFigure = { name: c.name, value: Math.round(c.bytes / seconds / 1e6), unit: 'MB/s' };
    if (c.target) fig.target = c.target;
    figures.push(fig);
  }
  return figures;
}

/** OK / BELOW / blank, for a figure against its target. */
export function verdict(f: BenchFigure): string {
  if (!f.target) return '';
  const ok = f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value;
  return ok ? 'OK' : f.target.op === '>=' ? 'BELOW' : 'ABOVE';
}

/** Prints figures as an aligned table: name, measured, unit, target, verdict. */
export function printFigures(title: string, figures: BenchFigure[]): void {
  const rows = figures.map((f) => [f.name, String(f.value), f.unit, f.target ? `${f.target.op} ${f.target.value}` : '', verdict(f)]);
  const head = ['benchmark', 'measured', 'unit', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  process.stdout.write(`${title}\n${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}\n`);
}

/** True when the module at `metaUrl` is the process entry point (`node dist/bench/micro/x.bench.js`). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && metaUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * Standalone entry: run and print. `--quick` for a short run. The exit code
 * stays 0 when a figure is BELOW its target: on a shared VM that is a reading
 * to look at, not a build failure (bench/run decides what to enforce).
 */
export async function runStandalone(title: string, run: (o: BenchRunOptions) => Promise<BenchFigure[]>): Promise<void> {
  const figures = await run({ quick: process.argv.includes('--quick') });
  printFigures(title, figures);
}
