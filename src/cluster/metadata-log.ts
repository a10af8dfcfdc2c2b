/**
 * The cluster metadata log: an append-only file of msgpackr-encoded record
 * batches in `<dataDir>/__cluster_metadata/`, with periodic snapshots.
 * Dispatcher thread only (ClusterMetadata serialises all calls).
 *
 * Files
 *   <20-digit baseSeq>.log        frames with seq >= baseSeq, appended and fdatasync'ed
 *   <20-digit endSeq>.snapshot    the state after applying every frame with seq < endSeq
 *   *.tmp                         a snapshot being written; deleted at open
 *
 * Log frame (one atomic batch of records; big-endian):
 *    0  u32  payloadLength L
 *    4  u32  CRC-32C of bytes [8, 16 + L)   (seq and payload)
 *    8  u64  seq                             (contiguous across files, from 0)
 *   16  L    payload: msgpackr array of MetadataRecord
 *
 * Snapshot file:
 *    0  8    magic "MRSNAP\0\1"
 *    8  u32  CRC-32C of bytes [12, 24 + L)
 *   12  u32  payloadLength L
 *   16  u64  endSeq
 *   24  L    payload: msgpackr array of MetadataRecord recreating the state
 *
 * Recovery: load the newest valid snapshot, then replay log frames with
 * seq >= endSeq in order. In the last log file, the first frame that is short,
 * fails its CRC or breaks the seq sequence marks a torn tail (kill -9 during
 * an append): the file is truncated there. Earlier log files were complete
 * and fsynced before a later file was created, so damage there is an error.
 *
 * Snapshot protocol: write <endSeq>.snapshot.tmp, fdatasync, rename, fsync the
 * directory, create an empty <endSeq>.log, fsync the directory, then delete
 * older logs and snapshots. A crash at any step leaves a state that replays to
 * the same result (older frames are skipped by seq).
 */
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr, Unpackr } from 'msgpackr';
import { assert } from '../common/assert.js';
import { logger } from '../common/logger.js';
import { crc32cJs } from '../wasm/crc32c-js.js';

export const METADATA_DIR_NAME = '__cluster_metadata';
export const METADATA_RECORD_VERSION = 0;

export interface ClusterIdRecord { readonly type: 'ClusterId'; readonly version: number; readonly clusterId: string; readonly nodeId: number; readonly createdAtMs: number; }
export interface TopicRecord {
  readonly type: 'Topic'; readonly version: number; readonly name: string;
  /** 32 lowercase hex chars. */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic config overrides (canonical values). */
  readonly configs: Readonly<Record<string, string>>;
  readonly isInternal: boolean;
  readonly createdAtMs: number;
}
/** Shards of partitions [firstPartition, firstPartition + shards.length), chosen when shardCount shards existed. */
export interface PartitionAssignmentRecord { readonly type: 'PartitionAssignment'; readonly version: number; readonly topicId: string; readonly firstPartition: number; readonly shards: readonly number[]; readonly shardCount: number; }
/** The topic now has `partitions` partitions in total. */
export interface PartitionsAddedRecord { readonly type: 'PartitionsAdded'; readonly version: number; readonly topicId: string; readonly partitions: number; }
/** value null = delete the override. */
export interface TopicConfigRecord { readonly type: 'TopicConfig'; readonly version: number; readonly topicId: string; readonly name: string; readonly value: string | null; }
export interface TopicDeletedRecord { readonly type: 'TopicDeleted'; readonly version: number; readonly topicId: string; readonly name: string; }
/** scope 'cluster' = resource "" (default for all brokers); 'node' = resource "<nodeId>". value null = delete. */
export interface BrokerConfigRecord { readonly type: 'BrokerConfig'; readonly version: number; readonly scope: 'cluster' | 'node'; readonly nodeId: number; readonly name: string; readonly value: string | null; }

export type MetadataRecord =
  | ClusterIdRecord | TopicRecord | PartitionAssignmentRecord | PartitionsAddedRecord
  | TopicConfigRecord | TopicDeletedRecord | BrokerConfigRecord;

