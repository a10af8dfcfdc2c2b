import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isOutOfDescriptors, openFilesLimit } from '../../../src/common/open-files-limit.js';

test('openFilesLimit reads the soft limit from /proc/self/limits', () => {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const soft = line.slice('Max open files'.length).trim().split(/\s+/)[0]!;
  assert.is(openFilesLimit(), soft === 'unlimited' ? null : Number(soft));
});

test('isOutOfDescriptors: EMFILE and ENFILE, by code or by a message that crossed a thread', () => {
  assert.ok(isOutOfDescriptors(Object.assign(new Error('x'), { code: 'EMFILE' })));
  assert.ok(isOutOfDescriptors(Object.assign(new Error('x'), { code: 'ENFILE' })));
  assert.ok(isOutOfDescriptors(new Error("EMFILE: too many open files, open '/tmp/x'")));
  assert.not.ok(isOutOfDescriptors(new Error('ENOENT: no such file or directory')));
  assert.not.ok(isOutOfDescriptors(Object.assign(new Error('x'), { code: 'ENOSPC' })));
  assert.not.ok(isOutOfDescriptors(null));
});

test.run();
