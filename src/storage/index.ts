/** The storage layer: partition logs on disk (shard only) and the in-memory model. */
export { PartitionLog, type LogStats } from './partition-log.js';
export { MemoryLog } from './memory-log.js';
export { DEFAULT_LOG_CONFIG, DEFAULT_TAIL_CACHE_BYTES, checkLogConfig, type LogConfig, type FlushPolicy } from './log-config.js';
export type { Log, AppendResult, ReadResult, RetentionResult, AppendOrigin, AppendListener } from './log.js';
