// FetchSessionHandler (the fetcher's side of KIP-227) against the broker's FetchSessionCache:
// what each request carries, and that the two sides agree over a run of fetches, resets and
// forgotten partitions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchSessionHandler, type SessionPartitionData } from '../../src/client/fetch-session-handler.js';
import { FetchSessionCache } from '../../src/partition/fetch-sessions.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const data = (partition: number, fetchOffset: number): SessionPartitionData => ({ topic: 't', partition, fetchOffset, logStartOffset: 0, currentLeaderEpoch: 3, partitionMaxBytes: 1024 });

describe('FetchSessionHandler with the broker cache', () => {
  it('sends everything once, then only what changed, and forgets what is no longer wanted', () => {
    const cache = new FetchSessionCache(10);
    const handler = new FetchSessionHandler();
    /** One fetch through both sides; returns what the request carried and what the leader read. */
    const round = (wanted: SessionPartitionData[], highWatermark = 0) => {
      const req = handler.build(wanted);
      const ctx = cache.newContext({
        sessionId: req.sessionId,
        sessionEpoch: req.sessionEpoch,
        privileged: true,
        usesTopicIds: false,
        partitions: req.send.map((p) => ({ ...p, topicId: '' })),
        forgotten: req.forget,
      });
      assert.ok(!('errorCode' in ctx));
      const answer = ctx.answer(ctx.reads.map(() => ({ errorCode: ErrorCode.NONE, highWatermark, lastStableOffset: highWatermark, logStartOffset: 0, records: { byteLength: 0 } })));
      assert.ok(handler.handleResponse(req, ErrorCode.NONE, answer.sessionId));
      return { req, read: ctx.reads.map((r) => `${r.partition}@${r.fetchOffset}`) };
    };

    const first = round([data(0, 0), data(1, 0)]);
    assert.equal(first.req.full, true);
    assert.equal(first.req.sessionEpoch, 0);
    assert.notEqual(handler.id, 0);

    const same = round([data(0, 0), data(1, 0)]);
    assert.equal(same.req.full, false);
    assert.equal(same.req.sessionEpoch, 1);
    assert.deepEqual(same.req.send, []);
    assert.deepEqual(same.read, ['0@0', '1@0'], 'the leader still reads both, at the positions it holds');

    const moved = round([data(0, 5), data(1, 0), data(2, 0)]);
    assert.deepEqual(moved.req.send.map((p) => p.partition), [0, 2]);
    assert.deepEqual(moved.read.sort(), ['0@5', '1@0', '2@0']);

    const dropped = round([data(0, 5)]);
    assert.deepEqual(dropped.req.forget, [{ topic: 't', partition: 1 }, { topic: 't', partition: 2 }]);
    assert.deepEqual(dropped.read, ['0@5']);
  });

  it('starts over with a full fetch after a session error or a reset, ending the old session', () => {
    const cache = new FetchSessionCache(10);
    const handler = new FetchSessionHandler();
    const first = handler.build([data(0, 0)]);
    const ctx = cache.newContext({ sessionId: 0, sessionEpoch: 0, privileged: true, usesTopicIds: false, partitions: first.send.map((p) => ({ ...p, topicId: '' })), forgotten: [] });
    assert.ok(!('errorCode' in ctx));
    handler.handleResponse(first, ErrorCode.NONE, ctx.answer([{ errorCode: 0, highWatermark: 0, lastStableOffset: 0, logStartOffset: 0, records: { byteLength: 0 } }]).sessionId);
    const old = handler.id;

    const next = handler.build([data(0, 0)]);
    assert.equal(handler.handleResponse(next, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 0), false);
    const again = handler.build([data(0, 0)]);
    assert.equal(again.full, true);
    assert.equal(again.sessionEpoch, 0);
    assert.equal(again.sessionId, old, 'the full fetch names the old session, so the broker drops it');
    cache.newContext({ sessionId: again.sessionId, sessionEpoch: 0, privileged: true, usesTopicIds: false, partitions: [], forgotten: [] });
    assert.equal(cache.size, 0);
  });
});
