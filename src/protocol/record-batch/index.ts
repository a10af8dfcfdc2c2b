/** Record batch v2 primitives: header view, validation, builder, record decoding. Pure, no I/O. */
export * as BatchHeader from './record-batch-header.js';
export { setCrc32c, getCrc32c, batchCrc32c, type Crc32cFn } from './crc.js';
export { validateBatches, stampLogAppendTime, type BatchInfo, type ValidateOptions, type ValidationResult } from './batch-validator.js';
export { buildBatch, writeBatch, batchSizeOf, type RecordInput, type RecordHeaderInput, type BatchOptions, type Bytes } from './record-batch-builder.js';
export {
  decodeRecords, decodeAllRecords, findRecordByTimestamp, findMaxTimestampRecord,
  type DecodedRecord, type DecodedHeader, type OffsetAndTimestamp,
} from './records.js';
