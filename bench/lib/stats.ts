/**
 * Small statistics helpers for the benchmark suite (pure, no I/O).
 */

/** Median of the values (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile (0..100) by nearest rank of a sample; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return percentileSorted(s, p);
}

/** As `percentile`, for an already ascending array (no copy). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n - 1, Math.max(0, rank - 1))]!;
}

/** Rounds to `sig` significant digits, but never below the units digit (123456.7 → 123457). */
export function roundSig(v: number, sig = 3): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const mag = Math.floor(Math.log10(Math.abs(v)));
  if (mag >= sig - 1) return Math.round(v);
  const f = 10 ** (sig - 1 - mag);
  return Math.round(v * f) / f;
}

/**
 * A bounded latency sample: keeps every value up to `capacity`, then a
 * uniform reservoir of that size, so percentiles stay honest for any run
 * length and memory stays fixed.
 */
export class LatencySample {
  private readonly values: Float64Array;
  private seen = 0;
  private seed = 0x2545f491;

  constructor(readonly capacity = 200_000) {
    this.values = new Float64Array(capacity);
  }

  add(v: number): void {
    if (this.seen < this.capacity) {
      this.values[this.seen++] = v;
      return;
    }
    this.seen++;
    // xorshift32: cheap and good enough for reservoir sampling.
    let x = this.seed;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.seed = x >>> 0;
    const j = this.seed % this.seen;
    if (j < this.capacity) this.values[j] = v;
  }

  get count(): number {
    return this.seen;
  }

  /** Ascending copy of the retained values. */
  sorted(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.capacity)).sort();
  }

  percentiles(ps: readonly number[]): number[] {
    const s = this.sorted();
    return ps.map((p) => percentileSorted(s, p));
  }
}
