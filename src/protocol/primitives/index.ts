export { Reader, ProtocolDecodeError } from './reader.js';
export { Writer, byteLength } from './writer.js';
export type { Init } from './init.js';
