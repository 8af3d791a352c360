// The online migration of a group between the classic and the consumer protocols (KIP-848) at
// the coordinator (GroupCoordinator over a MemoryOffsetsStore, no sockets): a live classic
// group upgraded by a ConsumerGroupHeartbeat, its members served inside the consumer group
// through JoinGroup/SyncGroup/Heartbeat/OffsetCommit, the records a new coordinator rebuilds
// it from, the downgrade when the last consumer-protocol member leaves, and the refusals.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { dataCodecs } from '../../src/protocol/generated/index.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import { GroupCoordinator, type ConsumerGroupHeartbeatParams, type JoinGroupResult } from '../../src/groups/group-coordinator.js';
import { decodeAssignment } from '../../src/groups/classic-conversion.js';
import { decodeOffsetsKey } from '../../src/groups/offsets-records.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';
import { TEST_CONFIG, consumerHeartbeat, joinParams, subscription } from './helpers.js';

const T1 = '11111111-1111-1111-1111-111111111111';
const topics = [{ name: 't1', topicId: T1, numPartitions: 4 }];
const running: GroupCoordinator[] = [];

async function coordinator(store = new MemoryOffsetsStore(), migrationPolicy = 'bidirectional'): Promise<GroupCoordinator> {
  const c = new GroupCoordinator({ ...TEST_CONFIG, consumer: { sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1000, maxSize: 100, assignors: ['uniform', 'range'], migrationPolicy } }, store, silentLogger(), { topics: () => topics });
  await c.startup();
  running.push(c);
  return c;
}

afterEach(async () => {
  for (const c of running.splice(0)) await c.shutdown();
});

const hb = (overrides: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams => consumerHeartbeat({ memberId: 'c1', ...overrides });

function assignment(partitions: number[], userData: Buffer | null = null): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  dataCodecs.ConsumerProtocolAssignment.encode(w, 0, { assignedPartitions: [{ topic: 't1', partitions }], userData });
  return w.finish();
}

const classicJoin = (memberId = '', rebalanceTimeoutMs = 10_000) => joinParams({ memberId, rebalanceTimeoutMs, protocols: [{ name: 'range', metadata: subscription(['t1']) }] });

/** A Stable classic group of two members owning t1-0,1 and t1-2,3 (generation 1). */
async function classicGroup(c: GroupCoordinator, userData: Buffer | null = null, rebalanceTimeoutMs = 10_000): Promise<[JoinGroupResult, JoinGroupResult]> {
  const [a, b] = await Promise.all([c.joinGroup(classicJoin('', rebalanceTimeoutMs)), c.joinGroup(classicJoin('', rebalanceTimeoutMs))]);
  const leader = a!.memberId === a!.leader ? a! : b!;
  const follower = leader === a ? b! : a!;
  const followerSync = c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  const leaderSync = await c.syncGroup({
    groupId: 'g',
    generationId: 1,
    memberId: leader.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [
      { memberId: leader.memberId, assignment: assignment([0, 1], userData) },
      { memberId: follower.memberId, assignment: assignment([2, 3]) },
    ],
  });
  assert.equal(leaderSync.errorCode, ErrorCode.NONE);
  assert.equal((await followerSync).errorCode, ErrorCode.NONE);
  assert.equal(c.group('g')!.state, 'Stable');
  return [leader, follower];
}

/** Every member's owned partitions from ConsumerGroupDescribe; asserts that no partition has two owners. */
function owners(c: GroupCoordinator): Map<string, number[]> {
  const d = c.consumerGroupDescribe('g');
  const seen = new Map<number, string>();
  const byMember = new Map<string, number[]>();
  for (const m of d.members) {
    const ps = m.assignment.topicPartitions.flatMap((tp) => tp.partitions).sort((x, y) => x - y);
    for (const p of ps) {
      assert.equal(seen.get(p), undefined, `t1-${p} owned by ${seen.get(p)} and ${m.memberId}`);
      seen.set(p, m.memberId);
    }
    byMember.set(m.memberId, ps);
  }
  return byMember;
}

