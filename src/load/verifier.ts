/**
 * Verification of what a consumer reads. Pure (no I/O); main thread only.
 *
 * For every partition it checks, record by record:
 * - batch integrity: batch CRC-32C, magic 2, records that parse;
 * - offsets: strictly increasing with no gap and no repeat from the start
 *   offset (control batches advance the offset; records of a batch that
 *   starts before the fetch offset, as compressed batches do, are skipped);
 * - the value: our magic, and the payload checksum (record-value.ts);
 * - content order: per (producer, partition) the sequence numbers written by
 *   the producer go 0, 1, 2, ... with none missing and none repeated, which
 *   catches a broker that loses or duplicates records even when it numbers
 *   offsets without gaps;
 * - at the end, the exact count per partition against what producers had
 *   acknowledged (e2e), when the runner knows it.
 *
 * Every discrepancy is counted, the first few are described in `problems`,
 * and `ok` is false if any was found.
 */
import { errorName } from '../common/error-codes.js';
import { compressionTypeOfAttributes, decompress } from '../compression/codec.js';
import { readVarint, readVarlong, type Cursor } from '../protocol/record-batch/varint.js';
import {
  ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, CONTROL_MASK, CRC_OFFSET, CRC_START, LENGTH_OFFSET, LOG_OVERHEAD,
  MAGIC_OFFSET, MAGIC_V2, RECORDS_COUNT_OFFSET, RECORDS_OFFSET, baseOffset, lastOffsetDelta,
} from '../protocol/record-batch/record-batch-header.js';
import { Crc32cWorkspace } from '../wasm/crc32c-workspace.js';
import { checkValue, readProducerId, readSendTimeUs, readSequence, ValueCheck } from './record-value.js';

export interface VerificationReport {
  ok: boolean;
  /** Records read and checked (all phases). */
  records: number;
  batches: number;
  /** Batches whose CRC-32C, magic or record framing is wrong. */
  corruptBatches: number;
  /** Records whose payload checksum does not match. */
  checksumFailures: number;
  /** Records without the load generator's header (not ours, or a corrupted magic). */
  foreignRecords: number;
  /** Offsets skipped (missing records in the log). */
  offsetGaps: number;
  /** Offsets seen twice or going backwards. */
  offsetDuplicates: number;
  /** Records missing from a producer's sequence. */
  sequenceGaps: number;
  /** Records repeated or out of order within a producer's sequence. */
  sequenceDuplicates: number;
  /** Valid records from producer ids this run did not start (a warning, not a failure). */
  unknownProducerRecords: number;
  /** Fetch error codes by name (retriable ones are retried and not failures). */
  fetchErrors: Record<string, number>;
  /** Exact count check (e2e): records acknowledged to producers vs records consumed. */
  countCheck: { expected: number; consumed: number; perPartitionMismatches: number } | null;
  /** The first discrepancies, described. */
  problems: string[];
}

export interface VerifierOptions {
  /** The first record of each (producer, partition) must have sequence 0 (the consumer started before the producers). */
  strictSequenceStart: boolean;
  /** Producer ids of this run; null = accept any. */
  producerIds: ReadonlySet<number> | null;
}

/** Called for each valid record: its embedded send time and value size. */
export type RecordSink = (sendTimeUs: number, valueBytes: number) => void;

const MAX_PROBLEMS = 20;

/** Fetch errors that resolve themselves (leadership moves, topic creation): retried, not failures. */
const RETRIABLE_FETCH_ERRORS = new Set([3, 5, 6, 7, 9, 13, 56, 74, 75, 78, 79]);

export function isRetriableFetchError(code: number): boolean {
  return RETRIABLE_FETCH_ERRORS.has(code);
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset expected. */
  next: number;
  records: number;
  /** Next sequence per producer id; the last producer seen is kept in lastPid / lastNext instead. */
  sequences: Map<number, number>;
  /** Records come in runs from one producer: its next sequence is checked here without a Map lookup (-1: none yet). */
  lastPid: number;
  lastNext: number;
}

export class Verifier {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly report: VerificationReport = {
    ok: true, records: 0, batches: 0, corruptBatches: 0, checksumFailures: 0, foreignRecords: 0,
    offsetGaps: 0, offsetDuplicates: 0, sequenceGaps: 0, sequenceDuplicates: 0, unknownProducerRecords: 0,
    fetchErrors: {}, countCheck: null, problems: [],
  };

