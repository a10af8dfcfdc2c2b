/**
 * Record keys for the load generator: which key each record gets (none,
 * uniform over K keys, or zipf over K keys), what the key bytes are, and which
 * partition a key maps to.
 *
 * Keys are fixed width ("000042" for K = 1,000,000) so every record of a
 * batch template has the same size and a key can be patched in place.
 * Partitions follow Kafka's default partitioner, murmur2(key) & 0x7fffffff
 * mod partitions, so the load lands where a Java or librdkafka producer
 * (with the murmur2 partitioner) would put it.
 */
import type { KeySpec } from './load-options.js';

/** A small fast seeded PRNG (mulberry32): uniform in [0, 1). */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) over bytes[start, start + len). */
export function murmur2(bytes: Uint8Array, start = 0, len = bytes.length - start): number {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ len) | 0;
  const n4 = len >> 2;
  for (let i = 0; i < n4; i++) {
    const p = start + i * 4;
    let k = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = start + (len & ~3);
  const rest = len & 3;
  if (rest === 3) h ^= bytes[tail + 2]! << 16;
  if (rest >= 2) h ^= bytes[tail + 1]! << 8;
  if (rest >= 1) { h ^= bytes[tail]!; h = Math.imul(h, m); }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's default partition for a keyed record. */
export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  return (murmur2(keyBytes) & 0x7fffffff) % numPartitions;
}

/** Bytes of every key for `count` keys (decimal digits of count - 1, at least 1). */
export function keyWidth(count: number): number {
  return Math.max(1, String(Math.max(0, count - 1)).length);
}

/** Write key `id` as `width` zero-padded ASCII digits at buf[pos]. */
export function writeKey(buf: Uint8Array, pos: number, width: number, id: number): void {
  for (let i = pos + width - 1; i >= pos; i--) {
    buf[i] = 48 + (id % 10);
    id = Math.floor(id / 10);
  }
}

export function keyString(width: number, id: number): string {
  return String(id).padStart(width, '0');
}

/**
 * Zipf sampler over ranks 1..n with exponent s: rejection-inversion
 * (Hörmann & Derflinger 1996), as in Apache Commons RNG's
 * RejectionInversionZipfSampler. O(1) per sample, no tables.
 */
export function createZipfSampler(n: number, s: number, random: () => number): () => number {
  const helper1 = (x: number): number => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x)));
  const helper2 = (x: number): number => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x)));
  const h = (x: number): number => Math.exp(-s * Math.log(x));
  const hIntegral = (x: number): number => { const logX = Math.log(x); return helper2((1 - s) * logX) * logX; };
  const hIntegralInverse = (x: number): number => { let t = x * (1 - s); if (t < -1) t = -1; return Math.exp(helper1(t) * x); };
  const hIntegralX1 = hIntegral(1.5) - 1;
  const hIntegralN = hIntegral(n + 0.5);
  const sq = 2 - hIntegralInverse(hIntegral(2.5) - h(2));
  return () => {
    for (;;) {
      const u = hIntegralN + random() * (hIntegralX1 - hIntegralN);
      const x = hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1; else if (k > n) k = n;
      if (k - x <= sq || u >= hIntegral(k + 0.5) - h(k)) return k;
    }
  };
}

/**
 * Draws key ids and knows each key's partition. `next()` returns a key id in
 * [0, count) (rank 0 is the most frequent for zipf).
 */
export class KeyChooser {
  readonly width: number;
  readonly count: number;
  /** Partition of every key id. */
  readonly partitionOf: Int32Array;
  readonly next: () => number;

  constructor(spec: Exclude<KeySpec, { kind: 'none' }>, numPartitions: number, random: () => number) {
    this.count = spec.count;
    this.width = keyWidth(spec.count);
    this.partitionOf = new Int32Array(spec.count);
    const scratch = new Uint8Array(this.width);
    for (let id = 0; id < spec.count; id++) {
      writeKey(scratch, 0, this.width, id);
      this.partitionOf[id] = partitionForKey(scratch, numPartitions);
    }
    if (spec.kind === 'uniform') {
      const n = spec.count;
      this.next = () => (random() * n) | 0;
    } else {
      const zipf = createZipfSampler(spec.count, spec.exponent, random);
      this.next = () => zipf() - 1;
    }
  }
}
