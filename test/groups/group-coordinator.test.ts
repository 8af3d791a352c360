// The classic group state machine, driven through the coordinator's API over an in-memory
// __consumer_offsets, with node:test's fake timers standing in for sessions, rebalance
// timeouts and the initial join delay. The expectations follow Kafka's GroupCoordinator.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS, type GroupCoordinator, type JoinGroupResult } from '../../src/groups/group-coordinator.js';
import { decodeOffsetsKey } from '../../src/groups/offsets-records.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';
import { joinParams, settle, startCoordinator, subscription, watch } from './helpers.js';

/** Joins a group with a fresh dynamic member (pre-KIP-394 style) and returns the parked join. */
function join(c: GroupCoordinator, overrides: Parameters<typeof joinParams>[0] = {}) {
  return watch(c.joinGroup(joinParams(overrides)));
}

/** Brings a group of `n` dynamic members to Stable; returns their join results, leader first. */
async function stableGroup(c: GroupCoordinator, n: number, groupId = 'g', topics = ['t']): Promise<JoinGroupResult[]> {
  const joins = Array.from({ length: n }, (_, i) => join(c, { groupId, clientId: `c${i}`, protocols: [{ name: 'range', metadata: subscription(topics) }] }));
  mock.timers.tick(0); // the initial delay (0 in these tests) elapses
  const results = await Promise.all(joins.map((j) => j.promise));
  const leader = results.find((r) => r.memberId === r.leader)!;
  const followers = results.filter((r) => r !== leader);
  const syncs = followers.map((r) => c.syncGroup({ groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
  const assignments = results.map((r) => ({ memberId: r.memberId, assignment: Buffer.from(`assignment-of-${r.memberId}`) }));
  const leaderSync = await c.syncGroup({ groupId, generationId: leader.generationId, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments });
  assert.equal(leaderSync.errorCode, ErrorCode.NONE);
  for (const s of await Promise.all(syncs)) assert.equal(s.errorCode, ErrorCode.NONE);
  assert.equal(c.group(groupId)!.state, 'Stable');
  return [leader, ...followers];
}

describe('group coordinator', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('forms a group: every member joins one generation, the leader gets all metadata, SyncGroup distributes its assignment', async () => {
    const { coordinator: c, store } = await startCoordinator();
    const a = join(c, { clientId: 'a', protocols: [{ name: 'range', metadata: Buffer.from('meta-a') }] });
    const b = join(c, { clientId: 'b', protocols: [{ name: 'range', metadata: Buffer.from('meta-b') }] });
    await settle();
    assert.equal(a.done || b.done, false, 'JoinGroup parks until the rebalance completes');
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    mock.timers.tick(0);
    const [ra, rb] = await Promise.all([a.promise, b.promise]);
    assert.equal(ra.errorCode, ErrorCode.NONE);
    assert.equal(rb.errorCode, ErrorCode.NONE);
    assert.equal(ra.generationId, 1);
    assert.equal(rb.generationId, 1);
    assert.equal(ra.leader, rb.leader);
    assert.equal(ra.protocolName, 'range');
    assert.equal(ra.protocolType, 'consumer');
    const [leader, follower] = ra.leader === ra.memberId ? [ra, rb] : [rb, ra];
    assert.deepEqual(leader.members.map((m) => m.metadata.toString()).sort(), ['meta-a', 'meta-b']);
    assert.deepEqual(follower.members, [], 'followers get no member list');
    assert.equal(c.group('g')!.state, 'CompletingRebalance');

    const followerSync = watch(c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    await settle();
    assert.equal(followerSync.done, false, "a follower's SyncGroup waits for the leader");
    const leaderSync = await c.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: leader.memberId, assignment: Buffer.from('for-leader') },
        { memberId: follower.memberId, assignment: Buffer.from('for-follower') },
      ],
    });
    assert.equal(leaderSync.errorCode, ErrorCode.NONE);
    assert.equal(leaderSync.assignment.toString(), 'for-leader');
    assert.equal(leaderSync.protocolName, 'range');
    const fs = await followerSync.promise;
    assert.equal(fs.assignment.toString(), 'for-follower');
    assert.equal(c.group('g')!.state, 'Stable');
    const keys = store.records().map((r) => decodeOffsetsKey(r.key!));
    assert.deepEqual(keys, [{ kind: 'group', group: 'g' }], 'the assignment is persisted as group metadata');
    // Stable: a late SyncGroup gets the current assignment at once.
    const again = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(again.assignment.toString(), 'for-follower');
  });

  it('selects the protocol every member supports with the most votes', async () => {
    const { coordinator: c } = await startCoordinator();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const joins = [join(c, { protocols: p('roundrobin', 'range', 'sticky') }), join(c, { protocols: p('range', 'roundrobin') }), join(c, { protocols: p('roundrobin', 'range') })];
    mock.timers.tick(0);
    const results = await Promise.all(joins.map((j) => j.promise));
    // sticky is not supported by everyone; roundrobin has two first choices.
    for (const r of results) assert.equal(r.protocolName, 'roundrobin');
    const leader = results.find((r) => r.leader === r.memberId)!;
    assert.deepEqual(leader.members.map((m) => m.metadata.toString()), ['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('a member naming one protocol twice still forms the group (found by test/fuzz: the rebalance threw at level 50)', async () => {
    const { coordinator: c } = await startCoordinator();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const joins = [join(c, { protocols: p('range', 'range') }), join(c, { protocols: p('roundrobin', 'range', 'roundrobin') })];
    mock.timers.tick(0);
    const results = await Promise.all(joins.map((j) => j.promise));
    for (const r of results) assert.equal(r.errorCode, ErrorCode.NONE);
    for (const r of results) assert.equal(r.protocolName, 'range', 'range is the only protocol both support');
    assert.equal(c.group('g')!.state, 'CompletingRebalance');
    const third = join(c, { protocols: p('range', 'range') });
    await settle();
    assert.equal(third.done, false, 'a rejoin with the same duplicates is consistent with the group');
  });

  it('refuses inconsistent protocols, bad session timeouts and empty group ids', async () => {
    const { coordinator: c } = await startCoordinator();
    assert.equal((await c.joinGroup(joinParams({ sessionTimeoutMs: 999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(joinParams({ sessionTimeoutMs: 60_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await c.joinGroup(joinParams({ groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.joinGroup(joinParams({ protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await c.joinGroup(joinParams({ protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const first = join(c);
    assert.equal((await c.joinGroup(joinParams({ protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await c.joinGroup(joinParams({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await c.joinGroup(joinParams({ groupId: 'unknown', memberId: 'stale-id' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    mock.timers.tick(0);
    assert.equal((await first.promise).errorCode, ErrorCode.NONE);
  });

  it('KIP-394: a dynamic member first gets MEMBER_ID_REQUIRED with its id, and the id expires if unused', async () => {
    const { coordinator: c } = await startCoordinator();
    const first = await c.joinGroup(joinParams({ requireKnownMemberId: true }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
    const second = join(c, { requireKnownMemberId: true, memberId: first.memberId });
    mock.timers.tick(0);
    const r = await second.promise;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.memberId, first.memberId);
    assert.equal(r.leader, first.memberId);

    // An id handed out but never used is forgotten after the session timeout.
    const unused = await c.joinGroup(joinParams({ groupId: 'h', requireKnownMemberId: true, sessionTimeoutMs: 2000 }));
    assert.equal(unused.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.ok(c.group('h')!.isPendingMember(unused.memberId));
    mock.timers.tick(2000);
    assert.ok(!c.group('h')!.isPendingMember(unused.memberId));
    assert.equal((await c.joinGroup(joinParams({ groupId: 'h', requireKnownMemberId: true, memberId: unused.memberId }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('the initial delayed join waits group.initial.rebalance.delay.ms, longer while members keep arriving, at most the rebalance timeout', async () => {
    const { coordinator: c } = await startCoordinator({ groupInitialRebalanceDelayMs: 3000 });
    const joins = [join(c, { rebalanceTimeoutMs: 10_000 })];
    mock.timers.tick(2999);
    await settle();
    assert.equal(joins[0]!.done, false);
    joins.push(join(c, { rebalanceTimeoutMs: 10_000 })); // arrives before the delay ends: the join waits another delay
    mock.timers.tick(1);
    await settle();
    assert.equal(joins[0]!.done, false, 'a member arrived during the delay: wait again');
    mock.timers.tick(2999);
    await settle();
    assert.equal(joins[0]!.done, false);
    mock.timers.tick(1);
    const results = await Promise.all(joins.map((j) => j.promise));
    assert.deepEqual(results.map((r) => r.generationId), [1, 1]);

    // Members arriving every second: delays of 3000, 3000, 3000 then the 1000 left of the
    // 10 s rebalance timeout.
    const started = Date.now();
    const g2 = [join(c, { groupId: 'busy', rebalanceTimeoutMs: 10_000 })];
    for (let t = 1; t < 10; t++) {
      mock.timers.tick(1000);
      await settle();
      if (g2[0]!.done) break;
      g2.push(join(c, { groupId: 'busy', rebalanceTimeoutMs: 10_000 }));
    }
    await settle();
    assert.equal(g2[0]!.done, false);
    mock.timers.tick(1000);
    await Promise.all(g2.map((j) => j.promise));
    assert.equal(Date.now() - started, 10_000, 'completed at the rebalance timeout');
    assert.equal(g2.length, 10);
    for (const j of g2) assert.equal(j.value!.generationId, 1);
  });

  it('answers heartbeats by state: NONE when Stable, REBALANCE_IN_PROGRESS while preparing, errors for stale members', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader, follower] = await stableGroup(c, 2);
    assert.equal(c.heartbeat('g', follower!.memberId, null, 1), ErrorCode.NONE);
    assert.equal(c.heartbeat('g', follower!.memberId, null, 0), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat('g', 'nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat('nogroup', 'nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat('', 'nobody', null, 1), ErrorCode.INVALID_GROUP_ID);
    // The leader rejoining starts a rebalance: the follower learns it from its heartbeat.
    const rejoin = join(c, { memberId: leader!.memberId });
    await settle();
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    assert.equal(c.heartbeat('g', follower!.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    const followerRejoin = join(c, { memberId: follower!.memberId });
    const [r1, r2] = await Promise.all([rejoin.promise, followerRejoin.promise]);
    assert.equal(r1.generationId, 2);
    assert.equal(r2.generationId, 2);
    assert.equal(c.heartbeat('g', follower!.memberId, null, 2), ErrorCode.NONE, 'heartbeats between JoinGroup and SyncGroup are fine');
    assert.equal((await c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower!.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await c.syncGroup({ groupId: 'g', generationId: 2, memberId: follower!.memberId, groupInstanceId: null, protocolType: 'connect', protocolName: null, assignments: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('removes a member whose session expires and rebalances the others', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader, follower] = await stableGroup(c, 2);
    // Only the leader keeps heartbeating.
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(1500);
      assert.equal(c.heartbeat('g', leader!.memberId, null, 1), ErrorCode.NONE);
    }
    assert.equal(c.group('g')!.state, 'Stable');
    mock.timers.tick(500);
    assert.equal(c.group('g')!.state, 'PreparingRebalance', 'the follower expired after its 5 s session');
    assert.ok(!c.group('g')!.has(follower!.memberId));
    assert.equal(c.heartbeat('g', leader!.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await c.joinGroup(joinParams({ memberId: leader!.memberId }));
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId), [leader!.memberId]);
  });

  it('completes a rebalance at the rebalance timeout without the members that did not rejoin', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader, follower] = await stableGroup(c, 2);
    const rejoin = join(c, { memberId: leader!.memberId, rebalanceTimeoutMs: 10_000 });
    for (let t = 0; t < 9; t++) {
      mock.timers.tick(1000);
      await settle();
      assert.equal(rejoin.done, false);
      assert.equal(c.heartbeat('g', follower!.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS, 'the follower heartbeats but never rejoins');
    }
    mock.timers.tick(1000);
    const r = await rejoin.promise;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 2);
    assert.deepEqual(r.members.map((m) => m.memberId), [leader!.memberId]);
    assert.equal(c.heartbeat('g', follower!.memberId, null, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes members that do not send SyncGroup within the rebalance timeout', async () => {
    const { coordinator: c } = await startCoordinator();
    const joins = [join(c, { clientId: 'a', sessionTimeoutMs: 30_000 }), join(c, { clientId: 'b', sessionTimeoutMs: 30_000 })];
    mock.timers.tick(0);
    const results = await Promise.all(joins.map((j) => j.promise));
    const leader = results.find((r) => r.leader === r.memberId)!;
    const follower = results.find((r) => r !== leader)!;
    const leaderSync = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(leaderSync.errorCode, ErrorCode.NONE);
    mock.timers.tick(10_000);
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    assert.ok(!c.group('g')!.has(follower.memberId));
  });

  it('a new member parked in JoinGroup is dropped after the new-member join timeout', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader] = await stableGroup(c, 1);
    const newcomer = join(c, { clientId: 'late', rebalanceTimeoutMs: 60 * 60 * 1000 });
    await settle();
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    // The old member keeps its session alive but never rejoins; the rebalance timeout is an hour.
    for (let t = 0; t < NEW_MEMBER_JOIN_TIMEOUT_MS / 4000; t++) {
      mock.timers.tick(4000);
      c.heartbeat('g', leader!.memberId, null, 1);
    }
    const r = await newcomer.promise;
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('LeaveGroup removes members (by member id or, KIP-345, by instance id) and rebalances', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader, follower] = await stableGroup(c, 2);
    const left = await c.leaveGroup('g', [
      { memberId: follower!.memberId, groupInstanceId: null, reason: 'closing' },
      { memberId: 'nobody', groupInstanceId: null, reason: null },
    ]);
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.equal(c.group('g')!.state, 'PreparingRebalance');
    const r = await c.joinGroup(joinParams({ memberId: leader!.memberId }));
    assert.equal(r.generationId, 2);
    assert.equal((await c.leaveGroup('g', [{ memberId: leader!.memberId, groupInstanceId: null, reason: null }])).members[0]!.errorCode, ErrorCode.NONE);
    assert.equal(c.group('g')!.state, 'Empty', 'the last member left: the rebalance completes at once with no members');
    assert.equal(c.group('g')!.generationId, 3);
    assert.deepEqual((await c.leaveGroup('nogroup', [{ memberId: 'x', groupInstanceId: null, reason: null }])).members.map((m) => m.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID]);

    // Static member removed by its instance id alone.
    const s = join(c, { groupId: 's', groupInstanceId: 'instance-1' });
    mock.timers.tick(0);
    assert.equal((await s.promise).errorCode, ErrorCode.NONE);
    assert.equal((await c.leaveGroup('s', [{ memberId: '', groupInstanceId: 'instance-1', reason: null }])).members[0]!.errorCode, ErrorCode.NONE);
    assert.equal(c.group('s')!.size, 0);
  });

  it('KIP-345: a static member that restarts takes a new member id without a rebalance; its old id is fenced', async () => {
    const { coordinator: c, store } = await startCoordinator();
    const joins = [join(c, { groupInstanceId: 'i-1', clientId: 'a' }), join(c, { groupInstanceId: 'i-2', clientId: 'b' })];
    mock.timers.tick(0);
    const results = await Promise.all(joins.map((j) => j.promise));
    const leader = results.find((r) => r.leader === r.memberId)!;
    const follower = results.find((r) => r !== leader)!;
    const followerInstance = follower === results[0] ? 'i-1' : 'i-2';
    const fSync = c.syncGroup({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: followerInstance, protocolType: null, protocolName: null, assignments: [] });
    await c.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: leader.memberId,
      groupInstanceId: followerInstance === 'i-1' ? 'i-2' : 'i-1',
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: follower.memberId, assignment: Buffer.from('follower-partitions') }],
    });
    await fSync;
    const appendsBefore = store.appendCount;

    // The follower restarts: it knows its instance id but not its member id.
    const rejoined = await c.joinGroup(joinParams({ groupInstanceId: followerInstance, clientId: 'b2' }));
    assert.equal(rejoined.errorCode, ErrorCode.NONE);
    assert.notEqual(rejoined.memberId, follower.memberId);
    assert.equal(rejoined.generationId, 1, 'no new generation');
    assert.equal(rejoined.leader, leader.memberId);
    assert.equal(c.group('g')!.state, 'Stable');
    assert.equal(store.appendCount, appendsBefore + 1, 'the new member id is persisted');
    const sync = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: rejoined.memberId, groupInstanceId: followerInstance, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(sync.assignment.toString(), 'follower-partitions', 'it resumes its assignment');
    assert.equal(c.heartbeat('g', follower.memberId, followerInstance, 1), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(c.heartbeat('g', rejoined.memberId, followerInstance, 1), ErrorCode.NONE);
    assert.equal(c.heartbeat('g', rejoined.memberId, 'i-unknown', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    const staleCommit = await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: followerInstance, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    assert.equal(staleCommit[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);

    // New protocols that leave the group's selection as it is: still no rebalance.
    const same = await c.joinGroup(joinParams({ groupInstanceId: followerInstance, protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }] }));
    assert.equal(same.generationId, 1, 'roundrobin is not supported by the other member: the selection stays range');
    assert.equal(c.group('g')!.state, 'Stable');

    // Protocols that change the selection do rebalance.
    const solo = join(c, { groupId: 'solo', groupInstanceId: 'x', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }, { name: 'roundrobin', metadata: Buffer.alloc(0) }] });
    mock.timers.tick(0);
    const s1 = await solo.promise;
    await c.syncGroup({ groupId: 'solo', generationId: 1, memberId: s1.memberId, groupInstanceId: 'x', protocolType: null, protocolName: null, assignments: [] });
    const s2 = await c.joinGroup(joinParams({ groupId: 'solo', groupInstanceId: 'x', protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }, { name: 'range', metadata: Buffer.alloc(0) }] }));
    assert.equal(s2.generationId, 2);
    assert.equal(s2.protocolName, 'roundrobin');
  });

  it('KIP-345 v9: a restarted static leader is told it leads but skips the assignment', async () => {
    const { coordinator: c } = await startCoordinator();
    const joins = [join(c, { groupInstanceId: 'only' })];
    mock.timers.tick(0);
    const [r] = await Promise.all(joins.map((j) => j.promise));
    await c.syncGroup({ groupId: 'g', generationId: 1, memberId: r!.memberId, groupInstanceId: 'only', protocolType: null, protocolName: null, assignments: [] });
    const again = await c.joinGroup(joinParams({ groupInstanceId: 'only', supportSkippingAssignment: true }));
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.equal(again.leader, again.memberId);
    assert.equal(again.skipAssignment, true);
    assert.equal(again.members.length, 1);
  });

  it('group.max.size: members beyond the limit get GROUP_MAX_SIZE_REACHED', async () => {
    const { coordinator: c } = await startCoordinator({ groupMaxSize: 2 });
    await stableGroup(c, 2);
    const third = await c.joinGroup(joinParams({ clientId: 'third' }));
    assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    assert.equal(c.group('g')!.size, 2);
  });

  it('commits and fetches offsets: simple commits for memberless groups, member commits checked against the generation', async () => {
    const { coordinator: c } = await startCoordinator();
    const commit = (groupId: string, generationId: number, memberId: string, offset: number, metadata: string | null = 'm') =>
      c.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset, leaderEpoch: 3, commitTimestampMs: -1, metadata }] }] });
    assert.deepEqual(await commit('simple', -1, '', 42), [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE }]);
    assert.equal(c.group('simple')!.state, 'Empty');
    const fetched = c.fetchOffsets('simple', [{ topic: 't', partitions: [0, 1] }, { topic: 'other', partitions: [0] }], false);
    assert.deepEqual(fetched, {
      errorCode: ErrorCode.NONE,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: 42, leaderEpoch: 3, metadata: 'm', errorCode: ErrorCode.NONE },
            { partition: 1, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE },
          ],
        },
        { topic: 'other', partitions: [{ partition: 0, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }] },
      ],
    });
    assert.deepEqual(c.fetchOffsets('simple', null, false).topics, [{ topic: 't', partitions: [{ partition: 0, offset: 42, leaderEpoch: 3, metadata: 'm', errorCode: ErrorCode.NONE }] }]);
    assert.deepEqual(c.fetchOffsets('nobody', null, false), { errorCode: ErrorCode.NONE, topics: [] });
    assert.equal((await commit('nogroup', 3, 'member', 1))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await commit('simple', -1, '', 43, 'x'.repeat(4097)))[0]!.errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE);

    const [leader] = await stableGroup(c, 1);
    assert.equal((await commit('g', 1, leader!.memberId, 7))[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit('g', 0, leader!.memberId, 8))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await commit('g', 1, 'nobody', 8))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await commit('g', -1, '', 8))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'simple commits are refused while the group has members');
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], false).topics[0]!.partitions[0]!.offset, 7);
    // Between JoinGroup and SyncGroup: REBALANCE_IN_PROGRESS.
    const rejoin = await c.joinGroup(joinParams({ memberId: leader!.memberId }));
    assert.equal(c.group('g')!.state, 'CompletingRebalance');
    assert.equal((await commit('g', rejoin.generationId, leader!.memberId, 9))[0]!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('requireStable: a partition with a commit being written answers UNSTABLE_OFFSET_COMMIT', async () => {
    const { coordinator: c, store } = await startCoordinator();
    await c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    store.holdAppends = true;
    const inFlight = watch(c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 2, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] }));
    await settle();
    assert.equal(inFlight.done, false, 'OffsetCommit answers only after the append');
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], true).topics[0]!.partitions[0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], false).topics[0]!.partitions[0]!.offset, 1);
    store.release();
    await inFlight.promise;
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], true).topics[0]!.partitions[0]!.offset, 2);
  });

  it('a failed append fails the commit and leaves the committed offset unchanged', async () => {
    const { coordinator: c, store } = await startCoordinator();
    const commit = (offset: number) =>
      c.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    await commit(5);
    store.failAppendsWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    assert.equal((await commit(6))[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    store.failAppendsWith = ErrorCode.MESSAGE_TOO_LARGE;
    assert.equal((await commit(6))[0]!.errorCode, ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }], false).topics[0]!.partitions[0]!.offset, 5);
  });

  it('COORDINATOR_NOT_AVAILABLE while __consumer_offsets cannot be created', async () => {
    const store = new MemoryOffsetsStore();
    store.failCreateWith = ErrorCode.INVALID_REPLICATION_FACTOR;
    const { coordinator: c } = await startCoordinator({}, store);
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 });
    assert.equal((await c.joinGroup(joinParams())).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    store.failCreateWith = ErrorCode.NONE;
    assert.deepEqual(c.findGroupCoordinator('g'), { errorCode: ErrorCode.NONE, nodeId: MemoryOffsetsStore.THIS_BROKER_ID });
    assert.equal(store.partitionCount(), 5);
  });

  it('rebuilds groups and offsets from __consumer_offsets at start-up; tombstones delete', async () => {
    const { coordinator: c, store } = await startCoordinator();
    const [leader] = await stableGroup(c, 1, 'g', ['t']);
    const commit = (groupId: string, gen: number, memberId: string, partition: number, offset: number) =>
      c.commitOffsets({ groupId, generationId: gen, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition, offset, leaderEpoch: 1, commitTimestampMs: -1, metadata: `at-${offset}` }] }] });
    await commit('g', 1, leader!.memberId, 0, 10);
    await commit('g', 1, leader!.memberId, 0, 11);
    await commit('g', 1, leader!.memberId, 1, 20);
    await commit('offsets-only', -1, '', 0, 99);
    await commit('doomed', -1, '', 0, 1);
    assert.deepEqual(await c.deleteGroups(['doomed']), new Map([['doomed', ErrorCode.NONE]]));
    await c.shutdown();

    const { coordinator: reloaded } = await startCoordinator({}, store);
    const g = reloaded.group('g')!;
    assert.equal(g.state, 'Stable');
    assert.equal(g.generationId, 1);
    assert.equal(g.protocolName, 'range');
    assert.equal(g.leaderId, leader!.memberId);
    assert.equal(g.get(leader!.memberId).assignment.toString(), `assignment-of-${leader!.memberId}`);
    assert.deepEqual(
      reloaded.fetchOffsets('g', null, false).topics[0]!.partitions.map((p) => [p.partition, p.offset, p.metadata]),
      [
        [0, 11, 'at-11'],
        [1, 20, 'at-20'],
      ],
    );
    assert.equal(reloaded.fetchOffsets('offsets-only', [{ topic: 't', partitions: [0] }], false).topics[0]!.partitions[0]!.offset, 99);
    assert.equal(reloaded.group('offsets-only')!.state, 'Empty');
    assert.equal(reloaded.group('doomed'), undefined);
    // The restored member keeps its session: heartbeats work, silence expires it.
    assert.equal(reloaded.heartbeat('g', leader!.memberId, null, 1), ErrorCode.NONE);
    mock.timers.tick(5000);
    assert.equal(reloaded.group('g')!.state, 'Empty');
    assert.equal(reloaded.group('g')!.generationId, 2);
    await reloaded.shutdown();
  });

  it('expires offsets of an Empty group retention after it became empty, then the group itself', async () => {
    const { coordinator: c, store } = await startCoordinator({ offsetsRetentionMs: 60_000 });
    const [leader] = await stableGroup(c, 1, 'g', ['t']);
    await c.commitOffsets({ groupId: 'g', generationId: 1, memberId: leader!.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 5, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    mock.timers.tick(120_000 - 1); // a long-lived member keeps committed offsets of its subscribed topic
    c.heartbeat('g', leader!.memberId, null, 1);
    assert.equal(await c.expireOffsetsNow(), 0);
    await c.leaveGroup('g', [{ memberId: leader!.memberId, groupInstanceId: null, reason: null }]);
    mock.timers.tick(0);
    await settle();
    assert.equal(c.group('g')!.state, 'Empty');
    mock.timers.tick(59_999);
    assert.equal(await c.expireOffsetsNow(), 0, 'not yet: retention counts from when the group became empty');
    mock.timers.tick(1);
    assert.equal(await c.expireOffsetsNow(), 1);
    assert.equal(c.group('g'), undefined, 'an Empty group without offsets is removed');
    const tombstones = store.records().filter((r) => r.value === null).map((r) => decodeOffsetsKey(r.key!));
    assert.deepEqual(tombstones, [
      { kind: 'offset', group: 'g', topic: 't', partition: 0 },
      { kind: 'group', group: 'g' },
    ]);
    // A commit with an explicit retention time (OffsetCommit v2-4) expires at its own time.
    await c.commitOffsets({ groupId: 'r', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    mock.timers.tick(1000);
    assert.equal(await c.expireOffsetsNow(), 1);
  });

  it('checks for expired offsets every offsets.retention.check.interval.ms', async () => {
    const { coordinator: c, store } = await startCoordinator({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    await c.commitOffsets({ groupId: 'tool', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    mock.timers.tick(59_999);
    await settle();
    assert.ok(c.group('tool'), 'the checks up to 50 s find the offset within retention');
    mock.timers.tick(1);
    await settle();
    assert.equal(c.group('tool'), undefined);
    assert.deepEqual(store.records().filter((r) => r.value === null).map((r) => decodeOffsetsKey(r.key!)), [{ kind: 'offset', group: 'tool', topic: 't', partition: 0 }], 'an offsets-only group (generation 0) gets no group tombstone');
  });

  it('a Stable consumer group expires only offsets of topics it no longer subscribes to', async () => {
    const { coordinator: c } = await startCoordinator({ offsetsRetentionMs: 60_000 });
    const [leader] = await stableGroup(c, 1, 'g', ['kept']);
    await c.commitOffsets({
      groupId: 'g',
      generationId: 1,
      memberId: leader!.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: ['kept', 'dropped'].map((topic) => ({ topic, partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] })),
    });
    for (let i = 0; i < 15; i++) {
      mock.timers.tick(4000);
      c.heartbeat('g', leader!.memberId, null, 1);
    }
    assert.equal(await c.expireOffsetsNow(), 1);
    assert.deepEqual(c.fetchOffsets('g', null, false).topics.map((t) => t.topic), ['kept']);
  });

  it('DeleteGroups deletes Empty groups only; OffsetDelete keeps offsets of subscribed topics', async () => {
    const { coordinator: c } = await startCoordinator();
    const commit = (groupId: string, topic: string, gen = -1, memberId = '') =>
      c.commitOffsets({ groupId, generationId: gen, memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic, partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    await commit('empty', 't');
    const [leader] = await stableGroup(c, 1, 'busy', ['t']);
    await commit('busy', 't', 1, leader!.memberId);
    await commit('busy', 'u', 1, leader!.memberId);
    const deleted = await c.deleteGroups(['empty', 'busy', 'missing', 'empty']);
    assert.deepEqual(Object.fromEntries(deleted), { empty: ErrorCode.NONE, busy: ErrorCode.NON_EMPTY_GROUP, missing: ErrorCode.GROUP_ID_NOT_FOUND });
    assert.equal(c.group('empty'), undefined);
    assert.deepEqual(c.fetchOffsets('empty', null, false).topics, []);

    const od = await c.deleteOffsets('busy', [
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 0 },
    ]);
    assert.equal(od.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      od.partitions.map((p) => [p.topic, p.errorCode]),
      [
        ['t', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
        ['u', ErrorCode.NONE],
      ],
    );
    assert.deepEqual(c.fetchOffsets('busy', null, false).topics.map((t) => t.topic), ['t']);
    assert.equal((await c.deleteOffsets('missing', [{ topic: 't', partition: 0 }])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('lists and describes groups', async () => {
    const { coordinator: c } = await startCoordinator();
    const [leader] = await stableGroup(c, 1, 'g');
    await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, commitTimestampMs: -1, metadata: null }] }] });
    const all = c.listGroups([], []);
    assert.deepEqual(
      all.groups.map((g) => [g.groupId, g.protocolType, g.state, g.groupType]).sort(),
      [
        ['g', 'consumer', 'Stable', 'classic'],
        ['simple', '', 'Empty', 'classic'],
      ],
    );
    assert.deepEqual(c.listGroups(['stable'], []).groups.map((g) => g.groupId), ['g']);
    assert.deepEqual(c.listGroups([], ['consumer']).groups, []);
    assert.equal(c.listGroups([], ['Classic']).groups.length, 2);
    const d = c.describeGroup('g');
    assert.equal(d.state, 'Stable');
    assert.equal(d.protocolData, 'range');
    assert.equal(d.members[0]!.memberId, leader!.memberId);
    assert.equal(d.members[0]!.clientHost, '/127.0.0.1');
    assert.equal(d.members[0]!.assignment.toString(), `assignment-of-${leader!.memberId}`);
    assert.deepEqual(c.describeGroup('missing'), { errorCode: ErrorCode.NONE, notFound: 'Group missing not found.', groupId: 'missing', state: 'Dead', protocolType: '', protocolData: '', members: [] });
  });

  it('shutdown answers parked JoinGroup requests with NOT_COORDINATOR and then refuses requests', async () => {
    const { coordinator: c } = await startCoordinator({ groupInitialRebalanceDelayMs: 3000 });
    const parked = join(c);
    await settle();
    await c.shutdown();
    assert.equal((await parked.promise).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.equal((await c.joinGroup(joinParams())).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(c.heartbeat('g', 'x', null, 1), ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assert.equal(c.listGroups([], []).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
