// The coordinator in a cluster: it serves the groups of the __consumer_offsets partitions this
// broker leads, loads a partition's groups when elected (COORDINATOR_LOAD_IN_PROGRESS
// meanwhile) and unloads them when it resigns (parked requests answer NOT_COORDINATOR), as
// Kafka's onElection/onResignation. Driven over a MemoryOffsetsStore in clustered mode, whose
// elect/resign call the coordinator's leadership listener as TopicService does.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { GroupCoordinator, JoinGroupResult } from '../../src/groups/group-coordinator.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';
import { joinParams, settle, startCoordinator, subscription, watch } from './helpers.js';

const OTHER_BROKER = 2;

async function clusteredCoordinator(): Promise<{ c: GroupCoordinator; store: MemoryOffsetsStore }> {
  const store = new MemoryOffsetsStore(5, { clustered: true });
  const { coordinator } = await startCoordinator({}, store);
  return { c: coordinator, store };
}

/** One dynamic member joins and syncs: the group is Stable in generation 1. */
async function stableGroup(c: GroupCoordinator, groupId: string): Promise<JoinGroupResult> {
  const joined = watch(c.joinGroup(joinParams({ groupId, protocols: [{ name: 'range', metadata: subscription(['t']) }] })));
  mock.timers.tick(0);
  const member = await joined.promise;
  assert.equal(member.errorCode, ErrorCode.NONE);
  const sync = await c.syncGroup({ groupId, generationId: member.generationId, memberId: member.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: member.memberId, assignment: Buffer.from('a') }] });
  assert.equal(sync.errorCode, ErrorCode.NONE);
  return member;
}

function commit(c: GroupCoordinator, groupId: string, member: JoinGroupResult | null, offset: number) {
  return c.commitOffsets({
    groupId,
    generationId: member ? member.generationId : -1,
    memberId: member ? member.memberId : '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ topic: 't', partitions: [{ partition: 0, offset, leaderEpoch: 3, commitTimestampMs: -1, metadata: null }] }],
  });
}

function committed(c: GroupCoordinator, groupId: string): { errorCode: number; offset: number | undefined } {
  const r = c.fetchOffsets(groupId, [{ topic: 't', partitions: [0] }], false);
  return { errorCode: r.errorCode, offset: r.topics[0]?.partitions[0]?.offset };
}