  /** Records the current processRecords call may still accept (a consumer's --records limit). */
  private budget = Infinity;
  private readonly cursor: Cursor = { pos: 0 };
  /** This verifier's batch copy in WASM memory (see processBatch). */
  private readonly workspace = new Crc32cWorkspace();
  /** The values of the batch being checked: where each lies in its records and its record's offset. */
  private listStarts = new Int32Array(0);
  private listLengths = new Int32Array(0);
  private listOffsets = new Float64Array(0);

  constructor(private readonly opts: VerifierOptions) {}

  /** Register a partition read from `startOffset`. */
  startPartition(topic: string, partition: number, startOffset: number): void {
    this.partitions.set(`${topic}/${partition}`, { topic, partition, next: startOffset, records: 0, sequences: new Map(), lastPid: -1, lastNext: 0 });
  }

  /** The offset to fetch next for a partition. */
  nextOffset(topic: string, partition: number): number {
    return this.state(topic, partition).next;
  }

  recordsRead(topic: string, partition: number): number {
    return this.state(topic, partition).records;
  }

  private state(topic: string, partition: number): PartitionState {
    const s = this.partitions.get(`${topic}/${partition}`);
    if (!s) throw new Error(`verifier: partition ${topic}-${partition} was not started`);
    return s;
  }

  private problem(msg: string): void {
    this.report.ok = false;
    if (this.report.problems.length < MAX_PROBLEMS) this.report.problems.push(msg);
  }

  /** A fetch error code for a partition. Returns true if it is retriable. */
  fetchError(topic: string, partition: number, code: number): boolean {
    const name = errorName(code);
    this.report.fetchErrors[name] = (this.report.fetchErrors[name] ?? 0) + 1;
    if (isRetriableFetchError(code)) return true;
    this.problem(`${topic}-${partition}: fetch error ${name} at offset ${this.state(topic, partition).next}`);
    return false;
  }

