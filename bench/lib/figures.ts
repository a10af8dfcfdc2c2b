/**
 * The figures of a benchmark run, their targets and ceilings, and the two
 * renderings of a summary: the console table and the markdown written to
 * bench/results/. Pure (no I/O), so the formatting is unit-tested.
 *
 * A figure may name a `ceiling`: another figure of the same run with the
 * same unit (the bare produce loop for produce throughput, the loopback TCP
 * throughput for the bare loops, ...). The summary then prints the figure as
 * a percentage of that ceiling. Targets relative to a ceiling ("≥ 70% of the
 * bare produce loop") are figures of their own, in unit '%'.
 */
import type { BenchFigure } from '../micro/types.js';
import { roundSig } from './stats.js';

export interface Figure extends BenchFigure {
  /** Section of the summary: 'micro', 'ceiling', 'workload', 'engine', 'client'. */
  section: string;
  /** Name of the figure (same unit) this one is a fraction of. */
  ceiling?: string;
  /** The individual runs when `value` is their median. */
  runs?: number[];
  /** One short remark shown after the verdict (configuration, why it is absent, ...). */
  note?: string;
}

export type Verdict = 'OK' | 'BELOW' | 'ABOVE' | '';

/** OK when the figure meets its target; BELOW a '>=' target or ABOVE a '<=' limit otherwise; '' without a target. */
export function verdict(f: BenchFigure): Verdict {
  if (!f.target || !Number.isFinite(f.value)) return '';
  const ok = f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value;
  return ok ? 'OK' : f.target.op === '>=' ? 'BELOW' : 'ABOVE';
}

/** value as a percentage of its ceiling figure, or null when it has none (or the ceiling was not measured). */
export function percentOfCeiling(f: Figure, all: readonly Figure[]): number | null {
  if (!f.ceiling) return null;
  const c = all.find((x) => x.name === f.ceiling);
  if (!c || !(c.value > 0) || c.unit !== f.unit || !Number.isFinite(f.value)) return null;
  return (f.value / c.value) * 100;
}

/** 1234567.8 → "1,234,568"; 12.345 → "12.3"; 0.4567 → "0.457"; NaN → "n/a": whole numbers from 1,000 up, three significant digits below. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const r = roundSig(v, 3);
  if (Math.abs(r) >= 1000) return Math.round(r).toLocaleString('en-US');
  return String(r);
}

export function formatTarget(f: BenchFigure): string {
  if (!f.target) return '';
  return `${f.target.op === '>=' ? '≥' : '≤'} ${formatNumber(f.target.value)}`;
}

export interface SummaryRow {
  name: string;
  measured: string;
  unit: string;
  ofCeiling: string;
  target: string;
  verdict: Verdict;
  note: string;
}

export function summaryRows(figures: readonly Figure[]): SummaryRow[] {
  return figures.map((f) => {
    const pct = percentOfCeiling(f, figures);
    return {
      name: f.name,
      measured: formatNumber(f.value),
      unit: f.unit,
      ofCeiling: pct === null ? '' : `${pct.toFixed(pct < 10 ? 1 : 0)}% of ${f.ceiling}`,
      target: formatTarget(f),
      verdict: verdict(f),
      note: f.note ?? '',
    };
  });
}

const SECTION_TITLES: Record<string, string> = {
  micro: 'Micro-benchmarks (tinybench, one thread unless stated)',
  ceiling: 'Ceilings of this machine (same run)',
  workload: 'End-to-end workloads (millrace load against a broker started by the suite)',
  engine: 'Engine comparison (--shards 0 = inline, 1, default)',
  client: 'Client check (load generator vs kcat / librdkafka)',
};

export function sectionTitle(section: string): string {
  return SECTION_TITLES[section] ?? section;
}

/** Sections in first-appearance order, each with its figures. */
export function bySection(figures: readonly Figure[]): [string, Figure[]][] {
  const out = new Map<string, Figure[]>();
  for (const f of figures) {
    let list = out.get(f.section);
    if (!list) out.set(f.section, (list = []));
    list.push(f);
  }
  return [...out];
}

