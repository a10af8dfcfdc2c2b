/**
 * Copy a range of bytes into WASM memory once, then checksum many ranges of
 * it: the load generator's verifier checks each batch's CRC-32C and then each
 * record's payload checksum in the same bytes. Through `crc32c(bytes, …)`
 * every short record would pay a view allocation and a copy into the
 * kernel's scratch memory (slower than the JS twin below ~512 B); here the
 * batch is copied once and each record costs one call into the kernel.
 *
 *   memory: [0, CRC32C_TABLE_BYTES) tables | [BASE, BASE + loaded length) the loaded bytes
 *
 * The copy is a snapshot: change the loaded bytes and checks of them read
 * stale data until the next `load`. The memory grows to the largest range
 * loaded (a batch, at most a fetch response's size). With MILLRACE_WASM=0
 * the same code runs the JS twin over the memory (see createCrc32cOnMemory).
 *
 * It also runs the load generator's record value check over a list of
 * values in the loaded bytes (wasm/value-check.wat, one call per batch):
 *
 *   … | [list, list + 8n) (ptr, len) of each value, after the loaded bytes
 *
 * Thread ownership: one workspace per thread (its memory is private).
 */
import { CRC32C_TABLE_BYTES, createCrc32cOnMemory, crc32c as crc32cCopyIn } from './crc32c.js';
import { compileWasm } from './wasm-files.js';

interface ValueCheckExports {
  check_values(list: number, n: number): number;
}

let valueCheckModule: WebAssembly.Module | undefined;

const PAGE = 65536;
/** Loaded bytes start at the first page boundary after the tables. */
const BASE = PAGE;

export class Crc32cWorkspace {
  private readonly memory = new WebAssembly.Memory({ initial: 2 });
  private readonly crcAt = createCrc32cOnMemory(this.memory);
  private heap = new Uint8Array(this.memory.buffer);
  private source: Uint8Array | null = null;
  private sourceStart = 0;
  private sourceEnd = 0;
  private words = new Int32Array(this.memory.buffer);
  private readonly valueCheck: ValueCheckExports | null;

  constructor() {
    if (BASE < CRC32C_TABLE_BYTES) throw new Error('crc32c workspace would overlap the kernel tables');
    this.valueCheck = this.loadValueCheck();
  }

  /** The value check kernel on this memory, or null (no WASM CRC kernel, or the module did not load: the caller's JS twin runs). */
  private loadValueCheck(): ValueCheckExports | null {
    const kernel = this.crcAt.kernel;
    if (!kernel) return null;
    try {
      valueCheckModule ??= compileWasm('value-check.wasm');
      return new WebAssembly.Instance(valueCheckModule, { env: { memory: this.memory, crc32c: kernel } }).exports as unknown as ValueCheckExports;
    } catch {
      return null;
    }
  }

  private grow(need: number): void {
    if (need <= this.heap.length) return;
    this.memory.grow(Math.ceil((need - this.heap.length) / PAGE));
    this.heap = new Uint8Array(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
  }

  /** Copy bytes[start, end) into the workspace; later `crc32c` calls on ranges inside it read the copy. */
  load(bytes: Uint8Array, start: number, end: number): void {
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(`crc32c workspace range [${start}, ${end}) outside 0..${bytes.length}`);
    }
    this.grow(BASE + (end - start));
    this.heap.set(bytes.subarray(start, end), BASE);
    this.source = bytes;
    this.sourceStart = start;
    this.sourceEnd = end;
  }

  /**
   * CRC-32C of bytes[start, end): from the loaded copy when `bytes` is the
   * loaded buffer and the range lies inside the loaded range, otherwise by
   * the ordinary copy-in path. Same contract as crc32c.
   */
  readonly crc32c = (bytes: Uint8Array, start: number, end: number): number => {
    if (bytes === this.source && start >= this.sourceStart && start <= end && end <= this.sourceEnd) {
      return this.crcAt(BASE + (start - this.sourceStart), end - start);
    }
    return crc32cCopyIn(bytes, start, end);
  };

  /**
   * The load generator's value check (src/load/record-value.ts checkValue)
   * of the values at bytes[starts[k], starts[k] + lengths[k]) for k in
   * [from, n), all inside the loaded range of the loaded buffer. Returns the
   * first k whose value fails, n if none does, or null when the WASM kernel
   * is not in use (MILLRACE_WASM=0): then the caller checks them itself.
   */
  checkValues(starts: Int32Array, lengths: Int32Array, from: number, n: number): number | null {
    if (!this.valueCheck) return null;
    const list = (BASE + (this.sourceEnd - this.sourceStart) + 7) & ~7;
    this.grow(list + 8 * (n - from));
    const w = this.words;
    const shift = BASE - this.sourceStart;
    for (let k = from, at = list >> 2; k < n; k++, at += 2) {
      w[at] = starts[k]! + shift;
      w[at + 1] = lengths[k]!;
    }
    return from + this.valueCheck.check_values(list, n - from);
  }
}
