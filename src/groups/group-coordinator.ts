// GroupCoordinator (after Kafka's GroupCoordinator.scala): the
// classic consumer-group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) with Kafka's
// state machine (see group-metadata.ts), static membership (KIP-345), member ids handed out
// before joining (KIP-394), the initial delayed join (group.initial.rebalance.delay.ms), and
// committed offsets and group metadata kept in __consumer_offsets.
//
// Concurrency: every state change happens on the JS thread. Kafka's purgatories become
// timers (a member's session, a rebalance's join and sync deadlines, the initial join delay,
// pending member ids, offset expiration); each timer calls back into this object, which
// re-checks the state it finds, as Kafka's delayed operations do. Parked JoinGroup and
// SyncGroup requests are promises answered by callbacks on the member.
//
// Durability (storage is GroupMetadataManager's): OffsetCommit answers after its records
// are appended (acks=all); a SyncGroup from the leader answers every member after the group's
// metadata is appended. Kafka errors are returned as codes; nothing here throws on bad input.
//
// Transactions (KIP-98, KIP-447): TxnOffsetCommit appends the offsets as a transactional
// batch of the producer; they stay pending (OffsetFetch answers the previous offset, or
// UNSTABLE_OFFSET_COMMIT with requireStable) until ReplicaManager reports the producer's
// marker on the group's __consumer_offsets partition (onTxnMarkerWritten).
//
// The consumer group protocol (KIP-848: ConsumerGroupHeartbeat, ConsumerGroupDescribe) is
// ConsumerCoordinator's (consumer-coordinator.ts); its groups share the group map and the
// offsets with classic ones (a GroupMetadata whose `consumer` is set). JoinGroup, SyncGroup,
// Heartbeat and LeaveGroup to a consumer group with members go to ConsumerCoordinator, which
// serves classic members inside it (the online migration of KIP-848); DescribeGroups answers
// Dead for it, as Kafka.
//
// Which groups this broker serves: those whose __consumer_offsets partition it leads. On a
// single node that is every partition, read back at start-up. In a cluster (Kafka's
// onElection/onResignation) a partition this broker becomes leader of is read back, its
// groups answering COORDINATOR_LOAD_IN_PROGRESS meanwhile; a partition it stops leading is
// unloaded at once: parked JoinGroup/SyncGroup requests answer NOT_COORDINATOR, the groups'
// timers stop, and their members find the new coordinator. Groups of partitions led
// elsewhere answer NOT_COORDINATOR. Loaded groups' members get one session to heartbeat.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { VerificationGuard } from '../partition/producer-state.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ErrorCode } from '../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, GroupMetadata, joinError, syncError, type GroupState } from './group-metadata.js';
import {
  GroupMetadataManager,
  groupMetadataRecord,
  type OffsetCommitRequest,
  type OffsetFetchResult,
  type TopicPartition,
  type TopicPartitionError,
  type TxnProducer,
} from './group-metadata-manager.js';
import { MemberMetadata, type JoinCallback, type JoinGroupResult, type Protocol, type SyncCallback, type SyncGroupResult } from './member-metadata.js';
import { ConsumerCoordinator, type ConsumerCoordinatorConfig, type DescribedConsumerGroup, type HeartbeatParams, type HeartbeatResult, type TopicView } from './consumer-coordinator.js';
import { groupTombstones as consumerGroupTombstones } from './consumer-records.js';
import { groupMetadataKey } from './offsets-records.js';
import { GROUP_METADATA_TOPIC_NAME, LogOffsetsTopicStore, type LeadershipRole, type OffsetsTopicStore } from './offsets-topic.js';

export type { JoinGroupResult, SyncGroupResult, Protocol } from './member-metadata.js';
export type { GroupState } from './group-metadata.js';
export type { FetchedOffset, OffsetCommitPartition, OffsetFetchResult, TopicPartitionError } from './group-metadata-manager.js';
export { OFFSET_METADATA_MAX_BYTES } from './group-metadata-manager.js';

/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a new member's parked JoinGroup expires after this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
/** The group types this coordinator serves (ListGroups v5). */
export const CLASSIC_GROUP_TYPE = 'classic';
export const CONSUMER_GROUP_TYPE = 'consumer';

export interface GroupCoordinatorConfig {
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  /** KIP-848 (group.consumer.*); Kafka's defaults when absent. */
  readonly consumer?: ConsumerCoordinatorConfig;
}

/** Kafka 4.4's defaults of the group.consumer.* keys. */
export const DEFAULT_CONSUMER_CONFIG: ConsumerCoordinatorConfig = {
  sessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 5_000,
  maxSize: 2147483647,
  assignors: ['uniform', 'range'],
  migrationPolicy: 'bidirectional',
};

export function groupCoordinatorConfig(config: BrokerConfig): GroupCoordinatorConfig {
  const v = config.values;
  return {
    groupMinSessionTimeoutMs: v['group.min.session.timeout.ms'],
    groupMaxSessionTimeoutMs: v['group.max.session.timeout.ms'],
    groupMaxSize: v['group.max.size'],
    groupInitialRebalanceDelayMs: v['group.initial.rebalance.delay.ms'],
    offsetsTopicNumPartitions: v['offsets.topic.num.partitions'],
    offsetsRetentionMs: v['offsets.retention.minutes'] * 60_000,
    offsetsRetentionCheckIntervalMs: v['offsets.retention.check.interval.ms'],
    consumer: {
      sessionTimeoutMs: v['group.consumer.session.timeout.ms'],
      heartbeatIntervalMs: v['group.consumer.heartbeat.interval.ms'],
      maxSize: v['group.consumer.max.size'],
      assignors: v['group.consumer.assignors'],
      migrationPolicy: v['group.consumer.migration.policy'] ?? 'bidirectional',
    },
  };
}

export interface JoinGroupParams {
  readonly groupId: string;
  /** '' for a member joining for the first time. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** KIP-394 (JoinGroup v4+, dynamic members): answer MEMBER_ID_REQUIRED with an id first. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader may skip the assignment. */
  readonly supportSkippingAssignment: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  readonly reason: string | null;
}

export interface SyncGroupParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5+: checked against the group's; null when the version does not carry them. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface LeaveMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason: string | null;
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitParams extends OffsetCommitRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** A TxnOffsetCommit (topics are known to exist; the handler answers the others). */
export interface TxnOffsetCommitParams extends TxnProducer {
  readonly transactionalId: string;
  readonly groupId: string;
  /** v3+ (KIP-447); -1, '' and null before. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: OffsetCommitRequest['topics'];
  /** The guard the offsets partition's verification was made under (KIP-890), if any. */
  readonly verificationGuard?: VerificationGuard;
}

