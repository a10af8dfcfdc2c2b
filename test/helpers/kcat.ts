/** Runs Debian's kcat (librdkafka) with a time limit. */
import { spawn, spawnSync } from 'node:child_process';

export const hasKcat = spawnSync('kcat', ['-V']).status === 0;

export interface KcatResult { code: number | null; stdout: Buffer; stderr: string; }

export function kcat(args: string[], opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<KcatResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kcat ${args.join(' ')} timed out\n${err}`)); }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr: err }); });
    child.stdin.end(opts.input ?? '');
  });
}
