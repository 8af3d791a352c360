// LogThrottle: the first failure of a key is logged, the next within the interval are only
// counted, and the count rides on the next line logged for that key; keys are apart.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogThrottle } from '../src/log-throttle.js';

describe('LogThrottle', () => {
  it('logs the first, counts the rest of the interval, and reports the count with the next line', () => {
    let now = 1_000;
    const throttle = new LogThrottle(10_000, () => now);
    assert.equal(throttle.admit('orders-0'), 0, 'the first is logged, nothing before it');
    now += 1;
    assert.equal(throttle.admit('orders-0'), undefined);
    now += 9_000;
    assert.equal(throttle.admit('orders-0'), undefined);
    assert.equal(throttle.admit('orders-1'), 0, 'another partition is logged on its own');
    now += 998;
    assert.equal(throttle.admit('orders-0'), undefined, 'still inside the interval');
    now += 1;
    assert.equal(throttle.admit('orders-0'), 3, 'the interval is over: logged, with the three not logged');
    assert.equal(throttle.admit('orders-0'), undefined);
    throttle.forget('orders-0');
    assert.equal(throttle.admit('orders-0'), 0, 'a forgotten key starts again');
  });
});