describe('group coordinator in a cluster', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('FindCoordinator answers the leader of the group partition, wherever it is; none is COORDINATOR_NOT_AVAILABLE', async () => {
    const { c, store } = await clusteredCoordinator();
    // The first lookup creates the topic; no partition has a leader yet.
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
    const p = c.partitionFor('g');
    store.setLeader(p, OTHER_BROKER);
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.NONE, nodeId: OTHER_BROKER });
    store.elect(p);
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.NONE, nodeId: MemoryOffsetsStore.THIS_BROKER_ID });
    store.setLeader(p, -1);
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
    await c.shutdown();
  });

  it('groups of partitions led elsewhere answer NOT_COORDINATOR to every group request', async () => {
    const { c, store } = await clusteredCoordinator();
    c.findGroupCoordinator('g');
    store.setLeader(c.partitionFor('g'), OTHER_BROKER);
    assert.equal((await c.joinGroup(joinParams({ groupId: 'g' }))).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal((await c.syncGroup({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(c.heartbeat('g', 'm', null, 1), ErrorCode.NOT_COORDINATOR);
    assert.equal((await c.leaveGroup('g', [{ memberId: 'm', groupInstanceId: null, reason: null }])).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal((await commit(c, 'g', null, 1))[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(committed(c, 'g').errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal(c.describeGroup('g').errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(await c.deleteGroups(['g']), new Map([['g', ErrorCode.NOT_COORDINATOR]]));
    assert.equal((await c.deleteOffsets('g', [{ topic: 't', partition: 0 }])).errorCode, ErrorCode.NOT_COORDINATOR);
    await c.shutdown();
  });

  it('loads a partition when elected (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and unloads it when resigning', async () => {
    const { c, store } = await clusteredCoordinator();
    c.findGroupCoordinator('g');
    const p = c.partitionFor('g');
    store.elect(p);
    await settle();
    const member = await stableGroup(c, 'g');
    assert.equal((await commit(c, 'g', member, 42))[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit(c, 'offsets-only', null, 7))[0]!.errorCode, c.partitionFor('offsets-only') === p ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR);

    store.resign(p);
    assert.equal(c.group('g'), undefined, 'the group left the cache');
    assert.equal(c.heartbeat('g', member.memberId, null, member.generationId), ErrorCode.NOT_COORDINATOR);
    assert.equal(committed(c, 'g').errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(c.listGroups([], []), { errorCode: ErrorCode.NONE, groups: [] });

    // Elected again: the groups are read back from the partition.
    store.holdReads = true;
    store.elect(p);
    assert.equal(c.heartbeat('g', member.memberId, null, member.generationId), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(committed(c, 'g').errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal((await c.joinGroup(joinParams({ groupId: 'g' }))).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(c.listGroups([], []).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // A second election of the same partition while it loads changes nothing.
    store.elect(p);
    store.holdReads = false;
    store.releaseReads();
    await settle();
    assert.deepEqual(committed(c, 'g'), { errorCode: ErrorCode.NONE, offset: 42 });
    const g = c.group('g')!;
    assert.equal(g.state, 'Stable');
    assert.equal(g.generationId, member.generationId);
    // The loaded member has one session to heartbeat.
    assert.equal(c.heartbeat('g', member.memberId, null, member.generationId), ErrorCode.NONE);
    assert.equal(c.listGroups([], []).errorCode, ErrorCode.NONE);
    await c.shutdown();
  });

  it('resigning answers parked JoinGroup and SyncGroup requests NOT_COORDINATOR and stops the group timers', async () => {
    const { c, store } = await clusteredCoordinator();
    c.findGroupCoordinator('g');
    const p = c.partitionFor('g');
    store.elect(p);
    await settle();
    const leader = await stableGroup(c, 'g');
    // A second member joins: the group prepares a rebalance and parks its JoinGroup until the leader rejoins.
    const parkedJoin = watch(c.joinGroup(joinParams({ groupId: 'g', clientId: 'second' })));
    await settle();
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    assert.equal(parkedJoin.done, false);
    store.resign(p);
    const answered = await parkedJoin.promise;
    assert.equal(answered.errorCode, ErrorCode.NOT_COORDINATOR);
    // No timer of the unloaded group fires into the coordinator afterwards.
    mock.timers.tick(600_000);
    await settle();
    assert.equal(c.group('g'), undefined);

    // CompletingRebalance: the leader's SyncGroup is parked while the group's metadata is written.
    store.elect(p);
    await settle();
    assert.equal(c.group('g')!.state, 'Stable', 'the generation written before is back');
    const rejoined = await c.joinGroup(joinParams({ groupId: 'g', memberId: leader.memberId }));
    assert.equal(rejoined.errorCode, ErrorCode.NONE);
    assert.equal(c.group('g')!.state, 'CompletingRebalance');
    store.holdAppends = true;
    const parkedSync = watch(c.syncGroup({ groupId: 'g', generationId: rejoined.generationId, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: leader.memberId, assignment: Buffer.from('b') }] }));
    await settle();
    assert.equal(parkedSync.done, false);
    store.resign(p);
    assert.equal((await parkedSync.promise).errorCode, ErrorCode.NOT_COORDINATOR);
    store.holdAppends = false;
    store.release();
    await settle();
    assert.equal(c.group('g'), undefined);
    await c.shutdown();
  });

  it('a commit appended while the partition moves answers NOT_COORDINATOR and leaves the cache alone', async () => {
    const { c, store } = await clusteredCoordinator();
    c.findGroupCoordinator('g');
    const p = c.partitionFor('g');
    store.elect(p);
    await settle();
    assert.equal((await commit(c, 'g', null, 1))[0]!.errorCode, ErrorCode.NONE);
    store.holdAppends = true;
    const inFlight = commit(c, 'g', null, 2);
    await settle();
    store.resign(p);
    store.holdAppends = false;
    store.release();
    assert.equal((await inFlight)[0]!.errorCode, ErrorCode.NOT_COORDINATOR, 'the log refused the append: no longer leader');
    store.elect(p);
    await settle();
    assert.deepEqual(committed(c, 'g'), { errorCode: ErrorCode.NONE, offset: 1 });
    await c.shutdown();
  });

  it('a load overtaken by a resignation is discarded; the next election loads again', async () => {
    const { c, store } = await clusteredCoordinator();
    c.findGroupCoordinator('g');
    const p = c.partitionFor('g');
    store.elect(p);
    await settle();
    assert.equal((await commit(c, 'g', null, 9))[0]!.errorCode, ErrorCode.NONE);
    store.resign(p);
    store.holdReads = true;
    store.elect(p);
    store.resign(p);
    store.holdReads = false;
    store.releaseReads();
    await settle();
    assert.equal(c.group('g'), undefined, 'the load finished after the resignation: nothing cached');
    assert.equal(committed(c, 'g').errorCode, ErrorCode.NOT_COORDINATOR);
    store.elect(p);
    await settle();
    assert.deepEqual(committed(c, 'g'), { errorCode: ErrorCode.NONE, offset: 9 });
    // Leadership of other partitions is not this group's business.
    store.resign((p + 1) % 5);
    assert.deepEqual(committed(c, 'g'), { errorCode: ErrorCode.NONE, offset: 9 });
    await c.shutdown();
  });

  it('start-up loads the partitions this broker leads already; later leadership changes are followed', async () => {
    const store = new MemoryOffsetsStore(5, { clustered: true });
    const { coordinator: first } = await startCoordinator({}, store);
    first.findGroupCoordinator('g');
    const p = first.partitionFor('g');
    store.elect(p);
    await settle();
    assert.equal((await commit(first, 'g', null, 5))[0]!.errorCode, ErrorCode.NONE);
    await first.shutdown();
    // Leadership events after shutdown are ignored.
    store.resign(p);
    store.elect(p);
    // A restarted broker that leads the partition already.
    const { coordinator: second } = await startCoordinator({}, store);
    await settle();
    assert.deepEqual(committed(second, 'g'), { errorCode: ErrorCode.NONE, offset: 5 });
    store.resign(p);
    assert.equal(committed(second, 'g').errorCode, ErrorCode.NOT_COORDINATOR);
    await second.shutdown();
  });
});
