import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { crc32cJs } from '../../../src/wasm/crc32c-js.js';
import {
  CRC32C_TABLE_BYTES, crc32c, crc32cFallbackReason, crc32cImplementation, crc32cRelaxedSimd, createCrc32cOnMemory,
} from '../../../src/wasm/crc32c.js';
import { compileWasm } from '../../../src/wasm/wasm-files.js';

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}

const CHECK = Buffer.from('123456789');

test('the WASM kernel is active unless MILLRACE_WASM=0', () => {
  if (process.env.MILLRACE_WASM === '0') {
    assert.is(crc32cImplementation, 'js');
  } else {
    assert.is(crc32cImplementation, 'wasm', `fell back to JS: ${crc32cFallbackReason}`);
    assert.is(crc32cFallbackReason, undefined);
  }
});

test('standard check value of "123456789" is 0xE3069283', () => {
  assert.is(crc32c(CHECK), 0xe3069283);
  assert.is(crc32c(Buffer.alloc(0)), 0);
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa); // 32 zero bytes (RFC 3720 B.4)
  assert.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of 0xFF (RFC 3720 B.4)
});

test('matches crc32cJs on random buffers, offsets and lengths', () => {
  for (let n = 0; n < 400; n++) {
    const len = n < 100 ? n : (n * 7919) % 70000;
    const buf = randomBytes(len + 16, n + 1);
    const s = n % 13 > len ? 0 : n % 13;
    const e = Math.max(s, buf.length - (n % 7));
    assert.is(crc32c(buf, s, e), crc32cJs(buf, s, e), `len ${buf.length} [${s}, ${e})`);
    assert.is(crc32c(buf.subarray(s, e)), crc32cJs(buf, s, e), `subarray len ${e - s}`);
  }
});

test('large inputs spanning several copy-in chunks', () => {
  for (const len of [65535, 65536, 65537, 200_003, 1 << 20, (1 << 20) + 13]) {
    const buf = randomBytes(len + 5, len);
    assert.is(crc32c(buf), crc32cJs(buf), `len ${len}`);
    assert.is(crc32c(buf, 3, len + 2), crc32cJs(buf, 3, len + 2), `len ${len} at 3`);
  }
});

test('both builds (relaxed and plain SIMD) match crc32cJs around the 1 KiB SIMD stripes, at every alignment', () => {
  if (crc32cImplementation !== 'wasm') return;
  assert.ok(crc32cRelaxedSimd, 'this Node should run the relaxed-SIMD build');
  const src = randomBytes(6 * 1024 + 64, 99);
  for (const file of ['crc32c.wasm', 'crc32c-nonrelaxed.wasm', 'crc32c-shared.wasm', 'crc32c-shared-nonrelaxed.wasm']) {
    const shared = file.includes('shared');
    const memory = new WebAssembly.Memory(shared ? { initial: 2, maximum: 2, shared: true } : { initial: 2 });
    const k = new WebAssembly.Instance(compileWasm(file), { env: { memory } }).exports as unknown as {
      init(): void; crc32c(crc: number, p: number, n: number): number;
    };
    k.init();
    new Uint8Array(memory.buffer).set(src, 65536);
    for (const len of [0, 15, 1023, 1024, 1025, 1040, 2047, 2048, 3000, 4096, 5 * 1024 + 17, 6 * 1024]) {
      for (let align = 0; align < 16; align++) {
        const seed = (len * 31 + align) >>> 0;
        const expected = crc32cJs(src, align, align + len, seed);
        assert.is(k.crc32c(seed, 65536 + align, len) >>> 0, expected, `${file} len ${len} align ${align}`);
      }
    }
  }
});

test('continues from a previous crc', () => {
  const b = randomBytes(150_000, 7);
  for (const k of [0, 1, 7, 100, 65536, 100_001, 150_000]) {
    assert.is(crc32c(b, k, b.length, crc32c(b, 0, k)), crc32c(b), `split at ${k}`);
    assert.is(crc32c(b, k, b.length, crc32cJs(b, 0, k)), crc32cJs(b), `split at ${k} (JS first half)`);
  }
});

test('rejects ranges outside the buffer', () => {
  if (crc32cImplementation !== 'wasm') return;
  const b = Buffer.alloc(10);
  assert.throws(() => crc32c(b, -1, 5), /outside/);
  assert.throws(() => crc32c(b, 0, 11), /outside/);
  assert.throws(() => crc32c(b, 6, 5), /outside/);
});

