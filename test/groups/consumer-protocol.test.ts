// The KIP-848 consumer group protocol at the coordinator (GroupCoordinator over a
// MemoryOffsetsStore, no sockets): join and target assignment, the revoke-before-reassign
// reconciliation, member epoch fencing, offset commits and fetches with member epochs, the
// group rebuilt from its records by a new coordinator, classic and consumer groups side by
// side, regex validation, and the two assignors.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { GroupCoordinator, type ConsumerGroupHeartbeatParams } from '../../src/groups/group-coordinator.js';
import { rangeAssignor, uniformAssignor } from '../../src/groups/consumer-assignors.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';
import { TEST_CONFIG, consumerHeartbeat, joinParams } from './helpers.js';

const T1 = '11111111-1111-1111-1111-111111111111';
const T2 = '22222222-2222-2222-2222-222222222222';
let topics = [{ name: 't1', topicId: T1, numPartitions: 4 }];
const running: GroupCoordinator[] = [];

async function coordinator(store = new MemoryOffsetsStore()): Promise<GroupCoordinator> {
  const c = new GroupCoordinator({ ...TEST_CONFIG, consumer: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1000, maxSize: 100, assignors: ['uniform', 'range'], migrationPolicy: 'bidirectional' } }, store, silentLogger(), { topics: () => topics });
  await c.startup();
  running.push(c);
  return c;
}

const hb = consumerHeartbeat;

/** A heartbeat that reports what the member owns (after it applied its last assignment). */
function owned(memberId: string, memberEpoch: number, partitions: number[]): ConsumerGroupHeartbeatParams {
  return hb({ memberId, memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: [{ topicId: T1, partitions }] });
}

function parts(r: { assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null }): number[] | null {
  if (r.assignment === null) return null;
  return r.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((a, b) => a - b);
}

afterEach(async () => {
  for (const c of running.splice(0)) await c.shutdown();
  topics = [{ name: 't1', topicId: T1, numPartitions: 4 }];
});

