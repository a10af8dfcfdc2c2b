/**
 * `runLoad(options)`: the programmatic entry of the load generator, used by
 * `millrace load`, the benchmark suite and tests. Normalizes the options,
 * runs a produce / consume / e2e run or a workload, writes --json and --html,
 * prints the report unless quiet, and returns the LoadResult (it never calls
 * process.exit; `result.ok` says whether the run was clean).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderHtmlReport } from './html-report.js';
import { normalizeLoadOptions, type LoadOptions, type LoadOptionsInput } from './load-options.js';
import type { LoadResult } from './load-result.js';
import { formatReport } from './report.js';
import { runPlan, type PlanHooks } from './run-plan.js';
import { runWorkload } from './workload.js';

export async function runLoad(input: LoadOptionsInput | LoadOptions, hooks: PlanHooks = {}): Promise<LoadResult> {
  const o = normalizeLoadOptions(input as LoadOptionsInput);
  const result = o.mode === 'workload' ? await runWorkload(o, hooks) : await runPlan(o, [o.topic], hooks);
  writeOutputs(o, result);
  if (!o.quiet) process.stdout.write(formatReport(result));
  return result;
}

export function writeOutputs(o: LoadOptions, result: LoadResult): void {
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
  }
  if (o.html) {
    mkdirSync(dirname(o.html), { recursive: true });
    writeFileSync(o.html, renderHtmlReport(result));
  }
}
