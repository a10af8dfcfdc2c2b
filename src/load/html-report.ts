/**
 * `--html FILE`: one self-contained page (no scripts to fetch, no network):
 * summary tables, and charts drawn as inline SVG at render time: throughput
 * over time, latency percentiles over time, and the latency distribution
 * (percentile spectrum from the HdrHistograms, the usual HdrHistogram plot
 * with a log "1 / (1 - percentile)" axis). The full LoadResult is embedded as
 * JSON in <script type="application/json" id="millrace-load-result">, so the
 * page is also the data.
 */
import { decodeHistogram, type LatencySummary } from './latency-histogram.js';
import type { LoadResult } from './load-result.js';

interface Line { name: string; color: string; points: [number, number][] }

interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: Line[];
  /** x ranges to shade (warm-up). */
  shade?: [number, number] | null;
  xTicks?: { at: number; label: string }[];
}

const W = 820;
const H = 280;
const M = { left: 70, right: 44, top: 34, bottom: 44 };

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1, 2, 5 × 10^k steps giving about `n` ticks over [0, max]. */
function niceTicks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (Math.abs(v) >= 1e3) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

export function svgChart(c: ChartSpec): string {
  const all = c.lines.flatMap((l) => l.points);
  const xs = all.map((p) => p[0]);
  const xMin = c.xTicks ? c.xTicks[0]!.at : Math.min(0, ...xs);
  const xMax = c.xTicks ? c.xTicks[c.xTicks.length - 1]!.at : Math.max(1, ...xs);
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p[1])));
  const yMax = yTicks[yTicks.length - 1]!;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number): number => M.left + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const Y = (y: number): number => M.top + ph - (y / (yMax || 1)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(c.title)}">`);
  parts.push(`<text x="${M.left}" y="20" class="title">${escapeHtml(c.title)}</text>`);
  if (c.shade) {
    const [a, b] = c.shade;
    parts.push(`<rect x="${X(a).toFixed(1)}" y="${M.top}" width="${Math.max(0, X(b) - X(a)).toFixed(1)}" height="${ph}" class="shade"><title>warm-up</title></rect>`);
  }
  for (const t of yTicks) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(t)}</text>`);
  }
  const xt = c.xTicks ?? niceTicks(xMax, 8).filter((v) => v <= xMax).map((v) => ({ at: v, label: fmt(v) }));
  for (const t of xt) {
    parts.push(`<text x="${X(t.at).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="axis"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="axis"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" class="label">${escapeHtml(c.xLabel)}</text>`);
  parts.push(`<text x="14" y="${M.top + ph / 2}" text-anchor="middle" class="label" transform="rotate(-90 14 ${M.top + ph / 2})">${escapeHtml(c.yLabel)}</text>`);
  let legendX = W - M.right;
  for (const l of [...c.lines].reverse()) {
    const w = 14 + l.name.length * 7;
    legendX -= w + 12;
    parts.push(`<rect x="${legendX}" y="10" width="10" height="10" fill="${l.color}"/><text x="${legendX + 14}" y="19" class="tick">${escapeHtml(l.name)}</text>`);
  }
  for (const l of c.lines) {
    if (l.points.length === 0) continue;
    const d = l.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.8" class="series" data-name="${escapeHtml(l.name)}"/>`);
    if (l.points.length <= 60) for (const p of l.points) parts.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.2" fill="${l.color}"><title>${escapeHtml(`${l.name}: ${fmt(p[1])} at ${fmt(p[0])}`)}</title></circle>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Percentile spectrum points: x = log10(1 / (1 - p)), y = ms. */
function spectrum(encoded: string): [number, number][] {
  const h = decodeHistogram(encoded);
  if (h.totalCount === 0) return [];
  const pts: [number, number][] = [];
  // Up to the percentile the sample size supports (about 1 / count resolution).
  const maxX = Math.min(6, Math.log10(h.totalCount) + 0.5);
  for (let x = 0; x <= maxX + 1e-9; x += 0.05) {
    const p = 100 * (1 - 10 ** -x);
    pts.push([x, h.getValueAtPercentile(p) / 1000]);
  }
  return pts;
}

const COLORS = { produce: '#1f6feb', produce2: '#8ab4f8', consume: '#2da44e', consume2: '#95d5a8', warn: '#cf222e' };

function row(k: string, v: string | number): string {
  return `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`;
}

function latencyRows(l: LatencySummary): string {
  const keys: [string, keyof LatencySummary][] = [['p50', 'p50Ms'], ['p75', 'p75Ms'], ['p95', 'p95Ms'], ['p99', 'p99Ms'], ['p99.9', 'p999Ms'], ['max', 'maxMs'], ['mean', 'meanMs']];
  return keys.map(([label, k]) => row(`${label} (ms)`, l[k].toFixed(3))).join('');
}