describe('ConsumerGroupHeartbeat', () => {
  it('a partition moves to a new member only after its owner acknowledged revoking it', async () => {
    const c = await coordinator();
    const m1 = await c.consumerGroupHeartbeat(hb({ memberId: 'm1' }));
    assert.equal(m1.errorCode, ErrorCode.NONE);
    assert.equal(m1.memberEpoch, 1);
    assert.deepEqual(parts(m1), [0, 1, 2, 3]);
    assert.equal(m1.heartbeatIntervalMs, 1000);

    // m2 joins: the group epoch moves to 2; m2 is at epoch 2 but its partitions are still m1's.
    const m2 = await c.consumerGroupHeartbeat(hb({ memberId: 'm2' }));
    assert.equal(m2.memberEpoch, 2);
    assert.deepEqual(parts(m2), []);
    assert.equal(c.consumerGroupDescribe('g').groupState, 'Reconciling');

    // m1 learns to revoke two partitions and stays at epoch 1 until it has.
    const revoke = await c.consumerGroupHeartbeat(owned('m1', 1, [0, 1, 2, 3]));
    assert.equal(revoke.memberEpoch, 1);
    assert.equal(parts(revoke)!.length, 2);
    const kept = parts(revoke)!;
    // m2 still gets nothing: m1 has not acknowledged.
    assert.deepEqual(parts(await c.consumerGroupHeartbeat(owned('m2', 2, []))) ?? [], []);
    // m1 acknowledges (owns only what it kept) and moves to epoch 2.
    const acked = await c.consumerGroupHeartbeat(owned('m1', 1, kept));
    assert.equal(acked.memberEpoch, 2);
    // Now m2 gets the released partitions.
    const got = await c.consumerGroupHeartbeat(owned('m2', 2, []));
    assert.deepEqual(parts(got), [0, 1, 2, 3].filter((p) => !kept.includes(p)));
    await c.consumerGroupHeartbeat(owned('m2', 2, parts(got)!));
    // KIP-1251: m1 (now at epoch 2) may still commit with epoch 1 for a partition it has held
    // since epoch 1, not for one it gave up.
    const commit = (partition: number) =>
      c.commitOffsets({ apiVersion: 9, groupId: 'g', generationId: 1, memberId: 'm1', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't1', partitions: [{ partition, offset: 1, leaderEpoch: -1, metadata: '', commitTimestampMs: -1 }] }] });
    assert.equal((await commit(kept[0]!))[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit(parts(got)![0]!))[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    const d = c.consumerGroupDescribe('g');
    assert.equal(d.groupState, 'Stable');
    assert.equal(d.groupEpoch, 2);
    assert.equal(d.assignmentEpoch, 2);
    assert.equal(d.assignorName, 'uniform');
  });

  it('fences epochs it does not know and members it does not have', async () => {
    const c = await coordinator();
    await c.consumerGroupHeartbeat(hb({ memberId: 'm1' }));
    assert.equal((await c.consumerGroupHeartbeat(owned('m1', 5, []))).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    assert.equal((await c.consumerGroupHeartbeat(owned('nobody', 1, []))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberId: '' }))).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await c.consumerGroupHeartbeat(hb({ groupId: '' }))).errorMessage, "GroupId can't be empty.");
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberId: 'm3', rebalanceTimeoutMs: -1 }))).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberId: 'm3', serverAssignor: 'sticky' }))).errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    const leave = await c.consumerGroupHeartbeat(hb({ memberId: 'm1', memberEpoch: -1 }));
    assert.equal(leave.errorCode, ErrorCode.NONE);
    assert.equal(leave.memberEpoch, -1);
    assert.equal(c.consumerGroupDescribe('g').groupState, 'Empty');
  });

  it('a static member leaving for a while keeps its partitions for its next incarnation', async () => {
    const c = await coordinator();
    const first = await c.consumerGroupHeartbeat(hb({ memberId: 's1', instanceId: 'instance-1' }));
    await c.consumerGroupHeartbeat(owned('s1', 1, parts(first)!));
    const other = await c.consumerGroupHeartbeat(hb({ memberId: 'd1' }));
    assert.equal(other.memberEpoch, 2);
    // The owner learns to revoke and acknowledges: the dynamic member gets its share.
    const revoke = await c.consumerGroupHeartbeat(hb({ memberId: 's1', instanceId: 'instance-1', memberEpoch: 1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: [{ topicId: T1, partitions: [0, 1, 2, 3] }] }));
    const kept = parts(revoke)!;
    await c.consumerGroupHeartbeat(owned('s1', 1, kept));
    // A second incarnation while the first is still in the group: refused.
    const clash = await c.consumerGroupHeartbeat(hb({ memberId: 's2', instanceId: 'instance-1' }));
    assert.equal(clash.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    // The first leaves for a while (epoch -2): no rebalance, it keeps its partitions.
    const left = await c.consumerGroupHeartbeat(hb({ memberId: 's1', instanceId: 'instance-1', memberEpoch: -2, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }));
    assert.equal(left.memberEpoch, -2);
    assert.equal(c.consumerGroupDescribe('g').groupEpoch, 2);
    // Its restart takes over the same partitions under a new member id, at the same group epoch.
    const back = await c.consumerGroupHeartbeat(hb({ memberId: 's2', instanceId: 'instance-1' }));
    assert.equal(back.errorCode, ErrorCode.NONE);
    assert.deepEqual(parts(back), kept);
    assert.equal(back.memberEpoch, 2);
    const d = c.consumerGroupDescribe('g');
    assert.equal(d.groupEpoch, 2);
    assert.deepEqual(d.members.map((m) => m.memberId).sort(), ['d1', 's2']);
  });

  it('refuses regular expressions RE2/J does not accept', async () => {
    const c = await coordinator();
    for (const regex of ['(?=t)t1', 't(1', '(a)\\1']) {
      const r = await c.consumerGroupHeartbeat(hb({ subscribedTopicNames: null, subscribedTopicRegex: regex }));
      assert.equal(r.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION, regex);
    }
  });

  it('resolves a regex subscription, again when a matching topic appears', async () => {
    const c = await coordinator();
    const r = await c.consumerGroupHeartbeat(hb({ subscribedTopicNames: null, subscribedTopicRegex: 't.*' }));
    assert.deepEqual(parts(r), [0, 1, 2, 3]);
    topics = [...topics, { name: 't2', topicId: T2, numPartitions: 2 }];
    const next = await c.consumerGroupHeartbeat(hb({ memberEpoch: 1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: [{ topicId: T1, partitions: [0, 1, 2, 3] }] }));
    assert.equal(next.memberEpoch, 2);
    assert.deepEqual(next.assignment!.topicPartitions.map((tp) => [tp.topicId, tp.partitions]).sort(), [[T1, [0, 1, 2, 3]], [T2, [0, 1]]]);
  });

  it('commits and fetches offsets at the member epoch', async () => {
    const c = await coordinator();
    await c.consumerGroupHeartbeat(hb({ memberId: 'm1' }));
    const commit = (memberEpoch: number, memberId = 'm1', apiVersion = 9) =>
      c.commitOffsets({ apiVersion, groupId: 'g', generationId: memberEpoch, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't1', partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, metadata: '', commitTimestampMs: -1 }] }] });
    assert.equal((await commit(1))[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit(0))[0]!.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal((await commit(1, 'other'))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await commit(1, 'm1', 8))[0]!.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal((await commit(-1, ''))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an admin commit only into an empty group');
    assert.equal(c.fetchOffsets('g', null, false, { memberId: 'm1', memberEpoch: 1 }).topics[0]!.partitions[0]!.offset, 5);
    assert.equal(c.fetchOffsets('g', null, false, { memberId: 'm1', memberEpoch: 0 }).errorCode, ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(c.fetchOffsets('g', null, false, { memberId: 'x', memberEpoch: 3 }).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.fetchOffsets('g', null, false).errorCode, ErrorCode.NONE);
  });

  it('a new coordinator rebuilds the group from its records in __consumer_offsets', async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store);
    const m1 = await c.consumerGroupHeartbeat(hb({ memberId: 'm1', instanceId: 'i1' }));
    const m2 = await c.consumerGroupHeartbeat(hb({ memberId: 'm2', subscribedTopicNames: null, subscribedTopicRegex: 't.*', serverAssignor: 'range' }));
    await c.consumerGroupHeartbeat(owned('m1', 1, parts(m1)!));
    const before = c.consumerGroupDescribe('g');
    await c.shutdown();
    const reloaded = await coordinator(store);
    const after = reloaded.consumerGroupDescribe('g');
    assert.deepEqual(after, before);
    assert.equal(m2.memberEpoch, 2);
    // The members carry on at their epochs with the new coordinator.
    const next = await reloaded.consumerGroupHeartbeat(owned('m2', 2, []));
    assert.equal(next.errorCode, ErrorCode.NONE);
    // The topics did not change (the stored metadata hash matches): no new group epoch.
    assert.equal(reloaded.consumerGroupDescribe('g').groupEpoch, before.groupEpoch);
    // A topic created while the group was not loaded anywhere moves the epoch on the first heartbeat.
    await reloaded.shutdown();
    topics = [...topics, { name: 't2', topicId: T2, numPartitions: 2 }];
    const third = await coordinator(store);
    await third.consumerGroupHeartbeat(owned('m2', 2, []));
    assert.equal(third.consumerGroupDescribe('g').groupEpoch, before.groupEpoch + 1);
    assert.equal(third.listGroups([], ['consumer']).groups[0]!.groupId, 'g');
  });

  it('keeps classic and consumer groups apart as Kafka does', async () => {
    const c = await coordinator();
    await c.consumerGroupHeartbeat(hb({ groupId: 'new' }));
    // A classic member joins a consumer group only with the consumer protocol type (Kafka's supportsClassicProtocols).
    const join = await c.joinGroup(joinParams({ groupId: 'new', protocolType: 'connect' }));
    assert.equal(join.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(c.heartbeat('new', 'm1', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.describeGroup('new').state, 'Dead');
    assert.equal(c.describeGroup('new').notFound, 'Group new is not a classic group.');
    assert.equal(c.describeGroup('none').notFound, 'Group none not found.');
    // A live classic group of another protocol type is not upgraded.
    const classic = c.joinGroup(joinParams({ groupId: 'old', protocolType: 'connect' }));
    assert.equal((await classic).errorCode, ErrorCode.NONE);
    const refused = await c.consumerGroupHeartbeat(hb({ groupId: 'old' }));
    assert.equal(refused.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(refused.errorMessage, 'Cannot upgrade classic group old to consumer group because the group does not use the consumer embedded protocol.');
    assert.equal((await c.consumerGroupHeartbeat(hb({ groupId: 'old', memberEpoch: 1 }))).errorMessage, 'Group old is not a consumer group.');
    assert.equal(c.consumerGroupDescribe('old').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(c.consumerGroupDescribe('none').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const listed = c.listGroups([], []).groups.map((g) => [g.groupId, g.groupType]).sort();
    assert.deepEqual(listed, [['new', 'consumer'], ['old', 'classic']]);
    assert.deepEqual(c.listGroups([], ['classic']).groups.map((g) => g.groupId), ['old']);
    assert.deepEqual(c.listGroups(['stable'], ['consumer']).groups.map((g) => g.groupId), ['new']);
    // A non-empty consumer group cannot be deleted; an empty one can.
    assert.equal((await c.deleteGroups(['new'])).get('new'), ErrorCode.NON_EMPTY_GROUP);
    await c.consumerGroupHeartbeat(hb({ groupId: 'new', memberEpoch: -1 }));
    assert.equal((await c.deleteGroups(['new'])).get('new'), ErrorCode.NONE);
    assert.equal(c.consumerGroupDescribe('new').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('an empty classic group becomes a consumer group; an empty consumer group a classic one', async () => {
    const c = await coordinator();
    await c.commitOffsets({ groupId: 'offsets-only', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't1', partitions: [{ partition: 0, offset: 7, leaderEpoch: -1, metadata: '', commitTimestampMs: -1 }] }] });
    const r = await c.consumerGroupHeartbeat(hb({ groupId: 'offsets-only' }));
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(c.fetchOffsets('offsets-only', null, false).topics[0]!.partitions[0]!.offset, 7, 'offsets stay');
    await c.consumerGroupHeartbeat(hb({ groupId: 'offsets-only', memberEpoch: -1 }));
    assert.equal((await c.joinGroup(joinParams({ groupId: 'offsets-only' }))).errorCode, ErrorCode.NONE);
  });
});

describe('server-side assignors', () => {
  const topicMap = new Map([
    [T1, { topicId: T1, name: 't1', numPartitions: 7 }],
    [T2, { topicId: T2, name: 't2', numPartitions: 3 }],
  ]);
  const member = (memberId: string, ids: string[], current = new Map<string, number[]>()) => ({ memberId, subscribedTopicIds: new Set(ids), current });

  it('uniform: every partition once, counts within one, current owners kept', () => {
    const members = [member('a', [T1, T2]), member('b', [T1, T2]), member('c', [T1, T2])];
    const first = uniformAssignor.assign(members, topicMap);
    const counts = [...first.values()].map((a) => [...a.values()].reduce((n, ps) => n + ps.length, 0));
    assert.equal(counts.reduce((x, y) => x + y), 10);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
    // A fourth member: the others keep partitions they had (sticky).
    const next = uniformAssignor.assign([...members.map((m) => member(m.memberId, [T1, T2], first.get(m.memberId))), member('d', [T1, T2])], topicMap);
    for (const m of ['a', 'b', 'c']) {
      for (const [t, ps] of next.get(m)!) for (const p of ps) assert.ok(first.get(m)!.get(t)!.includes(p), `${m} kept ${t}:${p}`);
    }
    assert.ok([...next.get('d')!.values()].flat().length >= 2);
  });

  it('range: contiguous ranges per topic, the first members one more', () => {
    const r = rangeAssignor.assign([member('b', [T1]), member('a', [T1, T2])], topicMap);
    assert.deepEqual(r.get('a')!.get(T1), [0, 1, 2, 3]);
    assert.deepEqual(r.get('b')!.get(T1), [4, 5, 6]);
    assert.deepEqual(r.get('a')!.get(T2), [0, 1, 2]);
  });
});
