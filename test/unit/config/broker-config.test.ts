import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  addBrokerOptions, BROKER_OPTIONS, brokerConfigFromOptions, ConfigError, defaultBrokerConfig, loadBrokerConfig,
  parseListeners, renderConfigTable,
} from '../../../src/config/broker-config.js';
import { parseProperties } from '../../../src/config/properties.js';

function throwsConfigError(fn: () => unknown, ...fragments: string[]): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigError);
    for (const f of fragments) assert.ok((e as Error).message.includes(f), `"${(e as Error).message}" should mention ${f}`);
    return e as ConfigError;
  }
  assert.unreachable('expected a ConfigError');
  throw new Error('unreachable');
}

test('defaults match Kafka where Kafka has them', () => {
  const c = loadBrokerConfig();
  assert.is(c.host, '127.0.0.1');
  assert.is(c.port, 9092);
  assert.is(c.advertisedHost, '127.0.0.1');
  assert.is(c.advertisedPort, 9092);
  assert.is(c.dataDir, './data');
  assert.is(c.nodeId, 0);
  assert.is(c.autoCreateTopics, true);
  assert.is(c.numPartitions, 1);
  assert.is(c.segmentBytes, 1073741824);
  assert.is(c.retentionMs, 604800000);
  assert.is(c.retentionBytes, -1);
  assert.is(c.maxMessageBytes, 1048588);
  assert.is(c.socketRequestMaxBytes, 104857600);
  assert.equal(c.flush, { kind: 'group' });
  assert.ok(c.shards >= 1);
  assert.is(c.metricsPort, null);
  assert.is(c.configFile, null);
  assert.equal(c.sources, {});
});

test('advertised host defaults to 127.0.0.1 for a wildcard bind, else to host', () => {
  assert.is(defaultBrokerConfig({ host: '0.0.0.0' }).advertisedHost, '127.0.0.1');
  assert.is(defaultBrokerConfig({ host: '10.1.2.3', port: 19092 }).advertisedHost, '10.1.2.3');
  assert.is(defaultBrokerConfig({ host: '10.1.2.3', port: 19092 }).advertisedPort, 19092);
  assert.is(defaultBrokerConfig({ host: '0.0.0.0', advertisedHost: 'kafka.local' }).advertisedHost, 'kafka.local');
});

test('precedence: defaults < file < env < flags', () => {
  const file = { path: 'x.json', text: JSON.stringify({ port: 1001, dataDir: '/file', numPartitions: 3, retentionMs: 5000 }) };
  const env = { MILLRACE_PORT: '1002', MILLRACE_DATA_DIR: '/env' };
  const flags = { port: '1003' };
  const c = loadBrokerConfig({ file, env, flags });
  assert.is(c.port, 1003);
  assert.is(c.dataDir, '/env');
  assert.is(c.numPartitions, 3);
  assert.is(c.retentionMs, 5000);
  assert.is(c.segmentBytes, 1073741824);
  assert.is(c.sources!.port, 'flag');
  assert.is(c.sources!.dataDir, 'env');
  assert.is(c.sources!.numPartitions, 'file');
  assert.is(c.sources!.segmentBytes, undefined);
  assert.is(c.configFile, 'x.json');
});

