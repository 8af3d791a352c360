// ClusterController: what the elected controller does, after Kafka's KafkaController (ZooKeeper
// mode). Work runs one event at a time (Kafka's ControllerEventManager); every write is fenced
// by a `check` of /controller_epoch, so a deposed controller writes nothing.
// - New partitions (Kafka's PartitionStateMachine NewPartition -> OnlinePartition): leader =
//   the first live replica, ISR = the live replicas, leader epoch 0; partitions without a live
//   replica wait for one to join.
// - Brokers come and go (/brokers/ids changes, onBrokerFailure / onBrokerStartup): partitions
//   whose leader is gone get a new one from the ISR (unclean.leader.election.enable, broker or
//   topic, allows any live replica), or go offline (leader -1, ISR kept); dead brokers leave
//   the ISR of the rest; offline partitions come back when an eligible replica returns. The
//   rules are in leader-election.ts, the compare-and-set writes in partition-state-machine.ts
//   (the partition leader writes the same znode to change its ISR: we re-read and retry).
// - Failover (onBecomeController): every partition is re-checked from ZooKeeper itself, so a
//   decision the previous controller did not write is made now.
// - Preferred leader election: the auto rebalance (auto.leader.rebalance.enable,
//   leader.imbalance.*) and ElectLeaders (electLeaders below, preferred or unclean).
// - Topic deletion requested in /admin/delete_topics.
// - Partition reassignment (KIP-455, reassignment.ts): AlterPartitionReassignments and the
//   legacy /admin/reassign_partitions start or cancel one; its state lives in the topic
//   znode (adding_replicas, removing_replicas), so a new controller resumes it on failover;
//   it completes when the partition's ISR (a watched state znode) holds every target replica.
// - A write that fails (ZooKeeper unreachable for a moment, a state changed under us too
//   often) is not a lost decision: every partition is checked again a little later.
// Controlled shutdown needs nothing here: a stopping broker deregisters first (zk-cluster.ts),
// and the controller moves its leadership as for a dead broker.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { effectiveTopicConfig } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/errors.js';
import type { MetadataChange, TopicMetadata } from './metadata-store.js';
import type { ControllerContext, ControllerListener } from './controller-election.js';
import { imbalancedPartitions, onlinePartitionDecision, preferredLeaderDecision, preferredReplicaLeader, uncleanLeaderDecision, NO_LEADER, type Decision } from './leader-election.js';
import { ControllerMovedError, updatePartitionState, type UpdateOutcome } from './partition-state-machine.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';
import type { ZkMetadataStore } from './zk-metadata-store.js';
import { decodeLegacyReassignments, encodeLeaderAndIsr, encodeLegacyReassignments, type LeaderAndIsr, type TopicAssignmentZNode, ZkPaths } from './zk-data.js';
import {
  invalidTarget,
  isReassigning,
  originReplicas,
  reassignmentCompleteDecision,
  reassignmentStartDecision,
  reassignTo,
  sameAssignment,
  targetInSync,
  targetReplicas,
  type ReplicaAssignment,
} from './reassignment.js';

/** Kafka schedules the first auto rebalance check this long after failover. */
const FIRST_REBALANCE_CHECK_DELAY_MS = 5_000;
/** After a partition could not be written (ZooKeeper unreachable...), every partition is checked again after this long, doubling up to the max while it keeps failing. */
const RECHECK_DELAY_MS_MIN = 1_000;
const RECHECK_DELAY_MS_MAX = 60_000;

