/** PacingTicker: sub-millisecond wake-ups that leave the event loop free. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PacingTicker } from '../../../src/load/pacing-ticker.js';

const nextTick = (t: PacingTicker): Promise<void> => new Promise((r) => t.onNextTick(r));

test('ticks every 250 µs (no sooner) while the event loop keeps running', async () => {
  const ticker = PacingTicker.acquire(250);
  try {
    await nextTick(ticker); // the helper thread is up
    let turns = 0;
    let spinning = true;
    const spin = (): void => { turns++; if (spinning) setImmediate(spin); };
    setImmediate(spin);
    const started = performance.now();
    for (let i = 0; i < 40; i++) await nextTick(ticker);
    const ms = performance.now() - started;
    spinning = false;
    // 40 ticks of 0.25 ms: 10 ms on an idle machine (a 1 ms timer would need 40); the bound only catches a stuck ticker.
    assert.ok(ms >= 9 && ms < 2000, `40 ticks took ${ms.toFixed(1)} ms`);
    assert.ok(turns >= 40, `the event loop turned ${turns} times meanwhile`);
  } finally { ticker.release(); }
});

test('one ticker per thread: waiters of the same tick are called together; the last release stops it', async () => {
  const a = PacingTicker.acquire(500);
  const b = PacingTicker.acquire(500);
  assert.is(a, b);
  const order: string[] = [];
  await Promise.all([new Promise<void>((r) => a.onNextTick(() => { order.push('a'); r(); })), new Promise<void>((r) => b.onNextTick(() => { order.push('b'); r(); }))]);
  assert.equal(order, ['a', 'b']);
  a.release();
  // Still held by b: ticks go on.
  await nextTick(b);
  let called = false;
  b.onNextTick(() => { called = true; });
  b.release(); // a waiter left at the last release is called at once, not forgotten
  assert.ok(called);
  const c = PacingTicker.acquire(500);
  assert.is.not(c, a);
  await nextTick(c);
  c.release();
});

test('a ticker nobody waited on parks, and the next waiter wakes it', async () => {
  const ticker = PacingTicker.acquire(250);
  try {
    await nextTick(ticker);
    await new Promise((r) => setTimeout(r, 30)); // > 8 idle ticks: parked
    const started = performance.now();
    await nextTick(ticker);
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `the first tick after parking took ${ms.toFixed(1)} ms`);
  } finally { ticker.release(); }
});

test.run();
