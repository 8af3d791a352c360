// Kafka's RE2/J patterns turned into JavaScript RegExps: whole-name matching, RE2's syntax
// carried over (\Q..\E, \A, \z, POSIX classes, (?P<name>), leading flags) and what RE2 refuses
// (backreferences, lookaround) refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRe2jPattern, InvalidPatternError } from '../../src/protocol/re2j-pattern.js';

const matches = (pattern: string, name: string) => compileRe2jPattern(pattern).test(name);

describe('compileRe2jPattern', () => {
  it('matches the whole name, as Pattern.matches does', () => {
    assert.equal(matches('orders', 'orders'), true);
    assert.equal(matches('orders', 'orders-eu'), false);
    assert.equal(matches('orders.*', 'orders-eu'), true);
    assert.equal(matches('a|b', 'ab'), false);
    assert.equal(matches('a|b', 'b'), true);
  });

  it('carries RE2 syntax that JavaScript spells differently', () => {
    assert.equal(matches('\\Qa.b*\\E', 'a.b*'), true);
    assert.equal(matches('\\Qa.b*\\E', 'axb'), false);
    assert.equal(matches('\\Aorders\\z', 'orders'), true);
    assert.equal(matches('[[:digit:]]+-[[:upper:]]', '42-X'), true);
    assert.equal(matches('[[:digit:]]+', '4a'), false);
    assert.equal(matches('(?P<region>eu|us)-.*', 'eu-orders'), true);
    assert.equal(matches('(?i)ORDERS', 'orders'), true);
    assert.equal(matches('[]a]+', ']a]'), true);
  });

  it('refuses what RE2 refuses, and what cannot be carried, with the reason', () => {
    for (const bad of ['(a)\\1', 'a(?=b)', 'a(?!b)', '(?<=a)b', '[a', 'a(', '*a', 'a\\', '\\pL', 'a(?i)b']) {
      assert.throws(() => compileRe2jPattern(bad), InvalidPatternError, bad);
    }
    assert.throws(() => compileRe2jPattern('x(?=y)'), /Invalid regular expression 'x\(\?=y\)': lookaround is not supported/);
  });
});
