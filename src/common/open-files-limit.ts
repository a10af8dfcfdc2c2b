/**
 * The process's soft limit on open file descriptors (Linux: /proc/self/limits),
 * or null where it cannot be read. Each partition segment holds one
 * descriptor, so a broker logs a warning when its partitions come near it.
 */
import { readFileSync } from 'node:fs';

export function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

/** EMFILE / ENFILE: the process or the system ran out of file descriptors (also when only the message crossed a thread). */
export function isOutOfDescriptors(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return e?.code === 'EMFILE' || e?.code === 'ENFILE' || /^E[MN]FILE\b/.test(e?.message ?? '');
}

export const OUT_OF_DESCRIPTORS_HINT = 'out of file descriptors: raise the limit (ulimit -n); each partition segment holds one, as in Kafka';