  /**
   * Check the Records bytes of one partition of a fetch response, fetched at
   * the partition's current next offset, and advance it. A trailing partial
   * batch (cut by the fetch size limit) is left for the next fetch.
   */
  processRecords(topic: string, partition: number, buf: Buffer, sink: RecordSink, limit = Infinity): void {
    const st = this.state(topic, partition);
    this.budget = limit;
    const fetchOffset = st.next;
    const where = `${topic}-${partition}`;
    let pos = 0;
    while (buf.length - pos >= LOG_OVERHEAD) {
      const size = buf.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE && buf.length - pos >= BATCH_HEADER_SIZE) {
        this.report.corruptBatches++;
        this.problem(`${where}: batch at offset ${baseOffset(buf, pos)} declares ${size} bytes`);
        return;
      }
      if (buf.length - pos < size || buf.length - pos < BATCH_HEADER_SIZE) return; // partial batch
      this.processBatch(st, where, buf, pos, size, fetchOffset, sink);
      if (this.budget <= 0) return;
      pos += size;
    }
  }

  private processBatch(st: PartitionState, where: string, buf: Buffer, pos: number, size: number, fetchOffset: number, sink: RecordSink): void {
    const r = this.report;
    r.batches++;
    const base = baseOffset(buf, pos);
    const last = base + lastOffsetDelta(buf, pos);
    if (buf[pos + MAGIC_OFFSET] !== MAGIC_V2) {
      r.corruptBatches++;
      this.problem(`${where}: batch at offset ${base} has magic ${buf[pos + MAGIC_OFFSET]}, expected 2`);
      st.next = Math.max(st.next, base + 1);
      return;
    }
    // One copy into WASM memory serves the batch CRC and every record's payload checksum.
    const ws = this.workspace;
    ws.load(buf, pos, pos + size);
    if (ws.crc32c(buf, pos + CRC_START, pos + size) !== buf.readUInt32BE(pos + CRC_OFFSET)) {
      r.corruptBatches++;
      this.problem(`${where}: batch at offsets ${base}..${last} fails its CRC-32C`);
      st.next = Math.max(st.next, last + 1);
      return;
    }
    if (last < st.next) {
      // A whole batch before the fetch offset: the broker served records again.
      r.offsetDuplicates += last - base + 1;
      this.problem(`${where}: batch at offsets ${base}..${last} served again (expected offset ${st.next})`);
      return;
    }
    const attrs = buf[pos + ATTRIBUTES_OFFSET + 1]!;
    if ((attrs & CONTROL_MASK) !== 0) {
      st.next = Math.max(st.next, last + 1);
      return;
    }
    // The records section: in place, or decompressed.
    let batch = buf;
    let start = pos + RECORDS_OFFSET;
    let end = pos + size;
    const codec = compressionTypeOfAttributes(attrs);
    if (codec !== 0) {
      try {
        batch = decompress(codec, buf.subarray(pos + RECORDS_OFFSET, pos + size));
        start = 0;
        end = batch.length;
        ws.load(batch, start, end);
      } catch (err) {
        r.corruptBatches++;
        this.problem(`${where}: batch at offsets ${base}..${last} does not decompress: ${(err as Error).message}`);
        st.next = Math.max(st.next, last + 1);
        return;
      }
    }
    const straddles = base < fetchOffset;
    // Walk the records in place (no per-record objects: decodeRecords allocates three per
    // record, which made verification the consumer's bottleneck at ~1.4 M records/s).
    // Offsets are checked during the walk; the values it lists are checked after it, in one
    // call into WASM for the batch (checkListed).
    const count = buf.readInt32BE(pos + RECORDS_COUNT_OFFSET);
    const cur = this.cursor;
    cur.pos = start;
    let listed = 0;
    let stopped = false;
    let malformed: Error | null = null;
    try {
      for (let i = 0; i < count; i++) {
        const len = readVarint(batch, cur, end);
        const bodyEnd = cur.pos + len;
        if (len < 1 || bodyEnd > end) throw new Error(`record length ${len}`);
        cur.pos++; // attributes
        readVarlong(batch, cur, bodyEnd); // timestampDelta
        const off = base + readVarint(batch, cur, bodyEnd);
        const keyLen = readVarint(batch, cur, bodyEnd);
        if (keyLen > 0) cur.pos += keyLen;
        const valueLen = readVarint(batch, cur, bodyEnd);
        const valuePos = cur.pos;
        if (valuePos + valueLen > bodyEnd) throw new Error(`value of ${valueLen} bytes runs past its record`);
        cur.pos = bodyEnd;
        if (off < st.next) {
          if (straddles && off < fetchOffset) continue;
          r.offsetDuplicates++;
          this.problem(`${where}: offset ${off} repeated or out of order (expected ${st.next})`);
          continue;
        }
        if (off > st.next) {
          r.offsetGaps += off - st.next;
          this.problem(`${where}: offsets ${st.next}..${off - 1} missing`);
        }
        st.next = off + 1;
        st.records++;
        r.records++;
        if (listed === this.listOffsets.length) this.growList();
        this.listStarts[listed] = valuePos;
        this.listLengths[listed] = valueLen;
        this.listOffsets[listed++] = off;
        if (--this.budget <= 0) { stopped = true; break; } // the rest is read by nobody: not a gap
      }
    } catch (err) {
      malformed = err as Error;
    }
    this.checkListed(st, where, batch, listed, sink);
    if (malformed) {
      r.corruptBatches++;
      this.problem(`${where}: batch at offsets ${base}..${last} has malformed records: ${malformed.message}`);
      st.next = Math.max(st.next, last + 1);
      return;
    }
    if (stopped) return;
    if (st.next <= last) {
      r.offsetGaps += last + 1 - st.next;
      this.problem(`${where}: batch ends at offset ${last} but its records stop at ${st.next - 1}`);
      st.next = last + 1;
    }
  }

  /** The values listed by processBatch, in order: in one WASM call up to the first failure, which checkRecord then classifies. */
  private checkListed(st: PartitionState, where: string, buf: Buffer, n: number, sink: RecordSink): void {
    for (let k = 0; k < n;) {
      const bad = this.workspace.checkValues(this.listStarts, this.listLengths, k, n) ?? k; // null: no WASM, JS twin for all
      for (; k < bad; k++) this.acceptRecord(st, where, this.listOffsets[k]!, buf, this.listStarts[k]!, this.listLengths[k]!, sink);
      if (k < n) {
        this.checkRecord(st, where, this.listOffsets[k]!, buf, this.listStarts[k]!, this.listLengths[k]!, sink);
        k++;
      }
    }
  }

  private growList(): void {
    const n = Math.max(1024, 2 * this.listOffsets.length);
    const starts = new Int32Array(n);
    const lengths = new Int32Array(n);
    const offsets = new Float64Array(n);
    starts.set(this.listStarts);
    lengths.set(this.listLengths);
    offsets.set(this.listOffsets);
    this.listStarts = starts;
    this.listLengths = lengths;
    this.listOffsets = offsets;
  }

  private checkRecord(st: PartitionState, where: string, offset: number, buf: Buffer, pos: number, len: number, sink: RecordSink): void {
    const r = this.report;
    if (len < 0) {
      r.foreignRecords++;
      this.problem(`${where}@${offset}: null value`);
      return;
    }
    const check = checkValue(buf, pos, len, this.workspace.crc32c);
    if (check !== ValueCheck.OK) {
      if (check === ValueCheck.CHECKSUM) {
        r.checksumFailures++;
        this.problem(`${where}@${offset}: payload checksum mismatch`);
      } else {
        r.foreignRecords++;
        this.problem(`${where}@${offset}: not a millrace load record (${check === ValueCheck.TOO_SHORT ? `${len} bytes` : 'no magic'})`);
      }
      return;
    }
    this.acceptRecord(st, where, offset, buf, pos, len, sink);
  }

  /** A record whose value passed its check: its producer's sequence, then the sink. */
  private acceptRecord(st: PartitionState, where: string, offset: number, buf: Buffer, pos: number, len: number, sink: RecordSink): void {
    const r = this.report;
    const pid = readProducerId(buf, pos);
    const seq = readSequence(buf, pos);
    if (this.opts.producerIds && !this.opts.producerIds.has(pid)) r.unknownProducerRecords++;
    if (pid !== st.lastPid) {
      if (st.lastPid >= 0) st.sequences.set(st.lastPid, st.lastNext);
      const known = st.sequences.get(pid);
      st.lastPid = pid;
      if (known === undefined) {
        if (this.opts.strictSequenceStart && seq !== 0) {
          r.sequenceGaps += seq;
          this.problem(`${where}@${offset}: producer ${pid} starts at sequence ${seq}, expected 0`);
        }
        st.lastNext = (seq + 1) >>> 0;
        sink(readSendTimeUs(buf, pos), len);
        return;
      }
      st.lastNext = known;
    }
    const expected = st.lastNext;
    if (seq === expected) {
      st.lastNext = (seq + 1) >>> 0;
    } else if (((seq - expected) | 0) < 0) {
      r.sequenceDuplicates++;
      this.problem(`${where}@${offset}: producer ${pid} sequence ${seq} repeated or reordered (expected ${expected})`);
    } else {
      r.sequenceGaps += (seq - expected) >>> 0;
      this.problem(`${where}@${offset}: producer ${pid} sequences ${expected}..${seq - 1} missing`);
      st.lastNext = (seq + 1) >>> 0;
    }
    sink(readSendTimeUs(buf, pos), len);
  }

  /**
   * Compare with what producers had acknowledged, per partition (e2e). A
   * record acknowledged but not consumed, or consumed but never acknowledged
   * (a duplicate the broker invented), is a mismatch.
   */
  checkCounts(expected: ReadonlyMap<string, number>): void {
    let exp = 0;
    let got = 0;
    let mismatches = 0;
    for (const st of this.partitions.values()) {
      const e = expected.get(`${st.topic}/${st.partition}`) ?? 0;
      exp += e;
      got += st.records;
      if (e !== st.records) {
        mismatches++;
        this.problem(`${st.topic}-${st.partition}: ${e} records acknowledged to producers, ${st.records} consumed`);
      }
    }
    this.report.countCheck = { expected: exp, consumed: got, perPartitionMismatches: mismatches };
  }

  result(): VerificationReport {
    const r = this.report;
    return { ...r, fetchErrors: { ...r.fetchErrors }, problems: [...r.problems], countCheck: r.countCheck && { ...r.countCheck } };
  }
}
