/**
 * Deterministic test inputs for the codec tests and the LZ4 fixtures. The
 * fixture files in test/fixtures/lz4/ were made from these exact bytes, so
 * changing a generator means regenerating the fixtures
 * (node dist/test/unit/compression/lz4-fixtures.js --regenerate).
 */

/** xorshift32 stream. */
export function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return x >>> 0;
  };
}

/** `n` pseudo-random (incompressible) bytes. */
export function randomBytes(n: number, seed = 1): Buffer {
  const next = prng(seed);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

const EVENTS = ['click', 'view', 'purchase', 'scroll', 'login', 'logout'];

/**
 * `n` bytes of JSON-like 100-byte-ish records, like a Kafka batch's values
 * (compresses about 2.5-3x with LZ4, 4-5x with gzip).
 */
export function recordBytes(n: number, seed = 7): Buffer {
  const next = prng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const s = `{"id":${next() % 1_000_000_000},"user":"user-${next() % 1000}","event":"${EVENTS[next() % EVENTS.length]}",` +
      `"ts":${1_700_000_000_000 + (next() % 1_000_000)},"v":${(next() % 10000) / 10000}}\n`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}