export type { HeartbeatParams as ConsumerGroupHeartbeatParams, HeartbeatResult as ConsumerGroupHeartbeatResult, DescribedConsumerGroup } from './consumer-coordinator.js';

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  /** A classic state, or a consumer group's (Empty, Assigning, Reconciling, Stable, Dead). */
  readonly state: string;
  readonly groupType: string;
}

export interface GroupDescription {
  readonly errorCode: number;
  /**
   * DescribeGroups v6 (KIP-1043): a group that is not there, or not a classic group, answers
   * GROUP_ID_NOT_FOUND with this message; older versions answer Dead with no error.
   */
  readonly notFound?: string;
  readonly groupId: string;
  /** '' when the group could not be described (an error). */
  readonly state: GroupState | '';
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

/** FindCoordinator's answer for a group: the broker leading its partition, or an error. */
export interface CoordinatorLookup {
  readonly errorCode: number;
  /** -1 with an error. */
  readonly nodeId: number;
}

type GroupApi = 'join' | 'sync' | 'heartbeat' | 'leave' | 'commit' | 'txn-commit' | 'fetch' | 'describe' | 'delete' | 'offset-delete';

const EMPTY = Buffer.alloc(0);

/** What a broker's group coordinator is built from. */
export interface CoordinatorDeps {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly topics: TopicService;
  readonly replicas: ReplicaManager;
  readonly metadata: MetadataStore;
  readonly cluster: ClusterView;
}

export class GroupCoordinator {
  private readonly manager: GroupMetadataManager;
  private active = false;
  /** Set by shutdown: leadership changes that arrive later are ignored. */
  private stopped = false;
  private expirationTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  /** The consumer group protocol (KIP-848). */
  readonly consumer: ConsumerCoordinator;

  constructor(
    readonly config: GroupCoordinatorConfig,
    private readonly store: OffsetsTopicStore,
    private readonly logger: Logger,
    options: { now?: () => number; topics?: () => readonly TopicView[] } = {},
  ) {
    this.now = options.now ?? (() => Date.now());
    this.manager = new GroupMetadataManager(store, config.offsetsTopicNumPartitions, logger, this.now);
    const listTopics = options.topics ?? (() => []);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.consumer = new ConsumerCoordinator(
      config.consumer ?? DEFAULT_CONSUMER_CONFIG,
      {
        getGroup: (groupId) => this.manager.getGroup(groupId),
        addGroup: (group) => this.manager.addGroup(group),
        append: (groupId, records) => this.manager.appendGroupRecords(groupId, records),
        listTopics,
        get isActive() {
          return self.active;
        },
        classicGroupMaxSize: config.groupMaxSize,
        retireClassicGroup: (group) => this.retireClassicGroup(group),
        installClassicGroup: (group, members, generationId, assignmentOf, rebalance) => this.installClassicGroup(group, members, generationId, assignmentOf, rebalance),
      },
      logger,
      this.now,
    );
  }

  /**
   * The coordinator of a broker: __consumer_offsets in the broker's own logs. In a cluster a
   * topic deleted through any broker leaves ZooKeeper on every broker, and each coordinator
   * removes its groups' offsets of it (Kafka's handleDeletedPartitions on every broker).
   */
  static forBroker(deps: CoordinatorDeps): GroupCoordinator {
    const { config, logger, cluster: view } = deps;
    const cluster = { clustered: view.clustered, liveBrokerIds: () => view.liveBrokers().map((b) => b.id) };
    const store = new LogOffsetsTopicStore(config, deps.topics, deps.replicas, deps.metadata, cluster, logger);
    const topics = (): TopicView[] => deps.topics.listTopics().map((t) => ({ name: t.name, topicId: t.topicId, numPartitions: t.partitions.length }));
    const coordinator = new GroupCoordinator(groupCoordinatorConfig(config), store, logger.child({ component: 'group-coordinator' }), { topics });
    if (view.clustered) {
      deps.metadata.onChange?.((change) => {
        if (change.kind === 'topicDeleted') coordinator.manager.track(coordinator.onTopicDeleted(change.name));
      });
    }
    return coordinator;
  }

  // ---------------------------------------------------------------- life cycle

  /**
   * Loads every partition of __consumer_offsets this broker leads, then starts serving and
   * expiring offsets. In a cluster, also follows leadership from here on: partitions whose
   * leadership is learnt later are loaded (or unloaded) as it changes.
   */
  async startup(): Promise<void> {
    const started = this.now();
    if (this.store.clustered) this.store.onLeadershipChange((partition, role) => this.onLeadershipChange(partition, role));
    const count = this.manager.partitionCount();
    let loaded = 0;
    // One partition at a time, as Kafka's single loading thread (bounded memory at start-up).
    for (let p = 0; p < (count ?? 0); p++) {
      if (this.manager.isLocalPartition(p)) loaded += await this.onElection(p);
    }
    this.active = true;
    this.expirationTimer = setInterval(() => this.runExpiration(), this.config.offsetsRetentionCheckIntervalMs);
    this.expirationTimer.unref();
    if (loaded > 0) this.logger.info({ groups: loaded, loadMs: this.now() - started }, 'loaded consumer groups');
  }

  /** TopicService.onLeadershipChange for a partition of __consumer_offsets (clustered stores). */
  private onLeadershipChange(partition: number, role: LeadershipRole): void {
    if (this.stopped) return;
    if (role === 'leader') void this.onElection(partition);
    else this.onResignation(partition, role);
  }

  /**
   * Kafka's onElection: this broker now leads the partition. Its groups answer
   * COORDINATOR_LOAD_IN_PROGRESS until they are read back. Resolves with the number of groups
   * loaded (0 when the partition was loaded or loading already).
   */
  onElection(partition: number): Promise<number> {
    const epoch = this.manager.beginLoading(partition);
    if (epoch === null) return Promise.resolve(0);
    const load = this.loadGroupsAndOffsets(partition, epoch);
    this.manager.track(load);
    return load;
  }

  private async loadGroupsAndOffsets(partition: number, epoch: number): Promise<number> {
    const started = this.now();
    const name = `${GROUP_METADATA_TOPIC_NAME}-${partition}`;
    let loaded: GroupMetadata[] = [];
    try {
      loaded = await this.manager.loadPartition(partition);
    } catch (err) {
      // As Kafka: the partition is served with what could be read; the error is the log's.
      this.logger.error({ err, partition: name }, 'error loading offsets and group metadata');
    }
    if (!this.manager.isCurrentLoad(partition, epoch)) {
      this.logger.info({ partition: name }, 'resigned from the partition while loading it; its groups were not loaded');
      return 0;
    }
    const added = this.manager.finishLoading(partition, epoch, loaded);
    for (const group of added) this.onGroupLoaded(group);
    this.shareGroupsLoaded(partition, this.manager.loadedShareRecords.get(partition) ?? []);
    this.manager.loadedShareRecords.delete(partition);
    if (this.store.clustered) this.logger.info({ partition: name, groups: added.length, loadMs: this.now() - started }, 'finished loading offsets and group metadata');
    return added.length;
  }

