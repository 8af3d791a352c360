// Leader election: the controller's decisions for one partition, as pure functions of the
// assignment, the state znode and the live brokers, after Kafka's
// PartitionLeaderElectionAlgorithms and the ZooKeeper-mode PartitionStateMachine /
// ReplicaStateMachine (KafkaController.onBrokerFailure, checkAndTriggerAutoLeaderRebalance).
// No I/O: partition-state-machine.ts writes what these return, and the tests check them
// against hand-worked cases. Every change of leader or ISR bumps the leader epoch, as
// Kafka's ZooKeeper-mode controller does (LeaderAndIsr.newLeaderAndIsr).
import type { LeaderAndIsr } from './zk-data.js';

/** No leader: the partition is offline (Kafka's LeaderAndIsr.NoLeader). */
export const NO_LEADER = -1;

/**
 * OfflinePartitionLeaderElectionStrategy: the first replica in assignment order that is live
 * and in the ISR; with unclean election allowed, else the first live replica.
 */
export function offlinePartitionLeader(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>, uncleanEnabled: boolean): number | undefined {
  const clean = assignment.find((id) => live.has(id) && isr.includes(id));
  if (clean !== undefined) return clean;
  return uncleanEnabled ? assignment.find((id) => live.has(id)) : undefined;
}

/** PreferredReplicaPartitionLeaderElectionStrategy: the first replica of the assignment, if it is live and in the ISR. */
export function preferredReplicaLeader(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>): number | undefined {
  const preferred = assignment[0];
  return preferred !== undefined && live.has(preferred) && isr.includes(preferred) ? preferred : undefined;
}

/** Why a partition keeps its state, for logs and ElectLeaders results. */
export type NoChange = 'not-needed' | 'no-eligible-leader';

export type Decision = { readonly next: LeaderAndIsr } | { readonly noChange: NoChange };

function withLeader(current: LeaderAndIsr, leader: number, isr: readonly number[], controllerEpoch: number): LeaderAndIsr {
  return { leader, leaderEpoch: current.leaderEpoch + 1, isr: [...isr], controllerEpoch };
}

/**
 * What the controller does with a partition when brokers come and go (and on failover, where
 * it re-checks every partition from ZooKeeper):
 * - the leader is not live (or there is none): elect one (offlinePartitionLeader). The new ISR
 *   is the live ISR members when the leader came from the ISR, else just the leader (unclean,
 *   Kafka's leaderForOffline). No one eligible: leader -1 and the ISR kept as it was, so that
 *   an ISR member coming back can lead again (Kafka keeps the last ISR member).
 * - the leader is live but some ISR members are not: they leave the ISR.
 * A returning broker that is not in the ISR is left out: the leader adds it once caught up.
 */
export function onlinePartitionDecision(current: LeaderAndIsr, assignment: readonly number[], live: ReadonlySet<number>, uncleanEnabled: boolean, controllerEpoch: number): Decision {
  if (current.leader === NO_LEADER || !live.has(current.leader)) {
    const leader = offlinePartitionLeader(assignment, current.isr, live, uncleanEnabled);
    if (leader === undefined) {
      if (current.leader === NO_LEADER) return { noChange: 'no-eligible-leader' };
      return { next: withLeader(current, NO_LEADER, current.isr, controllerEpoch) };
    }
    const isr = current.isr.includes(leader) ? current.isr.filter((id) => live.has(id)) : [leader];
    return { next: withLeader(current, leader, isr, controllerEpoch) };
  }
  const isr = current.isr.filter((id) => live.has(id));
  // An ISR is never emptied: a live leader outside its own ISR is the leader's business.
  if (isr.length === current.isr.length || isr.length === 0) return { noChange: 'not-needed' };
  return { next: withLeader(current, current.leader, isr, controllerEpoch) };
}

/** Preferred leader election (ElectLeaders type 0, auto rebalance): ISR unchanged. */
export function preferredLeaderDecision(current: LeaderAndIsr, assignment: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): Decision {
  if (current.leader === assignment[0] && live.has(current.leader)) return { noChange: 'not-needed' };
  const leader = preferredReplicaLeader(assignment, current.isr, live);
  if (leader === undefined) return { noChange: 'no-eligible-leader' };
  return { next: withLeader(current, leader, current.isr, controllerEpoch) };
}

/**
 * Unclean leader election on request (ElectLeaders type 1): only for partitions without a live
 * leader, whatever unclean.leader.election.enable says (KIP-460).
 */
export function uncleanLeaderDecision(current: LeaderAndIsr, assignment: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): Decision {
  if (current.leader !== NO_LEADER && live.has(current.leader)) return { noChange: 'not-needed' };
  const leader = offlinePartitionLeader(assignment, current.isr, live, true);
  if (leader === undefined) return { noChange: 'no-eligible-leader' };
  const isr = current.isr.includes(leader) ? current.isr.filter((id) => live.has(id)) : [leader];
  return { next: withLeader(current, leader, isr, controllerEpoch) };
}

export interface PartitionLeadershipView {
  readonly topic: string;
  readonly partition: number;
  readonly assignment: readonly number[];
  /** The current leader; -1 when there is none; undefined before the partition has a state znode. */
  readonly leader: number | undefined;
}

/**
 * Kafka's checkAndTriggerAutoLeaderRebalance, the choice part: per preferred broker (the
 * first replica), the share of its partitions led by another broker; above
 * `imbalancePercentage` / 100 all of them are candidates for preferred election (the caller
 * still checks the preferred replica is live and in the ISR). Partitions without a state
 * (not yet online) are not counted as imbalanced, as Kafka skips them.
 */
export function imbalancedPartitions(partitions: readonly PartitionLeadershipView[], imbalancePercentage: number): PartitionLeadershipView[] {
  const byPreferred = new Map<number, PartitionLeadershipView[]>();
  for (const p of partitions) {
    const preferred = p.assignment[0];
    if (preferred === undefined) continue;
    const list = byPreferred.get(preferred) ?? [];
    list.push(p);
    byPreferred.set(preferred, list);
  }
  const out: PartitionLeadershipView[] = [];
  for (const [preferred, list] of byPreferred) {
    const notLed = list.filter((p) => p.leader !== undefined && p.leader !== preferred);
    if (notLed.length / list.length > imbalancePercentage / 100) out.push(...notLed);
  }
  return out;
}
