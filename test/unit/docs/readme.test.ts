import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderReadme } from '../../../scripts/update-readme.js';

const readme = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');

test('README starts with the two commands', () => {
  const top = readme.split('\n').slice(0, 30).join('\n');
  assert.match(top, 'npm install && npm start');
  assert.match(top, 'npm install && npm test');
});

test('README configuration table matches the option table in code (npm run docs)', () => {
  assert.is(renderReadme(readme), readme);
});

test.run();