  /**
   * Kafka's onResignation: another broker leads the partition now (or none does). Its groups
   * are unloaded at once; what is parked answers NOT_COORDINATOR.
   */
  onResignation(partition: number, role: LeadershipRole = 'follower'): void {
    this.shareGroupsUnloaded(partition);
    const serving = this.manager.isPartitionOwned(partition);
    const removed = this.manager.removeGroupsForPartition(partition, (group) => this.unload(group));
    if (serving || removed > 0) this.logger.info({ partition: `${GROUP_METADATA_TOPIC_NAME}-${partition}`, role, groups: removed }, 'resigned as coordinator of an offsets topic partition; unloaded its groups');
  }

  /** Kafka's onGroupLoaded: members get one session to heartbeat; an over-full group rebalances. */
  private onGroupLoaded(group: GroupMetadata): void {
    if (group.consumer) return this.consumer.onLoaded(group.consumer);
    for (const m of group.members.values()) this.scheduleHeartbeatExpiration(group, m, m.sessionTimeoutMs);
    if (group.size > this.config.groupMaxSize) this.prepareRebalance(group, `loaded group is over capacity (${this.config.groupMaxSize})`);
  }

  /**
   * Stops serving: parked JoinGroup and SyncGroup requests are answered NOT_COORDINATOR (the
   * client looks for the coordinator again), timers stop, and appends in flight finish.
   */
  async shutdown(): Promise<void> {
    this.stopped = true;
    if (!this.active) return;
    this.active = false;
    if (this.expirationTimer) clearInterval(this.expirationTimer);
    this.expirationTimer = null;
    for (const group of this.manager.currentGroups()) this.unload(group);
    this.manager.clear();
    await this.manager.drain();
  }

