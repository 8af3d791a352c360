// RequestMemoryPool on its own: strict charging (a frame that does not fit is refused and
// counted) except when nothing is charged, waiters woken in arrival order while memory lasts,
// a waiter that gives memory back from inside its wake-up, and cancelled waits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestMemoryPool } from '../../src/server/request-memory-pool.js';

describe('RequestMemoryPool', () => {
  it('charges what fits, refuses the rest, and lets one frame through when nothing is charged', () => {
    const pool = new RequestMemoryPool(100);
    assert.equal(pool.tryAllocate(60), true);
    assert.equal(pool.tryAllocate(41), false);
    assert.equal(pool.tryAllocate(40), true);
    assert.equal(pool.usedBytes, 100);
    assert.equal(pool.tryAllocate(1), false);
    assert.equal(pool.depletedCount, 2);
    pool.release(100);
    assert.equal(pool.tryAllocate(500), true, 'larger than the budget, alone');
    assert.equal(pool.tryAllocate(1), false);
    pool.release(500);
    assert.equal(pool.usedBytes, 0);
    const unbounded = new RequestMemoryPool(-1);
    assert.equal(unbounded.tryAllocate(2 ** 40), true);
    assert.equal(unbounded.tryAllocate(2 ** 40), true);
  });

  it('wakes waiters in arrival order while memory lasts; a refused waiter keeps its place', () => {
    const pool = new RequestMemoryPool(100);
    pool.tryAllocate(100);
    const woken: string[] = [];
    const waiter = (name: string, bytes: number) => () => {
      woken.push(name);
      return pool.tryAllocate(bytes);
    };
    const big = waiter('big', 80);
    pool.waitForMemory(big);
    pool.waitForMemory(waiter('small', 10));
    pool.waitForMemory(waiter('medium', 30));
    pool.release(50); // 50 used: big (80) does not fit, small (10) does, then medium (30) too
    assert.deepEqual(woken, ['big', 'small', 'medium']);
    assert.equal(pool.usedBytes, 90);
    assert.equal(pool.waiting, 1);
    woken.length = 0;
    pool.release(90); // empty: big passes
    assert.deepEqual(woken, ['big']);
    assert.equal(pool.waiting, 0);
    assert.equal(pool.usedBytes, 80);
  });

  it('copes with a waiter that gives memory back while woken, and with cancelled waits', () => {
    const pool = new RequestMemoryPool(10);
    pool.tryAllocate(10);
    const order: string[] = [];
    pool.waitForMemory(() => {
      order.push('a');
      if (!pool.tryAllocate(5)) return false;
      pool.release(5); // answered at once: gives it back from inside the wake-up
      return true;
    });
    const cancelled = () => {
      order.push('cancelled');
      return true;
    };
    pool.waitForMemory(cancelled);
    pool.waitForMemory(() => {
      order.push('b');
      return pool.tryAllocate(5);
    });
    pool.cancelWait(cancelled);
    pool.release(10);
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(pool.usedBytes, 5);
    assert.equal(pool.waiting, 0);
  });
});
