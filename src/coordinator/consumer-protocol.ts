/**
 * The "consumer" protocol type's member metadata (subscription) and
 * assignment bytes, as the broker sees them: opaque, except that describe
 * tools and OffsetDelete want the subscribed topics and assigned partitions.
 *
 * Both are `int16 version` followed by the versioned body
 * (ConsumerProtocolSubscription / ConsumerProtocolAssignment specs). A newer
 * version than we know is read as the newest known one, ignoring trailing
 * bytes, as Kafka's ConsumerProtocol does. Undecodable bytes give null:
 * another client's private format is not an error.
 */
import { readConsumerProtocolAssignment, type ConsumerProtocolAssignment } from '../protocol/generated/consumer-protocol-assignment.js';
import { readConsumerProtocolSubscription, type ConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.js';
import { Reader } from '../protocol/primitives/index.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
const MAX_KNOWN_VERSION = 3;

function decode<T>(bytes: Buffer | null | undefined, read: (r: Reader, v: number) => T): T | null {
  if (!bytes || bytes.length < 2) return null;
  try {
    const r = new Reader(bytes);
    const version = r.int16();
    if (version < 0) return null;
    return read(r, Math.min(version, MAX_KNOWN_VERSION));
  } catch {
    return null;
  }
}

export function decodeSubscription(bytes: Buffer | null | undefined): ConsumerProtocolSubscription | null {
  return decode(bytes, readConsumerProtocolSubscription);
}

export function decodeAssignment(bytes: Buffer | null | undefined): ConsumerProtocolAssignment | null {
  return decode(bytes, readConsumerProtocolAssignment);
}

/** "topic-a: 0,1,2; topic-b: 3" — for describe output. */
export function formatAssignment(a: ConsumerProtocolAssignment | null): string {
  if (!a) return '';
  return a.assignedPartitions.map((t) => `${t.topic}: ${[...t.partitions].sort((x, y) => x - y).join(',')}`).join('; ');
}
