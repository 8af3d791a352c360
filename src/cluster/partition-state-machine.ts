// PartitionStateMachine (the write half): how the controller changes a partition's state znode
// /brokers/topics/<t>/partitions/<p>/state, after Kafka's ZooKeeper-mode
// PartitionStateMachine / KafkaZkClient.updateLeaderAndIsr.
// - Read the znode (from ZooKeeper, not the watched copy: a decision is made on the state it
//   replaces), decide (leader-election.ts), write in one multi: `check` of /controller_epoch
//   at the version this controller was elected with, and setData of the state znode with the
//   version read as compare-and-set.
// - BAD_VERSION on the state znode: someone wrote it meanwhile (the partition leader changing
//   its ISR, Kafka's AlterPartition path): read again and decide again, up to
//   CAS_ATTEMPTS_MAX times.
// - BAD_VERSION (or NO_NODE) on /controller_epoch: another controller was elected; nothing
//   was written, ControllerMovedError stops the event (Kafka's ControllerMovedException).
// Runs on the JS thread, one controller event at a time (controller.ts).
import type { ControllerContext } from './controller-election.js';
import type { Decision, NoChange } from './leader-election.js';
import { NO_LEADER } from './leader-election.js';
import { isZkError, type ZkClient } from './zk-client.js';
import { decodeLeaderAndIsr, encodeLeaderAndIsr, type LeaderAndIsr, ZkPaths } from './zk-data.js';

/** Compare-and-set attempts on one state znode within one controller event. */
export const CAS_ATTEMPTS_MAX = 50;

/** The controller epoch moved on: this broker is no longer the controller and wrote nothing. */
export class ControllerMovedError extends Error {
  constructor(readonly epoch: number) {
    super(`controller epoch ${epoch} is no longer current: another broker is the controller`);
    this.name = 'ControllerMovedError';
  }
}

export type UpdateOutcome =
  | { readonly kind: 'updated'; readonly previous: LeaderAndIsr; readonly state: LeaderAndIsr }
  | { readonly kind: 'unchanged'; readonly reason: NoChange; readonly state: LeaderAndIsr }
  /** No state znode: the topic is being deleted, or the partition is not online yet. */
  | { readonly kind: 'gone' };

/** Invariants of a state the controller writes; a violation is a bug in the decision, never written. */
function assertWritable(path: string, current: LeaderAndIsr, next: LeaderAndIsr): void {
  const problems: string[] = [];
  if (next.leaderEpoch !== current.leaderEpoch + 1) problems.push(`leader epoch ${current.leaderEpoch} -> ${next.leaderEpoch}`);
  if (next.leader !== NO_LEADER && !next.isr.includes(next.leader)) problems.push(`leader ${next.leader} not in ISR ${JSON.stringify(next.isr)}`);
  if (next.isr.length === 0) problems.push('empty ISR');
  if (new Set(next.isr).size !== next.isr.length) problems.push(`duplicate in ISR ${JSON.stringify(next.isr)}`);
  if (problems.length > 0) throw new Error(`${path}: refusing to write ${JSON.stringify(next)} over ${JSON.stringify(current)}: ${problems.join(', ')}`);
}

/**
 * Changes one partition's state as `decide` says, fenced by the controller epoch; re-reads and
 * re-decides when the znode changed in between. Throws ControllerMovedError when deposed.
 */
export async function updatePartitionState(zk: ZkClient, ctx: ControllerContext, topic: string, partition: number, decide: (current: LeaderAndIsr) => Decision): Promise<UpdateOutcome> {
  const path = ZkPaths.partitionState(topic, partition);
  for (let attempt = 1; ; attempt++) {
    const node = await zk.getData(path);
    if (!node) return { kind: 'gone' };
    const current = decodeLeaderAndIsr(path, node.data);
    const decision = decide(current);
    if ('noChange' in decision) return { kind: 'unchanged', reason: decision.noChange, state: current };
    const next = decision.next;
    assertWritable(path, current, next);
    try {
      await zk.multi([
        { op: 'check', path: ZkPaths.controllerEpoch, version: ctx.epochZkVersion },
        { op: 'setData', path, data: encodeLeaderAndIsr(next), version: node.version },
      ]);
      return { kind: 'updated', previous: current, state: next };
    } catch (err) {
      const failedOp = (err as { failedOp?: number }).failedOp;
      if (failedOp === 0 && (isZkError(err, 'BAD_VERSION') || isZkError(err, 'NO_NODE'))) throw new ControllerMovedError(ctx.epoch);
      if (failedOp === 1 && isZkError(err, 'NO_NODE')) return { kind: 'gone' };
      if (!(failedOp === 1 && isZkError(err, 'BAD_VERSION'))) throw err;
      if (attempt >= CAS_ATTEMPTS_MAX) throw new Error(`${path}: changed under the controller ${attempt} times in a row; giving up for this event`, { cause: err });
    }
  }
}