const RECORD_TYPES = new Set<MetadataRecord['type']>(['ClusterId', 'Topic', 'PartitionAssignment', 'PartitionsAdded', 'TopicConfig', 'TopicDeleted', 'BrokerConfig']);

const FRAME_HEADER_BYTES = 16;
const SNAPSHOT_HEADER_BYTES = 24;
const SNAPSHOT_MAGIC = Buffer.from([0x4d, 0x52, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x01]); // "MRSNAP\0\1"
/** Far above any real batch; a larger length is a torn or garbage header. */
const MAX_PAYLOAD_BYTES = 256 * 1024 * 1024;
const DEFAULT_SNAPSHOT_EVERY_RECORDS = 1000;

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

const seqName = (n: number): string => String(n).padStart(20, '0');

export function encodeFrame(seq: number, records: readonly MetadataRecord[]): Buffer {
  const payload = packr.pack(records);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  buf.writeUInt32BE(payload.length, 0);
  buf.writeBigUInt64BE(BigInt(seq), 8);
  payload.copy(buf, FRAME_HEADER_BYTES);
  buf.writeUInt32BE(crc32cJs(buf, 8, buf.length), 4);
  return buf;
}

function decodeRecords(payload: Uint8Array, where: string): MetadataRecord[] {
  const v: unknown = unpackr.unpack(payload);
  if (!Array.isArray(v)) throw new Error(`${where}: payload is not an array of records`);
  for (const r of v as Array<Partial<MetadataRecord>>) {
    if (r === null || typeof r !== 'object' || !RECORD_TYPES.has(r.type as MetadataRecord['type'])) {
      throw new Error(`${where}: unknown metadata record ${JSON.stringify(r)}`);
    }
    if (typeof r.version !== 'number' || r.version > METADATA_RECORD_VERSION) {
      throw new Error(`${where}: ${r.type} record version ${r.version} is newer than this Millrace understands (${METADATA_RECORD_VERSION})`);
    }
  }
  return v as MetadataRecord[];
}

export interface MetadataLogOptions {
  /** Write a snapshot once this many records were appended since the last one (default 1000). */
  readonly snapshotEveryRecords?: number;
}

export interface OpenedMetadataLog {
  readonly log: MetadataLog;
  /** Snapshot records, then replayed log records, in order. */
  readonly records: MetadataRecord[];
}

/** Dispatcher thread only. */
export class MetadataLog {
  private broken: Error | null = null;
  private closed = false;
  private busy = false;

  private constructor(
    readonly dir: string,
    private active: FileHandle,
    private activeBase: number,
    private activeSize: number,
    private nextSeq: number,
    private snapshotEnd: number,
    private recordsSinceSnapshot: number,
    private readonly snapshotEveryRecords: number,
  ) {}

