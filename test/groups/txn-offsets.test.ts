// Transactional offset commits (KIP-98, KIP-447) in the group coordinator, over an in-memory
// __consumer_offsets: the pending state of GroupMetadata, TxnOffsetCommit's checks and the
// batch it writes, onTxnMarkerWritten, and loading a partition that holds transactional and
// control batches. The expectations follow Kafka's GroupMetadata / GroupMetadataManager
// (pending offsets per producer, the most recent record wins) and Kafka 4's
// OffsetMetadataManager and ClassicGroup.validateOffsetCommit.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeRecordBatches } from '../../src/client/record-batch.js';
import { BatchAttributes, producerFieldsOf } from '../../src/records/batch-header.js';
import { GroupMetadata } from '../../src/groups/group-metadata.js';
import { decodeOffsetCommitValue, decodeOffsetsKey, type CommittedOffset } from '../../src/groups/offsets-records.js';
import type { GroupCoordinator, JoinGroupResult, TxnOffsetCommitParams } from '../../src/groups/group-coordinator.js';
import { partitionForGroup } from '../../src/groups/offsets-topic.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';
import { joinParams, settle, startCoordinator, subscription, watch } from './helpers.js';
import { commitBatch, controlBatch, txnCommitBatch } from './txn-helpers.js';

const PID = 4000;
const EPOCH = 2;

function value(offset: number): CommittedOffset {
  return { offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1, expireTimestampMs: null };
}

function txnCommit(c: GroupCoordinator, overrides: Partial<TxnOffsetCommitParams> & { offset?: number; partitions?: number[] } = {}) {
  const { offset = 42, partitions = [0], ...rest } = overrides;
  return c.commitTransactionalOffsets({
    transactionalId: 'txn',
    groupId: 'g',
    producerId: PID,
    producerEpoch: EPOCH,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ topic: 't', partitions: partitions.map((partition) => ({ partition, offset, leaderEpoch: 5, commitTimestampMs: -1, metadata: 'txn-meta' })) }],
    ...rest,
  });
}

function plainCommit(c: GroupCoordinator, offset: number, groupId = 'g') {
  return c.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
}

/** What OffsetFetch answers for t-0 of the group: [offset, errorCode]. */
function fetched(c: GroupCoordinator, requireStable: boolean, groupId = 'g', partition = 0): [number, number] {
  const p = c.fetchOffsets(groupId, [{ topic: 't', partitions: [partition] }], requireStable).topics[0]!.partitions[0]!;
  return [p.offset, p.errorCode];
}

/** A group id on the same __consumer_offsets partition as 'g' (5 partitions in these tests). */
const PENDING_ONLY = Array.from({ length: 100 }, (_, i) => `pending-only-${i}`).find((id) => partitionForGroup(id, 5) === partitionForGroup('g', 5))!;

const NONE = ErrorCode.NONE;
const UNSTABLE = ErrorCode.UNSTABLE_OFFSET_COMMIT;

