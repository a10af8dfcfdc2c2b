/**
 * File-level helpers for the storage layer: segment file names, positional
 * read/write loops, atomic small-file replacement, directory fsync.
 * Shard only (synchronous calls block the calling thread).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** A file being deleted (renamed first, unlinked in the background, as Kafka does). */
/** Offset below which every segment has been flushed; recovery scans from the segment holding it. */
export const RECOVERY_POINT_FILE = 'recovery-point';
export const DELETED_SUFFIX = '.deleted';

/** Kafka's 20-digit zero-padded segment file name stem, e.g. 00000000000000001234. */
export function segmentStem(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export function segmentPath(dir: string, baseOffset: number, suffix: string): string {
  return join(dir, segmentStem(baseOffset) + suffix);
}

/** Base offset from a segment file name, or null if the name is not `<20 digits><suffix>`. */
export function parseSegmentName(name: string, suffix: string): number | null {
  if (name.length !== 20 + suffix.length || !name.endsWith(suffix)) return null;
  const stem = name.slice(0, 20);
  if (!/^\d{20}$/.test(stem)) return null;
  const n = Number(stem);
  return Number.isSafeInteger(n) ? n : null;
}

/** pread until `length` bytes are in `buf[off…]`, or end of file; returns the bytes read. */
export function readFully(fd: number, buf: Buffer, off: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, off + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** pwrite all of `buf[off, off + length)` at `position`. */
export function writeFully(fd: number, buf: Uint8Array, off: number, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, off + done, length - done, position + done);
}

/**
 * Replace a small file atomically with respect to crashes of this process:
 * write `<path>.tmp`, then rename over `path`. Not fsynced: callers that need
 * the new content on disk follow with fsyncDir (the rename is a directory change).
 */
export function writeFileAtomicSync(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, path);
}

/**
 * Replace a small binary file atomically (`<path>.tmp`, then rename). With
 * `sync`, the content is fsynced before the rename, so the new file is whole
 * once the directory is fsynced; without, a crash of the machine (not of the
 * process) may leave it torn, and the reader must check it.
 */
export function writeBytesAtomicSync(path: string, bytes: Uint8Array, sync: boolean): void {
  const tmp = `${path}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeFully(fd, bytes, 0, bytes.length, 0);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
}

/** fsync a file's content; a file deleted meanwhile needs nothing. */
export async function fsyncFile(path: string): Promise<void> {
  let h: fs.promises.FileHandle;
  try {
    h = await fs.promises.open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Directory fsyncs in flight at once (per thread). */
const MAX_DIR_SYNCS = 16;
let dirSyncsRunning = 0;
const dirSyncQueue: (() => void)[] = [];
/** Requested directory fsyncs that have not started yet, by directory. */
const waitingDirSyncs = new Map<string, Promise<void>>();

/**
 * fsync a directory, making file creations, renames and deletions in it
 * durable. A request for a directory whose fsync is waiting to start joins
 * it (that fsync starts after the request's changes, so it covers them), and
 * at most MAX_DIR_SYNCS run at once: creating a topic of 400 partitions
 * fsyncs each partition's directory and, 400 times, the data directory;
 * started all at once, those 800 descriptors exhausted a 512-descriptor
 * limit.
 */
export function fsyncDir(dir: string): Promise<void> {
  const waiting = waitingDirSyncs.get(dir);
  if (waiting) return waiting;
  let start!: () => void;
  const done = new Promise<void>((resolve) => { start = resolve; }).then(async () => {
    waitingDirSyncs.delete(dir); // from here on a new request needs a new fsync
    try {
      const h = await fs.promises.open(dir, 'r');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    } finally {
      const next = dirSyncQueue.shift();
      if (next) next();
      else dirSyncsRunning--;
    }
  });
  waitingDirSyncs.set(dir, done);
  if (dirSyncsRunning < MAX_DIR_SYNCS) {
    dirSyncsRunning++;
    start();
  } else {
    dirSyncQueue.push(start);
  }
  return done;
}

/**
 * Delete a file without blocking on the unlink (freeing a large file's
 * extents can take milliseconds): rename it to `<path>.deleted` now, unlink it
 * in the background. Leftover `.deleted` files are removed on the next open.
 */
export function deleteInBackground(path: string): void {
  const doomed = path + DELETED_SUFFIX;
  try {
    fs.renameSync(path, doomed);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  fs.rm(doomed, { force: true }, () => {});
}