/** A classic member's rejoin: JoinGroup with its id, then SyncGroup; its partitions. */
async function rejoin(c: GroupCoordinator, memberId: string): Promise<{ generationId: number; partitions: number[] }> {
  const j = await c.joinGroup(classicJoin(memberId));
  assert.equal(j.errorCode, ErrorCode.NONE);
  assert.equal(j.protocolName, 'range');
  const s = await c.syncGroup({ groupId: 'g', generationId: j.generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(s.errorCode, ErrorCode.NONE);
  return { generationId: j.generationId, partitions: decodeAssignment(s.assignment)!.topics.flatMap((t) => t.partitions).sort((x, y) => x - y) };
}

function groupType(c: GroupCoordinator): string | undefined {
  return c.listGroups([], []).groups.find((g) => g.groupId === 'g')?.groupType;
}

describe('online migration between the classic and consumer protocols', () => {
  it('upgrades a live classic group, serves its classic members from the target assignment, and downgrades when the consumer member leaves', async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store);
    const [a, b] = await classicGroup(c);
    assert.equal(groupType(c), 'classic');

    // A consumer-protocol member joins: the group is converted; the classic members keep their
    // partitions at epoch 1, the new member is at epoch 2 waiting for partitions they own.
    const c1 = await c.consumerGroupHeartbeat(hb({}));
    assert.equal(c1.errorCode, ErrorCode.NONE);
    assert.equal(c1.memberEpoch, 2);
    assert.deepEqual(c1.assignment?.topicPartitions ?? [], []);
    assert.equal(groupType(c), 'consumer');
    const d = c.consumerGroupDescribe('g');
    assert.equal(d.groupEpoch, 2);
    assert.deepEqual(
      d.members.map((m) => [m.memberId, m.memberType, m.memberEpoch]).sort(),
      [[a.memberId, 0, 1], [b.memberId, 0, 1], ['c1', 1, 2]].sort(),
    );
    assert.deepEqual(owners(c).get(a.memberId), [0, 1]);
    assert.deepEqual(owners(c).get(b.memberId), [2, 3]);

    // The records: the classic group's metadata deleted, then each classic member's
    // subscription with its ClassicMemberMetadata, in the same batch (Kafka's order).
    const records = store.records();
    const tombstoneAt = records.findIndex((r) => r.key!.readInt16BE(0) === 2 && r.value === null);
    assert.ok(tombstoneAt >= 0, 'the classic GroupMetadata is deleted');
    const subscriptions = records.slice(tombstoneAt).filter((r) => r.key!.readInt16BE(0) === 5 && r.value !== null);
    const classicMeta = new Map(
      subscriptions.map((r) => {
        const k = new Reader(r.key!);
        k.readInt16();
        const v = new Reader(r.value!);
        v.readInt16();
        return [dataCodecs.ConsumerGroupMemberMetadataKey.decode(k, 0).memberId, dataCodecs.ConsumerGroupMemberMetadataValue.decode(v, 0).classicMemberMetadata];
      }),
    );
    assert.equal(classicMeta.get(a.memberId)?.sessionTimeoutMs, 5000);
    assert.deepEqual(classicMeta.get(a.memberId)?.supportedProtocols.map((p) => p.name), ['range']);
    assert.equal(classicMeta.get('c1'), null);

    // Commits: a classic member's generation is its member epoch.
    const commit = (generationId: number) =>
      c.commitOffsets({ groupId: 'g', generationId, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, topics: [{ topic: 't1', partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, metadata: '', commitTimestampMs: -1 }] }] });
    assert.equal((await commit(1))[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit(7))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);

    // The classic members are told to rejoin; they revoke (eager: they own nothing when they
    // rejoin) and get their part of the target; then the consumer member gets the rest.
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(c.heartbeat('g', a.memberId, null, 0), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat('g', 'nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat('g', 'c1', null, 2), ErrorCode.UNKNOWN_MEMBER_ID, 'c1 does not use the classic protocol');
    const ra = await rejoin(c, a.memberId);
    owners(c);
    const rb = await rejoin(c, b.memberId);
    owners(c);
    assert.equal(ra.generationId, 2);
    assert.equal(rb.generationId, 2);
    const c1b = await c.consumerGroupHeartbeat(hb({ memberEpoch: 2, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: [] }));
    assert.equal(c1b.errorCode, ErrorCode.NONE);
    const all = owners(c);
    const owned = [...all.values()].flat().sort();
    assert.deepEqual(owned, [0, 1, 2, 3], 'every partition has one owner once all reconciled');
    assert.deepEqual([...all.get(a.memberId)!], ra.partitions);
    assert.deepEqual([...all.get(b.memberId)!], rb.partitions);
    assert.equal(c.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);
    assert.equal(c.consumerGroupDescribe('g').groupState, 'Stable');

    // A new coordinator rebuilds the group from the records: classic members stay classic.
    await c.shutdown();
    const reloaded = await coordinator(store);
    const rd = reloaded.consumerGroupDescribe('g');
    assert.equal(rd.errorCode, ErrorCode.NONE);
    assert.deepEqual(rd.members.map((m) => [m.memberId, m.memberType]).sort(), [[a.memberId, 0], [b.memberId, 0], ['c1', 1]].sort());
    assert.equal(reloaded.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);

    // The last consumer-protocol member leaves: the group becomes a classic group at the
    // group epoch and rebalances; the classic members rejoin it as a classic group.
    const left = await reloaded.consumerGroupHeartbeat(hb({ memberEpoch: -1 }));
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.equal(groupType(reloaded), 'classic');
    assert.equal(reloaded.group('g')!.state, 'PreparingRebalance');
    assert.equal(reloaded.consumerGroupDescribe('g').errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(reloaded.heartbeat('g', a.memberId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    const [ja, jb] = await Promise.all([reloaded.joinGroup(classicJoin(a.memberId)), reloaded.joinGroup(classicJoin(b.memberId))]);
    assert.equal(ja!.errorCode, ErrorCode.NONE);
    assert.equal(ja!.generationId, 3);
    assert.equal(jb!.generationId, 3);
    assert.equal(reloaded.describeGroup('g').state, 'CompletingRebalance');
    assert.equal(reloaded.fetchOffsets('g', null, false).topics[0]!.partitions[0]!.offset, 5, 'offsets stay through both conversions');

    // And a coordinator loading after the downgrade sees a classic group.
    await reloaded.shutdown();
    const third = await coordinator(store);
    assert.equal(groupType(third), 'classic');
  });

  it('downgrades when the last consumer-protocol member, a static one, is replaced by a classic member of the same instance', async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store);
    await classicGroup(c);
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberId: 'c1', instanceId: 'i1' }))).errorCode, ErrorCode.NONE);
    const target = c.consumerGroupDescribe('g').members.find((m) => m.memberId === 'c1')!.targetAssignment.topicPartitions.flatMap((tp) => tp.partitions).sort();
    assert.ok(target.length > 0);
    // The instance restarts with group.protocol=classic and the same subscription: no rebalance.
    const j = await c.joinGroup(joinParams({ groupInstanceId: 'i1', protocols: [{ name: 'range', metadata: subscription(['t1']) }] }));
    assert.equal(j.errorCode, ErrorCode.NONE);
    assert.equal(j.generationId, 2);
    assert.equal(groupType(c), 'classic');
    assert.equal(c.group('g')!.state, 'Stable');
    assert.equal(c.group('g')!.generationId, 2);
    const s = await c.syncGroup({ groupId: 'g', generationId: 2, memberId: j.memberId, groupInstanceId: 'i1', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.equal(s.errorCode, ErrorCode.NONE);
    assert.deepEqual(decodeAssignment(s.assignment)!.topics.flatMap((t) => t.partitions).sort(), target, 'the replaced member\'s target');
    await c.shutdown();
    assert.equal(groupType(await coordinator(store)), 'classic', 'the records say so too');
  });

  it('removes a classic member that does not rejoin within its rebalance timeout (Kafka\'s join timeout)', async () => {
    const c = await coordinator();
    const [a, b] = await classicGroup(c, null, 200);
    assert.equal((await c.consumerGroupHeartbeat(hb({}))).errorCode, ErrorCode.NONE);
    // Both are told to rejoin; only b does.
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(c.heartbeat('g', b.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    const j = await c.joinGroup(classicJoin(b.memberId, 200));
    assert.equal((await c.syncGroup({ groupId: 'g', generationId: j.generationId, memberId: b.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })).errorCode, ErrorCode.NONE);
    const members = () => c.consumerGroupDescribe('g').members.map((m) => m.memberId).sort();
    // a keeps heartbeating (its session stays alive) but never rejoins.
    for (let i = 0; i < 500 && members().includes(a.memberId); i++) {
      assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(members(), [b.memberId, 'c1'].sort(), 'a was fenced; b, which sent SyncGroup, stays');
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(groupType(c), 'consumer');
  });

  it('a cooperative classic member keeps its partitions until it has revoked those that move', async () => {
    const c = await coordinator();
    const [leader, follower] = await classicGroup(c);
    assert.equal((await c.consumerGroupHeartbeat(hb({}))).errorCode, ErrorCode.NONE);
    // Three members for four partitions: one of the two classic members gives a partition up.
    const targetOf = (id: string) => c.consumerGroupDescribe('g').members.find((m) => m.memberId === id)!.targetAssignment.topicPartitions.flatMap((tp) => tp.partitions).sort();
    const [a, ownedByA] = targetOf(leader.memberId).length < 2 ? [leader, [0, 1]] : [follower, [2, 3]];
    const cooperative = (memberId: string, owned: number[]) => {
      const w = new Writer();
      w.writeInt16(1);
      dataCodecs.ConsumerProtocolSubscription.encode(w, 1, { topics: ['t1'], userData: null, ownedPartitions: [{ topic: 't1', partitions: owned }] });
      return joinParams({ memberId, protocols: [{ name: 'range', metadata: w.finish() }] });
    };
    const moving = ownedByA.filter((p) => !targetOf(a.memberId).includes(p));
    assert.equal(moving.length, 1);
    // a rejoins still owning its two partitions: it stays at epoch 1 with the one to revoke left out.
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    const j1 = await c.joinGroup(cooperative(a.memberId, ownedByA));
    assert.equal(j1.generationId, 1);
    const s1 = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    assert.equal(s1.errorCode, ErrorCode.NONE, 'revoking: no REBALANCE_IN_PROGRESS from SyncGroup');
    const kept = decodeAssignment(s1.assignment)!.topics.flatMap((t) => t.partitions);
    assert.ok(moving.every((p) => !kept.includes(p)));
    // The partitions a must revoke are not handed over while it may still hold them.
    const c1Target = c.consumerGroupDescribe('g').members.find((m) => m.memberId === 'c1')!.targetAssignment.topicPartitions.flatMap((tp) => tp.partitions);
    const toC1 = moving.filter((p) => c1Target.includes(p));
    assert.deepEqual(toC1, moving, 'the partition a gives up goes to c1');
    const c1Parts = async () => (await c.consumerGroupHeartbeat(hb({ memberEpoch: 2, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null }))).assignment?.topicPartitions.flatMap((tp) => tp.partitions) ?? [];
    const before = await c1Parts();
    assert.ok(toC1.every((p) => !before.includes(p)), `c1 got ${before.join(',')} while a revokes ${moving.join(',')}`);
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS, 'rejoin once revoked');
    // a rejoins without them: it moves to the group epoch and they are free.
    const j2 = await c.joinGroup(cooperative(a.memberId, kept));
    assert.equal(j2.generationId, 2);
    assert.ok(moving.every((p) => !owners(c).get(a.memberId)!.includes(p)));
    const after = c.consumerGroupDescribe('g').members.find((m) => m.memberId === 'c1')!.assignment.topicPartitions.flatMap((tp) => tp.partitions);
    const afterHeartbeat = [...after, ...(await c1Parts())];
    assert.ok(toC1.every((p) => afterHeartbeat.includes(p)), `c1 gets ${toC1.join(',')} once a revoked them`);
  });

  it('refuses the upgrade as Kafka does', async () => {
    const disabled = await coordinator(new MemoryOffsetsStore(), 'downgrade');
    await classicGroup(disabled);
    const r = await disabled.consumerGroupHeartbeat(hb({}));
    assert.equal(r.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(r.errorMessage, 'Cannot upgrade classic group g to consumer group because online upgrade is disabled.');
    assert.equal(groupType(disabled), 'classic');

    const custom = await coordinator();
    await classicGroup(custom, Buffer.from([1]));
    const rc = await custom.consumerGroupHeartbeat(hb({}));
    assert.equal(rc.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(rc.errorMessage!, /because an unsupported custom assignor is in use/);
    assert.equal(groupType(custom), 'classic');
  });

  it('converts an empty classic group with a history whatever the migration policy, as Kafka does', async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store, 'disabled');
    const [a, b] = await classicGroup(c);
    await c.leaveGroup('g', [
      { memberId: a.memberId, groupInstanceId: null, reason: null },
      { memberId: b.memberId, groupInstanceId: null, reason: null },
    ]);
    assert.equal(c.group('g')!.state, 'Empty');
    assert.ok(c.group('g')!.generationId > 0, 'the classic group has a history');
    const r = await c.consumerGroupHeartbeat(hb({}));
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(groupType(c), 'consumer');
    const tombstones = store.records().filter((x) => x.value === null).map((x) => decodeOffsetsKey(x.key!));
    assert.deepEqual(tombstones, [{ kind: 'group', group: 'g' }], 'the classic group metadata is deleted');
  });

  it('keeps a group of classic members a consumer group when the downgrade is disabled', async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store, 'upgrade');
    const [a] = await classicGroup(c);
    assert.equal((await c.consumerGroupHeartbeat(hb({}))).errorCode, ErrorCode.NONE);
    assert.equal((await c.consumerGroupHeartbeat(hb({ memberEpoch: -1 }))).errorCode, ErrorCode.NONE);
    assert.equal(groupType(c), 'consumer');
    // The group epoch moved (3) past the classic members' epoch: they rejoin and stay classic members.
    assert.equal(c.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal((await rejoin(c, a.memberId)).generationId, 3);
    // A classic member's LeaveGroup removes it from the consumer group, answered once its records are written.
    store.holdAppends = true;
    let answered = false;
    const leaving = c.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }]).then((r) => ((answered = true), r));
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false, 'no answer while the records are in flight');
    const written = store.records().length;
    store.holdAppends = false;
    store.release();
    const left = await leaving;
    assert.equal(left.members[0]!.errorCode, ErrorCode.NONE);
    assert.ok(store.records().length > written, 'the leave is in the log when it is answered');
    assert.equal(c.consumerGroupDescribe('g').members.length, 1);
  });

  it("fails a classic member's LeaveGroup with the coordinator's error when its records cannot be written", async () => {
    const store = new MemoryOffsetsStore();
    const c = await coordinator(store, 'upgrade');
    const [a] = await classicGroup(c);
    assert.equal((await c.consumerGroupHeartbeat(hb({}))).errorCode, ErrorCode.NONE);
    assert.equal(groupType(c), 'consumer');
    store.failAppendsWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const left = await c.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
    assert.equal(left.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.deepEqual(left.members, []);
  });
});
