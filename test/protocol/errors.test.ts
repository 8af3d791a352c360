// Kafka's error code table: stable codes, unique names, every error documented.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, errorInfo, errorMessage, errorName, isRetriable, kafkaErrors } from '../../src/protocol/errors.js';

test('ErrorCode maps names to Kafka codes', () => {
  assert.equal(ErrorCode.NONE, 0);
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
  assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120);
  assert.equal(ErrorCode.REBOOTSTRAP_REQUIRED, 129);
});

test('codes -1..133 are all present, unique, named and documented', () => {
  const codes = kafkaErrors.map((e) => e.code);
  assert.deepEqual(codes, Array.from({ length: 135 }, (_, i) => i - 1));
  assert.equal(new Set(kafkaErrors.map((e) => e.name)).size, kafkaErrors.length);
  for (const e of kafkaErrors) {
    assert.match(e.name, /^[A-Z][A-Z0-9_]*$/);
    assert.equal(ErrorCode[e.name as keyof typeof ErrorCode], e.code);
    if (e.code !== 0) assert.ok(e.message.length > 10, `${e.name} has a message`);
  }
});

test('lookups by code', () => {
  assert.equal(errorName(3), 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE_9999');
  assert.equal(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
  assert.equal(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED), false);
  assert.equal(isRetriable(9999), false);
  assert.equal(errorInfo(ErrorCode.REQUEST_TIMED_OUT)?.retriable, true);
  assert.equal(errorInfo(9999), undefined);
  assert.equal(errorMessage(9999), errorMessage(ErrorCode.UNKNOWN_SERVER_ERROR));
});
