/** RunClock: one sample per wall-clock second, in order, even when its timers run late. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nowUs } from '../../../src/load/record-value.js';
import { RunClock } from '../../../src/load/run-clock.js';

test('finish() after seconds whose timers have not fired reports each of them, then the partial one', () => {
  const seconds: number[] = [];
  // t0 2.5 s ago: the timers for seconds 1 and 2 are due but cannot run before this synchronous finish().
  const clock = new RunClock(nowUs() - 2_500_000, (k) => seconds.push(k));
  clock.finish();
  assert.equal(seconds, [1, 2, 3]);
});

test('ticks each second, and finish() reports the partial second once', async () => {
  const seconds: number[] = [];
  const clock = new RunClock(nowUs() - 950_000, (k) => seconds.push(k));
  await new Promise((r) => setTimeout(r, 200));
  clock.finish();
  clock.finish();
  assert.equal(seconds, [1, 2]);
});

test.run();