  /** Open (creating if needed) the metadata log under `dataDir`, recovering a torn tail. */
  static async open(dataDir: string, options: MetadataLogOptions = {}): Promise<OpenedMetadataLog> {
    const dir = join(dataDir, METADATA_DIR_NAME);
    await mkdir(dir, { recursive: true });
    const names = await readdir(dir);
    for (const n of names.filter((n) => n.endsWith('.tmp'))) await rm(join(dir, n), { force: true });
    const snapshots = names.filter((n) => /^\d{20}\.snapshot$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => b - a);
    const logs = names.filter((n) => /^\d{20}\.log$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);

    const records: MetadataRecord[] = [];
    let snapshotEnd = 0;
    let loaded = false;
    for (const end of snapshots) {
      const path = join(dir, `${seqName(end)}.snapshot`);
      try {
        records.push(...await readSnapshot(path, end));
        snapshotEnd = end;
        loaded = true;
        break;
      } catch (e) {
        logger.error({ path, err: (e as Error).message }, 'metadata snapshot unreadable; trying an older one');
      }
    }
    if (!loaded && snapshots.length > 0 && (logs[0] ?? 0) !== 0) {
      throw new Error(`cluster metadata in ${dir}: no readable snapshot and the log does not start at 0; cannot recover`);
    }

    let nextSeq = snapshotEnd;
    let recordsSinceSnapshot = 0;
    let reuse: { base: number; size: number } | null = null;
    for (let i = 0; i < logs.length; i++) {
      const base = logs[i]!;
      const path = join(dir, `${seqName(base)}.log`);
      const isLast = i === logs.length - 1;
      if (!isLast && logs[i + 1]! <= snapshotEnd) continue; // entirely covered by the snapshot
      const buf = await readFile(path);
      let pos = 0;
      let expect = base;
      let tornAt = -1;
      let reason = '';
      while (pos < buf.length) {
        if (buf.length - pos < FRAME_HEADER_BYTES) { tornAt = pos; reason = 'short frame header'; break; }
        const len = buf.readUInt32BE(pos);
        if (len > MAX_PAYLOAD_BYTES || buf.length - pos - FRAME_HEADER_BYTES < len) { tornAt = pos; reason = 'short frame'; break; }
        const end = pos + FRAME_HEADER_BYTES + len;
        if (crc32cJs(buf, pos + 8, end) !== buf.readUInt32BE(pos + 4)) { tornAt = pos; reason = 'CRC mismatch'; break; }
        const seq = Number(buf.readBigUInt64BE(pos + 8));
        if (seq !== expect) { tornAt = pos; reason = `seq ${seq} where ${expect} was expected`; break; }
        if (seq >= snapshotEnd) {
          if (seq !== nextSeq) throw new Error(`cluster metadata ${path}: frame ${seq} follows ${nextSeq - 1}; a frame is missing`);
          const batch = decodeRecords(buf.subarray(pos + FRAME_HEADER_BYTES, end), `${path} frame ${seq}`);
          records.push(...batch);
          recordsSinceSnapshot += batch.length;
          nextSeq = seq + 1;
        }
        expect = seq + 1;
        pos = end;
      }
      if (tornAt >= 0) {
        if (!isLast) throw new Error(`cluster metadata ${path} is damaged at byte ${tornAt} (${reason}) and is not the last log file`);
        logger.warn({ path, position: tornAt, bytes: buf.length - tornAt, reason }, 'truncating torn tail of the cluster metadata log');
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(tornAt);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        pos = tornAt;
      }
      if (isLast) {
        if (expect > nextSeq) throw new Error(`cluster metadata ${path} starts at ${base} but the state ends at ${nextSeq}; frames are missing`);
        // A last log that ends before the snapshot (crash before the fresh log was created) is left for deletion.
        if (expect === nextSeq) reuse = { base, size: pos };
      }
    }

    let active: FileHandle;
    let activeBase: number;
    let activeSize: number;
    if (reuse) {
      activeBase = reuse.base;
      activeSize = reuse.size;
      active = await open(join(dir, `${seqName(activeBase)}.log`), 'r+');
    } else {
      activeBase = nextSeq;
      activeSize = 0;
      active = await open(join(dir, `${seqName(activeBase)}.log`), 'w');
      await fsyncDir(dir);
    }
    const log = new MetadataLog(dir, active, activeBase, activeSize, nextSeq, snapshotEnd, recordsSinceSnapshot,
      options.snapshotEveryRecords ?? DEFAULT_SNAPSHOT_EVERY_RECORDS);
    return { log, records };
  }

  /** Sequence number the next appended batch gets. */
  get nextSequence(): number {
    return this.nextSeq;
  }

  /** True when enough records were appended that the owner should write a snapshot. */
  get shouldSnapshot(): boolean {
    return this.recordsSinceSnapshot >= this.snapshotEveryRecords;
  }

