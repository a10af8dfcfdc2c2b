/**
 * Producer ids for idempotent producers (InitProducerId without a
 * transactional id). Ids must never be handed out twice, even across a crash,
 * or a restarted broker could accept a new producer's batches as duplicates
 * of an old one's. As Kafka's controller does, ids are reserved in blocks:
 * the end of the reserved range (a high-water mark) is made durable before
 * any id of the block is returned, so after a restart the next block starts
 * at the recorded mark and ids of a partly used block are skipped, not reused.
 *
 *   allocate() ──block used up──▶ write <dataDir>/producer-ids.tmp, fsync ──▶ rename ──▶ fsync dir ──▶ hand out ids
 *
 * File layout (`producer-ids`, text, replaced atomically by rename):
 *
 *   version: 1
 *   next_block_start: <decimal id>      every id below this may have been handed out
 *
 * Dispatcher thread only.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assert } from '../common/assert.js';

export const PRODUCER_IDS_FILE = 'producer-ids';
const FILE_VERSION = 1;
/** Kafka's controller hands brokers blocks of 1000 ids (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const DEFAULT_PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ProducerIdManagerOptions {
  /** Ids reserved per durable write (default 1000). */
  readonly blockSize?: number;
}

export class ProducerIdManager {
  private reserving: Promise<void> | null = null;

  private constructor(
    private readonly file: string,
    private readonly blockSize: number,
    /** Next id to hand out. */
    private next: number,
    /** End (exclusive) of the durably reserved block; next ≤ blockEnd. */
    private blockEnd: number,
  ) {}

  /** Reads the high-water mark under `dataDir`; a missing file means no id was ever handed out. */
  static async open(dataDir: string, options: ProducerIdManagerOptions = {}): Promise<ProducerIdManager> {
    const blockSize = options.blockSize ?? DEFAULT_PRODUCER_ID_BLOCK_SIZE;
    assert(Number.isSafeInteger(blockSize) && blockSize >= 1, `producer id block size ${blockSize}`);
    const file = join(dataDir, PRODUCER_IDS_FILE);
    await rm(`${file}.tmp`, { force: true });
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const start = text === null ? 0 : parseHighWaterMark(text, file);
    // Nothing is reserved yet: the first allocate() reserves [start, start + blockSize).
    return new ProducerIdManager(file, blockSize, start, start);
  }

  /** A producer id never returned before (by this data directory). Rejects if the reservation cannot be made durable. */
  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserve().finally(() => { this.reserving = null; });
      await this.reserving;
    }
    return this.next++;
  }

  /** Waits for an in-flight reservation (nothing else to release). */
  async close(): Promise<void> {
    await this.reserving?.catch(() => undefined);
  }

  private async reserve(): Promise<void> {
    const end = this.blockEnd + this.blockSize;
    if (!Number.isSafeInteger(end)) throw new Error('producer ids exhausted');
    await writeAtomically(this.file, `version: ${FILE_VERSION}\nnext_block_start: ${end}\n`);
    // Only now may ids of the new block leave the broker.
    this.next = Math.max(this.next, this.blockEnd);
    this.blockEnd = end;
  }
}

function parseHighWaterMark(text: string, file: string): number {
  const version = /^version:\s*(\d+)\s*$/m.exec(text)?.[1];
  const mark = /^next_block_start:\s*(\d+)\s*$/m.exec(text)?.[1];
  if (version === undefined || mark === undefined) throw new Error(`${file} is damaged; refusing to start (producer ids could be reused)`);
  if (Number(version) !== FILE_VERSION) throw new Error(`${file} has version ${version}; this Millrace reads version ${FILE_VERSION}`);
  const n = Number(mark);
  if (!Number.isSafeInteger(n)) throw new Error(`${file}: next_block_start ${mark} is out of range`);
  return n;
}

/** Write temp file, fsync it, rename over `file`, fsync the directory (so the rename survives a crash). */
async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
