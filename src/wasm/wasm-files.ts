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

/** Synchronously compile a committed kernel (they are a few hundred bytes: sync compile is cheap). */
export function compileWasm(name: string): WebAssembly.Module {
  return new WebAssembly.Module(readFileSync(wasmBuildPath(name)));
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