  /** Append one batch atomically and fdatasync it. Resolves only once durable. */
  async append(records: readonly MetadataRecord[]): Promise<void> {
    this.checkUsable();
    assert(records.length > 0, 'empty metadata batch');
    this.busy = true;
    try {
      const frame = encodeFrame(this.nextSeq, records);
      let written = 0;
      while (written < frame.length) {
        const { bytesWritten } = await this.active.write(frame, written, frame.length - written, this.activeSize + written);
        written += bytesWritten;
      }
      await this.active.datasync();
      this.activeSize += frame.length;
      this.nextSeq += 1;
      this.recordsSinceSnapshot += records.length;
    } catch (e) {
      // The file may now hold part of a frame and the page cache an unknown state: refuse further appends.
      this.broken = e as Error;
      logger.error({ dir: this.dir, err: (e as Error).message }, 'cluster metadata append failed; metadata is read-only until restart');
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Write a snapshot of the current state (`records` recreates it) and start a
   * new log file; older files are then deleted.
   */
  async writeSnapshot(records: readonly MetadataRecord[]): Promise<void> {
    this.checkUsable();
    const endSeq = this.nextSeq;
    if (endSeq === this.snapshotEnd && this.activeBase === endSeq) { this.recordsSinceSnapshot = 0; return; }
    this.busy = true;
    try {
      const payload = packr.pack(records);
      const buf = Buffer.allocUnsafe(SNAPSHOT_HEADER_BYTES + payload.length);
      SNAPSHOT_MAGIC.copy(buf, 0);
      buf.writeUInt32BE(payload.length, 12);
      buf.writeBigUInt64BE(BigInt(endSeq), 16);
      payload.copy(buf, SNAPSHOT_HEADER_BYTES);
      buf.writeUInt32BE(crc32cJs(buf, 12, buf.length), 8);
      const final = join(this.dir, `${seqName(endSeq)}.snapshot`);
      const tmp = `${final}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(buf);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, final);
      await fsyncDir(this.dir);

      if (this.activeBase !== endSeq) {
        const fresh = await open(join(this.dir, `${seqName(endSeq)}.log`), 'w');
        await fsyncDir(this.dir);
        const old = this.active;
        this.active = fresh;
        this.activeBase = endSeq;
        this.activeSize = 0;
        await old.close();
      }
      this.snapshotEnd = endSeq;
      this.recordsSinceSnapshot = 0;

      for (const n of await readdir(this.dir)) {
        const m = /^(\d{20})\.(log|snapshot)$/.exec(n);
        if (m && Number(m[1]) < endSeq) await rm(join(this.dir, n), { force: true });
      }
      await fsyncDir(this.dir);
    } catch (e) {
      this.broken = e as Error;
      logger.error({ dir: this.dir, err: (e as Error).message }, 'cluster metadata snapshot failed; metadata is read-only until restart');
      throw e;
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.active.close();
  }

  private checkUsable(): void {
    if (this.closed) throw new Error('cluster metadata log is closed');
    if (this.broken) throw new Error(`cluster metadata log failed earlier: ${this.broken.message}`);
    assert(!this.busy, 'concurrent cluster metadata log operations');
  }
}

async function readSnapshot(path: string, endSeq: number): Promise<MetadataRecord[]> {
  const buf = await readFile(path);
  if (buf.length < SNAPSHOT_HEADER_BYTES || !buf.subarray(0, 8).equals(SNAPSHOT_MAGIC)) throw new Error('bad snapshot header');
  const len = buf.readUInt32BE(12);
  if (buf.length !== SNAPSHOT_HEADER_BYTES + len) throw new Error(`snapshot length ${buf.length} does not match header (${SNAPSHOT_HEADER_BYTES + len})`);
  if (crc32cJs(buf, 12, buf.length) !== buf.readUInt32BE(8)) throw new Error('snapshot CRC mismatch');
  if (Number(buf.readBigUInt64BE(16)) !== endSeq) throw new Error('snapshot endSeq does not match its file name');
  return decodeRecords(buf.subarray(SNAPSHOT_HEADER_BYTES), path);
}

async function fsyncDir(dir: string): Promise<void> {
  // Directory fsync makes creates/renames durable on Linux; some platforms (Windows) cannot open directories.
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
  } finally {
    await fh?.close();
  }
}