export function renderHtmlReport(r: LoadResult): string {
  const s = r.series;
  const warmupEnd = s.filter((p) => p.warmup).length;
  const shade: [number, number] | null = warmupEnd > 0 ? [0, warmupEnd] : null;
  const charts: string[] = [];
  const tput: Line[] = [];
  if (r.produce) tput.push({ name: 'produced rec/s', color: COLORS.produce, points: s.map((p) => [p.second, p.produced.records]) });
  if (r.consume) tput.push({ name: 'consumed rec/s', color: COLORS.consume, points: s.map((p) => [p.second, p.consumed.records]) });
  charts.push(svgChart({ title: 'Throughput per second', xLabel: 'seconds', yLabel: 'records/s', lines: tput, shade }));
  const lat: Line[] = [];
  if (r.produce) {
    lat.push({ name: 'publish p50', color: COLORS.produce2, points: s.filter((p) => p.publishLatency).map((p) => [p.second, p.publishLatency!.p50Ms]) });
    lat.push({ name: 'publish p99', color: COLORS.produce, points: s.filter((p) => p.publishLatency).map((p) => [p.second, p.publishLatency!.p99Ms]) });
  }
  if (r.consume) {
    lat.push({ name: 'e2e p50', color: COLORS.consume2, points: s.filter((p) => p.e2eLatency).map((p) => [p.second, p.e2eLatency!.p50Ms]) });
    lat.push({ name: 'e2e p99', color: COLORS.consume, points: s.filter((p) => p.e2eLatency).map((p) => [p.second, p.e2eLatency!.p99Ms]) });
  }
  charts.push(svgChart({ title: 'Latency percentiles per second', xLabel: 'seconds', yLabel: 'ms', lines: lat, shade }));
  const dist: Line[] = [];
  if (r.produce) dist.push({ name: 'publish', color: COLORS.produce, points: spectrum(r.produce.histogram) });
  if (r.consume) dist.push({ name: 'end-to-end', color: COLORS.consume, points: spectrum(r.consume.histogram) });
  const pctTicks = [0, 1, 2, 3, 4, 5, 6].map((x) => ({ at: x, label: x === 0 ? '0%' : `${(100 * (1 - 10 ** -x)).toFixed(Math.max(0, x - 2))}%` }));
  const maxX = Math.max(1, ...dist.flatMap((l) => l.points.map((p) => p[0])));
  charts.push(svgChart({
    title: 'Latency by percentile (measured phase)', xLabel: 'percentile', yLabel: 'ms', lines: dist,
    xTicks: pctTicks.filter((t) => t.at <= Math.ceil(maxX)),
  }));

  const tables: string[] = [];
  if (r.produce) {
    const p = r.produce;
    tables.push(`<table><caption>Produce</caption>${row('records', p.records)}${row('records/s', p.recordsPerSec.toFixed(1))}${row('MB/s', p.mbPerSec.toFixed(2))}${row('errors', p.errors)}${row('producers', p.producers)}${row('records per batch', p.recordsPerBatch)}${latencyRows(p.latency)}</table>`);
  }
  if (r.consume) {
    const c = r.consume;
    const v = c.verification;
    tables.push(`<table><caption>Consume</caption>${row('records', c.records)}${row('records/s', c.recordsPerSec.toFixed(1))}${row('MB/s', c.mbPerSec.toFixed(2))}${row('backlog', c.backlog)}${row('verification', v.ok ? 'OK' : 'FAILED')}${latencyRows(c.latency)}</table>`);
  }
  const json = JSON.stringify(r).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const status = r.ok ? '<p class="ok">Run OK</p>' : `<p class="bad">Run NOT OK</p><ul>${r.problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`;
  const opts = Object.entries(r.options).map(([k, v]) => row(k, v === null ? '—' : String(v))).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>millrace load: ${escapeHtml(r.mode)} ${escapeHtml(r.topics.join(', '))} (${escapeHtml(r.startedAt)})</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; }
.ok { color: #1a7f37; font-weight: bold; } .bad { color: #cf222e; font-weight: bold; }
table { border-collapse: collapse; margin: 0 24px 16px 0; display: inline-table; vertical-align: top; }
caption { font-weight: bold; text-align: left; padding: 4px 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; } td { font-variant-numeric: tabular-nums; }
svg { display: block; margin: 12px 0; }
svg .title { font-weight: bold; font-size: 14px; } svg .tick { font-size: 11px; fill: #57606a; } svg .label { font-size: 12px; fill: #57606a; }
svg .grid { stroke: #eaeef2; } svg .axis { stroke: #8c959f; } svg .shade { fill: #f6f8fa; }
details { margin-top: 16px; }
</style>
</head>
<body>
<h1>millrace load — ${escapeHtml(r.mode)} on ${escapeHtml(r.topics.join(', '))}</h1>
<p>Started ${escapeHtml(r.startedAt)}${r.interrupted ? ' (interrupted)' : ''}. Warm-up ${r.warmupMs} ms (shaded).</p>
${status}
${tables.join('\n')}
${charts.join('\n')}
<details><summary>Options</summary><table>${opts}</table></details>
<script type="application/json" id="millrace-load-result">${json}</script>
</body>
</html>
`;
}
