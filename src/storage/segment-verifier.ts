/**
 * Start-up CRC verification of segment files, run in the background pool
 * (piscina) before the shards open their partitions, so the expensive part
 * of recovery — reading and checksumming every batch written since the last
 * recovery point — happens for many partitions in parallel on all cores.
 * The shard's own recovery then walks only batch headers up to the verified
 * position (rebuilding indexes) and checksums nothing twice.
 *
 * Pure file reads; no state. Any thread.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { batchCrc32c } from '../protocol/record-batch/crc.js';
import { BATCH_HEADER_SIZE, CRC_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2 } from '../protocol/record-batch/record-batch-header.js';
import { LOG_SUFFIX, parseSegmentName, readFully, RECOVERY_POINT_FILE } from './files.js';

const WINDOW_BYTES = 4 * 1024 * 1024;

/** Bytes from the start of the file that are whole, magic-2, CRC-valid batches. */
export function verifySegmentFile(path: string): number {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let window = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, size));
    let pos = 0;
    while (pos + LOG_OVERHEAD <= size) {
      const want = Math.min(window.length, size - pos);
      const got = readFully(fd, window, 0, want, pos);
      let at = 0;
      while (at + LOG_OVERHEAD <= got) {
        const batchSize = window.readInt32BE(at + LENGTH_OFFSET) + LOG_OVERHEAD;
        if (batchSize < BATCH_HEADER_SIZE || pos + at + batchSize > size) return pos + at;
        if (at + batchSize > got) break;
        if (window.readInt8(at + MAGIC_OFFSET) !== MAGIC_V2) return pos + at;
        if (window.readUInt32BE(at + CRC_OFFSET) !== batchCrc32c(window, at, batchSize)) return pos + at;
        at += batchSize;
      }
      if (at === 0) {
        // One batch larger than the window: grow it and read again.
        const batchSize = window.readInt32BE(LENGTH_OFFSET) + LOG_OVERHEAD;
        window = Buffer.allocUnsafe(batchSize);
        continue;
      }
      pos += at;
    }
    return pos;
  } finally {
    fs.closeSync(fd);
  }
}

export interface SegmentToVerify {
  /** Partition directory. */
  dir: string;
  baseOffset: number;
  path: string;
  bytes: number;
}

/**
 * The segments of a partition directory that recovery will scan from their
 * start: those at or after the recovery point. Earlier segments were flushed
 * and are trusted, as in Kafka; a segment holding the recovery point in its
 * middle is rescanned by the shard only from its last index entry before
 * that point, which is cheap (after a clean shutdown the recovery point is
 * the log end).
 */
export function segmentsToVerify(dir: string): SegmentToVerify[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const bases = names.map((n) => parseSegmentName(n, LOG_SUFFIX)).filter((b): b is number => b !== null).sort((a, b) => a - b);
  let recoveryPoint = 0;
  try {
    recoveryPoint = Number(fs.readFileSync(join(dir, RECOVERY_POINT_FILE), 'utf8').trim()) || 0;
  } catch { /* no recovery point: scan everything */ }
  return bases.filter((b) => b >= recoveryPoint).map((baseOffset) => {
    const path = join(dir, `${String(baseOffset).padStart(20, '0')}${LOG_SUFFIX}`);
    return { dir, baseOffset, path, bytes: fs.statSync(path).size };
  });
}
