/**
 * Ring message formats between the dispatcher and a shard worker. The ring
 * tag is the op code; every payload starts with the request id, so
 * completions may come back in any order (acks=-1 produce completes after
 * its fsync, later than a fetch sent after it).
 *
 * Inbound (dispatcher → shard), little-endian:
 *   PRODUCE        reqId u32, handle u32, acks i32, skew u32, records…       (header 16 B; records at header + skew)
 *   PRODUCE_PART   reqId u32, handle u32, totalBytes u32, skew u32, piece…   (a batch larger than a message can
 *                  carry: pieces in order, then a PRODUCE with the rest; the shard joins them)
 *   PRODUCE_AT     reqId u32, handle u32, acks i32, byteOffset u32, length u32   (the records lie in the
 *                  ReceiveArena at byteOffset; answered by a PRODUCE completion)
 *   FETCH          reqId u32, handle u32, maxBytes i32, flags u32, fetchOffset f64
 *                  flags: FETCH_MIN_ONE_BATCH, FETCH_SLOT_OK (the reply may use a FetchSlots slot)
 *   OFFSETS        reqId u32, handle u32
 *   OFFSET_FOR_TS  reqId u32, handle u32, timestamp f64
 *   DELETE_RECORDS reqId u32, handle u32, beforeOffset f64
 *   UNWATCH        0 u32, handle u32                                (no reply: stop TAIL pushes)
 *
 * Outbound (shard → dispatcher):
 *   PRODUCE        reqId u32, errorCode i32, baseOffset f64, logAppendTimeMs f64, logStartOffset f64
 *   FETCH          reqId u32, errorCode i32, highWatermark f64, logStartOffset f64, bytes u32, watching u32, slot i32, skew u32,
 *                  records… (header 40 B; no records here when slot ≥ 0: they are in that FetchSlots slot, from skew on)
 *                  watching = 1: the shard pushes this partition's appends as TAIL from now on
 *   OFFSETS        reqId u32, found u32, logStartOffset f64, highWatermark f64, sizeBytes f64
 *   OFFSET_FOR_TS  reqId u32, found u32, offset f64, timestamp f64
 *   DELETE_RECORDS reqId u32, errorCode i32, lowWatermark f64
 *   DATA           handle u32                                       (new data; partition not watched)
 *   TAIL           handle u32, bytes u32, baseOffset f64, logEndOffset f64, logStartOffset f64, skew u32, pad u32,
 *                  records… (header 40 B; records at header + skew)
 *                  a watched partition's append (bytes = 0: too large to push); also a data signal
 *
 * Control messages (open/delete partition, config, retention, stats, close) are
 * rare and go through postMessage instead, and so does the rare fetch reply
 * too large for one ring message (a first batch over half the ring, which
 * KIP-74 returns whatever its size): FetchReplyMessage.
 *
 * Skew: messages that carry record bytes reserve ALIGN_SLACK spare bytes and
 * place the records `skew` bytes in, so that the copy into shared memory is
 * co-aligned (src/common/co-aligned.ts).
 */
export const Op = {
  PRODUCE: 1,
  FETCH: 2,
  OFFSETS: 3,
  OFFSET_FOR_TS: 4,
  DELETE_RECORDS: 5,
  /** Outbound only: a partition got new data (wakes long-poll fetches before any fsync). */
  DATA: 6,
  /** Outbound only: a watched partition's appended batches, for the dispatcher's TailMirror. */
  TAIL: 7,
  /** Inbound only: stop pushing TAIL for a partition. */
  UNWATCH: 8,
  /** Inbound only: a piece of a batch too large for one message. */
  PRODUCE_PART: 9,
  /** Inbound only: a produce whose batch lies in the ReceiveArena (acks, byte offset, length); answered by a PRODUCE completion. */
  PRODUCE_AT: 10,
} as const;

export const PRODUCE_HEADER_BYTES = 16;
export const PRODUCE_AT_BYTES = 20;
export const FETCH_REPLY_HEADER_BYTES = 40;
export const FETCH_MIN_ONE_BATCH = 1;
export const FETCH_SLOT_OK = 2;
export const TAIL_HEADER_BYTES = 40;
/** Appends larger than this are announced in a TAIL without their bytes. */
export const MAX_TAIL_PUSH_BYTES = 1024 * 1024;

/** postMessage control requests (dispatcher → worker). */
export type ControlRequest =
  | { id: number; kind: 'open'; handle: number; key: string; dir: string; config: unknown; hints?: unknown }
  | { id: number; kind: 'delete'; handle: number }
  | { id: number; kind: 'config'; handle: number; config: unknown }
  | { id: number; kind: 'retention'; nowMs: number }
  | { id: number; kind: 'stats' }
  | { id: number; kind: 'close' }
  | { id: number; kind: 'crash' };

export type ControlReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

/** postMessage (worker → dispatcher): a FETCH reply too large for one outbound ring message. */
export interface FetchReplyMessage {
  kind: 'fetch-reply';
  reqId: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  records: Uint8Array;
}
