/**
 * ReceiveArena: shared memory that connections read produce requests into,
 * so a worker shard checksums and appends the batches where the socket put
 * them: no copy in JavaScript at all (the kernel's copy out of the socket is
 * the only one).
 *
 *   WebAssembly.Memory (shared):
 *     [0, 64 KiB)                    the CRC kernel's tables (crc32c.ts)
 *     [64 KiB + i * chunkBytes, …)   chunk i, i < chunks
 *
 * A producing connection's ReceiveBuffer reads into one chunk at a time (it
 * "owns" it; see receive-buffer.ts for why it holds one until it closes).
 * WorkerShard.produce retains the chunk of each batch it passes on by
 * reference and releases it on the completion (or when the worker dies): a
 * chunk goes back to the free list once no one owns it and no batch in it is
 * pending. Only the dispatcher thread counts references; shards only read
 * (and stamp offsets into) the bytes of the batches they were given.
 *
 * When every chunk is taken, connections read into private buffers and
 * produce falls back to copying into the shard's inbound ring, as with the
 * inline engine or a frame larger than a chunk. The memory is reserved, not
 * committed: only chunks that were read into use RAM, and the free list is
 * LIFO, so a busy broker keeps reusing the same few, cache-warm chunks.
 *
 * Why: the copy into the inbound ring was ~20% of the dispatcher's CPU at
 * full produce throughput (`perf record`; V8 copies into shared memory with
 * relaxed atomics). Without it the broker spends ~9% less CPU per record
 * (README, the engine bullet under "What misses its target").
 */
const WASM_PAGE = 65536;

export interface ReceiveArenaOptions {
  chunks: number;
  /** A multiple of the WASM page (64 KiB). */
  chunkBytes: number;
}

export const DEFAULT_RECEIVE_ARENA_OPTIONS: ReceiveArenaOptions = { chunks: 64, chunkBytes: 2 * 1024 * 1024 };

export class ReceiveArena {
  readonly memory: WebAssembly.Memory;
  readonly buffer: SharedArrayBuffer;
  readonly chunkBytes: number;
  readonly chunks: number;
  /** Pending batches per chunk. */
  private readonly refs: Int32Array;
  private readonly owned: Uint8Array;
  /** Free chunk ids, most recently freed last. */
  private readonly free: number[] = [];

  constructor(options: ReceiveArenaOptions = DEFAULT_RECEIVE_ARENA_OPTIONS) {
    const { chunks, chunkBytes } = options;
    if (chunks < 1 || chunkBytes < WASM_PAGE || chunkBytes % WASM_PAGE !== 0) throw new RangeError('receive arena: chunks ≥ 1 of a multiple of 64 KiB');
    const pages = 1 + (chunks * chunkBytes) / WASM_PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.chunkBytes = chunkBytes;
    this.chunks = chunks;
    this.refs = new Int32Array(chunks);
    this.owned = new Uint8Array(chunks);
    for (let i = chunks - 1; i >= 0; i--) this.free.push(i);
  }

  /** Chunks owned by a connection or holding pending batches (tests, metrics). */
  get chunksInUse(): number {
    return this.chunks - this.free.length;
  }

  /** A free chunk for a connection to read into, as a Buffer over it; null when all are taken. */
  own(): { chunk: number; bytes: Buffer } | null {
    const chunk = this.free.pop();
    if (chunk === undefined) return null;
    this.owned[chunk] = 1;
    return { chunk, bytes: Buffer.from(this.buffer, WASM_PAGE + chunk * this.chunkBytes, this.chunkBytes) };
  }

  /** The connection stops reading into `chunk`; it is free once its pending batches complete. */
  disown(chunk: number): void {
    this.owned[chunk] = 0;
    if (this.refs[chunk] === 0) this.free.push(chunk);
  }

  /** Pending batches in `chunk` (the owner may rewind it only when there are none). */
  pending(chunk: number): number {
    return this.refs[chunk]!;
  }

  /** The chunk `view` lies in, or -1 if it is not (wholly) arena memory. */
  chunkOf(view: Uint8Array): number {
    if (view.buffer !== this.buffer) return -1;
    const chunk = Math.floor((view.byteOffset - WASM_PAGE) / this.chunkBytes);
    if (chunk < 0 || chunk >= this.chunks) return -1;
    const end = WASM_PAGE + (chunk + 1) * this.chunkBytes;
    return view.byteOffset + view.byteLength <= end ? chunk : -1;
  }

  /** A batch in `chunk` was handed to a shard: keep the chunk until release(). */
  retain(chunk: number): void {
    this.refs[chunk]!++;
  }

  release(chunk: number): void {
    if (this.refs[chunk]! <= 0) throw new Error(`receive arena: chunk ${chunk} released more often than retained`);
    if (--this.refs[chunk]! === 0 && this.owned[chunk] === 0) this.free.push(chunk);
  }
}
