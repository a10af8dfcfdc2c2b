/** Runs the `millrace` CLI (dist/src/main.js) as a child process, with a time limit. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const mainJs = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** `millrace <args>` with `input` on stdin; resolves when it exits (kills it after timeoutMs). */
export function cli(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return run(spawn(process.execPath, [mainJs, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(opts.env) }), opts, args.join(' '));
}

/** A shell pipeline, with `millrace` standing for the CLI, e.g. `millrace consume a --max 3 | millrace produce b`. */
export function shell(script: string, opts: { input?: string | Buffer; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const cmd = `millrace() { "${process.execPath}" "${mainJs}" "$@"; }\nset -o pipefail\n${script}`;
  return run(spawn('bash', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(opts.env) }), opts, script);
}

/** Starts `millrace <args>` and returns the child (for signals and streaming output). */
export function startCli(args: string[], env?: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [mainJs, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(env) });
}

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', MILLRACE_LOG_LEVEL: 'warn', ...extra };
}

function run(child: ChildProcess, opts: { input?: string | Buffer; timeoutMs?: number }, what: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timed out: ${what}\nstdout: ${stdout}\nstderr: ${stderr}`)); }, opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(opts.input ?? '');
  });
}

/** Resolves with the output so far once `pattern` appears on the child's stdout. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(out);
      }
    };
    child.stdout!.on('data', onData);
  });
}

/** Parses JSON lines. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}
