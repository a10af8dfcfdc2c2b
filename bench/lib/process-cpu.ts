/**
 * CPU time of another process (user + system, all its threads) from
 * /proc/<pid>/stat, and a window of it that follows a load run's measured
 * part: what the broker spends per record, a figure that the client sharing
 * the machine moves much less than throughput.
 */
import { readFileSync } from 'node:fs';
import type { PlanHooks } from '../../src/load/run-plan.js';
import type { Timing } from '../workloads/workloads.js';

/** Linux's USER_HZ, the unit of utime and stime (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of `pid` so far, or null if it cannot be read (not Linux, process gone). */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND; // utime, stime: fields 14 and 15
  } catch {
    return null;
  }
}

/**
 * Hooks for a load run that sample `pid`'s CPU time when the warm-up ends
 * and when the measured window ends; `perRecordNs(recordsPerSec)` then
 * gives CPU nanoseconds per record over that window (null if unknown).
 */
export function cpuOverWindow(pid: number, t: Timing): { hooks: PlanHooks; perRecordNs(recordsPerSec: number): number | null } {
  let start: CpuSample | null = null;
  let end: CpuSample | null = null;
  const timers: NodeJS.Timeout[] = [];
  return {
    hooks: {
      onStart: () => {
        timers.push(setTimeout(() => { start = sample(pid); }, t.warmupMs));
        timers.push(setTimeout(() => { end = sample(pid); }, t.warmupMs + t.durationMs));
      },
    },
    perRecordNs(recordsPerSec) {
      for (const timer of timers) clearTimeout(timer);
      const e = end ?? sample(pid);
      if (!start || !e || e.at <= start.at || recordsPerSec <= 0) return null;
      return ((e.cpu - start.cpu) * 1e9) / (recordsPerSec * ((e.at - start.at) / 1000));
    },
  };
}

interface CpuSample { cpu: number; at: number }

function sample(pid: number): CpuSample | null {
  const cpu = processCpuSeconds(pid);
  return cpu === null ? null : { cpu, at: performance.now() };
}
