// The reassignment decisions (src/cluster/reassignment.ts) against hand-worked cases from
// KIP-455 and Kafka's ReplicaAssignment, the topic znode's adding/removing fields, and the
// replication throttle pieces (src/cluster/replication-throttle.ts). No I/O.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  invalidTarget,
  isReassigning,
  originReplicas,
  reassignmentCompleteDecision,
  reassignmentStartDecision,
  reassignTo,
  targetReplicas,
} from '../../src/cluster/reassignment.js';
import { isThrottledReplica, ReplicationQuota, UNLIMITED_BYTES_PER_SEC } from '../../src/cluster/replication-throttle.js';
import { decodeLegacyReassignments, decodeTopicAssignment, encodeLegacyReassignments, encodeTopicAssignment, type LeaderAndIsr } from '../../src/cluster/zk-data.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const TOPIC_ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
const state = (leader: number, isr: number[], leaderEpoch = 4): LeaderAndIsr => ({ leader, leaderEpoch, isr, controllerEpoch: 1 });
const live = (...ids: number[]) => new Set(ids);

describe('ReplicaAssignment (Kafka\'s reassignTo)', () => {
  it('RS = TRS then the rest of ORS; AR = RS - ORS; RR = RS - TRS', () => {
    const a = reassignTo({ replicas: [1, 2], adding: [], removing: [] }, [2, 3]);
    assert.deepEqual(a, { replicas: [2, 3, 1], adding: [3], removing: [1] });
    assert.deepEqual(originReplicas(a), [2, 1]);
    assert.deepEqual(targetReplicas(a), [2, 3]);
    assert.ok(isReassigning(a));
  });

  it('more replicas, fewer replicas, another order', () => {
    assert.deepEqual(reassignTo({ replicas: [1, 2], adding: [], removing: [] }, [1, 2, 3]), { replicas: [1, 2, 3], adding: [3], removing: [] });
    assert.deepEqual(reassignTo({ replicas: [1, 2], adding: [], removing: [] }, [1]), { replicas: [1, 2], adding: [], removing: [2] });
    const reordered = reassignTo({ replicas: [1, 2], adding: [], removing: [] }, [2, 1]);
    assert.deepEqual(reordered, { replicas: [2, 1], adding: [], removing: [] });
    assert.ok(!isReassigning(reordered), 'a new order alone moves no data: written at once');
  });

  it('a new target during a move starts from the original replicas, not the moving set', () => {
    const moving = { replicas: [2, 3, 1], adding: [3], removing: [1] };
    assert.deepEqual(reassignTo(moving, [4, 1]), { replicas: [4, 1, 2], adding: [4], removing: [2] });
  });

  it('cancelling (back to ORS) leaves nothing moving', () => {
    const moving = { replicas: [2, 3, 1], adding: [3], removing: [1] };
    const back = reassignTo(moving, originReplicas(moving));
    assert.deepEqual(back, { replicas: [2, 1], adding: [], removing: [] });
    assert.ok(!isReassigning(back));
  });

  it('refuses an empty target, duplicates and replicas to add on unregistered brokers with INVALID_REPLICA_ASSIGNMENT', () => {
    const registered = live(1, 2, 3);
    const current = { replicas: [1, 4], adding: [], removing: [] };
    assert.equal(invalidTarget([], current, registered)?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(invalidTarget([1, 1], current, registered)?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(invalidTarget([1, -2], current, registered)?.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.match(invalidTarget([1, 9], current, registered)!.errorMessage, /not alive.*Replica list: 9, live broker list: 1,2,3/);
    assert.equal(invalidTarget([3, 1], current, registered), null);
    assert.equal(invalidTarget([4, 3], current, registered), null, 'a replica already assigned (broker 4, down) may stay');
  });
});

describe('the controller\'s state changes', () => {
  it('step A bumps the leader epoch, keeping leader and ISR within RS', () => {
    const d = reassignmentStartDecision(state(1, [1, 2]), [2, 3, 1], live(1, 2, 3), 7);
    assert.deepEqual(d, { next: { leader: 1, leaderEpoch: 5, isr: [1, 2], controllerEpoch: 7 } });
  });

  it('step A after a cancel: an added replica that leads is replaced by a live ISR member of RS', () => {
    const d = reassignmentStartDecision(state(3, [3, 2, 1]), [2, 1], live(1, 2, 3), 7);
    assert.deepEqual(d, { next: { leader: 2, leaderEpoch: 5, isr: [2, 1], controllerEpoch: 7 } });
  });

  it('step B waits until every target replica is in the ISR', () => {
    assert.deepEqual(reassignmentCompleteDecision(state(1, [1, 2]), [2, 3], live(1, 2, 3), 7), { noChange: 'not-needed' });
  });

  it('step B moves leadership into TRS and the ISR within it', () => {
    const d = reassignmentCompleteDecision(state(1, [1, 2, 3]), [2, 3], live(1, 2, 3), 7);
    assert.deepEqual(d, { next: { leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 } });
  });

  it('step B keeps a leader already in TRS', () => {
    const d = reassignmentCompleteDecision(state(3, [1, 2, 3]), [2, 3], live(1, 2, 3), 7);
    assert.deepEqual(d, { next: { leader: 3, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 } });
  });

  it('step B without a live target replica in the ISR waits', () => {
    assert.deepEqual(reassignmentCompleteDecision(state(1, [1, 2, 3]), [2, 3], live(1), 7), { noChange: 'no-eligible-leader' });
  });
});

describe('the topic znode (TopicZNode v3) and /admin/reassign_partitions', () => {
  it('round-trips adding_replicas and removing_replicas, writing only moving partitions', () => {
    const data = encodeTopicAssignment(TOPIC_ID, new Map([[0, [2, 3, 1]], [1, [1, 2]]]), new Map([[0, [3]], [1, []]]), new Map([[0, [1]]]));
    const json = JSON.parse(data.toString()) as Record<string, unknown>;
    assert.deepEqual(json.adding_replicas, { 0: [3] });
    assert.deepEqual(json.removing_replicas, { 0: [1] });
    const back = decodeTopicAssignment('t', data);
    assert.deepEqual([...back.partitions], [[0, [2, 3, 1]], [1, [1, 2]]]);
    assert.deepEqual([...back.adding], [[0, [3]]]);
    assert.deepEqual([...back.removing], [[0, [1]]]);
  });

  it('reads a version 1 topic znode without the fields, and refuses a reassignment of an unknown partition', () => {
    const v1 = Buffer.from(JSON.stringify({ version: 1, topic_id: Buffer.alloc(16, 1).toString('base64url'), partitions: { 0: [1] } }));
    assert.equal(decodeTopicAssignment('t', v1).adding.size, 0);
    const bad = Buffer.from(JSON.stringify({ version: 3, topic_id: Buffer.alloc(16, 1).toString('base64url'), partitions: { 0: [1] }, adding_replicas: { 5: [2] }, removing_replicas: {} }));
    assert.throws(() => decodeTopicAssignment('t', bad), /reassignment of partition 5/);
  });

  it('round-trips the legacy reassignment znode', () => {
    const list = [{ topic: 'a', partition: 0, replicas: [2, 3] }];
    assert.deepEqual(decodeLegacyReassignments(encodeLegacyReassignments(list)), list);
    assert.throws(() => decodeLegacyReassignments(Buffer.from('{"version":1}')), /"partitions" must be a list/);
  });
});

describe('replication throttles', () => {
  it('throttled replica lists: "*" or partition:broker', () => {
    assert.ok(isThrottledReplica(['*'], 3, 9));
    assert.ok(isThrottledReplica(['0:1', '0:3'], 0, 3));
    assert.ok(!isThrottledReplica(['0:1', '1:3'], 0, 3));
    assert.ok(!isThrottledReplica([], 0, 3));
  });

  it('the quota holds a rate on average: exceeded while in debt, for as long as the debt takes to repay', () => {
    let rate = 1000;
    const q = new ReplicationQuota(() => rate);
    const t0 = Date.now();
    assert.ok(!q.isExceeded(t0));
    q.record(3000, t0);
    assert.ok(q.isExceeded(t0));
    assert.ok(Math.abs(q.waitMs(t0) - 3000) <= 1, `wait ${q.waitMs(t0)} ms`);
    assert.ok(q.isExceeded(t0 + 2500));
    assert.ok(!q.isExceeded(t0 + 3100));
    rate = UNLIMITED_BYTES_PER_SEC;
    q.record(1e9, t0 + 3200);
    assert.ok(!q.isExceeded(t0 + 3200), 'no limit: never exceeded');
  });
});
