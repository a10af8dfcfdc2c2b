/**
 * Request and response headers (Kafka protocol guide, "Headers").
 *
 *   request header v1: api_key int16, api_version int16, correlation_id int32, client_id nullable string (int16 length)
 *   request header v2: v1 + tagged fields. client_id keeps its int16 length even in v2.
 *   response header v0: correlation_id int32
 *   response header v1: correlation_id int32, tagged fields
 *
 * The header version follows the API version: flexible API versions use
 * request header v2 / response header v1. ApiVersions responses always use
 * header v0 (KIP-511), because a client that sent an unsupported version must
 * still be able to read the answer.
 */
import { Apis, readRequestHeader, writeResponseHeader, type RequestHeader } from './generated/index.js';
import { Reader, Writer } from './primitives/index.js';

export const API_VERSIONS_KEY = 18;

const firstFlexibleByKey = new Map<number, number>(Object.values(Apis).map((a) => [a.apiKey, a.firstFlexibleVersion]));

export function isFlexible(apiKey: number, apiVersion: number): boolean {
  return apiVersion >= (firstFlexibleByKey.get(apiKey) ?? Infinity);
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** Decodes the request header at the start of a frame body; leaves `r` at the start of the request body. */
export function readHeader(r: Reader): RequestHeader {
  const apiKey = r.buf.readInt16BE(r.offset);
  const apiVersion = r.buf.readInt16BE(r.offset + 2);
  return readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
}

/**
 * Starts a response frame: a 4-byte size placeholder then the response header.
 * Call `finishFrame` once the body is written.
 */
export function startResponseFrame(apiKey: number, apiVersion: number, correlationId: number, initialBytes = 256): Writer {
  const w = new Writer(initialBytes);
  w.int32(0);
  writeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  return w;
}

/** Patches the frame size and returns the frame as a list of chunks (large record data is not copied). */
export function finishFrame(w: Writer): Buffer[] {
  w.patchInt32(0, w.length - 4);
  return w.finish();
}
