// The controller's leader-election rules (src/cluster/leader-election.ts) on hand-worked cases
// after Kafka's PartitionLeaderElectionAlgorithms and onBrokerFailure, and a seeded check of
// their invariants over random assignments, ISRs and live sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  imbalancedPartitions,
  NO_LEADER,
  offlinePartitionLeader,
  onlinePartitionDecision,
  preferredLeaderDecision,
  preferredReplicaLeader,
  uncleanLeaderDecision,
  type Decision,
} from '../../src/cluster/leader-election.js';
import type { LeaderAndIsr } from '../../src/cluster/zk-data.js';

const state = (leader: number, isr: number[], leaderEpoch = 4): LeaderAndIsr => ({ leader, leaderEpoch, isr, controllerEpoch: 1 });
const live = (...ids: number[]) => new Set(ids);
const next = (d: Decision): LeaderAndIsr => {
  assert.ok('next' in d, `expected a change, got ${JSON.stringify(d)}`);
  return d.next;
};

describe('leader election rules', () => {
  it('offline election: first live ISR member in assignment order; unclean only when allowed', () => {
    assert.equal(offlinePartitionLeader([3, 1, 2], [1, 2], live(1, 2), false), 1);
    assert.equal(offlinePartitionLeader([3, 2, 1], [1, 2], live(1, 2), false), 2, 'assignment order, not ISR order');
    assert.equal(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), false), undefined);
    assert.equal(offlinePartitionLeader([1, 2, 3], [1], live(2, 3), true), 2);
    assert.equal(offlinePartitionLeader([1, 2, 3], [1], live(), true), undefined);
    assert.equal(preferredReplicaLeader([2, 1], [1, 2], live(1, 2)), 2);
    assert.equal(preferredReplicaLeader([2, 1], [1], live(1, 2)), undefined, 'not in the ISR');
    assert.equal(preferredReplicaLeader([2, 1], [1, 2], live(1)), undefined, 'not live');
  });

  it('leader lost: next ISR member leads, epoch + 1, the dead broker leaves the ISR', () => {
    const s = next(onlinePartitionDecision(state(1, [1, 2, 3]), [1, 2, 3], live(2, 3), false, 7));
    assert.deepEqual(s, { leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 });
  });

  it('no live ISR member: offline (leader -1, ISR kept) unless unclean, which takes the first live replica alone', () => {
    const offline = next(onlinePartitionDecision(state(1, [1, 2]), [1, 2, 3], live(3), false, 7));
    assert.deepEqual(offline, { leader: NO_LEADER, leaderEpoch: 5, isr: [1, 2], controllerEpoch: 7 });
    assert.deepEqual(onlinePartitionDecision(offline, [1, 2, 3], live(3), false, 7), { noChange: 'no-eligible-leader' }, 'stays offline: no new write');
    const unclean = next(onlinePartitionDecision(state(1, [1, 2]), [1, 2, 3], live(3), true, 7));
    assert.deepEqual(unclean, { leader: 3, leaderEpoch: 5, isr: [3], controllerEpoch: 7 });
  });

  it('an offline partition gets its leader back when an ISR member returns; a returning non-ISR replica does not', () => {
    const offline = state(NO_LEADER, [1, 2], 5);
    assert.deepEqual(onlinePartitionDecision(offline, [3, 2, 1], live(3), false, 8), { noChange: 'no-eligible-leader' });
    assert.deepEqual(next(onlinePartitionDecision(offline, [3, 2, 1], live(3, 2), false, 8)), { leader: 2, leaderEpoch: 6, isr: [2], controllerEpoch: 8 });
    // A live leader and a returning broker outside the ISR: the leader adds it once caught up.
    assert.deepEqual(onlinePartitionDecision(state(2, [2]), [3, 2, 1], live(1, 2, 3), false, 8), { noChange: 'not-needed' });
  });

  it('a dead follower leaves the ISR with epoch + 1; nothing to do when all ISR members live', () => {
    assert.deepEqual(next(onlinePartitionDecision(state(2, [1, 2, 3]), [1, 2, 3], live(2, 3), false, 7)), { leader: 2, leaderEpoch: 5, isr: [2, 3], controllerEpoch: 7 });
    assert.deepEqual(onlinePartitionDecision(state(2, [2, 3]), [1, 2, 3], live(2, 3), false, 7), { noChange: 'not-needed' });
  });

  it('preferred election: only to a live in-ISR preferred replica; ISR unchanged', () => {
    assert.deepEqual(next(preferredLeaderDecision(state(2, [2, 1, 3]), [1, 2, 3], live(1, 2, 3), 7)), { leader: 1, leaderEpoch: 5, isr: [2, 1, 3], controllerEpoch: 7 });
    assert.deepEqual(preferredLeaderDecision(state(1, [2, 1, 3]), [1, 2, 3], live(1, 2, 3), 7), { noChange: 'not-needed' });
    assert.deepEqual(preferredLeaderDecision(state(2, [2, 3]), [1, 2, 3], live(1, 2, 3), 7), { noChange: 'no-eligible-leader' });
    assert.deepEqual(preferredLeaderDecision(state(2, [2, 1]), [1, 2, 3], live(2, 3), 7), { noChange: 'no-eligible-leader' });
  });

  it('unclean election on request: only without a live leader', () => {
    assert.deepEqual(uncleanLeaderDecision(state(2, [2]), [1, 2, 3], live(1, 2, 3), 7), { noChange: 'not-needed' });
    assert.deepEqual(next(uncleanLeaderDecision(state(NO_LEADER, [2]), [1, 2, 3], live(1, 3), 7)), { leader: 1, leaderEpoch: 5, isr: [1], controllerEpoch: 7 });
    assert.deepEqual(next(uncleanLeaderDecision(state(NO_LEADER, [2, 3]), [1, 2, 3], live(1, 3), 7)), { leader: 3, leaderEpoch: 5, isr: [3], controllerEpoch: 7 }, 'an ISR member first');
    assert.deepEqual(uncleanLeaderDecision(state(NO_LEADER, [2]), [1, 2, 3], live(), 7), { noChange: 'no-eligible-leader' });
  });

  it('imbalance: per preferred broker, the share not led by it above the percentage', () => {
    const p = (partition: number, assignment: number[], leader: number | undefined) => ({ topic: 't', partition, assignment, leader });
    const views = [p(0, [1, 2], 1), p(1, [1, 2], 2), p(2, [1, 2], 1), p(3, [1, 2], 1), p(4, [2, 1], 2), p(5, [2, 1], undefined)];
    // Broker 1: 1 of 4 led elsewhere (25 %); broker 2: 0 of 2 (the partition without a state does not count).
    assert.deepEqual(imbalancedPartitions(views, 25).map((v) => v.partition), [], 'not above 25 %');
    assert.deepEqual(imbalancedPartitions(views, 10).map((v) => v.partition), [1]);
    assert.deepEqual(imbalancedPartitions(views, 0).map((v) => v.partition), [1]);
  });

  it('invariants over random cases (seeded): a new leader is live and in the new ISR, the ISR only shrinks to live members, epoch + 1', () => {
    let seed = 20261125;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const shuffle = <T>(xs: T[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
      return xs;
    };
    for (let i = 0; i < 5000; i++) {
      const assignment = shuffle([1, 2, 3, 4, 5]).slice(0, 1 + rand(5));
      const isr = assignment.filter(() => rand(3) > 0);
      if (isr.length === 0) isr.push(assignment[0]!);
      const leader = rand(4) === 0 ? NO_LEADER : isr[rand(isr.length)]!;
      const alive = live(...[1, 2, 3, 4, 5].filter(() => rand(2) === 0));
      const unclean = rand(2) === 0;
      const current = state(leader, isr, rand(100));
      const d = onlinePartitionDecision(current, assignment, alive, unclean, 9);
      const why = JSON.stringify({ assignment, current, alive: [...alive], unclean, d });
      if ('noChange' in d) {
        if (d.noChange === 'not-needed') assert.ok(alive.has(leader) && isr.every((id) => alive.has(id)), why);
        else assert.ok(leader === NO_LEADER && offlinePartitionLeader(assignment, isr, alive, unclean) === undefined, why);
        continue;
      }
      assert.equal(d.next.leaderEpoch, current.leaderEpoch + 1, why);
      assert.equal(d.next.controllerEpoch, 9, why);
      assert.ok(d.next.isr.length > 0, why);
      if (d.next.leader === NO_LEADER) {
        assert.deepEqual(d.next.isr, isr, why);
        assert.ok(!unclean || !assignment.some((id) => alive.has(id)), why);
        continue;
      }
      assert.ok(alive.has(d.next.leader) && assignment.includes(d.next.leader), why);
      assert.ok(d.next.isr.includes(d.next.leader), why);
      assert.ok(d.next.isr.every((id) => alive.has(id)), why);
      if (!isr.includes(d.next.leader)) {
        assert.ok(unclean, why);
        assert.deepEqual(d.next.isr, [d.next.leader], why);
      } else {
        assert.ok(d.next.isr.every((id) => isr.includes(id)), `the ISR never grows: ${why}`);
      }
    }
  });
});
