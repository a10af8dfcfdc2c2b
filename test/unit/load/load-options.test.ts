import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  LOAD_DEFAULTS, LoadOptionsError, normalizeLoadOptions, parseBytes, parseCount, parseDuration, parseHostPort, parseKeys,
} from '../../../src/load/load-options.js';

const isOptErr = (e: unknown): boolean => e instanceof LoadOptionsError;

test('durations: units, bare numbers', () => {
  assert.is(parseDuration('30s'), 30_000);
  assert.is(parseDuration('2m'), 120_000);
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('7'), 7000);
  assert.is(parseDuration('7', 'linger', 1), 7);
  assert.throws(() => parseDuration('5 fortnights'), isOptErr);
  assert.throws(() => parseDuration('-1s'), isOptErr);
});

test('sizes and counts', () => {
  assert.is(parseBytes('16KiB'), 16384);
  assert.is(parseBytes('1m'), 1 << 20);
  assert.is(parseBytes(100), 100);
  assert.is(parseCount('1e6'), 1_000_000);
  assert.is(parseCount('250k'), 250_000);
  assert.is(parseCount('2M'), 2_000_000);
  assert.throws(() => parseCount('lots'), isOptErr);
});

test('bootstrap and keys', () => {
  assert.equal(parseHostPort('broker:9093'), { host: 'broker', port: 9093 });
  assert.equal(parseHostPort('broker'), { host: 'broker', port: 9092 });
  assert.equal(parseHostPort('[::1]:9000'), { host: '::1', port: 9000 });
  assert.throws(() => parseHostPort('h:99999'), isOptErr);
  assert.equal(parseKeys('none'), { kind: 'none' });
  assert.equal(parseKeys('uniform:1000'), { kind: 'uniform', count: 1000 });
  assert.equal(parseKeys('zipf:10k'), { kind: 'zipf', count: 10_000, exponent: 0.99 });
  assert.equal(parseKeys('zipf:100:1.2'), { kind: 'zipf', count: 100, exponent: 1.2 });
  assert.throws(() => parseKeys('zipf'), isOptErr);
  assert.throws(() => parseKeys('gauss:10'), isOptErr);
});

test('defaults as documented', () => {
  const o = normalizeLoadOptions({});
  assert.equal(o.bootstrap, { host: '127.0.0.1', port: 9092 });
  assert.is(o.topic, 'millrace-load');
  assert.is(o.recordSize, 100);
  assert.is(o.batchBytes, 16384);
  assert.is(o.lingerMs, 0);
  assert.is(o.acks, 1);
  assert.is(o.connections, 1);
  assert.is(o.workers, 1);
  assert.is(o.durationMs, 10_000);
  assert.is(o.records, null);
  assert.is(o.rate, 0);
  assert.is(o.maxInFlight, 8);
  assert.is(o.pacingTickUs, 250);
  assert.is(o.fetchMaxWaitMs, 500);
  assert.equal(o, { ...LOAD_DEFAULTS, bootstrap: o.bootstrap });
});

test('CLI strings are parsed; records replaces the default duration', () => {
  const o = normalizeLoadOptions({
    mode: 'e2e', bootstrap: 'localhost:19092', records: '1M', rate: '10k', acks: 'all', compression: 'lz4',
    keys: 'uniform:50', warmupMs: '2s', lingerMs: '5', recordSize: '1KiB', createTopic: true, partitions: '12',
  });
  assert.is(o.records, 1_000_000);
  assert.is(o.durationMs, null);
  assert.is(o.rate, 10_000);
  assert.is(o.acks, -1);
  assert.is(o.compression, 'lz4');
  assert.is(o.warmupMs, 2000);
  assert.is(o.lingerMs, 5);
  assert.is(o.recordSize, 1024);
  assert.is(o.partitions, 12);
});

test('bad combinations are refused with a message', () => {
  assert.throws(() => normalizeLoadOptions({ records: 10, durationMs: '1s' }), /not both/);
  assert.throws(() => normalizeLoadOptions({ recordSize: 10 }), /at least 24/);
  assert.throws(() => normalizeLoadOptions({ acks: 2 }), /acks/);
  assert.throws(() => normalizeLoadOptions({ compression: 'brotli' }), /compression/);
  assert.throws(() => normalizeLoadOptions({ topic: 'bad topic!' }), /topic/);
  assert.throws(() => normalizeLoadOptions({ mode: 'workload' }), /workload file/);
  assert.throws(() => normalizeLoadOptions({ maxInFlight: 0 }), /max-in-flight/);
  assert.throws(() => normalizeLoadOptions({ pacingTickUs: 5000 }), /pacing-tick-us/);
});

test.run();
