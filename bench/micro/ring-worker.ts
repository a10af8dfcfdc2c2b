/**
 * The far side of bench/micro/ring.bench.ts: a worker thread that consumes
 * (stream) or echoes (round trip) messages, over two ShardRings or over
 * postMessage. Thread: its own worker; it owns the consumer side of ring A and
 * the producer side of ring B.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ShardRing } from '../../src/shard/ring.js';

export const TAG_DATA = 1;
export const TAG_STOP = 2;
/** postMessage stream: the worker acknowledges every ACK_EVERY messages. */
export const ACK_EVERY = 256;

export interface RingWorkerData {
  mode: 'ring-stream' | 'ring-echo' | 'pm-stream' | 'pm-echo';
  buffer?: SharedArrayBuffer;
  capacity?: number;
}

const data = workerData as RingWorkerData | undefined;
const port = parentPort;

async function ringStream(a: ShardRing): Promise<void> {
  let count = 0;
  let sum = 0;
  for (;;) {
    const m = a.peek();
    if (m === null) {
      await a.waitForMessage(1000);
      continue;
    }
    if (m.tag === TAG_STOP) {
      a.release(m);
      break;
    }
    sum += a.bytes[m.offset]!; // touch the payload, as a consumer would
    count++;
    a.release(m);
  }
  port!.postMessage({ type: 'done', count, sum });
}

async function ringEcho(a: ShardRing, b: ShardRing): Promise<void> {
  for (;;) {
    const m = a.peek();
    if (m === null) {
      await a.waitForMessage(1000);
      continue;
    }
    const stop = m.tag === TAG_STOP;
    const payload = a.bytes.subarray(m.offset, m.offset + m.length);
    while (!b.tryWrite(m.tag, payload)) await b.waitForSpace(100);
    a.release(m);
    if (stop) break;
  }
  port!.postMessage({ type: 'done' });
}

if (data && port) {
  if (data.mode === 'ring-stream' || data.mode === 'ring-echo') {
    const cap = data.capacity!;
    const a = new ShardRing(data.buffer!, 0, cap);
    const b = new ShardRing(data.buffer!, ShardRing.bytesFor(cap), cap);
    port.postMessage({ type: 'ready' });
    await (data.mode === 'ring-stream' ? ringStream(a) : ringEcho(a, b));
    port.close();
  } else if (data.mode === 'pm-stream') {
    let count = 0;
    port.on('message', (m: Uint8Array | 'stop') => {
      if (m === 'stop') {
        port.postMessage({ type: 'done', count });
        port.close();
        return;
      }
      count++;
      if (count % ACK_EVERY === 0) port.postMessage({ type: 'ack', count });
    });
    port.postMessage({ type: 'ready' });
  } else {
    port.on('message', (m: Uint8Array | 'stop') => {
      if (m === 'stop') {
        port.postMessage({ type: 'done' });
        port.close();
        return;
      }
      port.postMessage(m);
    });
    port.postMessage({ type: 'ready' });
  }
}