test('config file named by MILLRACE_CONFIG or --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-config-'));
  try {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.properties');
    writeFileSync(a, JSON.stringify({ numPartitions: 4 }));
    writeFileSync(b, 'num.partitions=5\n');
    assert.is(loadBrokerConfig({ env: { MILLRACE_CONFIG: a } }).numPartitions, 4);
    assert.is(loadBrokerConfig({ env: { MILLRACE_CONFIG: a }, flags: { config: b } }).numPartitions, 5);
    assert.is(loadBrokerConfig({ flags: { config: b } }).configFile, b);
    throwsConfigError(() => loadBrokerConfig({ flags: { config: join(dir, 'missing.json') } }), 'cannot read', 'missing.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.properties: Kafka names, listeners, retention hours, aliases', () => {
  const text = [
    '# Kafka server.properties',
    'process.roles=broker,controller',
    'node.id=3',
    'listeners=PLAINTEXT://:29092,CONTROLLER://:9093',
    'advertised.listeners=PLAINTEXT://kafka.example:29092',
    'controller.listener.names=CONTROLLER',
    'log.dirs=/var/lib/millrace',
    'num.partitions = 6',
    'log.retention.hours=24',
    'log.segment.bytes: 1048576',
    'log.retention.bytes=1000000',
    'message.max.bytes=2000000',
    'socket.request.max.bytes=50000000',
    'auto.create.topics.enable=false',
    'millrace.flush.policy=interval:250',
  ].join('\n');
  const c = loadBrokerConfig({ file: { path: 'server.properties', text } });
  assert.is(c.nodeId, 3);
  assert.is(c.host, '0.0.0.0');
  assert.is(c.port, 29092);
  assert.is(c.advertisedHost, 'kafka.example');
  assert.is(c.advertisedPort, 29092);
  assert.is(c.dataDir, '/var/lib/millrace');
  assert.is(c.numPartitions, 6);
  assert.is(c.retentionMs, 24 * 3600_000);
  assert.is(c.segmentBytes, 1048576);
  assert.is(c.retentionBytes, 1000000);
  assert.is(c.maxMessageBytes, 2000000);
  assert.is(c.socketRequestMaxBytes, 50000000);
  assert.is(c.autoCreateTopics, false);
  assert.equal(c.flush, { kind: 'interval', intervalMs: 250 });
});

test('.properties: log.retention.ms beats .minutes beats .hours; broker.id; -1 hours is forever', () => {
  const load = (text: string) => loadBrokerConfig({ file: { path: 's.properties', text } });
  assert.is(load('log.retention.hours=1\nlog.retention.minutes=2\n').retentionMs, 120_000);
  assert.is(load('log.retention.hours=1\nlog.retention.ms=7\nlog.retention.minutes=2\n').retentionMs, 7);
  assert.is(load('log.retention.hours=-1\n').retentionMs, -1);
  assert.is(load('broker.id=9\n').nodeId, 9);
  assert.is(load('broker.id=9\nnode.id=4\n').nodeId, 4);
  assert.is(load('listeners=PLAINTEXT://localhost:9999\n').advertisedHost, 'localhost');
  assert.is(load('listeners=PLAINTEXT://[::1]:9999\n').host, '::1');
  assert.is(load('log.roll.hours=2\n').segmentMs, 7_200_000);
  throwsConfigError(() => load('log.retention.hours=abc\n'), 'log.retention.hours', 'line 1');
  throwsConfigError(() => load('listeners=localhost:9092\n'), 'listeners', 'NAME://host:port');
});

test('properties parser: separators, comments, continuations, escapes', () => {
  const e = parseProperties('a=1\n! comment\n  b : 2\nc 3\nd=x\\\n   y\ne=tab\\tend\\u0041\nf=\n');
  assert.equal(e.map((x) => [x.key, x.value]), [['a', '1'], ['b', '2'], ['c', '3'], ['d', 'xy'], ['e', 'tab\tendA'], ['f', '']]);
  assert.is(e[3]!.line, 5);
});

test('validation errors name the option and the source', () => {
  throwsConfigError(() => loadBrokerConfig({ env: { MILLRACE_PORT: '70000' } }), 'port', 'env MILLRACE_PORT', '[0, 65535]');
  throwsConfigError(() => loadBrokerConfig({ flags: { port: 'abc' } }), 'port', 'flag --port');
  throwsConfigError(() => loadBrokerConfig({ flags: { segmentBytes: '0' } }), 'segmentBytes', '[14, ');
  throwsConfigError(() => loadBrokerConfig({ flags: { flush: 'sometimes' } }), 'flush', 'interval:<ms>');
  throwsConfigError(() => loadBrokerConfig({ flags: { flush: 'interval:0' } }), 'flush');
  throwsConfigError(() => loadBrokerConfig({ flags: { autoCreateTopics: 'maybe' } }), 'autoCreateTopics', 'true or false');
  throwsConfigError(() => loadBrokerConfig({ flags: { numPartitions: '0' } }), 'numPartitions');
  throwsConfigError(() => loadBrokerConfig({ flags: { defaultReplicationFactor: '3' } }), 'defaultReplicationFactor', 'must be 1');
  throwsConfigError(() => loadBrokerConfig({ flags: { shards: '-1' } }), 'shards');
  throwsConfigError(() => loadBrokerConfig({ flags: { logLevel: 'loud' } }), 'logLevel', 'info');
  throwsConfigError(() => loadBrokerConfig({ file: { path: 'c.json', text: '{"prot": 1}' } }), 'prot', 'unknown option', 'c.json');
  throwsConfigError(() => loadBrokerConfig({ file: { path: 'c.json', text: '{"port": "x"}' } }), 'port', 'c.json');
  throwsConfigError(() => loadBrokerConfig({ file: { path: 'c.json', text: '{' } }), 'not valid JSON');
  throwsConfigError(() => loadBrokerConfig({ file: { path: 's.properties', text: 'num.partitions=-2\n' } }), 'numPartitions', 'num.partitions', 'line 1');
  throwsConfigError(() => loadBrokerConfig({ flags: { groupMinSessionTimeoutMs: '10', groupMaxSessionTimeoutMs: '5' } }), 'group.min.session.timeout.ms');
});

test('env: empty values are unset; flush and metrics parse', () => {
  const c = loadBrokerConfig({ env: { MILLRACE_PORT: '', MILLRACE_FLUSH: 'os', MILLRACE_METRICS_PORT: '9400', MILLRACE_SHARDS: '0', MILLRACE_AUTO_CREATE_TOPICS: 'false' } });
  assert.is(c.port, 9092);
  assert.equal(c.flush, { kind: 'os' });
  assert.is(c.metricsPort, 9400);
  assert.is(c.shards, 0);
  assert.is(c.autoCreateTopics, false);
});

test('commander: addBrokerOptions + brokerConfigFromOptions', () => {
  const cmd = addBrokerOptions(new Command('start').exitOverride());
  cmd.parse(['--host', '0.0.0.0', '--port', '19092', '--data-dir', '/tmp/d', '--advertised-host', 'h', '--advertised-port', '1',
    '--num-partitions', '2', '--segment-bytes', '1024', '--retention-ms', '1000', '--retention-bytes', '10',
    '--flush', 'interval:5', '--max-message-bytes', '100', '--shards', '2', '--node-id', '7',
    '--auto-create-topics', 'false', '--log-level', 'warn', '--metrics-port', '9400'], { from: 'user' });
  const c = brokerConfigFromOptions(cmd.opts(), { MILLRACE_PORT: '1', MILLRACE_SEGMENT_MS: '5000' });
  assert.is(c.host, '0.0.0.0');
  assert.is(c.port, 19092);
  assert.is(c.dataDir, '/tmp/d');
  assert.is(c.advertisedHost, 'h');
  assert.is(c.advertisedPort, 1);
  assert.is(c.numPartitions, 2);
  assert.is(c.segmentBytes, 1024);
  assert.is(c.segmentMs, 5000);
  assert.is(c.retentionMs, 1000);
  assert.is(c.retentionBytes, 10);
  assert.equal(c.flush, { kind: 'interval', intervalMs: 5 });
  assert.is(c.maxMessageBytes, 100);
  assert.is(c.shards, 2);
  assert.is(c.nodeId, 7);
  assert.is(c.autoCreateTopics, false);
  assert.is(c.logLevel, 'warn');
  assert.is(c.metricsPort, 9400);
  const flags = cmd.options.map((o) => o.long);
  for (const f of ['--host', '--port', '--data-dir', '--config', '--flush', '--shards']) assert.ok(flags.includes(f), f);
});

test('one table: unique flags, env vars and properties; README table renders every option', () => {
  const uniq = (xs: (string | null)[]) => new Set(xs.filter(Boolean)).size === xs.filter(Boolean).length;
  assert.ok(uniq(BROKER_OPTIONS.map((o) => o.flag)));
  assert.ok(uniq(BROKER_OPTIONS.map((o) => o.env)));
  assert.ok(uniq(BROKER_OPTIONS.map((o) => o.property)));
  for (const o of BROKER_OPTIONS) assert.ok(o.env.startsWith('MILLRACE_'), o.env);
  const md = renderConfigTable();
  assert.is(md.trim().split('\n').length, BROKER_OPTIONS.length + 2);
  assert.ok(md.includes('`--data-dir <dir>`'));
  assert.ok(md.includes('`MILLRACE_DATA_DIR`'));
  assert.ok(md.includes('`log.retention.ms`, `log.retention.minutes`, `log.retention.hours`'));
});

test('parseListeners', () => {
  assert.equal(parseListeners('PLAINTEXT://a:1, SSL://[::]:2'), [{ name: 'PLAINTEXT', host: 'a', port: 1 }, { name: 'SSL', host: '::', port: 2 }]);
});

test.run();
