// FollowerTracker: the leader's bookkeeping of its followers (high watermark from the ISR,
// Kafka's caught-up rule, out-of-sync and ready-to-join sets), driven with explicit clocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FollowerTracker } from '../../src/partition/follower-tracker.js';

const LEADER = 1;

describe('FollowerTracker', () => {
  it('the committed offset is the smallest log end offset in the ISR; unknown followers hold it at -1', () => {
    const t = new FollowerTracker();
    t.reset([1, 2, 3], [1, 2, 3], LEADER, 0);
    assert.equal(t.committedOffset([1, 2, 3], LEADER, 100), -1);
    t.recordFetch(2, 80, 100, 10);
    t.recordFetch(3, 60, 100, 10);
    assert.equal(t.committedOffset([1, 2, 3], LEADER, 100), 60);
    // Out of the ISR, a slow follower no longer holds the high watermark back.
    assert.equal(t.committedOffset([1, 2], LEADER, 100), 80);
    assert.equal(t.committedOffset([1], LEADER, 100), 100);
  });

  it('caught up when fetching from the leader\'s end, or from where the leader ended at the previous fetch', () => {
    const t = new FollowerTracker();
    t.reset([1, 2], [1, 2], LEADER, 1000);
    // Behind at 2000 and never caught up since 1000: out of sync after 500 ms of lag.
    t.recordFetch(2, 50, 100, 2000);
    assert.deepEqual(t.outOfSync([1, 2], LEADER, 2000, 500), [2]);
    // Now it reaches 100, where the leader ended at its previous fetch: caught up as of 2000.
    t.recordFetch(2, 100, 150, 2400);
    assert.deepEqual(t.outOfSync([1, 2], LEADER, 2400, 500), []);
    assert.deepEqual(t.outOfSync([1, 2], LEADER, 2600, 500), [2]);
    // At the leader's end: caught up now.
    t.recordFetch(2, 150, 150, 3200);
    assert.deepEqual(t.outOfSync([1, 2], LEADER, 3600, 500), []);
  });

  it('a follower joins the ISR only at the high watermark and past the start of the leader\'s epoch', () => {
    const t = new FollowerTracker();
    t.reset([1, 2, 3], [1, 2], LEADER, 0);
    t.recordFetch(3, 40, 100, 1);
    assert.deepEqual(t.readyToJoin([1, 2], 50, 30), []);
    t.recordFetch(3, 50, 100, 2);
    assert.deepEqual(t.readyToJoin([1, 2], 50, 30), [3]);
    assert.deepEqual(t.readyToJoin([1, 2], 50, 60), [], 'not before the current leadership began');
    // Fetches from brokers that are not replicas are ignored.
    t.recordFetch(9, 100, 100, 3);
    assert.equal(t.has(9), false);
  });
});
