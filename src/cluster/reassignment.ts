// Partition reassignment (KIP-455), the decisions: pure functions of the assignment, the state
// znode and the live brokers, after Kafka's ReplicaAssignment and the ZooKeeper-mode
// KafkaController.onPartitionReassignment. No I/O: controller.ts writes what these return.
//
// Kafka's names: ORS the original replicas, TRS the target replicas, RS the full replica set
// while moving (TRS first, then the rest of ORS, so the preferred leader is TRS's first),
// AR = RS - ORS being added, RR = RS - TRS being removed. The topic znode holds RS in
// "partitions" and AR, RR in "adding_replicas", "removing_replicas"; so ORS = RS - AR and
// TRS = RS - RR can always be read back, by a new controller too.
//
// Steps (the controller's):
//   A. write RS, AR, RR to the topic znode; bump the leader epoch (ISR kept within RS) so every
//      replica re-reads its leadership and the new ones start following;
//   B. once every replica of TRS is in the ISR: a leader in TRS (the current one if it is live
//      and in TRS, else the first live ISR member of TRS), ISR = ISR ∩ TRS, epoch + 1; then
//      RS = TRS with AR and RR cleared in the topic znode: the removed replicas see they are no
//      longer assigned, stop fetching and delete their logs.
// Cancellation is a reassignment back to ORS: AR leaves at once, nothing is removed.
import { ErrorCode } from '../protocol/errors.js';
import { NO_LEADER, type Decision } from './leader-election.js';
import type { LeaderAndIsr } from './zk-data.js';

export interface ReplicaAssignment {
  /** RS: during a reassignment TRS + ORS, otherwise the replicas. */
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

export function isReassigning(a: ReplicaAssignment): boolean {
  return a.adding.length > 0 || a.removing.length > 0;
}

/** ORS: RS without the replicas being added. */
export function originReplicas(a: ReplicaAssignment): number[] {
  return a.replicas.filter((r) => !a.adding.includes(r));
}

/** TRS: RS without the replicas being removed. */
export function targetReplicas(a: ReplicaAssignment): number[] {
  return a.replicas.filter((r) => !a.removing.includes(r));
}

/** Kafka's ReplicaAssignment.reassignTo: RS = (TRS ++ ORS).distinct, AR = RS - ORS, RR = RS - TRS. */
export function reassignTo(current: ReplicaAssignment, target: readonly number[]): ReplicaAssignment {
  const origin = originReplicas(current);
  const replicas = [...new Set([...target, ...origin])];
  return { replicas, adding: replicas.filter((r) => !origin.includes(r)), removing: replicas.filter((r) => !target.includes(r)) };
}

export function sameAssignment(a: ReplicaAssignment, b: ReplicaAssignment): boolean {
  return a.replicas.join() === b.replicas.join() && a.adding.join() === b.adding.join() && a.removing.join() === b.removing.join();
}

/**
 * A target the controller refuses, with Kafka's error and message (ZooKeeper-mode
 * KafkaController.validateReassignment): empty, a broker twice, a negative id, or a replica to
 * add on a broker that is not registered (replicas already assigned may be down).
 */
export function invalidTarget(target: readonly number[], current: ReplicaAssignment, registered: ReadonlySet<number>): { errorCode: number; errorMessage: string } | null {
  if (target.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'Empty replica list specified in partition reassignment.' };
  if (new Set(target).size !== target.length) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Duplicate replica ids in partition reassignment replica list: ${target.join(',')}` };
  if (target.some((r) => !Number.isInteger(r) || r < 0)) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Invalid broker id in replica list: ${target.join(',')}` };
  const adding = reassignTo(current, target).adding;
  if (adding.some((r) => !registered.has(r))) {
    return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Replica assignment has brokers that are not alive. Replica list: ${adding.join(',')}, live broker list: ${[...registered].sort((x, y) => x - y).join(',')}` };
  }
  return null;
}

/**
 * Step A's state change: the same leader with the epoch bumped (Kafka's
 * updateLeaderEpochAndSendRequest), the ISR kept within RS. A leader that is no longer in RS
 * (a cancelled reassignment had made an added replica the leader) is replaced by the first
 * live ISR member of RS. Never empties the ISR.
 */
export function reassignmentStartDecision(current: LeaderAndIsr, replicas: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): Decision {
  const inRs = current.isr.filter((id) => replicas.includes(id));
  const isr = inRs.length > 0 ? inRs : current.isr;
  let leader = current.leader;
  if (leader !== NO_LEADER && !replicas.includes(leader)) leader = replicas.find((id) => live.has(id) && isr.includes(id)) ?? NO_LEADER;
  if (leader !== NO_LEADER && !isr.includes(leader)) return { noChange: 'no-eligible-leader' };
  return { next: { leader, leaderEpoch: current.leaderEpoch + 1, isr, controllerEpoch } };
}

/** Every target replica is in the ISR: step B may run. */
export function targetInSync(isr: readonly number[], target: readonly number[]): boolean {
  return target.every((id) => isr.includes(id));
}

/**
 * Step B's state change: a leader in TRS (Kafka's ReassignPartitionLeaderElectionStrategy: the
 * current one if live and in TRS, else the first replica of TRS that is live and in the ISR),
 * ISR = ISR ∩ TRS, epoch + 1. 'not-needed' while TRS is not in the ISR yet;
 * 'no-eligible-leader' when no replica of TRS can lead now.
 */
export function reassignmentCompleteDecision(current: LeaderAndIsr, target: readonly number[], live: ReadonlySet<number>, controllerEpoch: number): Decision {
  if (!targetInSync(current.isr, target)) return { noChange: 'not-needed' };
  const keep = current.leader !== NO_LEADER && target.includes(current.leader) && live.has(current.leader);
  const leader = keep ? current.leader : target.find((id) => live.has(id) && current.isr.includes(id));
  if (leader === undefined) return { noChange: 'no-eligible-leader' };
  const isr = current.isr.filter((id) => target.includes(id));
  return { next: { leader, leaderEpoch: current.leaderEpoch + 1, isr, controllerEpoch } };
}
