import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, errorName, KafkaError } from '../../../src/common/error-codes.js';

test('errorName maps codes to Kafka names', () => {
  assert.is(errorName(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.is(errorName(12345), 'ERROR_12345');
});

test('KafkaError carries its code', () => {
  const e = new KafkaError(ErrorCode.CORRUPT_MESSAGE);
  assert.is(e.code, 2);
  assert.is(e.message, 'CORRUPT_MESSAGE');
});

test.run();
