/**
 * Locating and compiling the committed WASM kernels (wasm/build/*.wasm).
 *
 * The loaders run from dist/src/wasm/ after `tsc`, from src/wasm/ under a TS
 * runner, and from node_modules/millrace/dist/src/wasm/ when installed (the
 * package ships wasm/build). Rather than hard-code one depth, walk up from this
 * file until a `wasm/build/<name>` exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

const here = dirname(fileURLToPath(import.meta.url));

/** Absolute path of wasm/build/<name>, or throws if it cannot be found. */
export function wasmBuildPath(name: string): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'wasm', 'build', name);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`wasm/build/${name} not found above ${here}`);
}

/** Synchronously compile a committed kernel (they are under 10 KiB: sync compile is cheap). */
export function compileWasm(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(wasmBuildPath(name)));
}

/**
 * Compile `<base>.wasm`, a kernel that uses relaxed SIMD, or its
 * `<base>-nonrelaxed.wasm` twin (plain SIMD, slower) where the runtime lacks it.
 *
 * Node 20's V8 (11.3) implements relaxed SIMD behind
 * --experimental-wasm-relaxed-simd; V8 11.4 (Node 22) ships it on. Where the
 * module does not validate, the flag is turned on (process-wide; it only
 * admits the relaxed opcodes) and validation retried. The kernels use
 * relaxed SIMD only where its results are fully determined (e.g. swizzle
 * indices always 0..15), so either build gives the same answers.
 */
export function compileRelaxedSimdWasm(base: string): { module: WebAssembly.Module; relaxedSimd: boolean } {
  const bytes = readFileSync(wasmBuildPath(`${base}.wasm`));
  if (!WebAssembly.validate(bytes)) {
    try { setFlagsFromString('--experimental-wasm-relaxed-simd'); } catch { /* not a V8 that knows the flag */ }
  }
  if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), relaxedSimd: true };
  return { module: compileWasm(`${base}-nonrelaxed.wasm`), relaxedSimd: false };
}

/**
 * Whether WASM kernels may be used: false when MILLRACE_WASM=0 (forces the JS
 * twins, e.g. to measure what the kernels buy or to rule them out in a bug hunt)
 * or when the runtime has no WebAssembly.
 */
export function wasmEnabled(): { enabled: boolean; reason?: string } {
  if (process.env.MILLRACE_WASM === '0') return { enabled: false, reason: 'MILLRACE_WASM=0' };
  if (typeof WebAssembly !== 'object') return { enabled: false, reason: 'no WebAssembly in this runtime' };
  return { enabled: true };
}
