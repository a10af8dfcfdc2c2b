import { ErrorCode } from '../common/error-codes.js';
import { Apis, type ProduceResponse } from '../protocol/generated/index.js';
import type { Init } from '../protocol/primitives/index.js';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, COMPRESSION_MASK, Compression, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, MAGIC_V2 } from '../protocol/record-batch/record-batch-header.js';
import type { ProduceOutcome } from '../shard/shard.js';
import { DeadlineWheel } from '../common/deadline.js';
import { countRecords } from '../metrics/broker-metrics.js';
import { defineHandler, NO_RESPONSE } from './handler.js';
import type { BrokerServices } from './services.js';

const deadlines = new DeadlineWheel();

type PartitionResponse = Init<ProduceResponse['responses'][number]['partitionResponses'][number]>;

/**
 * Produce: each partition's batches go to the shard that owns it. Calls are
 * issued synchronously in request order (ordering across pipelined requests),
 * then awaited together. acks=0 gets no response; if a partition failed, the
 * connection is closed so the producer refreshes metadata (as Kafka does).
 * The batches (p.records) are views of the connection's receive buffer: the
 * shards consume them synchronously, and nothing here keeps them.
 */
export function produceHandler(s: BrokerServices) {
  return defineHandler({
    api: Apis.Produce,
    // v0 is advertised although only record batch v2 is accepted (a v0-2 request carrying
    // magic 0/1 message sets gets INVALID_RECORD per partition): librdkafka 2.0.2 compresses
    // with gzip, snappy or lz4 only if the broker's Produce range contains v0
    // (rd_kafka_msgset_writer_select_MsgVersion, compr_req[codec].ApiVersion = 0), and
    // otherwise silently sends those batches uncompressed. Every client still picks v3+.
    minVersion: 0,
    maxVersion: 9,
    handle(req, ctx) {
      const acks = req.acks;
      const validAcks = acks === -1 || acks === 0 || acks === 1;
      const pending: Promise<void>[] = [];
      let failed = false;
      const responses = req.topicData.map((t) => {
        // Internal topics (__consumer_offsets) are written by the broker only, as in Kafka.
        const internal = s.metadata.topic(t.name)?.isInternal === true;
        return {
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const out: PartitionResponse = { index: p.index, errorCode: ErrorCode.NONE, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
            // Counted now: the batches are views of the connection's receive buffer, gone once this returns.
            const bytes = p.records?.length ?? 0;
            const count = s.traffic && p.records ? countRecords(p.records) : 0;
            const fill = (o: ProduceOutcome): void => {
              Object.assign(out, { errorCode: o.errorCode, baseOffset: o.baseOffset, logAppendTimeMs: o.logAppendTimeMs, logStartOffset: o.logStartOffset });
              if (o.errorCode !== ErrorCode.NONE) failed = true;
              else s.traffic?.produced(t.name, bytes, count);
            };
            const route = s.engine.route(t.name, p.index);
            const error = !validAcks ? ErrorCode.INVALID_REQUIRED_ACKS
              : !route ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : internal ? ErrorCode.INVALID_TOPIC_EXCEPTION
              : !p.records || p.records.length === 0 ? ErrorCode.INVALID_RECORD
              : versionError(p.records, ctx.apiVersion);
            if (error !== ErrorCode.NONE || !route || !p.records) fill(errorOutcome(error));
            else {
              const o = route.shard.produce({ key: route.key, records: p.records, acks });
              if (o instanceof Promise) pending.push(o.then(fill));
              else fill(o);
            }
            return out;
          }),
        };
      });
      const respond = () => {
        if (acks !== 0) return { responses, throttleTimeMs: 0 };
        if (failed) ctx.closeConnection('acks=0 produce failed');
        return NO_RESPONSE;
      };
      if (pending.length === 0) return respond();
      // Only acks=-1 waits on something that can take long (an fsync); acks=1 completes after the write.
      const all = Promise.all(pending);
      const waited = acks === -1 ? deadlines.race(all, req.timeoutMs > 0 ? req.timeoutMs : 30_000) : all.then(() => false);
      return waited.then((timedOut) => {
        if (timedOut) {
          for (const t of responses) for (const p of t.partitionResponses) if (p.baseOffset === -1 && p.errorCode === ErrorCode.NONE) p.errorCode = ErrorCode.REQUEST_TIMED_OUT;
        }
        return respond();
      });
    },
  });
}

function errorOutcome(errorCode: ErrorCode): ProduceOutcome {
  return { errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

/**
 * What the request version forbids, as Kafka checks it: from v3 a partition
 * carries exactly one batch (INVALID_RECORD), and zstd needs v7
 * (UNSUPPORTED_COMPRESSION_TYPE). Everything else about the bytes is the
 * shard's validator's job; a batch too short to tell passes here and fails there.
 */
function versionError(records: Buffer, apiVersion: number): ErrorCode {
  if (records.length < ATTRIBUTES_OFFSET + 2) return ErrorCode.NONE;
  const first = LOG_OVERHEAD + records.readInt32BE(LENGTH_OFFSET);
  // A length below a batch header is a corrupt batch (CORRUPT_MESSAGE, from the validator), not a second one.
  if (apiVersion >= 3 && first >= BATCH_HEADER_SIZE && first < records.length) return ErrorCode.INVALID_RECORD;
  if (apiVersion < 7 && records[MAGIC_OFFSET] === MAGIC_V2 && (records.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_MASK) === Compression.ZSTD) {
    return ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
  }
  return ErrorCode.NONE;
}