/** ElectLeaders' election types (Kafka's ElectionType). */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface ElectionResult extends TopicPartitionRef {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** One partition of AlterPartitionReassignments: the target replicas, or null to cancel. */
export interface ReassignmentRequest extends TopicPartitionRef {
  readonly replicas: readonly number[] | null;
}

export interface ReassignmentResult extends TopicPartitionRef {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** ListPartitionReassignments: an ongoing reassignment as the topic znode holds it. */
export interface OngoingReassignment extends TopicPartitionRef {
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export class ClusterController implements ControllerListener {
  private context: ControllerContext | null = null;
  private deletions: Subscription | null = null;
  private legacyReassignments: Subscription | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private recheckTimer: NodeJS.Timeout | null = null;
  private recheckDelayMs = RECHECK_DELAY_MS_MIN;
  /** A partition write failed during the current event: a recheck is due. */
  private failedInEvent = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly zk: ZkClient,
    private readonly store: ZkMetadataStore,
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    store.onChange((change) => this.onMetadataChange(change));
  }

  get active(): boolean {
    return this.context !== null;
  }

  /**
   * Runs controller work one event at a time; an event of a superseded term does nothing and
   * resolves with undefined. A ControllerMovedError ends this term's work at once.
   */
  private enqueue<T>(what: string, work: (ctx: ControllerContext) => Promise<T>): Promise<T | undefined> {
    const ctx = this.context;
    if (!ctx) return Promise.resolve(undefined);
    const run = this.queue.then(async (): Promise<T | undefined> => {
      if (this.context !== ctx) return undefined;
      try {
        return await work(ctx);
      } catch (err) {
        if (err instanceof ControllerMovedError) {
          this.logger.warn({ controllerEpoch: ctx.epoch, event: what }, 'controller epoch moved on: this broker is no longer the controller');
          if (this.context === ctx) this.stopActing();
        } else {
          this.logger.error({ err, event: what }, 'controller event failed');
          this.scheduleRecheck(ctx);
        }
        return undefined;
      }
    });
    this.queue = run;
    return run;
  }

  async onBecomeController(ctx: ControllerContext): Promise<void> {
    this.context = ctx;
    // Kafka's onControllerFailover: nothing the previous controller decided is trusted to be
    // complete; every partition is checked against ZooKeeper itself.
    await this.enqueue('failover', async (c) => {
      for (const t of this.store.listTopics()) await this.initPartitions(c, t);
      await this.onlinePartitions(c, this.store.listTopics(), 'failover', true);
      await this.resumeReassignments(c);
    });
    if (this.context !== ctx) return;
    this.deletions = this.zk.watchChildren(ZkPaths.deleteTopics, (names) => {
      for (const name of names ?? []) void this.enqueue('deleteTopic', () => this.deleteTopic(name));
    });
    await this.deletions.ready;
    this.legacyReassignments = this.zk.watchData(ZkPaths.reassignPartitions, (value) => {
      if (value) void this.enqueue('legacyReassignment', (c) => this.onLegacyReassignments(c, value.data));
    });
    await this.legacyReassignments.ready;
    if (this.config.values['auto.leader.rebalance.enable']) this.scheduleRebalance(ctx, FIRST_REBALANCE_CHECK_DELAY_MS);
  }

  onResign(): void {
    this.stopActing();
  }

  private stopActing(): void {
    this.context = null;
    this.deletions?.close();
    this.deletions = null;
    this.legacyReassignments?.close();
    this.legacyReassignments = null;
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
    if (this.recheckTimer) clearTimeout(this.recheckTimer);
    this.recheckTimer = null;
    this.recheckDelayMs = RECHECK_DELAY_MS_MIN;
  }

  /** Checks every partition again later, so that a write that failed is not a decision lost. */
  private scheduleRecheck(ctx: ControllerContext): void {
    if (this.recheckTimer || this.context !== ctx) return;
    const delayMs = this.recheckDelayMs;
    this.recheckDelayMs = Math.min(RECHECK_DELAY_MS_MAX, delayMs * 2);
    this.logger.warn({ delayMs }, 'a partition state could not be written; checking every partition again soon');
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = null;
      void this.enqueue('recheck', async (c) => {
        this.failedInEvent = false;
        const topics = this.store.listTopics();
        for (const t of topics) await this.initPartitions(c, t);
        await this.onlinePartitions(c, topics, 'recheck', true);
        await this.resumeReassignments(c);
        if (this.failedInEvent) this.scheduleRecheck(c);
        else this.recheckDelayMs = RECHECK_DELAY_MS_MIN;
      });
    }, delayMs);
    this.recheckTimer.unref();
  }

  private onMetadataChange(change: MetadataChange): void {
    if (!this.context) return;
    if (change.kind === 'topic') {
      // New partitions get leaders; a topic config change (unclean.leader.election.enable) may
      // let offline partitions elect one.
      void this.enqueue('topicChange', async (c) => {
        const t = this.store.getTopic(change.name);
        if (!t) return;
        await this.initPartitions(c, t);
        await this.onlinePartitions(c, [t], 'topicChange', false);
      });
    } else if (change.kind === 'brokers') {
      void this.enqueue('brokerChange', async (c) => {
        const topics = this.store.listTopics();
        for (const t of topics) await this.initPartitions(c, t);
        await this.onlinePartitions(c, topics, 'brokerChange', false);
        // A target replica that could not lead may be back.
        for (const r of this.ongoingReassignments(null)) await this.maybeCompleteReassignment(c, r.topic, r.partition);
      });
    } else if (change.kind === 'partitionState') {
      // Kafka's PartitionReassignmentIsrChangeHandler: the ISR of a moving partition changed.
      const a = this.assignmentOf(change.topic, change.partition);
      const state = this.store.partitionState(change.topic, change.partition);
      if (!a || !isReassigning(a) || !state || !targetInSync(state.isr, targetReplicas(a))) return;
      void this.enqueue('reassignmentIsrChange', (c) => this.maybeCompleteReassignment(c, change.topic, change.partition));
    }
  }

  private liveBrokerIds(): Set<number> {
    return new Set(this.store.liveBrokers().map((b) => b.id));
  }

  private uncleanEnabled(t: TopicMetadata): boolean {
    try {
      return effectiveTopicConfig(this.config, t.configs).uncleanLeaderElectionEnable;
    } catch (err) {
      // A bad override in ZooKeeper: the safe choice.
      this.logger.warn({ err, topic: t.name }, 'unreadable unclean.leader.election.enable override; treating it as false');
      return false;
    }
  }

  /** New partitions get their first leader and ISR. */
  private async initPartitions(ctx: ControllerContext, t: TopicMetadata): Promise<void> {
    const live = this.liveBrokerIds();
    for (const a of t.partitions) {
      if (this.store.partitionState(t.name, a.partition)) continue;
      const liveReplicas = a.replicas.filter((r) => live.has(r));
      if (liveReplicas.length === 0) {
        this.logger.warn({ topic: t.name, partition: a.partition, replicas: a.replicas }, 'no live replica: the partition stays offline until one joins');
        continue;
      }
      const state: LeaderAndIsr = { leader: liveReplicas[0]!, leaderEpoch: 0, isr: liveReplicas, controllerEpoch: ctx.epoch };
      await this.zk.mkdirp(ZkPaths.topicPartition(t.name, a.partition));
      try {
        await this.zk.multi([
          { op: 'check', path: ZkPaths.controllerEpoch, version: ctx.epochZkVersion },
          { op: 'create', path: ZkPaths.partitionState(t.name, a.partition), data: encodeLeaderAndIsr(state), mode: 'persistent' },
        ]);
        this.logger.info({ topic: t.name, partition: a.partition, leader: state.leader, isr: state.isr }, 'partition online');
      } catch (err) {
        if (isZkError(err, 'NODE_EXISTS')) continue;
        if (isZkError(err, 'BAD_VERSION')) throw new ControllerMovedError(ctx.epoch);
        throw err;
      }
    }
  }

  /**
   * Leader election and ISR cleanup after brokers came or went (onlinePartitionDecision).
   * Candidates come from the watched copy; `everyPartition` (failover) checks them all.
   * The decision itself is always made on the znode as read from ZooKeeper.
   */
  private async onlinePartitions(ctx: ControllerContext, topics: readonly TopicMetadata[], trigger: string, everyPartition: boolean): Promise<void> {
    for (const t of topics) {
      const unclean = this.uncleanEnabled(t);
      for (const a of t.partitions) {
        const cached = this.store.partitionState(t.name, a.partition);
        if (!cached) continue; // not online yet: initPartitions
        if (!everyPartition) {
          const live = this.liveBrokerIds();
          const leaderGone = cached.leader === NO_LEADER || !live.has(cached.leader);
          if (!leaderGone && cached.isr.every((id) => live.has(id))) continue;
        }
        await this.changeState(ctx, t.name, a.partition, trigger, (current) => onlinePartitionDecision(current, a.replicas, this.liveBrokerIds(), unclean, ctx.epoch));
      }
    }
  }

  /**
   * One partition's change; a failure other than being deposed is logged, ends only this
   * partition's part of the event, and schedules a check of every partition (scheduleRecheck).
   */
  private async changeState(ctx: ControllerContext, topic: string, partition: number, trigger: string, decide: (current: LeaderAndIsr) => Decision): Promise<UpdateOutcome | null> {
    try {
      const outcome = await updatePartitionState(this.zk, ctx, topic, partition, decide);
      this.logOutcome(topic, partition, outcome, trigger);
      return outcome;
    } catch (err) {
      if (err instanceof ControllerMovedError) throw err;
      this.logger.error({ err, topic, partition, trigger }, 'could not change the partition state');
      this.failedInEvent = true;
      if (trigger !== 'recheck') this.scheduleRecheck(ctx);
      return null;
    }
  }

  private logOutcome(topic: string, partition: number, outcome: UpdateOutcome, trigger: string): void {
    if (outcome.kind !== 'updated') return;
    const { previous, state } = outcome;
    const fields = { topic, partition, trigger, leader: state.leader, previousLeader: previous.leader, leaderEpoch: state.leaderEpoch, isr: state.isr, previousIsr: previous.isr };
    if (state.leader === NO_LEADER) this.logger.warn(fields, 'no live in-sync replica: the partition is offline until one returns');
    else if (state.leader !== previous.leader) this.logger.info(fields, 'elected partition leader');
    else this.logger.info(fields, 'removed offline replicas from the ISR');
  }

  // ---------------------------------------------------------------- preferred leader election

  private scheduleRebalance(ctx: ControllerContext, delayMs: number): void {
    this.rebalanceTimer = setTimeout(() => {
      this.rebalanceTimer = null;
      if (this.context !== ctx) return;
      void this.enqueue('autoLeaderRebalance', (c) => this.autoLeaderRebalance(c)).finally(() => {
        if (this.context === ctx) this.scheduleRebalance(ctx, this.config.values['leader.imbalance.check.interval.seconds'] * 1000);
      });
    }, delayMs);
    this.rebalanceTimer.unref();
  }

  /** Kafka's checkAndTriggerAutoLeaderRebalance: preferred election on brokers whose imbalance is above leader.imbalance.per.broker.percentage. */
  private async autoLeaderRebalance(ctx: ControllerContext): Promise<void> {
    const deleting = new Set((await this.zk.getChildren(ZkPaths.deleteTopics)) ?? []);
    const topics = this.store.listTopics().filter((t) => !deleting.has(t.name));
    const views = topics.flatMap((t) => t.partitions.map((a) => ({ topic: t.name, partition: a.partition, assignment: a.replicas, leader: this.store.partitionState(t.name, a.partition)?.leader })));
    const live = this.liveBrokerIds();
    for (const p of imbalancedPartitions(views, this.config.values['leader.imbalance.per.broker.percentage'])) {
      const cached = this.store.partitionState(p.topic, p.partition);
      if (!cached || preferredReplicaLeader(p.assignment, cached.isr, live) === undefined) continue;
      await this.changeState(ctx, p.topic, p.partition, 'autoLeaderRebalance', (current) => preferredLeaderDecision(current, p.assignment, this.liveBrokerIds(), ctx.epoch));
    }
  }

  /**
   * ElectLeaders on the controller (Kafka's processReplicaLeaderElection, AdminClientTriggered):
   * `partitions` null means all of them, and then partitions that needed no election are left
   * out of the results, as Kafka does. Resolves with null when this broker is not (or stops
   * being) the controller.
   */
  async electLeaders(electionType: number, partitions: readonly TopicPartitionRef[] | null): Promise<ElectionResult[] | null> {
    const results = await this.enqueue('electLeaders', async (ctx) => {
      const all = partitions === null;
      const wanted = all ? this.store.listTopics().flatMap((t) => t.partitions.map((a) => ({ topic: t.name, partition: a.partition }))) : dedupe(partitions);
      const deleting = new Set((await this.zk.getChildren(ZkPaths.deleteTopics)) ?? []);
      const out: ElectionResult[] = [];
      for (const w of wanted) {
        const r = await this.electOne(ctx, electionType, w, deleting);
        if (!(all && r.errorCode === ErrorCode.ELECTION_NOT_NEEDED)) out.push(r);
      }
      return out;
    });
    return results ?? null;
  }

  private async electOne(ctx: ControllerContext, electionType: number, w: TopicPartitionRef, deleting: ReadonlySet<string>): Promise<ElectionResult> {
    const fail = (errorCode: number, errorMessage: string | null = null): ElectionResult => ({ ...w, errorCode, errorMessage });
    const t = this.store.getTopic(w.topic);
    const a = t?.partitions.find((x) => x.partition === w.partition);
    if (!t || !a) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
    if (deleting.has(w.topic)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Skipping election for partition ${w.topic}-${w.partition} since the topic is being deleted`);
    const strategy = electionType === ElectionType.PREFERRED ? 'PreferredReplicaPartitionLeaderElectionStrategy' : 'OfflinePartitionLeaderElectionStrategy(true)';
    const notAvailable = electionType === ElectionType.PREFERRED ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
    const decide = (current: LeaderAndIsr): Decision =>
      electionType === ElectionType.PREFERRED ? preferredLeaderDecision(current, a.replicas, this.liveBrokerIds(), ctx.epoch) : uncleanLeaderDecision(current, a.replicas, this.liveBrokerIds(), ctx.epoch);
    const outcome = await this.changeState(ctx, w.topic, w.partition, electionType === ElectionType.PREFERRED ? 'preferredElection' : 'uncleanElection', decide);
    if (outcome === null) return fail(ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller could not write the partition state to ZooKeeper');
    if (outcome.kind === 'updated') return fail(ErrorCode.NONE);
    if (outcome.kind === 'unchanged' && outcome.reason === 'not-needed') return fail(ErrorCode.ELECTION_NOT_NEEDED);
    return fail(notAvailable, `Failed to elect leader for partition ${w.topic}-${w.partition} under strategy ${strategy}`);
  }

  // ---------------------------------------------------------------- partition reassignment

  private assignmentOf(topic: string, partition: number): ReplicaAssignment | undefined {
    const a = this.store.getTopic(topic)?.partitions.find((x) => x.partition === partition);
    if (!a) return undefined;
    return { replicas: a.replicas, adding: a.addingReplicas ?? [], removing: a.removingReplicas ?? [] };
  }

  /** The ongoing reassignments (of `partitions`, or all), from the topic znodes as watched. */
  ongoingReassignments(partitions: readonly TopicPartitionRef[] | null): OngoingReassignment[] {
    const out: OngoingReassignment[] = [];
    if (partitions === null) {
      for (const t of this.store.listTopics()) {
        for (const a of t.partitions) {
          if ((a.addingReplicas?.length ?? 0) > 0 || (a.removingReplicas?.length ?? 0) > 0) {
            out.push({ topic: t.name, partition: a.partition, replicas: a.replicas, addingReplicas: a.addingReplicas ?? [], removingReplicas: a.removingReplicas ?? [] });
          }
        }
      }
      return out;
    }
    for (const p of dedupe(partitions)) {
      const a = this.assignmentOf(p.topic, p.partition);
      if (a && isReassigning(a)) out.push({ ...p, replicas: a.replicas, addingReplicas: a.adding, removingReplicas: a.removing });
    }
    return out;
  }

  /**
   * ListPartitionReassignments on the controller, after the events queued before it (an
   * AlterPartitionReassignments just answered is listed); null when this broker is not the
   * controller.
   */
  async listReassignments(partitions: readonly TopicPartitionRef[] | null): Promise<OngoingReassignment[] | null> {
    return (await this.enqueue('listPartitionReassignments', async () => this.ongoingReassignments(partitions))) ?? null;
  }

  /**
   * Kafka's initializePartitionReassignments, on failover and after a failed write: every
   * reassignment in the topic znodes goes on from step A (a step already written is written
   * again as it was), so nothing a previous controller or a failed event started is left.
   */
  private async resumeReassignments(ctx: ControllerContext): Promise<void> {
    for (const r of this.ongoingReassignments(null)) {
      this.logger.info({ topic: r.topic, partition: r.partition, replicas: r.replicas, adding: r.addingReplicas, removing: r.removingReplicas }, 'resuming partition reassignment');
      await this.reassign(ctx, r.topic, r.partition, targetReplicas({ replicas: r.replicas, adding: r.addingReplicas, removing: r.removingReplicas }));
    }
  }

  /**
   * AlterPartitionReassignments on the controller (Kafka's processApiPartitionReassignment):
   * each partition is validated, then step A runs (and step B at once if the target is already
   * in sync). Resolves once the steps are in ZooKeeper, with null when this broker is not (or
   * stops being) the controller.
   */
  async alterReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentResult[] | null> {
    const results = await this.enqueue('alterPartitionReassignments', async (ctx) => {
      const deleting = new Set((await this.zk.getChildren(ZkPaths.deleteTopics)) ?? []);
      const out: ReassignmentResult[] = [];
      for (const r of requests) out.push(await this.alterOne(ctx, r, deleting));
      return out;
    });
    return results ?? null;
  }

  private async alterOne(ctx: ControllerContext, r: ReassignmentRequest, deleting: ReadonlySet<string>): Promise<ReassignmentResult> {
    const result = (errorCode: number, errorMessage: string | null = null): ReassignmentResult => ({ topic: r.topic, partition: r.partition, errorCode, errorMessage });
    const current = this.assignmentOf(r.topic, r.partition);
    if (!current || deleting.has(r.topic)) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${r.topic}-${r.partition}`);
    let target: readonly number[];
    if (r.replicas === null) {
      if (!isReassigning(current)) return result(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No reassignment in progress for partition ${r.topic}-${r.partition}`);
      target = originReplicas(current);
    } else {
      const invalid = invalidTarget(r.replicas, current, this.liveBrokerIds());
      if (invalid) return result(invalid.errorCode, invalid.errorMessage);
      target = r.replicas;
    }
    const ok = await this.reassign(ctx, r.topic, r.partition, target);
    return ok ? result(ErrorCode.NONE) : result(ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller could not write the reassignment to ZooKeeper');
  }

  /**
   * Step A (and B when the target is in sync already), also used to resume on failover: RS,
   * AR, RR in the topic znode, then a leader epoch bump within RS. False when a write failed
   * (a recheck is scheduled; the topic znode says what was done).
   */
  private async reassign(ctx: ControllerContext, topic: string, partition: number, target: readonly number[]): Promise<boolean> {
    let planned: ReplicaAssignment | null = null;
    try {
      const written = await this.store.updateAssignment(topic, (cur) => {
        const rs = cur.partitions.get(partition);
        if (!rs) return null;
        const current = { replicas: rs, adding: cur.adding.get(partition) ?? [], removing: cur.removing.get(partition) ?? [] };
        const next = reassignTo(current, target);
        planned = next;
        return sameAssignment(current, next) ? cur : withPartition(cur, partition, next);
      }, this.fence(ctx));
      if (!written || planned === null) return false;
    } catch (err) {
      if (isZkError(err, 'BAD_VERSION') && (err as { failedOp?: number }).failedOp === 0) throw new ControllerMovedError(ctx.epoch);
      this.logger.error({ err, topic, partition }, 'could not write the reassignment to the topic znode');
      this.failedInEvent = true;
      this.scheduleRecheck(ctx);
      return false;
    }
    const plan = planned as ReplicaAssignment;
    this.logger.info({ topic, partition, replicas: plan.replicas, adding: plan.adding, removing: plan.removing, target }, isReassigning(plan) ? 'partition reassignment started' : 'partition reassignment: nothing to move');
    const outcome = await this.changeState(ctx, topic, partition, 'reassignment', (current) => reassignmentStartDecision(current, plan.replicas, this.liveBrokerIds(), ctx.epoch));
    if (outcome === null) return false;
    if (isReassigning(plan)) await this.maybeCompleteReassignment(ctx, topic, partition);
    else await this.removeLegacyReassignment(topic, partition);
    return true;
  }

  /** Step B once every target replica is in the ISR: a leader in TRS, the ISR within it, then RS = TRS in the topic znode. */
  private async maybeCompleteReassignment(ctx: ControllerContext, topic: string, partition: number): Promise<void> {
    const a = this.assignmentOf(topic, partition);
    if (!a || !isReassigning(a)) return;
    const target = targetReplicas(a);
    const outcome = await this.changeState(ctx, topic, partition, 'reassignmentComplete', (current) => reassignmentCompleteDecision(current, target, this.liveBrokerIds(), ctx.epoch));
    if (outcome === null || outcome.kind !== 'updated') return;
    try {
      await this.store.updateAssignment(topic, (cur) => (cur.partitions.has(partition) ? withPartition(cur, partition, { replicas: target, adding: [], removing: [] }) : null), this.fence(ctx));
    } catch (err) {
      if (isZkError(err, 'BAD_VERSION') && (err as { failedOp?: number }).failedOp === 0) throw new ControllerMovedError(ctx.epoch);
      this.logger.error({ err, topic, partition }, 'could not write the completed reassignment to the topic znode');
      this.failedInEvent = true;
      this.scheduleRecheck(ctx);
      return;
    }
    this.logger.info({ topic, partition, replicas: target, removed: a.removing, leader: outcome.state.leader, isr: outcome.state.isr }, 'partition reassignment completed');
    await this.removeLegacyReassignment(topic, partition);
  }

  private fence(ctx: ControllerContext): { op: 'check'; path: string; version: number }[] {
    return [{ op: 'check', path: ZkPaths.controllerEpoch, version: ctx.epochZkVersion }];
  }

  /**
   * The legacy path (before KIP-455): a tool writes /admin/reassign_partitions
   * {"version":1,"partitions":[{"topic","partition","replicas"}]}; each partition is started as
   * AlterPartitionReassignments would, and leaves the znode when it completes (or is refused),
   * which is deleted once empty, as Kafka's controller does.
   */
  private async onLegacyReassignments(ctx: ControllerContext, data: Buffer): Promise<void> {
    let list;
    try {
      list = decodeLegacyReassignments(data);
    } catch (err) {
      this.logger.error({ err }, 'unreadable /admin/reassign_partitions: deleting it');
      await this.zk.delete(ZkPaths.reassignPartitions).catch(() => {});
      return;
    }
    const deleting = new Set((await this.zk.getChildren(ZkPaths.deleteTopics)) ?? []);
    for (const r of list) {
      const current = this.assignmentOf(r.topic, r.partition);
      if (current && isReassigning(current) && targetReplicas(current).join() === r.replicas.join()) continue;
      const result = await this.alterOne(ctx, r, deleting);
      if (result.errorCode !== ErrorCode.NONE) {
        this.logger.warn({ topic: r.topic, partition: r.partition, replicas: r.replicas, error: result.errorMessage }, 'refused a reassignment from /admin/reassign_partitions');
        await this.removeLegacyReassignment(r.topic, r.partition);
      }
    }
  }

  private async removeLegacyReassignment(topic: string, partition: number): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const node = await this.zk.getData(ZkPaths.reassignPartitions);
      if (!node) return;
      let list;
      try {
        list = decodeLegacyReassignments(node.data);
      } catch {
        return;
      }
      const rest = list.filter((r) => !(r.topic === topic && r.partition === partition));
      if (rest.length === list.length) return;
      try {
        if (rest.length === 0) await this.zk.delete(ZkPaths.reassignPartitions, node.version);
        else await this.zk.setData(ZkPaths.reassignPartitions, encodeLegacyReassignments(rest), node.version);
        return;
      } catch (err) {
        if (!isZkError(err, 'BAD_VERSION') && !isZkError(err, 'NO_NODE')) throw err;
      }
    }
  }

  // ---------------------------------------------------------------- topic deletion

  /** Kafka's TopicDeletionManager, without waiting for replicas: the brokers drop their logs when the topic leaves ZooKeeper. */
  private async deleteTopic(name: string): Promise<void> {
    await this.zk.deleteRecursive(ZkPaths.topic(name));
    try {
      await this.zk.delete(ZkPaths.topicConfig(name));
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
    try {
      await this.zk.delete(ZkPaths.deleteTopic(name));
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
    this.logger.info({ topic: name }, 'deleted topic');
  }
}

function withPartition(cur: TopicAssignmentZNode, partition: number, next: ReplicaAssignment): TopicAssignmentZNode {
  const partitions = new Map(cur.partitions);
  const adding = new Map(cur.adding);
  const removing = new Map(cur.removing);
  partitions.set(partition, [...next.replicas]);
  if (next.adding.length > 0) adding.set(partition, [...next.adding]);
  else adding.delete(partition);
  if (next.removing.length > 0) removing.set(partition, [...next.removing]);
  else removing.delete(partition);
  return { topicId: cur.topicId, partitions, adding, removing };
}

function dedupe(partitions: readonly TopicPartitionRef[]): TopicPartitionRef[] {
  const seen = new Set<string>();
  const out: TopicPartitionRef[] = [];
  for (const p of partitions) {
    const key = `${p.topic}\u0000${p.partition}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}
