/**
 * Deterministic benchmark inputs. "Record-like" = JSON-ish ~100-byte records,
 * the shape research/limits.md §3 used (LZ4 ratio ~2.7x, gzip-1 ~4.4x).
 */
export function recordLikeBytes(n: number, seed = 7): Buffer {
  let x = seed | 0 || 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
  const events = ['click', 'view', 'purchase', 'scroll', 'login', 'logout'];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const s = `{"id":${next() % 1_000_000_000},"user":"user-${next() % 1000}","event":"${events[next() % events.length]}",` +
      `"ts":${1_700_000_000_000 + (next() % 1_000_000)},"v":${(next() % 10000) / 10000}}\n`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}