test('shared memory: CRC of ranges already in the memory, no copy', () => {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 1024, shared: true });
  assert.ok(memory.buffer instanceof SharedArrayBuffer);
  const crcAt = createCrc32cOnMemory(memory);
  assert.is(crcAt.implementation, crc32cImplementation);
  const heap = new Uint8Array(memory.buffer);
  heap.set(CHECK, 65536);
  assert.is(crcAt(65536, 9), 0xe3069283);
  assert.is(crcAt(CRC32C_TABLE_BYTES, 0), 0);
  if (crcAt.implementation === 'wasm') {
    // The tables live in the reserved region: T0[128] is the polynomial itself.
    assert.is(new DataView(memory.buffer).getUint32(128 * 4, true), 0x82f63b78);
  }
  const data = randomBytes(150_000, 99);
  for (let i = 0; i < 60; i++) {
    const ptr = CRC32C_TABLE_BYTES + ((i * 977) % 4000);
    const len = (i * 2531) % data.length;
    heap.set(data.subarray(0, len), ptr);
    assert.is(crcAt(ptr, len), crc32cJs(data, 0, len), `ptr ${ptr} len ${len}`);
    assert.is(crcAt(ptr + 5, len - 5 < 0 ? 0 : len - 5, crcAt(ptr, 5 < len ? 5 : len)), crc32cJs(data, 0, len));
  }
});

test('shared memory: works after the memory grows, rejects the reserved region and out-of-bounds ranges', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64, shared: true });
  const crcAt = createCrc32cOnMemory(memory);
  memory.grow(3);
  const data = randomBytes(100_000, 5);
  new Uint8Array(memory.buffer).set(data, 120_000);
  assert.is(crcAt(120_000, data.length), crc32cJs(data));
  assert.throws(() => crcAt(0, 9), /outside/);
  assert.throws(() => crcAt(CRC32C_TABLE_BYTES - 1, 1), /outside/);
  assert.throws(() => crcAt(memory.buffer.byteLength - 4, 5), /outside/);
});

test('a private (non-shared) memory works too', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const crcAt = createCrc32cOnMemory(memory);
  const data = randomBytes(70_000, 11);
  new Uint8Array(memory.buffer).set(data, 20_000);
  assert.is(crcAt(20_000, data.length), crc32cJs(data));
});

test('another thread checksums bytes the main thread wrote into the shared memory', async () => {
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
  const data = randomBytes(100_000, 1234);
  new Uint8Array(memory.buffer).set(data, 65536);
  const moduleUrl = new URL('../../../src/wasm/crc32c.js', import.meta.url).href;
  const worker = new Worker(
    `import { workerData, parentPort } from 'node:worker_threads';
     const { createCrc32cOnMemory } = await import(workerData.moduleUrl);
     const crcAt = createCrc32cOnMemory(workerData.memory);
     parentPort.postMessage({ crc: crcAt(65536, workerData.len), impl: crcAt.implementation });`,
    { eval: true, type: 'module', workerData: { memory, moduleUrl, len: data.length } } as never,
  );
  const reply = await new Promise<{ crc: number; impl: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.is(reply.crc, crc32cJs(data));
  assert.is(reply.impl, crc32cImplementation);
});

test('MILLRACE_WASM=0 forces the JS twin, with the same results', () => {
  const moduleUrl = new URL('../../../src/wasm/crc32c.js', import.meta.url).href;
  const script = `
    const m = await import(${JSON.stringify(moduleUrl)});
    const mem = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true });
    new Uint8Array(mem.buffer).set(Buffer.from('123456789'), 65536);
    const onMem = m.createCrc32cOnMemory(mem);
    console.log(JSON.stringify({ impl: m.crc32cImplementation, reason: m.crc32cFallbackReason,
      check: m.crc32c(Buffer.from('123456789')), mem: onMem(65536, 9), memImpl: onMem.implementation,
      tablesUntouched: new Uint8Array(mem.buffer, 0, ${CRC32C_TABLE_BYTES}).every((b) => b === 0) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, MILLRACE_WASM: '0' }, encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(out, {
    impl: 'js', reason: 'MILLRACE_WASM=0', check: 0xe3069283, mem: 0xe3069283, memImpl: 'js', tablesUntouched: true,
  });
  void fileURLToPath;
});

test.run();
