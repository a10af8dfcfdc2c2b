/**
 * Test driver for `npm test`: runs every compiled uvu file (dist/test/**\/*.test.js)
 * in its own child process with a time limit, sums uvu's per-file totals and
 * ends with the plain line "N passed, N failed". A file that crashes or times
 * out counts as one failure on top of what it reported.
 *
 * Usage: node dist/test/run.js [substring filters...]
 * Env: TEST_CONCURRENCY (default 2), TEST_FILE_TIMEOUT_MS (default 240000).
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 240_000);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

interface FileResult { file: string; passed: number; failed: number; ms: number; output: string; }

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      env: { MILLRACE_LOG_LEVEL: 'silent', ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, fileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const clean = output.replace(/\x1b\[[0-9;]*m/g, '');
      const total = Number(/Total:\s+(\d+)/.exec(clean)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(clean)?.[1] ?? 0);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(clean)?.[1] ?? 0);
      let failed = Math.max(0, total - passed - skipped);
      if (timedOut) { failed += 1; output += `\n[run] ${file} timed out after ${fileTimeoutMs} ms\n`; }
      else if (code !== 0 && failed === 0) { failed = 1; output += `\n[run] ${file} exited with code ${code}\n`; }
      resolve({ file, passed, failed, ms: Date.now() - started, output });
    });
  });
}

async function main(): Promise<void> {
  const files = findTests(here).filter((f) => f !== fileURLToPath(import.meta.url))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const queue = [...files];
  const results: FileResult[] = [];
  async function worker(): Promise<void> {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await runFile(f);
      results.push(r);
      const name = relative(here, f);
      process.stdout.write(`${r.failed ? 'FAIL' : 'ok  '} ${name} (${r.passed} passed, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)} s)\n`);
      if (r.failed || process.env.TEST_VERBOSE) process.stdout.write(r.output.replace(/^/gm, '    ') + '\n');
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
}

void main();