  /** Kafka's onGroupUnloaded: answers what is parked and clears the group's timers. */
  private unload(group: GroupMetadata): void {
    if (group.consumer) this.consumer.unload(group.consumer);
    const previous = group.state;
    this.clearGroupTimers(group);
    if (previous === 'PreparingRebalance') {
      for (const m of group.members.values()) group.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
    } else if (previous === 'Stable' || previous === 'CompletingRebalance') {
      for (const m of group.members.values()) group.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR));
    }
    if (!group.is('Dead')) group.transitionTo('Dead');
  }

  private clearGroupTimers(group: GroupMetadata): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
    for (const m of group.members.values()) this.clearHeartbeat(m);
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();
  }

  /** Before an upgrade to a consumer group (KIP-848): Kafka's completeAllJoinFutures/completeAllSyncFutures(REBALANCE_IN_PROGRESS). */
  private retireClassicGroup(group: GroupMetadata): void {
    for (const m of group.members.values()) {
      group.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
      group.maybeInvokeSyncCallback(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    this.clearGroupTimers(group);
    group.joinIsInitialDelay = false;
    group.resetForMigration('Empty', 0, null);
  }

  /**
   * A downgrade from a consumer group (Kafka's ClassicGroup.fromConsumerGroup and the rest of
   * convertToClassicGroup): a Stable group of the remaining members at the consumer group's
   * epoch, their sessions running, then a rebalance (unless a static member replaced another
   * with the same subscription). The GroupMetadata record to write.
   */
  private installClassicGroup(group: GroupMetadata, members: readonly MemberMetadata[], generationId: number, assignmentOf: (member: MemberMetadata, protocol: string) => Buffer, rebalance: boolean): { key: Buffer; value: Buffer | null } {
    group.resetForMigration('Stable', generationId, CONSUMER_PROTOCOL_TYPE);
    for (const m of members) group.add(m, null);
    const protocol = group.selectProtocol();
    group.protocolName = protocol;
    group.subscribedTopics = group.computeSubscribedTopics();
    const assignment = new Map<string, Buffer>();
    for (const m of members) {
      m.assignment = assignmentOf(m, protocol);
      assignment.set(m.memberId, m.assignment);
    }
    const record = { key: groupMetadataKey(group.groupId), value: groupMetadataRecord(group, assignment).value ?? null };
    for (const m of members) this.scheduleHeartbeatExpiration(group, m, m.sessionTimeoutMs);
    if (rebalance) this.prepareRebalance(group, `Downgrade group ${group.groupId} from consumer to classic.`);
    return record;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The __consumer_offsets partition that owns the group. */
  /** Share groups (src/share, KIP-932): their records read from a partition just loaded, and a partition resigned. Set by the broker. */
  shareGroupsLoaded: (partition: number, records: readonly { key: Buffer; value: Buffer | null }[]) => void = () => {};
  shareGroupsUnloaded: (partition: number) => void = () => {};

  /** Appends a share group's records to its partition (acks=-1); a Kafka error code. */
  appendShareGroupRecords(groupId: string, records: readonly { key: Buffer; value: Buffer | null }[]): Promise<number> {
    return this.manager.appendGroupRecords(groupId, records);
  }

  /** Whether the group's partition is loading (COORDINATOR_LOAD_IN_PROGRESS). */
  isGroupLoading(groupId: string): boolean {
    return this.manager.isGroupLoading(groupId);
  }

  partitionFor(groupId: string): number {
    return this.manager.partitionFor(groupId);
  }

  /** For tests and admin views: a group's current state, or undefined. */
  group(groupId: string): GroupMetadata | undefined {
    return this.manager.getGroup(groupId);
  }

  // ---------------------------------------------------------------- validation

  /** Kafka's isValidGroupId: the offset and admin APIs accept '' for backwards compatibility. */
  private static isValidGroupId(groupId: string, api: GroupApi): boolean {
    if (api === 'commit' || api === 'fetch' || api === 'describe' || api === 'delete') return true;
    return groupId !== '';
  }

  /** Kafka's validateGroupStatus: group id, coordinator active, group loaded, and this broker owns it. */
  private validateGroupStatus(groupId: string, api: GroupApi): number | null {
    if (!GroupCoordinator.isValidGroupId(groupId, api)) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.manager.isGroupLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.manager.isGroupLocal(groupId)) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  private ensureOffsetsTopic(): number | null {
    return this.manager.ensureOffsetsTopic();
  }

  /**
   * FindCoordinator for a group (Kafka's KafkaApis.getCoordinator): the leader of the group's
   * partition as the controller decided it, on whichever broker it is; COORDINATOR_NOT_AVAILABLE
   * while the topic is being created or the partition has no leader. The first lookup
   * creates __consumer_offsets. Whether the leader has loaded the partition yet is for the
   * group requests to say (COORDINATOR_LOAD_IN_PROGRESS), as in Kafka.
   */
  findGroupCoordinator(groupId: string): CoordinatorLookup {
    const unavailable = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    if (!this.active) return unavailable;
    const missing = this.ensureOffsetsTopic();
    if (missing !== null) return { errorCode: missing, nodeId: -1 };
    const leader = this.manager.leaderOf(this.partitionFor(groupId));
    if (leader === -1) return unavailable;
    return { errorCode: ErrorCode.NONE, nodeId: leader };
  }

  /**
   * KIP-345: when the request names a group.instance.id, it must map to this member id
   * (FENCED_INSTANCE_ID for a stale one, UNKNOWN_MEMBER_ID for an unknown instance);
   * otherwise the member id must be in the group.
   */
  private validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return null;
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(params, resolve));
  }

  private handleJoinGroup(p: JoinGroupParams, respond: JoinCallback): void {
    const status = this.validateGroupStatus(p.groupId, 'join') ?? this.ensureOffsetsTopic();
    if (status !== null) return respond(joinError(p.memberId, status));
    if (p.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || p.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return respond(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = p.memberId === '';
    // The group is created when a member without an id joins; a member id for a group that
    // does not exist is stale.
    let group = this.manager.getGroup(p.groupId);
    if (group?.consumer) {
      // A consumer group (KIP-848): a classic member joins a live one as a member of it (Kafka's
      // classicGroupJoinToConsumerGroup); an empty one becomes a classic group again (Kafka's
      // downgrade of an empty group).
      if (group.consumer.members.size > 0) {
        this.consumer.classicJoin(group.consumer, p).then(respond, (err: unknown) => {
          this.logger.error({ err, group: p.groupId }, 'JoinGroup to a consumer group failed');
          respond(joinError(p.memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
        });
        return;
      }
      const records = consumerGroupTombstones(group.consumer);
      group.consumer.dead = true;
      group.consumer = null;
      this.logger.info({ group: p.groupId }, 'converted an empty consumer group to a classic group');
      this.manager.track(this.manager.appendGroupRecords(p.groupId, records));
    }
    if (!group) {
      if (!isUnknownMember) return respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.manager.addGroup(new GroupMetadata(p.groupId, 'Empty', this.now));
    }
    if (!this.acceptJoiningMember(group, p.memberId)) {
      const member = group.members.get(p.memberId);
      if (member) this.clearHeartbeat(member);
      group.remove(p.memberId);
      respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, p, respond);
    } else {
      this.doCurrentMemberJoinGroup(group, p, respond);
    }
    if (group.is('PreparingRebalance')) this.checkAndCompleteJoin(group);
  }

  /** group.max.size: existing members are accepted; new ones while there is room. */
  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Counting members that rejoined (not the group size) lets a lowered limit shed the
        // last members to rejoin.
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.config.groupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: GroupMetadata, p: JoinGroupParams, respond: JoinCallback): void {
    if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(p.groupInstanceId);
      if (oldMemberId !== undefined) {
        this.logger.info({ group: group.groupId, groupInstanceId: p.groupInstanceId, oldMemberId, newMemberId, state: group.state }, 'static member rejoins with a new member id');
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, p, respond);
      } else {
        this.addMemberAndRebalance(group, newMemberId, p, respond);
      }
    } else if (p.requireKnownMemberId) {
      // KIP-394: hand out the id first; the member joins with it in its next request, so
      // that a client retrying a lost response does not leave a ghost member behind.
      this.addPendingMember(group, newMemberId, p.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, newMemberId, p, respond);
    }
  }

  private doCurrentMemberJoinGroup(group: GroupMetadata, p: JoinGroupParams, respond: JoinCallback): void {
    if (group.is('Dead')) return respond(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) return respond(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.isPendingMember(p.memberId)) {
      // A pending member is never static: static members get their id with their first join.
      if (p.groupInstanceId !== null) return respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      this.addMemberAndRebalance(group, p.memberId, p, respond);
      return;
    }
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== null) return respond(joinError(p.memberId, memberError));
    const member = group.get(p.memberId);
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, p, respond);
        return;
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // The member lost its JoinGroup response: answer again for the current generation.
          respond(this.joinResult(group, member, group.isLeader(member.memberId), group.leaderId ?? '', false));
        } else {
          this.updateMemberAndRebalance(group, member, p, respond);
        }
        return;
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.matches(p.protocols)) {
          // A leader's JoinGroup forces a rebalance: it is how the leader reacts to changes
          // that do not show in the members' metadata (such as new partitions).
          this.updateMemberAndRebalance(group, member, p, respond);
        } else {
          respond(this.joinResult(group, member, false, group.leaderId ?? '', false));
        }
        return;
      case 'Empty':
      case 'Dead':
        respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  private joinResult(group: GroupMetadata, member: MemberMetadata, withMembers: boolean, leader: string, skipAssignment: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader,
      skipAssignment,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addPendingMember(group: GroupMetadata, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => this.guard('pending member expiration', () => this.onExpirePendingMember(group, memberId)), sessionTimeoutMs);
    group.pendingMembers.set(memberId, timer);
  }

  private onExpirePendingMember(group: GroupMetadata, memberId: string): void {
    if (!this.active || group.is('Dead') || !group.pendingMembers.has(memberId)) return;
    this.logger.debug({ group: group.groupId, memberId }, 'pending member expired');
    group.remove(memberId);
    if (group.is('PreparingRebalance')) this.checkAndCompleteJoin(group);
  }

  private addMemberAndRebalance(group: GroupMetadata, memberId: string, p: JoinGroupParams, respond: JoinCallback): void {
    const member = new MemberMetadata(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, p.protocols);
    member.isNew = true;
    // A member joining during the first rebalance extends the initial delay.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, chainJoin(null, respond));
    // The session does not apply until the member has its id and can heartbeat; a parked
    // JoinGroup of a new member is bounded instead, so that defunct members cannot pile up.
    this.scheduleHeartbeatExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group, `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`);
  }

  private updateMemberAndRebalance(group: GroupMetadata, member: MemberMetadata, p: JoinGroupParams, respond: JoinCallback): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, chainJoin(member.awaitingJoin, respond));
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoins during ${group.state}; client reason: ${p.reason ?? 'not provided'}`);
  }

  /**
   * KIP-345: a known static member rejoins without its member id (it restarted). It takes a
   * new id; in a Stable group whose selected protocol does not change this needs no
   * rebalance: the new id is persisted and the member resumes its assignment.
   */
  private updateStaticMemberAndRebalance(group: GroupMetadata, oldMemberId: string, newMemberId: string, p: JoinGroupParams, respond: JoinCallback): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
    const old = { protocols: member.supportedProtocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(group, `static member ${newMemberId} with instance id ${instanceId} rejoined with a change of protocol`);
          return;
        }
        const generation = group.generationId;
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        this.manager.track(
          this.manager.storeGroup(group, assignment).then((errorCode) => {
            if (errorCode !== ErrorCode.NONE) {
              this.logger.warn({ group: group.groupId, errorCode }, 'could not persist the new member id of a static member; reverting');
              // Revert only while the member still holds the new id (nothing replaced it meanwhile).
              if (group.members.get(newMemberId) === member) {
                group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
                group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
                this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
              }
              respond({ ...joinError('', errorCode), generationId: generation, protocolType: group.protocolType, protocolName: group.protocolName, leader: currentLeader });
            } else if (p.supportSkippingAssignment) {
              // JoinGroup v9+: the static leader learns it leads but skips the assignment, as
              // the group is Stable and would ignore a new one.
              const isLeader = group.isLeader(newMemberId) && group.is('Stable');
              group.maybeInvokeJoinCallback(member, { ...this.joinResultSafe(group, member, isLeader), leader: group.leaderId ?? '', skipAssignment: isLeader });
              this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
            } else {
              // Before v9 the old leader id is returned, so that a restarted leader does not
              // compute an assignment a Stable group would not distribute.
              group.maybeInvokeJoinCallback(member, { ...this.joinResultSafe(group, member, false), leader: currentLeader });
              this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
            }
          }),
        );
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning with the old member id: rebalance so that the
        // new id gets an assignment.
        this.prepareRebalance(group, `static member ${newMemberId} with instance id ${instanceId} rejoined during CompletingRebalance`);
        return;
      case 'PreparingRebalance':
        return;
      case 'Empty':
      case 'Dead':
        // A group with a static member is never Empty; Dead groups are not in the map.
        this.logger.error({ group: group.groupId, state: group.state }, 'static member rejoined a group in an unexpected state');
        group.maybeInvokeJoinCallback(member, joinError(newMemberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  /** joinResult for the current generation, without members when the group is not in a state that has them. */
  private joinResultSafe(group: GroupMetadata, member: MemberMetadata, withMembers: boolean): JoinGroupResult {
    const canList = withMembers && (group.is('Stable') || group.is('CompletingRebalance'));
    return this.joinResult(group, member, canList, group.leaderId ?? '', false);
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    // Members waiting for an assignment must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.logger.info({ group: group.groupId, generation: group.generationId, partition: `${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)}`, reason }, 'preparing to rebalance group');
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    if (wasEmpty) {
      const delay = this.config.groupInitialRebalanceDelayMs;
      this.scheduleInitialDelayedJoin(group, delay, Math.max(group.rebalanceTimeoutMs() - delay, 0));
    } else {
      this.scheduleDelayedJoin(group, group.rebalanceTimeoutMs());
    }
  }

  /** Kafka's DelayedJoin: completes when every member has rejoined, or at the rebalance timeout. */
  private scheduleDelayedJoin(group: GroupMetadata, timeoutMs: number): void {
    group.joinIsInitialDelay = false;
    if (group.hasAllMembersJoined()) {
      this.completeJoin(group);
      return;
    }
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null;
      if (this.active) this.guard('rebalance timeout', () => this.completeJoin(group));
    }, timeoutMs);
  }

  /**
   * Kafka's InitialDelayedJoin: the first rebalance of an Empty group waits
   * group.initial.rebalance.delay.ms, again while new members keep arriving, within the
   * rebalance timeout, so that a group starting up settles in one generation.
   */
  private scheduleInitialDelayedJoin(group: GroupMetadata, delayMs: number, remainingMs: number): void {
    group.joinIsInitialDelay = true;
    group.joinTimer = setTimeout(() => {
      group.joinTimer = null;
      if (!this.active) return;
      this.guard('initial rebalance delay', () => {
        if (group.newMemberAdded && remainingMs !== 0) {
          group.newMemberAdded = false;
          const delay = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
          this.scheduleInitialDelayedJoin(group, delay, Math.max(remainingMs - delayMs, 0));
        } else {
          this.completeJoin(group);
        }
      });
    }, delayMs);
  }

  /** Kafka's joinPurgatory.checkAndComplete: a plain DelayedJoin completes once all members rejoined. */
  private checkAndCompleteJoin(group: GroupMetadata): void {
    if (group.joinTimer !== null && !group.joinIsInitialDelay && group.hasAllMembersJoined()) {
      clearTimeout(group.joinTimer);
      group.joinTimer = null;
      this.completeJoin(group);
    }
  }

  /** Kafka's onCompleteJoin: drop dynamic members that did not rejoin, start the next generation. */
  private completeJoin(group: GroupMetadata): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    group.newMemberAdded = false;
    for (const failed of group.notYetRejoinedMembers()) {
      if (failed.isStatic) continue;
      this.clearHeartbeat(failed);
      this.answerRemovedMember(group, failed);
      group.remove(failed.memberId);
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members remain and none rejoined: wait again until their sessions expire.
      this.logger.error({ group: group.groupId }, 'group could not complete its rebalance because no member rejoined');
      this.scheduleDelayedJoin(group, group.rebalanceTimeoutMs());
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      this.manager.track(
        this.manager.storeGroup(group, new Map()).then((errorCode) => {
          // If this fails and the broker restarts before another rebalance, the previous
          // generation comes back with no live members and expires: safe, so only warn.
          if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, errorCode }, 'could not write the metadata of the empty group');
        }),
      );
      return;
    }
    this.logger.info({ group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName }, 'stabilized group');
    for (const member of group.members.values()) {
      group.maybeInvokeJoinCallback(member, this.joinResult(group, member, group.isLeader(member.memberId), group.leaderId ?? '', false));
      this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(params, resolve));
  }

  private handleSyncGroup(p: SyncGroupParams, respond: SyncCallback): void {
    const status = this.validateGroupStatus(p.groupId, 'sync');
    if (status !== null) return respond(syncError(status));
    const group = this.manager.getGroup(p.groupId);
    if (!group) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    // A classic member of a consumer group (Kafka's classicGroupSyncToConsumerGroup).
    if (group.consumer) return respond(this.consumer.classicSync(group.consumer, p));
    if (group.is('Dead')) return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const invalid =
      this.validateCurrentMember(group, p.memberId, p.groupInstanceId) ??
      (p.generationId !== group.generationId
        ? ErrorCode.ILLEGAL_GENERATION
        : (p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)
          ? ErrorCode.INCONSISTENT_GROUP_PROTOCOL
          : null);
    if (invalid !== null) return respond(syncError(invalid));
    const member = group.get(p.memberId);
    switch (group.state) {
      case 'Empty':
        return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        member.awaitingSync = chainSync(member.awaitingSync, respond);
        this.removePendingSyncMember(group, member.memberId);
        if (!group.isLeader(member.memberId)) return;
        this.logger.info({ group: group.groupId, generation: group.generationId, leader: member.memberId, members: group.size, staticMembers: group.staticMemberCount }, 'assignment received from the leader');
        // Members the leader left out get an empty assignment.
        const assignment = new Map<string, Buffer>();
        for (const id of group.members.keys()) assignment.set(id, EMPTY);
        for (const a of p.assignments) if (assignment.has(a.memberId)) assignment.set(a.memberId, a.assignment);
        const generation = group.generationId;
        this.manager.track(
          this.manager.storeGroup(group, assignment).then((errorCode) => {
            // Another member may have joined while the metadata was written: only the same
            // generation, still waiting for its assignment, gets it.
            if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
            if (errorCode !== ErrorCode.NONE) {
              this.resetAndPropagateAssignmentError(group, errorCode);
              this.maybePrepareRebalance(group, `error ${errorCode} storing the group assignment during SyncGroup`);
            } else {
              this.setAndPropagateAssignment(group, assignment);
              group.transitionTo('Stable');
            }
          }),
        );
        return;
      }
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        respond({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
        return;
      case 'Dead':
        return respond(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private setAndPropagateAssignment(group: GroupMetadata, assignment: ReadonlyMap<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: GroupMetadata, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = group.maybeInvokeSyncCallback(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // A session that expired while the member waited for its assignment was ignored;
      // the member's next heartbeat is due one session from now.
      if (answered) this.scheduleHeartbeatExpiration(group, m, m.sessionTimeoutMs);
    }
  }

  /** Kafka's DelayedSync: members that do not send SyncGroup within the rebalance timeout are removed. */
  private schedulePendingSync(group: GroupMetadata): void {
    if (group.syncTimer) clearTimeout(group.syncTimer);
    const generation = group.generationId;
    group.syncTimer = setTimeout(() => {
      group.syncTimer = null;
      if (this.active) this.guard('sync expiration', () => this.onExpirePendingSync(group, generation));
    }, group.rebalanceTimeoutMs());
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0 && group.syncTimer) {
      clearTimeout(group.syncTimer);
      group.syncTimer = null;
    }
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.pendingSyncMembers.clear();
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  private onExpirePendingSync(group: GroupMetadata, generation: number): void {
    if (generation !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      const m = group.members.get(id);
      if (m) {
        this.clearHeartbeat(m);
        this.answerRemovedMember(group, m);
      }
      group.remove(id);
    }
    this.prepareRebalance(group, `removing members ${missing.join(', ')} that did not send SyncGroup in time`);
  }

  // ---------------------------------------------------------------- Heartbeat

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const status = this.validateGroupStatus(groupId, 'heartbeat');
    if (status !== null) return status;
    const group = this.manager.getGroup(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.consumer) return this.consumer.classicHeartbeat(group.consumer, memberId, groupInstanceId, generationId);
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateCurrentMember(group, memberId, groupInstanceId) ?? (generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null);
    if (invalid !== null) return invalid;
    const member = group.get(memberId);
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
        // Members may heartbeat between their JoinGroup and SyncGroup responses.
        this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'Stable':
        this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
        return ErrorCode.NONE;
      case 'Dead':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /** Kafka's completeAndScheduleNextExpiration: the member's next heartbeat is due within timeoutMs. */
  private scheduleHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata, timeoutMs: number): void {
    this.clearHeartbeat(member);
    member.heartbeatTimer = setTimeout(() => {
      member.heartbeatTimer = null;
      if (this.active) this.guard('session expiration', () => this.onExpireHeartbeat(group, member));
    }, timeoutMs);
  }

  private clearHeartbeat(member: MemberMetadata): void {
    if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  private onExpireHeartbeat(group: GroupMetadata, member: MemberMetadata): void {
    if (group.is('Dead') || group.members.get(member.memberId) !== member) return;
    // Members parked in a rebalance are alive (their request is with us), except new members,
    // whose parked JoinGroup is what just timed out.
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
    this.logger.info({ group: group.groupId, memberId: member.memberId }, 'member failed to heartbeat in time; removing it from the group');
    this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
  }

  /** A removed member's parked SyncGroup is answered so the request does not hang. */
  private answerRemovedMember(group: GroupMetadata, member: MemberMetadata): void {
    group.maybeInvokeSyncCallback(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A new member may time out while its JoinGroup is parked: answer it, so that the
    // client (if still there) joins again.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.answerRemovedMember(group, member);
    this.clearHeartbeat(member);
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        return;
      case 'PreparingRebalance':
        this.checkAndCompleteJoin(group);
        return;
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  // ---------------------------------------------------------------- LeaveGroup

  /** Resolves at once for a classic group (its leave writes nothing), after the records for classic members of a consumer group. */
  async leaveGroup(groupId: string, leaving: readonly LeaveMember[]): Promise<LeaveGroupResult> {
    const memberResult = (m: LeaveMember, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    const status = this.validateGroupStatus(groupId, 'leave');
    if (status !== null) return { errorCode: status, members: [] };
    const group = this.manager.getGroup(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => memberResult(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.consumer) {
      // Classic members of a consumer group (Kafka's classicGroupLeaveToConsumerGroup): the
      // answer waits for the records, as Kafka's does; when they cannot be written the
      // request fails with the coordinator's error (the client retries it, or a new
      // coordinator fences the members by their sessions).
      const left = this.consumer.classicLeave(group.consumer, leaving);
      if (left.records.length > 0) {
        const errorCode = await this.manager.appendGroupRecords(groupId, left.records);
        if (errorCode !== ErrorCode.NONE) {
          this.logger.warn({ group: groupId, errorCode }, 'could not write the leave of classic members of a consumer group');
          return { errorCode, members: [] };
        }
      }
      return { errorCode: ErrorCode.NONE, members: left.members };
    }
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      const reason = `removing member on LeaveGroup; client reason: ${m.reason ?? 'not provided'}`;
      if (m.memberId === '') {
        // KIP-345 administrative removal by group.instance.id alone.
        const current = m.groupInstanceId !== null ? group.currentStaticMemberId(m.groupInstanceId) : undefined;
        if (current === undefined) return memberResult(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.get(current), reason);
        return memberResult(m, ErrorCode.NONE);
      }
      if (group.isPendingMember(m.memberId)) {
        group.remove(m.memberId);
        if (group.is('PreparingRebalance')) this.checkAndCompleteJoin(group);
        return memberResult(m, ErrorCode.NONE);
      }
      const invalid = this.validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (invalid !== null) return memberResult(m, invalid);
      this.logger.info({ group: groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }, 'member left the group');
      this.removeMemberAndUpdateGroup(group, group.get(m.memberId), reason);
      return memberResult(m, ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------- OffsetCommit

  /** Commits offsets (topics are known to exist; the handler answers the others). Resolves after the append. */
  async commitOffsets(p: OffsetCommitParams): Promise<TopicPartitionError[]> {
    const all = (errorCode: number): TopicPartitionError[] => p.topics.flatMap((t) => t.partitions.map((x) => ({ topic: t.topic, partition: x.partition, errorCode })));
    const status = this.validateGroupStatus(p.groupId, 'commit') ?? this.ensureOffsetsTopic();
    if (status !== null) return all(status);
    let group = this.manager.getGroup(p.groupId);
    if (!group) {
      // Without a group, only a commit outside group management (generation -1) is allowed:
      // the group then exists to hold offsets. Otherwise it is from an older generation.
      if (p.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.manager.addGroup(new GroupMetadata(p.groupId, 'Empty', this.now));
    }
    if (group.consumer) {
      const check = this.consumer.validateOffsetCommit(group.consumer, p.memberId, p.generationId, p.apiVersion ?? 9, false);
      if (typeof check === 'number') return all(check);
      if (check === null) return this.manager.storeOffsets(group, p);
      // An older member epoch: each partition on its own (KIP-1251).
      const refused: TopicPartitionError[] = [];
      const topics = p.topics
        .map((t) => ({ ...t, partitions: t.partitions.filter((x) => {
          const errorCode = check(t.topic, x.partition);
          if (errorCode !== ErrorCode.NONE) refused.push({ topic: t.topic, partition: x.partition, errorCode });
          return errorCode === ErrorCode.NONE;
        }) }))
        .filter((t) => t.partitions.length > 0);
      return [...refused, ...(topics.length > 0 ? await this.manager.storeOffsets(group, { ...p, topics }) : [])];
    }
    const invalid = this.validateOffsetCommit(group, p.generationId, p.memberId, p.groupInstanceId);
    if (invalid !== null) return all(invalid);
    switch (group.state) {
      case 'Empty':
        return this.manager.storeOffsets(group, p);
      case 'Stable':
      case 'PreparingRebalance':
        // Commits are allowed while preparing a rebalance; the heartbeat tells the member to rejoin.
        this.scheduleHeartbeatExpiration(group, group.get(p.memberId), group.get(p.memberId).sessionTimeoutMs);
        return this.manager.storeOffsets(group, p);
      case 'CompletingRebalance':
        // The member has the new generation from JoinGroup but not its assignment yet.
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Dead':
        return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  // ---------------------------------------------------------------- TxnOffsetCommit

  /**
   * Kafka's commitTransactionalOffset: the offsets of a transaction, pending until its marker.
   * A group that does not exist is created (Empty, offsets only) for a commit without a
   * generation (-1: TxnOffsetCommit v0-2, or a producer outside group management); with a
   * generation it answers ILLEGAL_GENERATION. Resolves after the append.
   */
  async commitTransactionalOffsets(p: TxnOffsetCommitParams): Promise<TopicPartitionError[]> {
    const all = (errorCode: number): TopicPartitionError[] => p.topics.flatMap((t) => t.partitions.map((x) => ({ topic: t.topic, partition: x.partition, errorCode })));
    const status = this.validateGroupStatus(p.groupId, 'txn-commit') ?? this.ensureOffsetsTopic();
    if (status !== null) return all(status);
    let group = this.manager.getGroup(p.groupId);
    if (!group) {
      if (p.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.manager.addGroup(new GroupMetadata(p.groupId, 'Empty', this.now));
    }
    const check = group.consumer ? this.consumer.validateOffsetCommit(group.consumer, p.memberId, p.generationId, 5, true) : null;
    const invalid = group.consumer
      ? typeof check === 'number'
        ? check
        : typeof check === 'function' && p.topics.some((t) => t.partitions.some((x) => check(t.topic, x.partition) !== ErrorCode.NONE))
          ? ErrorCode.STALE_MEMBER_EPOCH
          : null
      : this.validateOffsetCommit(group, p.generationId, p.memberId, p.groupInstanceId, true);
    if (invalid !== null) return all(invalid);
    return this.manager.storeTxnOffsets(group, { producerId: p.producerId, producerEpoch: p.producerEpoch }, p.topics, p.verificationGuard);
  }

  /**
   * ReplicaManager wrote a transaction marker of `producerId` to partition `offsetsPartition`
   * of __consumer_offsets (after the ISR has it, as Kafka's handleTxnCompletion runs once the
   * marker append completed): the pending offsets of that producer in every group of the
   * partition are committed (commit) or dropped (abort). A partition not coordinated here is
   * ignored: its coordinator reads the marker back when it loads the partition. Idempotent:
   * a marker reported twice finds nothing left the second time.
   */
  onTxnMarkerWritten(offsetsPartition: number, producerId: number, commit: boolean): void {
    if (this.stopped) return;
    const completed = this.manager.completeTxn(offsetsPartition, producerId, commit);
    if (completed > 0) this.logger.debug({ partition: `${GROUP_METADATA_TOPIC_NAME}-${offsetsPartition}`, producerId, commit, groups: completed }, 'completed transactional offset commits');
  }

  /**
   * Kafka's ClassicGroup.validateOffsetCommit. A commit naming a member, an instance or a
   * generation must come from the current member of the current generation (KIP-345, KIP-447
   * for TxnOffsetCommit v3+); without them an OffsetCommit is only accepted from outside the
   * group (an Empty group), while a TxnOffsetCommit always is: its versions before 3 carry none.
   */
  private validateOffsetCommit(group: GroupMetadata, generationId: number, memberId: string, groupInstanceId: string | null, isTransactional = false): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Kafka 4 accepts any commit without a generation into an Empty group; kept to
    // TxnOffsetCommit here, where a v3+ producer outside the group may still name a member.
    if (isTransactional && generationId < 0 && group.is('Empty')) return null;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      return this.validateCurrentMember(group, memberId, groupInstanceId) ?? (generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null);
    }
    // A "simple" OffsetCommit (no member, no generation) only for a group without members.
    return isTransactional || group.is('Empty') ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---------------------------------------------------------------- OffsetFetch

  /**
   * Committed offsets of a group, regardless of its state (it may only store offsets). null
   * partitions means every committed offset. Partitions without one answer offset -1.
   * requireStable: a partition with a commit in flight answers UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, topics: readonly { topic: string; partitions: readonly number[] }[] | null, requireStable: boolean, member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 }): OffsetFetchResult {
    const status = this.validateGroupStatus(groupId, 'fetch');
    if (status !== null) return { errorCode: status, topics: [] };
    const consumer = this.manager.getGroup(groupId)?.consumer;
    if (consumer) {
      // OffsetFetch v9+ from a member of a consumer group (KIP-848): at its current epoch.
      const refused = this.consumer.validateOffsetFetch(consumer, member.memberId, member.memberEpoch);
      if (refused !== null) return { errorCode: refused, topics: [] };
    }
    return this.manager.getOffsets(groupId, topics, requireStable);
  }

  // ---------------------------------------------------------------- ListGroups, DescribeGroups

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: GroupListing[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    // As Kafka: the groups loaded so far, with COORDINATOR_LOAD_IN_PROGRESS while any partition loads.
    const errorCode = this.manager.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const groups: GroupListing[] = [];
    for (const g of this.manager.currentGroups()) {
      if (g.is('Dead')) continue;
      if (g.consumer) {
        const state = g.consumer.state;
        if (state === 'Dead') continue;
        if (types.size > 0 && !types.has(CONSUMER_GROUP_TYPE)) continue;
        if (states.size > 0 && !states.has(state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: CONSUMER_PROTOCOL_TYPE, state, groupType: CONSUMER_GROUP_TYPE });
        continue;
      }
      if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return { errorCode, groups };
  }

  describeGroup(groupId: string): GroupDescription {
    const status = this.validateGroupStatus(groupId, 'describe');
    if (status !== null) return { errorCode: status, groupId, state: '', protocolType: '', protocolData: '', members: [] };
    const group = this.manager.getGroup(groupId);
    // A consumer group is not a classic group: up to DescribeGroups v5 Kafka describes it as
    // Dead (v6's GROUP_ID_NOT_FOUND "is not a classic group" becomes NONE for older versions).
    if (!group || group.is('Dead') || group.consumer) {
      const notFound = group?.consumer ? `Group ${groupId} is not a classic group.` : `Group ${groupId} not found.`;
      return { errorCode: ErrorCode.NONE, notFound, groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = group.is('Stable') && group.protocolName !== null;
    const protocol = group.protocolName ?? '';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(protocol) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  // ---------------------------------------------------------------- ConsumerGroupHeartbeat, ConsumerGroupDescribe (KIP-848)

  async consumerGroupHeartbeat(p: HeartbeatParams): Promise<HeartbeatResult> {
    // An empty group id is the request's fault (INVALID_REQUEST, ConsumerCoordinator's checks), not INVALID_GROUP_ID.
    const status = p.groupId === '' ? null : (this.validateGroupStatus(p.groupId, 'heartbeat') ?? this.ensureOffsetsTopic());
    if (status !== null) return { errorCode: status, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    return this.consumer.heartbeat(p);
  }

  consumerGroupDescribe(groupId: string): DescribedConsumerGroup {
    const status = this.validateGroupStatus(groupId, 'describe');
    if (status !== null) return { errorCode: status, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] };
    return this.consumer.describe(groupId, this.manager.getGroup(groupId));
  }

  // ---------------------------------------------------------------- DeleteGroups, OffsetDelete

  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, number>> {
    const errors = new Map<string, number>();
    const eligible: GroupMetadata[] = [];
    for (const groupId of new Set(groupIds)) {
      const status = this.validateGroupStatus(groupId, 'delete');
      if (status !== null) {
        errors.set(groupId, status);
        continue;
      }
      const group = this.manager.getGroup(groupId);
      if (!group || group.is('Dead') || group.consumer?.dead) errors.set(groupId, ErrorCode.GROUP_ID_NOT_FOUND);
      else if (group.hasNoMembers) {
        group.transitionTo('Dead');
        eligible.push(group);
      } else errors.set(groupId, ErrorCode.NON_EMPTY_GROUP);
    }
    if (eligible.length > 0) {
      const removed = await this.manager.cleanupGroupMetadata(eligible, (g) => g.removeOffsets(g.allOffsetPartitions()), (g) => this.clearGroupTimers(g));
      for (const g of eligible) errors.set(g.groupId, ErrorCode.NONE);
      this.logger.info({ groups: eligible.map((g) => g.groupId), offsetsRemoved: removed }, 'deleted groups');
    }
    return errors;
  }

  /** OffsetDelete (KIP-496); partitions are of existing topics (the handler answers the others). */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<{ errorCode: number; partitions: TopicPartitionError[] }> {
    const status = this.validateGroupStatus(groupId, 'offset-delete');
    if (status !== null) return { errorCode: status, partitions: [] };
    const group = this.manager.getGroup(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    const results: TopicPartitionError[] = [];
    let eligible: TopicPartition[];
    if (group.hasNoMembers) {
      eligible = [...partitions];
    } else if (group.isConsumerGroup || group.consumer) {
      // Offsets of topics the group consumes stay: deleting them would rewind its members.
      eligible = [];
      const consumerTopics = group.consumer?.subscribedTopicNames();
      for (const tp of partitions) {
        if (consumerTopics ? consumerTopics.has(tp.topic) : group.isSubscribedToTopic(tp.topic)) results.push({ ...tp, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
        else eligible.push(tp);
      }
    } else {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    }
    if (eligible.length > 0) {
      await this.manager.cleanupGroupMetadata([group], (g) => g.removeOffsets(eligible), (g) => this.clearGroupTimers(g));
      for (const tp of eligible) results.push({ ...tp, errorCode: ErrorCode.NONE });
    }
    return { errorCode: ErrorCode.NONE, partitions: results };
  }

  /**
   * A topic was deleted: its committed offsets go from every group, written as tombstones
   * (Kafka's GroupCoordinator.handleDeletedPartitions), so a topic created again under the
   * same name does not inherit them. Returns how many offsets were removed.
   */
  async onTopicDeleted(topic: string): Promise<number> {
    if (!this.active) return 0;
    const affected = this.manager.currentGroups().filter((g) => g.allOffsetPartitions().some((tp) => tp.topic === topic));
    if (affected.length === 0) return 0;
    const removed = await this.manager.cleanupGroupMetadata(affected, (g) => g.removeOffsets(g.allOffsetPartitions().filter((tp) => tp.topic === topic)), (g) => this.clearGroupTimers(g));
    this.logger.info({ topic, groups: affected.length, offsetsRemoved: removed }, 'removed the offsets of a deleted topic');
    return removed;
  }

  /** The periodic offset expiration (offsets.retention.check.interval.ms). */
  private runExpiration(): void {
    if (!this.active) return;
    const started = this.now();
    this.manager.track(
      this.expireOffsetsNow().then((removed) => {
        if (removed > 0) this.logger.info({ offsetsRemoved: removed, ms: this.now() - started }, 'removed expired offsets');
      }),
    );
  }

  /** Runs one expiration pass now (tests; the timer does the same). */
  expireOffsetsNow(): Promise<number> {
    const nowMs = this.now();
    return this.manager.cleanupGroupMetadata(this.manager.currentGroups(), (g) => g.removeExpiredOffsets(nowMs, this.config.offsetsRetentionMs), (g) => this.clearGroupTimers(g));
  }

  /** Runs a timer's work: a throw here is a bug, logged rather than taking the broker down. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, timer: what }, 'group coordinator timer failed');
    }
  }

}

/** Parks a JoinGroup; a member that retries while parked gets the same answer on both requests. */
function chainJoin(previous: JoinCallback | null, next: JoinCallback): JoinCallback {
  return previous ? (r) => (previous(r), next(r)) : next;
}

function chainSync(previous: SyncCallback | null, next: SyncCallback): SyncCallback {
  return previous ? (r) => (previous(r), next(r)) : next;
}
