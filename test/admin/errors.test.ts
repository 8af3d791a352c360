// The admin error registry: every code is documented in README.md's error table with its
// status, the README documents no code that does not exist, and the codes are stable in form.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ADMIN_ERRORS, AdminError, fromKafkaError } from '../../src/admin/errors.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { repoRoot } from '../helpers/broker-process.js';

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

describe('admin error registry', () => {
  it('documents every code in README.md with its HTTP status', () => {
    for (const [code, def] of Object.entries(ADMIN_ERRORS)) {
      assert.match(code, /^TIDELOG_ERR_[A-Z_]+$/);
      assert.ok(def.description.length > 10, `${code} has a description`);
      assert.ok(def.status >= 400 && def.status < 600, `${code} has an error status`);
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      assert.ok(row, `README.md documents ${code} in its error table`);
      assert.match(row, new RegExp(`\\| ${def.status} \\|`), `README.md gives ${code} status ${def.status}`);
    }
  });

  it('README.md documents no code that does not exist', () => {
    const documented = [...readme.matchAll(/TIDELOG_ERR_[A-Z_]+/g)].map((m) => m[0]);
    for (const code of documented) assert.ok(code in ADMIN_ERRORS, `${code} is in the registry`);
  });

  it('maps Kafka error codes to registry codes', () => {
    assert.equal(fromKafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, 'exists', 't').code, 'TIDELOG_ERR_TOPIC_EXISTS');
    assert.equal(fromKafkaError(ErrorCode.INVALID_CONFIG, 'bad', 't').status, 400);
    const other = fromKafkaError(ErrorCode.KAFKA_STORAGE_ERROR, null, 't');
    assert.equal(other.code, 'TIDELOG_ERR_KAFKA');
    assert.match(other.message, /KAFKA_STORAGE_ERROR/);
    assert.deepEqual(new AdminError('TIDELOG_ERR_NOT_READY', 'x').toBody(), { error: { code: 'TIDELOG_ERR_NOT_READY', message: 'x' } });
  });
});