describe('pending transactional offsets (GroupMetadata)', () => {
  it('are invisible until the COMMIT marker materializes them; an ABORT drops them', () => {
    const g = new GroupMetadata('g', 'Empty', () => 0);
    const [a] = g.prepareTxnOffsetCommit(PID, [{ topic: 't', partition: 0, value: value(10) }]);
    g.onTxnOffsetCommitAppend(PID, 't', 0, a!, 100);
    assert.equal(g.offset('t', 0), undefined);
    assert.equal(g.hasPendingTxnOffsetCommit('t', 0), true);
    assert.equal(g.hasPendingTxnOffsetCommit('t', 1), false);
    assert.equal(g.hasOffsets(), true, 'a group holding only pending offsets is not empty of offsets');
    assert.deepEqual(g.activeProducers, [PID]);
    assert.deepEqual(g.completePendingTxnOffsetCommit(PID, true), { materialized: 1, unappended: 0 });
    assert.equal(g.offset('t', 0)?.offset, 10);
    assert.equal(g.offset('t', 0)?.recordOffset, 100);
    assert.equal(g.hasPendingTxnOffsetCommit('t', 0), false);
    assert.deepEqual(g.activeProducers, []);

    const [b] = g.prepareTxnOffsetCommit(PID, [{ topic: 't', partition: 0, value: value(20) }]);
    g.onTxnOffsetCommitAppend(PID, 't', 0, b!, 101);
    assert.deepEqual(g.completePendingTxnOffsetCommit(PID, false), { materialized: 0, unappended: 0 });
    assert.equal(g.offset('t', 0)?.offset, 10, 'aborted: the committed offset stays');
    assert.equal(g.hasPendingTxnOffsetCommit('t', 0), false);
    assert.deepEqual(g.completePendingTxnOffsetCommit(PID, true), { materialized: 0, unappended: 0 }, 'a second marker finds nothing');
  });

  it('a COMMIT keeps an offset written by a later record outside the transaction, and replaces an earlier one', () => {
    const g = new GroupMetadata('g', 'Empty', () => 0);
    const [p0, p1] = g.prepareTxnOffsetCommit(PID, [
      { topic: 't', partition: 0, value: value(10) },
      { topic: 't', partition: 1, value: value(11) },
    ]);
    g.onTxnOffsetCommitAppend(PID, 't', 0, p0!, 100);
    g.onTxnOffsetCommitAppend(PID, 't', 1, p1!, 101);
    g.putOffset('t', 0, value(99), 150); // a plain commit after the transaction's record
    g.putOffset('t', 1, value(98), 50); // a plain commit before it
    assert.deepEqual(g.completePendingTxnOffsetCommit(PID, true), { materialized: 1, unappended: 0 });
    assert.equal(g.offset('t', 0)?.offset, 99);
    assert.equal(g.offset('t', 1)?.offset, 11);
  });

  it('removeOffsets clears them and reports partitions that only had a pending one; allOffsetPartitions lists each partition once', () => {
    const g = new GroupMetadata('g', 'Empty', () => 0);
    g.putOffset('t', 0, value(1), 1);
    g.loadPendingTxnOffset(PID, 't', 0, value(2), 2);
    g.loadPendingTxnOffset(PID, 't', 1, value(3), 3);
    g.loadPendingTxnOffset(PID + 1, 't', 1, value(4), 4);
    g.loadPendingTxnOffset(PID + 1, 'u', 0, value(5), 5);
    assert.deepEqual(g.allOffsetPartitions(), [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
      { topic: 'u', partition: 0 },
    ]);
    assert.deepEqual(g.removeOffsets([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 't', partition: 2 }]), [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    assert.equal(g.hasPendingTxnOffsetCommit('t', 1), false);
    assert.deepEqual(g.activeProducers, [PID + 1], "a producer left with no pending offset is forgotten");
    assert.equal(g.completePendingTxnOffsetCommit(PID + 1, true).materialized, 1);
    assert.equal(g.offset('t', 0), undefined, 'nothing of a removed partition comes back with the marker');
    assert.equal(g.offset('u', 0)?.offset, 5);
  });

  it('a failed append drops its own entry only; a COMMIT skips entries whose record was never appended', () => {
    const g = new GroupMetadata('g', 'Empty', () => 0);
    const [first] = g.prepareTxnOffsetCommit(PID, [{ topic: 't', partition: 0, value: value(1) }]);
    const [second] = g.prepareTxnOffsetCommit(PID, [{ topic: 't', partition: 0, value: value(2) }]);
    g.failPendingTxnOffsetCommit(PID, 't', 0, first!);
    assert.equal(g.pendingTxnOffset(PID, 't', 0), second, 'the later commit of the partition stays pending');
    g.onTxnOffsetCommitAppend(PID, 't', 0, first!, 7);
    assert.equal(second!.recordOffset, -1, "the earlier commit's append does not touch the later entry");
    assert.deepEqual(g.completePendingTxnOffsetCommit(PID, true), { materialized: 0, unappended: 1 });
    assert.equal(g.offset('t', 0), undefined);
  });
});

describe('TxnOffsetCommit (coordinator over an in-memory __consumer_offsets)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('writes one transactional batch of the producer (its id and epoch, baseSequence 0) holding the records of a plain commit', async () => {
    const { coordinator: c, store } = await startCoordinator();
    assert.deepEqual(await txnCommit(c, { partitions: [0, 1] }), [
      { topic: 't', partition: 0, errorCode: NONE },
      { topic: 't', partition: 1, errorCode: NONE },
    ]);
    const [raw] = store.rawBatches(c.partitionFor('g'));
    assert.ok(raw);
    const attributes = raw.readInt16BE(21);
    assert.equal(attributes & BatchAttributes.TRANSACTIONAL, BatchAttributes.TRANSACTIONAL);
    assert.equal(attributes & BatchAttributes.CONTROL, 0);
    const f = producerFieldsOf(raw);
    assert.deepEqual([f.producerId, f.producerEpoch, f.baseSequence], [PID, EPOCH, 0]);
    const [batch] = decodeRecordBatches(raw).batches;
    assert.deepEqual(
      batch!.records.map((r) => [decodeOffsetsKey(r.key!), decodeOffsetCommitValue(r.value!)]),
      [0, 1].map((partition) => [
        { kind: 'offset', group: 'g', topic: 't', partition },
        { offset: 42, leaderEpoch: 5, metadata: 'txn-meta', commitTimestampMs: 1_000_000, expireTimestampMs: null },
      ]),
    );
    await c.shutdown();
  });

  it('OffsetFetch does not see pending offsets (requireStable: UNSTABLE_OFFSET_COMMIT); the COMMIT marker materializes them, an ABORT keeps the previous offset', async () => {
    const { coordinator: c } = await startCoordinator();
    const p = c.partitionFor('g');
    await plainCommit(c, 5);
    await txnCommit(c, { offset: 42 });
    assert.deepEqual(fetched(c, false), [5, NONE]);
    assert.deepEqual(fetched(c, true), [-1, UNSTABLE]);
    assert.deepEqual(fetched(c, true, 'g', 1), [-1, NONE], 'another partition is stable');
    // Markers of another producer, or on another partition, change nothing.
    c.onTxnMarkerWritten(p, PID + 1, true);
    c.onTxnMarkerWritten((p + 1) % 5, PID, true);
    assert.deepEqual(fetched(c, true), [-1, UNSTABLE]);
    c.onTxnMarkerWritten(p, PID, true);
    assert.deepEqual(fetched(c, true), [42, NONE]);
    c.onTxnMarkerWritten(p, PID, false);
    assert.deepEqual(fetched(c, true), [42, NONE], 'a marker reported twice finds nothing left');

    await txnCommit(c, { offset: 77 });
    assert.deepEqual(fetched(c, true), [-1, UNSTABLE]);
    c.onTxnMarkerWritten(p, PID, false);
    assert.deepEqual(fetched(c, true), [42, NONE]);
    assert.deepEqual(c.group('g')!.activeProducers, []);
    await c.shutdown();
  });

  it('group checks: INVALID_GROUP_ID, ILLEGAL_GENERATION for an unknown group with a generation, a simple group created without one', async () => {
    const { coordinator: c } = await startCoordinator();
    assert.equal((await txnCommit(c, { groupId: '' }))[0]!.errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await txnCommit(c, { groupId: 'unknown', generationId: 1, memberId: 'm' }))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.group('unknown'), undefined);
    assert.equal((await txnCommit(c, { groupId: 'simple' }))[0]!.errorCode, NONE);
    assert.equal(c.group('simple')!.state, 'Empty');
    assert.equal(c.group('simple')!.protocolType, null);
    // Kafka 4: no generation into an Empty group is accepted even when naming a member.
    assert.equal((await txnCommit(c, { groupId: 'simple', memberId: 'someone' }))[0]!.errorCode, NONE);
    assert.equal((await txnCommit(c, { groupId: 'simple', generationId: 0, memberId: 'someone' }))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    await c.shutdown();
  });

  it('KIP-447: a producer naming a member must be the current member (instance) of the current generation; one naming none (v0-2) is accepted', async () => {
    const { coordinator: c } = await startCoordinator();
    const joined = watch(c.joinGroup(joinParams({ groupInstanceId: 'inst', protocols: [{ name: 'range', metadata: subscription(['t']) }] })));
    mock.timers.tick(0);
    const member: JoinGroupResult = await joined.promise;
    await c.syncGroup({ groupId: 'g', generationId: member.generationId, memberId: member.memberId, groupInstanceId: 'inst', protocolType: null, protocolName: null, assignments: [] });
    assert.equal(c.group('g')!.state, 'Stable');
    const gen = member.generationId;
    const code = async (o: Partial<TxnOffsetCommitParams>) => (await txnCommit(c, o))[0]!.errorCode;
    assert.equal(await code({ generationId: gen, memberId: member.memberId, groupInstanceId: 'inst' }), NONE);
    assert.equal(await code({ generationId: gen, memberId: member.memberId, groupInstanceId: null }), NONE);
    assert.equal(await code({ generationId: gen + 1, memberId: member.memberId }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(await code({ generationId: gen, memberId: 'stranger' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({ generationId: -1, memberId: 'stranger' }), ErrorCode.UNKNOWN_MEMBER_ID, 'a member id alone is checked');
    assert.equal(await code({ generationId: gen, memberId: 'stale-member-id', groupInstanceId: 'inst' }), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(await code({ generationId: gen, memberId: member.memberId, groupInstanceId: 'other-instance' }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(await code({}), NONE, 'TxnOffsetCommit v0-2 carries no member: accepted into a group with members');
    // Between JoinGroup and SyncGroup a transactional commit is still accepted (Kafka: the
    // transaction may have begun before the rebalance).
    const rejoined = await c.joinGroup(joinParams({ memberId: member.memberId, groupInstanceId: 'inst' }));
    assert.equal(c.group('g')!.state, 'CompletingRebalance');
    assert.equal(await code({ generationId: rejoined.generationId, memberId: member.memberId, groupInstanceId: 'inst' }), NONE);
    await c.shutdown();
  });

  it('metadata over 4096 bytes is refused per partition; a failed append answers its mapped error and leaves nothing pending', async () => {
    const { coordinator: c, store } = await startCoordinator();
    const big = await c.commitTransactionalOffsets({
      transactionalId: 'txn',
      groupId: 'g',
      producerId: PID,
      producerEpoch: EPOCH,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: 'x'.repeat(4097) }, { partition: 1, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }],
    });
    assert.deepEqual(big.map((r) => r.errorCode), [ErrorCode.OFFSET_METADATA_TOO_LARGE, NONE]);
    store.failAppendsWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    assert.equal((await txnCommit(c, { partitions: [2] }))[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
    store.failAppendsWith = ErrorCode.INVALID_PRODUCER_EPOCH;
    assert.equal((await txnCommit(c, { partitions: [2] }))[0]!.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'a fenced producer is told so');
    assert.deepEqual(fetched(c, true, 'g', 2), [-1, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 1), [-1, UNSTABLE]);
    await c.shutdown();
  });

  it('DeleteGroups and topic deletion clear pending offsets with tombstones; the later marker brings nothing back', async () => {
    const { coordinator: c, store } = await startCoordinator();
    await txnCommit(c, { groupId: 'doomed', offset: 7 });
    assert.deepEqual(await c.deleteGroups(['doomed']), new Map([['doomed', NONE]]));
    assert.equal(c.group('doomed'), undefined);
    const tombstones = store.records().filter((r) => r.value === null).map((r) => decodeOffsetsKey(r.key!));
    assert.deepEqual(tombstones, [{ kind: 'offset', group: 'doomed', topic: 't', partition: 0 }]);
    c.onTxnMarkerWritten(c.partitionFor('doomed'), PID, true);
    assert.deepEqual(fetched(c, false, 'doomed'), [-1, NONE]);

    await txnCommit(c, { groupId: 'kept', offset: 8 });
    assert.equal(await c.onTopicDeleted('t'), 1);
    assert.equal(c.group('kept')?.hasPendingTxnOffsetCommit('t', 0) ?? false, false);
    c.onTxnMarkerWritten(c.partitionFor('kept'), PID, true);
    assert.deepEqual(fetched(c, true, 'kept'), [-1, NONE]);
    await c.shutdown();
  });

  it('NOT_COORDINATOR for a partition led elsewhere; COORDINATOR_LOAD_IN_PROGRESS while loading, and a marker written meanwhile is applied after the load', async () => {
    const store = new MemoryOffsetsStore(5, { clustered: true });
    const { coordinator: c } = await startCoordinator({}, store);
    store.create();
    const p = c.partitionFor('g');
    store.setLeader(p, 2);
    assert.equal((await txnCommit(c))[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
    store.elect(p);
    await settle();
    assert.equal((await txnCommit(c, { offset: 42 }))[0]!.errorCode, NONE);
    store.resign(p);
    store.holdReads = true;
    store.elect(p);
    assert.equal((await txnCommit(c))[0]!.errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // The marker lands after the load's read of the log (the read is held here, and the
    // memory log never sees the marker): only the report of it can commit the offsets.
    c.onTxnMarkerWritten(p, PID, true);
    store.holdReads = false;
    store.releaseReads();
    await settle();
    assert.deepEqual(fetched(c, true), [42, NONE]);
    await c.shutdown();
  });
});

describe('loading __consumer_offsets with transactional and control batches', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  /** A store whose group-`g` partition holds `batches`, in order. */
  async function storeWith(batches: Buffer[]): Promise<MemoryOffsetsStore> {
    const store = new MemoryOffsetsStore();
    store.create();
    const { coordinator } = await startCoordinator({}, store);
    const p = coordinator.partitionFor('g');
    await coordinator.shutdown();
    for (const b of batches) assert.equal((await store.append(p, b)).errorCode, NONE);
    return store;
  }

  const e = (group: string, partition: number, offset: number | null) => ({ group, topic: 't', partition, offset });

  it('committed transactions are materialized, aborted ones dropped, open ones stay pending until their marker (producers interleaved)', async () => {
    const store = await storeWith([
      txnCommitBatch(1, 0, [e('g', 0, 10), e('g', 1, 11)]),
      txnCommitBatch(2, 0, [e('g', 2, 20)]),
      txnCommitBatch(3, 0, [e('g', 3, 30)]),
      controlBatch(2, 0, false),
      controlBatch(1, 0, true),
      txnCommitBatch(1, 0, [e('g', 0, 12)]), // producer 1's next transaction, still open
    ]);
    const { coordinator: c } = await startCoordinator({}, store);
    assert.deepEqual(fetched(c, false, 'g', 0), [10, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 0), [-1, UNSTABLE]);
    assert.deepEqual(fetched(c, true, 'g', 1), [11, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 2), [-1, NONE], 'aborted');
    assert.deepEqual(fetched(c, true, 'g', 3), [-1, UNSTABLE]);
    assert.deepEqual(c.group('g')!.activeProducers.sort(), [1, 3]);
    const p = c.partitionFor('g');
    c.onTxnMarkerWritten(p, 1, true);
    c.onTxnMarkerWritten(p, 3, false);
    assert.deepEqual(fetched(c, true, 'g', 0), [12, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 3), [-1, NONE]);
    await c.shutdown();
  });

  it('the most recent record wins between plain and transactional commits of a partition', async () => {
    const store = await storeWith([
      commitBatch([e('g', 1, 100)]),
      txnCommitBatch(1, 0, [e('g', 0, 10), e('g', 1, 11)]),
      commitBatch([e('g', 0, 99)]), // after the transaction's record, before its marker
      controlBatch(1, 0, true),
    ]);
    const { coordinator: c } = await startCoordinator({}, store);
    assert.deepEqual(fetched(c, true, 'g', 0), [99, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 1), [11, NONE]);
    await c.shutdown();
  });

  it('a plain tombstone drops the pending offsets of its partition; a group with only pending offsets is loaded', async () => {
    const store = await storeWith([
      txnCommitBatch(1, 0, [e('g', 0, 10), e('g', 1, 11)]),
      commitBatch([e('g', 0, null)]),
      txnCommitBatch(2, 0, [e(PENDING_ONLY, 0, 5)]),
      controlBatch(1, 0, true),
    ]);
    const { coordinator: c } = await startCoordinator({}, store);
    assert.deepEqual(fetched(c, true, 'g', 0), [-1, NONE]);
    assert.deepEqual(fetched(c, true, 'g', 1), [11, NONE]);
    assert.equal(c.group(PENDING_ONLY)!.state, 'Empty');
    assert.deepEqual(fetched(c, false, PENDING_ONLY, 0), [-1, NONE]);
    assert.deepEqual(fetched(c, true, PENDING_ONLY, 0), [-1, UNSTABLE]);
    c.onTxnMarkerWritten(c.partitionFor('g'), 2, true);
    assert.deepEqual(fetched(c, true, PENDING_ONLY, 0), [5, NONE]);
    await c.shutdown();
  });

  it('a coordinator restarted over the log of a live one has the same committed and pending offsets', async () => {
    const store = new MemoryOffsetsStore();
    const { coordinator: live } = await startCoordinator({}, store);
    const p = live.partitionFor('g');
    await plainCommit(live, 1);
    await txnCommit(live, { producerId: 7, offset: 2, partitions: [0, 1] });
    await txnCommit(live, { producerId: 8, offset: 3, partitions: [2] });
    await txnCommit(live, { producerId: 9, offset: 4, partitions: [3] });
    await store.append(p, controlBatch(7, EPOCH, true));
    live.onTxnMarkerWritten(p, 7, true);
    await store.append(p, controlBatch(8, EPOCH, false));
    live.onTxnMarkerWritten(p, 8, false);
    const state = (c: GroupCoordinator) => [0, 1, 2, 3].map((x) => [fetched(c, false, 'g', x), fetched(c, true, 'g', x)]);
    const before = state(live);
    assert.deepEqual(before, [
      [[2, NONE], [2, NONE]],
      [[2, NONE], [2, NONE]],
      [[-1, NONE], [-1, NONE]],
      [[-1, NONE], [-1, UNSTABLE]],
    ]);
    await live.shutdown();
    const { coordinator: restarted } = await startCoordinator({}, store);
    assert.deepEqual(state(restarted), before);
    restarted.onTxnMarkerWritten(p, 9, true);
    assert.deepEqual(fetched(restarted, true, 'g', 3), [4, NONE]);
    await restarted.shutdown();
  });
});
