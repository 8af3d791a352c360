// FetchSessionCache (KIP-227): sessions, epochs, what an incremental response includes, the
// order partitions are read in, and eviction, as Kafka's FetchSession.scala does them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { FetchSessionCache, type FetchContext, type PartitionResponseState, type SessionPartitionRequest } from '../../src/partition/fetch-sessions.js';

const part = (topic: string, partition: number, fetchOffset = 0): SessionPartitionRequest => ({ topic, topicId: `${topic}-id`, partition, fetchOffset, partitionMaxBytes: 1024, currentLeaderEpoch: -1 });
const state = (highWatermark: number, recordBytes = 0, errorCode: number = ErrorCode.NONE): PartitionResponseState => ({ errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset: 0, records: { byteLength: recordBytes } });

function open(cache: FetchSessionCache, req: Partial<Parameters<FetchSessionCache['newContext']>[0]>): FetchContext {
  const ctx = cache.newContext({ sessionId: 0, sessionEpoch: 0, privileged: false, usesTopicIds: false, partitions: [], forgotten: [], ...req });
  assert.ok(!('errorCode' in ctx), `a context, not error ${'errorCode' in ctx ? ctx.errorCode : ''}`);
  return ctx;
}

describe('FetchSessionCache', () => {
  it('opens a session on a full fetch with epoch 0, and none with epoch -1', () => {
    const cache = new FetchSessionCache(10);
    const sessionless = open(cache, { sessionEpoch: -1, partitions: [part('a', 0)] });
    assert.equal(sessionless.answer([state(5)]).sessionId, 0);
    const full = open(cache, { partitions: [part('a', 0), part('a', 1)] });
    assert.equal(full.incremental, false);
    const answer = full.answer([state(5), state(7)]);
    assert.notEqual(answer.sessionId, 0);
    assert.deepEqual(answer.include, [true, true]);
    assert.equal(cache.size, 1);
    assert.equal(cache.partitionCount, 2);
  });

  it('answers an incremental fetch with only the partitions that changed, and checks the epoch', () => {
    const cache = new FetchSessionCache(10);
    const { sessionId } = open(cache, { partitions: [part('a', 0), part('a', 1), part('b', 0)] }).answer([state(5), state(7), state(0)]);

    // Nothing new anywhere: an empty response, but every session partition is read.
    const quiet = open(cache, { sessionId, sessionEpoch: 1 });
    assert.equal(quiet.incremental, true);
    assert.equal(quiet.reads.length, 3);
    assert.deepEqual(quiet.answer([state(5), state(7), state(0)]).include, [false, false, false]);

    // Records on a/1, a moved high watermark on b/0, an error on a/0: all three are answered.
    const busy = open(cache, { sessionId, sessionEpoch: 2, partitions: [part('a', 1, 7)] });
    assert.equal(busy.reads.find((r) => r.topic === 'a' && r.partition === 1)!.fetchOffset, 7, 'the new fetch offset is kept');
    assert.deepEqual(busy.answer([state(5, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER), state(9, 100), state(3)]).include, [true, true, true]);

    // A replayed or skipped epoch, and an unknown session, are refused as Kafka refuses them.
    assert.deepEqual(cache.newContext({ sessionId, sessionEpoch: 2, privileged: false, usesTopicIds: false, partitions: [], forgotten: [] }), { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
    assert.deepEqual(cache.newContext({ sessionId: sessionId + 1, sessionEpoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [] }), { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
    // A session made with topic names cannot go on with topic ids.
    assert.deepEqual(cache.newContext({ sessionId, sessionEpoch: 3, privileged: false, usesTopicIds: true, partitions: [], forgotten: [] }), { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR });
  });

  it('moves answered partitions to the end, adds new ones and forgets the ones named', () => {
    const cache = new FetchSessionCache(10);
    const { sessionId } = open(cache, { partitions: [part('a', 0), part('a', 1), part('a', 2)] }).answer([state(1), state(1), state(1)]);
    const first = open(cache, { sessionId, sessionEpoch: 1 });
    first.answer([state(2, 10), state(1), state(1)]);
    const second = open(cache, { sessionId, sessionEpoch: 2, partitions: [part('c', 0)], forgotten: [{ topic: 'a', partition: 2 }] });
    assert.deepEqual(second.reads.map((r) => `${r.topic}-${r.partition}`), ['a-1', 'a-0', 'c-0']);
    // A partition new to the session is always answered (nothing was said of it yet).
    assert.deepEqual(second.answer([state(1), state(2), state(0)]).include, [false, false, true]);
  });

  it('a full fetch naming a session ends it', () => {
    const cache = new FetchSessionCache(10);
    const { sessionId } = open(cache, { partitions: [part('a', 0)] }).answer([state(1)]);
    open(cache, { sessionId, sessionEpoch: -1, partitions: [part('a', 0)] }).answer([state(1)]);
    assert.equal(cache.size, 0);
    assert.deepEqual(cache.newContext({ sessionId, sessionEpoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [] }), { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
  });

  it('when full, evicts a stale session, else lets a follower evict the smallest consumer session, and a consumer only a smaller one', () => {
    let now = 1_000_000;
    const cache = new FetchSessionCache(2, 120_000, () => now);
    const big = open(cache, { partitions: [part('a', 0), part('a', 1), part('a', 2)] }).answer([state(0), state(0), state(0)]).sessionId;
    const small = open(cache, { partitions: [part('b', 0)] }).answer([state(0)]).sessionId;
    // A consumer with two partitions can evict only a smaller consumer session: the one-partition one.
    const two = open(cache, { partitions: [part('c', 0), part('c', 1)] }).answer([state(0), state(0)]).sessionId;
    assert.notEqual(two, 0);
    assert.equal(cache.evictionCount, 1);
    assert.ok('errorCode' in cache.newContext({ sessionId: small, sessionEpoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [] }));
    // A consumer with one partition finds nothing smaller: no session for it.
    assert.equal(open(cache, { partitions: [part('d', 0)] }).answer([state(0)]).sessionId, 0);
    // A follower evicts the smallest consumer session, whatever its own size.
    const follower = open(cache, { privileged: true, partitions: [part('e', 0)] }).answer([state(0)]).sessionId;
    assert.notEqual(follower, 0);
    assert.ok(!('errorCode' in cache.newContext({ sessionId: big, sessionEpoch: 1, privileged: false, usesTopicIds: false, partitions: [], forgotten: [] })), 'the bigger session stays');
    // Two minutes unused, the follower's session is stale and anyone may take its slot.
    now += 120_000;
    open(cache, { sessionId: big, sessionEpoch: 2 }).answer([state(0), state(0), state(0)]);
    assert.notEqual(open(cache, { partitions: [part('f', 0)] }).answer([state(0)]).sessionId, 0);
    assert.ok('errorCode' in cache.newContext({ sessionId: follower, sessionEpoch: 1, privileged: true, usesTopicIds: false, partitions: [], forgotten: [] }));
  });

  it('max.incremental.fetch.session.cache.slots=0 turns sessions off', () => {
    const cache = new FetchSessionCache(0);
    assert.equal(open(cache, { partitions: [part('a', 0)] }).answer([state(0)]).sessionId, 0);
  });
});