/** The console rendering: one aligned table per section. */
export function formatConsole(figures: readonly Figure[]): string {
  const lines: string[] = [];
  const allRows = summaryRows(figures);
  const rowOf = new Map(figures.map((f, i) => [f, allRows[i]!]));
  const head = ['benchmark', 'measured', 'unit', 'of ceiling', 'target', '', 'note'];
  const cells = (r: SummaryRow): string[] => [r.name, r.measured, r.unit, r.ofCeiling, r.target, r.verdict, r.note];
  const widths = head.map((h, i) => Math.max(h.length, ...allRows.map((r) => cells(r)[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  for (const [section, list] of bySection(figures)) {
    lines.push('', sectionTitle(section), line(head), line(widths.map((w) => '-'.repeat(w))));
    for (const f of list) lines.push(line(cells(rowOf.get(f)!)));
  }
  return lines.join('\n') + '\n';
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** Markdown tables, one per section (no page header; see formatMarkdownReport). */
export function formatMarkdownTables(figures: readonly Figure[]): string {
  const out: string[] = [];
  const rows = summaryRows(figures);
  const rowOf = new Map(figures.map((f, i) => [f, rows[i]!]));
  for (const [section, list] of bySection(figures)) {
    out.push(`**${sectionTitle(section)}**`, '', '| Benchmark | Measured | Unit | Of ceiling | Target | | Note |', '|---|---:|---|---|---|---|---|');
    for (const f of list) {
      const r = rowOf.get(f)!;
      const v = r.verdict === 'OK' ? 'OK' : r.verdict ? `**${r.verdict}**` : '';
      out.push(`| ${mdCell(r.name)} | ${r.measured} | ${mdCell(r.unit)} | ${mdCell(r.ofCeiling)} | ${r.target} | ${v} | ${mdCell(r.note)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export interface RunInfo {
  startedAt: string;
  durationS: number;
  quick: boolean;
  only: string[];
  command: string;
  commit: string;
  machine: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
  /** Share of time some task waited for a CPU over the run (Linux PSI, /proc/pressure/cpu), if known. */
  cpuPressure?: string;
}

/** Counts of verdicts, for the closing line. */
export function verdictCounts(figures: readonly Figure[]): { ok: number; below: number; above: number; untargeted: number } {
  const c = { ok: 0, below: 0, above: 0, untargeted: 0 };
  for (const f of figures) {
    const v = verdict(f);
    if (v === 'OK') c.ok++;
    else if (v === 'BELOW') c.below++;
    else if (v === 'ABOVE') c.above++;
    else c.untargeted++;
  }
  return c;
}

/** The markdown summary written to bench/results/<timestamp>.md and latest.md. */
export function formatMarkdownReport(info: RunInfo, figures: readonly Figure[], perfLines: readonly string[], notes: readonly string[]): string {
  const c = verdictCounts(figures);
  const la = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(' / ');
  const out = [
    `# Millrace benchmark summary${info.quick ? ' (quick run)' : ''}`,
    '',
    `- Run: ${info.startedAt}, ${info.durationS.toFixed(0)} s, \`${info.command}\`${info.only.length ? ` (only: ${info.only.join(', ')})` : ''}`,
    `- Commit: ${info.commit}`,
    `- Machine: ${info.machine}`,
    `- Load average (1/5/15 min) at start: ${la(info.loadAvgStart)}; at end: ${la(info.loadAvgEnd)}${info.cpuPressure ? `; CPU pressure over the run: ${info.cpuPressure}` : ''}`,
    `- Targets: ${c.ok} OK, ${c.below} BELOW, ${c.above} ABOVE (a latency over its limit); ${c.untargeted} figures without a target`,
    '',
    formatMarkdownTables(figures),
  ];
  if (notes.length > 0) out.push('**Notes**', '', ...notes.map((n) => `- ${n}`), '');
  if (perfLines.length > 0) out.push('**Load generator reports** (producer-perf-test shaped)', '', '```', ...perfLines, '```', '');
  return out.join('\n');
}
