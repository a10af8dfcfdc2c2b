/**
 * The one result shape every micro-benchmark returns, so bench/run can collect,
 * compare against targets and write them under bench/results/.
 */
export interface BenchFigure {
  /** What was measured, e.g. "crc32c wasm 1 MiB". */
  name: string;
  /** The measured value (median of the samples unless the name says otherwise). */
  value: number;
  /** Unit of `value`, e.g. "MB/s" (MB = 10^6 bytes), "ns/op", "ratio". */
  unit: string;
  /** Optional goal: the figure is OK when `value <op> target.value`. */
  target?: { op: '>=' | '<='; value: number };
}

/** Options every micro-benchmark's run() accepts. quick: a short run for CI smoke checks, not for figures. */
export interface BenchRunOptions {
  quick: boolean;
}
