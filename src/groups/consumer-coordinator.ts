// ConsumerCoordinator: the consumer group protocol (KIP-848) side of the group coordinator,
// after Kafka's GroupMetadataManager.consumerGroupHeartbeat and consumerGroupDescribe. It owns
// ConsumerGroupHeartbeat (join, heartbeat, leave, static members), the target assignment
// (server-side assignors), regex subscriptions, the members' session and revocation timers,
// and writes the group's records to __consumer_offsets (consumer-records.ts) before it answers.
//
// A consumer group lives in the same map as classic groups (GroupMetadataManager), as a
// GroupMetadata whose `consumer` field holds the ConsumerGroup; its offsets are stored and
// expired as a classic group's are. GroupCoordinator routes to this class.
//
// Online migration (Kafka 4.4's, group.consumer.migration.policy; classic-conversion.ts): a
// joining ConsumerGroupHeartbeat upgrades a live classic group; its members stay as members
// that speak the classic protocol (`classic` set), served by classicJoin/classicSync/
// classicHeartbeat/classicLeave from the target assignment; when the last consumer-protocol
// member leaves or is fenced and the rest are classic, the group goes back to a classic group
// (the host installs it and rebalances).
//
// Every state change runs on the JS thread; timers re-check what they find. A failed append
// answers the heartbeat with the mapped error (NOT_COORDINATOR etc.); the in-memory state is
// not rolled back (Kafka's timeline snapshots are not reproduced): the member retries or
// rejoins, and a new coordinator rebuilds the group from what was written.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import { configuredAssignors, type Assignment, type AssignorMember, type AssignorTopic, type ConsumerAssignor } from './consumer-assignors.js';
import {
  cloneAssignment,
  compileTopicRegex,
  ConsumerGroup,
  ConsumerGroupMember,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  MemberState,
  metadataHashOf,
  ownedIsSubset,
  sameAssignment,
} from './consumer-group.js';
import {
  currentAssignmentRecord,
  groupEpochRecord,
  memberSubscriptionRecord,
  memberTombstones,
  regexRecord,
  targetAssignmentEpochRecord,
  targetAssignmentMemberRecord,
  tombstone,
  groupTombstones,
  ConsumerRecordType,
  type ConsumerRecord,
} from './consumer-records.js';
import { GroupMetadata, joinError, syncError } from './group-metadata.js';
import type { JoinGroupResult, MemberMetadata, Protocol, SyncGroupResult } from './member-metadata.js';
import { assignmentFor, byTopicId, classicMembersOf, consumerGroupFromClassic, consumerGroupRecords, decodeSubscription, encodeAssignment } from './classic-conversion.js';
import { groupMetadataKey } from './offsets-records.js';

export interface ConsumerCoordinatorConfig {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxSize: number;
  readonly assignors: readonly string[];
  readonly migrationPolicy: string;
}

/** A topic as the assignment sees it. */
export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly numPartitions: number;
}

/** What the consumer coordinator needs of GroupCoordinator and the broker. */
export interface ConsumerCoordinatorHost {
  getGroup(groupId: string): GroupMetadata | undefined;
  addGroup(group: GroupMetadata): GroupMetadata;
  /** Appends the records to the group's partition; the (mapped) Kafka error code. */
  append(groupId: string, records: readonly ConsumerRecord[]): Promise<number>;
  /** Every topic, internal ones included (a regex may match them, as in Kafka). */
  listTopics(): readonly TopicView[];
  readonly isActive: boolean;
  /** group.max.size: a downgrade leaving more classic members than this is not done. */
  readonly classicGroupMaxSize: number;
  /** Before an upgrade: answers the classic group's parked JoinGroup/SyncGroup (REBALANCE_IN_PROGRESS), stops its timers, empties it. */
  retireClassicGroup(group: GroupMetadata): void;
  /**
   * A downgrade: makes `group` a Stable classic group of these members at this generation, each
   * with assignmentOf(member, selected protocol), and starts a rebalance if asked. The
   * GroupMetadata record to write.
   */
  installClassicGroup(group: GroupMetadata, members: readonly MemberMetadata[], generationId: number, assignmentOf: (member: MemberMetadata, protocol: string) => Buffer, rebalance: boolean): ConsumerRecord;
}

/** A JoinGroup from a classic member (GroupCoordinator's JoinGroupParams). */
export interface ClassicJoinParams {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly requireKnownMemberId: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
}

/** A SyncGroup from a classic member. */
export interface ClassicSyncParams {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
}

const CONSUMER_PROTOCOL = 'consumer';

/** The deletion of a classic group's metadata (Kafka's ClassicGroup.createGroupTombstoneRecords). */
function classicGroupTombstone(groupId: string): ConsumerRecord {
  return { key: groupMetadataKey(groupId), value: null };
}

function sameClassicMetadata(a: ConsumerGroupMember['classic'], b: ConsumerGroupMember['classic']): boolean {
  if (a === null || b === null) return a === b;
  return a.sessionTimeoutMs === b.sessionTimeoutMs && a.supportedProtocols.length === b.supportedProtocols.length && a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i]!.name && p.metadata.equals(b.supportedProtocols[i]!.metadata));
}

export interface HeartbeatParams {
  readonly apiVersion: number;
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly topicPartitions: readonly { topicId: string; partitions: readonly number[] }[] | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface HeartbeatResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  readonly assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

export interface DescribedConsumerGroup {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupId: string;
  readonly groupState: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: {
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    assignment: { topicPartitions: { topicId: string; topicName: string; partitions: number[] }[] };
    targetAssignment: { topicPartitions: { topicId: string; topicName: string; partitions: number[] }[] };
    memberType: number;
  }[];
}

function error(errorCode: number, errorMessage: string | null, memberId: string | null = null): HeartbeatResult {
  return { errorCode, errorMessage, memberId, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

export class ConsumerCoordinator {
  private readonly assignors: ConsumerAssignor[];
  /** A group's consumer.session.timeout.ms / consumer.heartbeat.interval.ms group configs when set (the broker sets this: config/group-configs.ts). */
  groupConfigOf: (groupId: string) => { sessionTimeoutMs: number; heartbeatIntervalMs: number } | null = () => null;

  constructor(
    readonly config: ConsumerCoordinatorConfig,
    private readonly host: ConsumerCoordinatorHost,
    private readonly logger: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.assignors = configuredAssignors(config.assignors);
  }

  get assignorNames(): string[] {
    return this.assignors.map((a) => a.name);
  }

  // ---------------------------------------------------------------- ConsumerGroupHeartbeat

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid: INVALID_REQUEST and friends, or null. */
  private validateRequest(p: HeartbeatParams): HeartbeatResult | null {
    const invalid = (m: string): HeartbeatResult => error(ErrorCode.INVALID_REQUEST, m);
    if (p.groupId === '') return invalid("GroupId can't be empty.");
    if (p.instanceId !== null && p.instanceId === '') return invalid("InstanceId can't be empty.");
    if (p.rackId !== null && p.rackId === '') return invalid("RackId can't be empty.");
    if (p.apiVersion >= 1 && p.memberId === '') return invalid("MemberId can't be empty.");
    if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) return invalid('RebalanceTimeoutMs must be provided in first request.');
      if (p.topicPartitions === null || p.topicPartitions.length > 0) return invalid('TopicPartitions must be empty when (re-)joining.');
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) return invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (p.instanceId === null) return invalid('InstanceId can\'t be null.');
    } else if (p.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      return invalid(`MemberEpoch is invalid.`);
    }
    if (p.memberEpoch !== 0 && p.memberId === '') return invalid("MemberId can't be empty.");
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== '' && compileTopicRegex(p.subscribedTopicRegex) === null) {
      return error(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${p.subscribedTopicRegex}\` is not a valid regular expression.`);
    }
    if (p.serverAssignor !== null && !this.assignors.some((a) => a.name === p.serverAssignor)) {
      return error(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${this.assignorNames.join(', ')}.`);
    }
    return null;
  }

  /** ConsumerGroupHeartbeat, once GroupCoordinator checked that this broker coordinates the group. */
  async heartbeat(p: HeartbeatParams): Promise<HeartbeatResult> {
    const invalid = this.validateRequest(p);
    if (invalid) return invalid;
    let holder = this.host.getGroup(p.groupId);
    if (holder && holder.consumer === null) {
      // A classic group (Kafka's getOrMaybeCreateConsumerGroup): only a joining member (epoch 0)
      // converts it. An empty one becomes a consumer group whatever the migration policy (its
      // metadata deleted, its offsets kept: maybeDeleteEmptyClassicGroup); one with members is
      // upgraded online when the policy and its members allow it (validateOnlineUpgrade).
      if (p.memberEpoch !== 0) return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
      if (holder.is('Empty')) {
        const hadMetadata = holder.generationId > 0;
        holder.consumer = new ConsumerGroup(p.groupId);
        this.logger.info({ group: p.groupId }, 'converted an empty classic group to a consumer group');
        if (hadMetadata) {
          const errorCode = await this.host.append(p.groupId, [classicGroupTombstone(p.groupId)]);
          if (errorCode !== ErrorCode.NONE) return error(errorCode, null);
        }
      } else {
        const refused = this.upgradeRefusal(holder);
        if (refused !== null) return error(ErrorCode.GROUP_ID_NOT_FOUND, refused);
        const failed = await this.convertToConsumerGroup(holder);
        if (failed !== null) return failed;
      }
    }
    if (p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(holder, p);
    if (!holder) {
      if (p.memberEpoch !== 0) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
      holder = this.host.addGroup(new GroupMetadata(p.groupId, 'Empty', this.now));
      holder.consumer = new ConsumerGroup(p.groupId);
    }
    const group = holder.consumer!;
    if (group.dead) return error(ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
    const records: ConsumerRecord[] = [];
    const memberId = p.memberId === '' ? crypto.randomUUID() : p.memberId;

    // The member: new, rejoining, or known at this epoch.
    let member: ConsumerGroupMember | undefined = group.members.get(memberId);
    let previous: ConsumerGroupMember | undefined = member;
    let bump = false;
    if (p.memberEpoch === 0) {
      if (p.instanceId !== null) {
        const ownerId = group.staticMembers.get(p.instanceId);
        const owner = ownerId !== undefined ? group.members.get(ownerId) : undefined;
        if (owner && owner.memberId !== memberId && owner.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
          return error(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} cannot join the group because the instance id is owned by ${owner.memberId} member.`);
        }
        if (owner && owner.memberId !== memberId) {
          member = this.replaceStaticMember(group, owner, memberId, records);
          previous = undefined;
        }
      }
      if (member && previous && member.memberEpoch !== 0) {
        // A known member rejoining with epoch 0 gave its partitions up: it starts again.
        this.clearTimers(member);
        group.removeMember(member.memberId);
        member = undefined;
        previous = undefined;
      }
      if (!member) {
        if (group.members.size >= this.config.maxSize) {
          return error(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.config.maxSize} members.`);
        }
        member = new ConsumerGroupMember(memberId);
        bump = true;
        this.logger.info({ group: group.groupId, memberId, instanceId: p.instanceId }, 'member joins the consumer group');
      }
    } else {
      if (!member || member.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${p.groupId}.`);
      if (p.instanceId !== null && member.instanceId !== p.instanceId) return error(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} is fenced.`);
      if (p.memberEpoch > member.memberEpoch) {
        return error(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${p.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
      if (p.memberEpoch < member.memberEpoch && (p.memberEpoch !== member.previousMemberEpoch || !ownedIsSubset(p.topicPartitions, member.assigned))) {
        return error(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${p.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }

    // The member's subscription as this request updates it.
    const updated = member.copyAs(memberId);
    updated.sessionTimer = member.sessionTimer;
    updated.rebalanceTimer = member.rebalanceTimer;
    if (p.instanceId !== null) updated.instanceId = p.instanceId;
    if (p.rackId !== null) updated.rackId = p.rackId;
    if (p.rebalanceTimeoutMs !== -1) updated.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    if (p.subscribedTopicNames !== null) updated.subscribedTopicNames = [...p.subscribedTopicNames].sort();
    if (p.subscribedTopicRegex !== null) updated.subscribedTopicRegex = p.subscribedTopicRegex === '' ? null : p.subscribedTopicRegex;
    if (p.serverAssignor !== null) updated.serverAssignor = p.serverAssignor;
    updated.clientId = p.clientId;
    updated.clientHost = p.clientHost;
    const subscriptionChanged =
      bump ||
      updated.instanceId !== member.instanceId ||
      updated.rackId !== member.rackId ||
      updated.rebalanceTimeoutMs !== member.rebalanceTimeoutMs ||
      updated.subscribedTopicNames.join('\u0000') !== member.subscribedTopicNames.join('\u0000') ||
      updated.subscribedTopicRegex !== member.subscribedTopicRegex ||
      updated.serverAssignor !== member.serverAssignor ||
      updated.clientId !== member.clientId ||
      updated.clientHost !== member.clientHost;
    if (subscriptionChanged) {
      records.push(memberSubscriptionRecord(group.groupId, updated));
      if (bump || updated.subscribedTopicNames.join('\u0000') !== member.subscribedTopicNames.join('\u0000') || updated.subscribedTopicRegex !== member.subscribedTopicRegex || updated.serverAssignor !== member.serverAssignor) bump = true;
    }
    group.updateMember(updated, previous);

    const { current, reconciled } = this.advance(group, memberId, p.topicPartitions, bump, previous === undefined, records);
    this.scheduleTimers(group, reconciled, current);

    const errorCode = records.length > 0 ? await this.host.append(group.groupId, records) : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) return error(errorCode, null);
    const isFullRequest = p.rebalanceTimeoutMs !== -1 && (p.subscribedTopicNames !== null || p.subscribedTopicRegex !== null) && p.topicPartitions !== null;
    const withAssignment = p.memberEpoch === 0 || isFullRequest || !sameAssignment(reconciled.assigned, member.assigned) || previous === undefined;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: reconciled.memberEpoch,
      heartbeatIntervalMs: this.groupConfigOf(group.groupId)?.heartbeatIntervalMs ?? this.config.heartbeatIntervalMs,
      assignment: withAssignment ? { topicPartitions: [...reconciled.assigned].filter(([, ps]) => ps.length > 0).map(([topicId, partitions]) => ({ topicId, partitions })) } : null,
    };
  }

  /** The static member restarted: the new member id takes over its assignment and epoch (Kafka's replaceStaticMember). */
  private replaceStaticMember(group: ConsumerGroup, owner: ConsumerGroupMember, memberId: string, records: ConsumerRecord[]): ConsumerGroupMember {
    // The target first: removing the member drops it.
    const target = group.target.get(owner.memberId);
    this.clearTimers(owner);
    group.removeMember(owner.memberId);
    records.push(...memberTombstones(group.groupId, owner.memberId));
    const member = owner.copyAs(memberId);
    member.memberEpoch = member.previousMemberEpoch >= 0 && owner.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? member.previousMemberEpoch : owner.memberEpoch;
    group.updateMember(member, undefined);
    if (target) group.target.set(memberId, target);
    records.push(memberSubscriptionRecord(group.groupId, member));
    if (target) records.push(targetAssignmentMemberRecord(group.groupId, memberId, target));
    this.logger.info({ group: group.groupId, memberId, instanceId: member.instanceId, previousMemberId: owner.memberId }, 'static member rejoined with a new member id');
    return member;
  }

  /**
   * What a member's request moves, after its subscription was updated (steps 2-3 of Kafka's
   * consumerGroupHeartbeat and classicGroupJoinToConsumerGroup): regexes and topic metadata,
   * the group epoch, the target assignment, then the member's reconciliation against `owned`.
   */
  private advance(group: ConsumerGroup, memberId: string, owned: readonly { topicId: string; partitions: readonly number[] }[] | null, bump: boolean, isNew: boolean, records: ConsumerRecord[]): { current: ConsumerGroupMember; reconciled: ConsumerGroupMember } {
    // Regexes resolved against the topics as they are now; a new topic matching one, or a
    // partition count change of a subscribed topic, moves the group epoch as well.
    const topics = this.host.listTopics();
    records.push(...this.refreshRegexes(group, topics));
    const signature = this.metadataSignature(group, topics);
    if (signature !== group.metadataSignature) bump = true;
    if (bump) {
      group.groupEpoch++;
      group.metadataSignature = signature;
      group.metadataHash = metadataHashOf(signature);
      records.push(groupEpochRecord(group.groupId, group.groupEpoch, group.metadataHash));
    }
    if (group.groupEpoch > group.assignmentEpoch) records.push(...this.updateTargetAssignment(group, topics));

    // Reconcile the member towards its target.
    const current = group.members.get(memberId)!;
    const reconciled = group.reconcile(current, owned);
    if (reconciled !== current) {
      group.updateMember(reconciled, current);
      if (reconciled.memberEpoch !== current.memberEpoch || reconciled.state !== current.state || !sameAssignment(reconciled.assigned, current.assigned) || !sameAssignment(reconciled.pendingRevocation, current.pendingRevocation)) {
        records.push(currentAssignmentRecord(group.groupId, reconciled));
      }
    } else if (bump && isNew) {
      records.push(currentAssignmentRecord(group.groupId, reconciled));
    }
    return { current, reconciled };
  }

  /** A member leaving (epoch -1), or a static member leaving for a while (epoch -2: it keeps its assignment until its session ends). */
  private async leave(holder: GroupMetadata | undefined, p: HeartbeatParams): Promise<HeartbeatResult> {
    const group = holder?.consumer;
    if (!group) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${p.groupId}.`);
    let memberId = p.memberId;
    if (p.instanceId !== null) {
      const owner = group.staticMembers.get(p.instanceId);
      if (owner === undefined) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
      if (owner !== memberId) return error(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.instanceId} is fenced.`);
      memberId = owner;
    }
    const member = group.members.get(memberId);
    if (!member) return error(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${p.groupId}.`);
    if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      const leaving = member.copyAs(memberId);
      leaving.sessionTimer = member.sessionTimer;
      leaving.previousMemberEpoch = member.memberEpoch;
      leaving.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
      group.updateMember(leaving, member);
      if (member.rebalanceTimer) clearTimeout(member.rebalanceTimer);
      this.logger.info({ group: group.groupId, memberId, instanceId: member.instanceId }, 'static member left the consumer group temporarily');
      const errorCode = await this.host.append(group.groupId, [currentAssignmentRecord(group.groupId, leaving)]);
      if (errorCode !== ErrorCode.NONE) return error(errorCode, null);
    } else {
      this.logger.info({ group: group.groupId, memberId }, 'member left the consumer group');
      const errorCode = await this.host.append(group.groupId, this.removeMembers(group, [member]));
      if (errorCode !== ErrorCode.NONE) return error(errorCode, null);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /**
   * Kafka's consumerGroupFenceMember(s): members leave (left, session expired, fenced). When
   * only classic members would remain and the policy allows it, the group is converted back to
   * a classic group (validateOnlineDowngradeWithFencedMembers, convertToClassicGroup);
   * otherwise tombstones, a new group epoch and target.
   */
  private removeMembers(group: ConsumerGroup, members: readonly ConsumerGroupMember[]): ConsumerRecord[] {
    const leaving = new Set(members.map((m) => m.memberId));
    const holder = this.host.getGroup(group.groupId);
    if (holder?.consumer === group && this.canDowngrade(group, leaving)) return this.convertToClassicGroup(holder, group, leaving);
    const records: ConsumerRecord[] = [];
    for (const member of members) {
      this.clearTimers(member);
      group.removeMember(member.memberId);
      records.push(...memberTombstones(group.groupId, member.memberId));
    }
    group.groupEpoch++;
    const topics = this.host.listTopics();
    const regexRecords = this.refreshRegexes(group, topics);
    group.metadataSignature = this.metadataSignature(group, topics);
    group.metadataHash = metadataHashOf(group.metadataSignature);
    records.push(groupEpochRecord(group.groupId, group.groupEpoch, group.metadataHash), ...regexRecords);
    records.push(...this.updateTargetAssignment(group, topics));
    return records;
  }

  private fence(group: ConsumerGroup, memberId: string, reason: string): void {
    if (!this.host.isActive || group.dead) return;
    const member = group.members.get(memberId);
    if (!member) return;
    this.logger.info({ group: group.groupId, memberId, reason }, 'fenced a consumer group member');
    void this.host.append(group.groupId, this.removeMembers(group, [member])).then((errorCode) => {
      if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, memberId, errorCode }, 'could not write the removal of a fenced member');
    });
  }

  /**
   * Session timer (group.consumer.session.timeout.ms, or a classic member's own session
   * timeout), and the revocation deadline (the member's rebalance timeout) of a member using
   * ConsumerGroupHeartbeat; classic members have join and sync deadlines instead.
   */
  private scheduleTimers(group: ConsumerGroup, member: ConsumerGroupMember, before: ConsumerGroupMember): void {
    this.scheduleSession(group, member);
    if (member.classic !== null) return;
    const revoking = member.state === MemberState.UNREVOKED_PARTITIONS;
    const startedRevoking = revoking && (before.state !== MemberState.UNREVOKED_PARTITIONS || before.memberEpoch !== member.memberEpoch || member.rebalanceTimer === null);
    if (!revoking && member.rebalanceTimer) {
      clearTimeout(member.rebalanceTimer);
      member.rebalanceTimer = null;
    } else if (startedRevoking) {
      if (member.rebalanceTimer) clearTimeout(member.rebalanceTimer);
      const epoch = member.memberEpoch;
      member.rebalanceTimer = setTimeout(() => {
        const m = group.members.get(member.memberId);
        if (m && m.state === MemberState.UNREVOKED_PARTITIONS && m.memberEpoch === epoch) this.fence(group, member.memberId, 'did not revoke its partitions within its rebalance timeout');
      }, Math.max(member.rebalanceTimeoutMs, 1));
      member.rebalanceTimer.unref?.();
    }
  }

  private scheduleSession(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.fence(group, member.memberId, 'session timeout expired'), member.classic?.sessionTimeoutMs ?? this.groupConfigOf(group.groupId)?.sessionTimeoutMs ?? this.config.sessionTimeoutMs);
    member.sessionTimer.unref?.();
  }

  private clearTimers(member: ConsumerGroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    if (member.rebalanceTimer) clearTimeout(member.rebalanceTimer);
    if (member.joinTimer) clearTimeout(member.joinTimer);
    if (member.syncTimer) clearTimeout(member.syncTimer);
    member.sessionTimer = null;
    member.rebalanceTimer = null;
    member.joinTimer = null;
    member.syncTimer = null;
  }

  /**
   * Kafka's refreshRegularExpressions: each regex in use resolved against the current topics
   * (the whole name must match; internal topics are not skipped, as in Kafka); records for
   * those that changed.
   */
  private refreshRegexes(group: ConsumerGroup, topics: readonly TopicView[]): ConsumerRecord[] {
    const records: ConsumerRecord[] = [];
    const inUse = group.regexesInUse();
    for (const regex of inUse) {
      const re = compileTopicRegex(regex);
      const matched = re === null ? [] : topics.filter((t) => re.test(t.name)).map((t) => t.name).sort();
      const known = group.resolvedRegexes.get(regex);
      if (known && known.topics.join('\u0000') === matched.join('\u0000')) continue;
      const resolved = { topics: matched, version: (known?.version ?? 0) + 1, timestampMs: this.now() };
      group.resolvedRegexes.set(regex, resolved);
      records.push(regexRecord(group.groupId, regex, resolved));
    }
    for (const regex of [...group.resolvedRegexes.keys()]) {
      if (inUse.has(regex)) continue;
      group.resolvedRegexes.delete(regex);
      records.push(tombstone(ConsumerRecordType.REGULAR_EXPRESSION, group.groupId, { regularExpression: regex }));
    }
    return records;
  }

  /** The subscribed topics as the assignment sees them (name, id, partition count): a change means a new epoch. */
  private metadataSignature(group: ConsumerGroup, topics: readonly TopicView[]): string {
    const subscribed = group.subscribedTopicNames();
    return topics
      .filter((t) => subscribed.has(t.name))
      .map((t) => `${t.name}:${t.topicId}:${t.numPartitions}`)
      .sort()
      .join(',');
  }

  /** Runs the assignor for the group epoch; records for the members whose target changed, then the assignment epoch. */
  private updateTargetAssignment(group: ConsumerGroup, topics: readonly TopicView[]): ConsumerRecord[] {
    const assignor = this.assignors.find((a) => a.name === group.preferredAssignor(this.assignors[0]!.name)) ?? this.assignors[0]!;
    const byName = new Map(topics.map((t) => [t.name, t]));
    const subscribed = new Map<string, AssignorTopic>();
    const members: AssignorMember[] = [];
    for (const m of group.members.values()) {
      const ids = new Set<string>();
      for (const name of group.memberTopicNames(m)) {
        const t = byName.get(name);
        if (!t || t.numPartitions === 0) continue;
        ids.add(t.topicId);
        subscribed.set(t.topicId, { topicId: t.topicId, name: t.name, numPartitions: t.numPartitions });
      }
      members.push({ memberId: m.memberId, subscribedTopicIds: ids, current: group.target.get(m.memberId) ?? new Map() });
    }
    const result = assignor.assign(members, subscribed);
    const records: ConsumerRecord[] = [];
    for (const [memberId, next] of result) {
      const before = group.target.get(memberId);
      if (before && sameAssignment(before, next)) continue;
      group.target.set(memberId, next);
      records.push(targetAssignmentMemberRecord(group.groupId, memberId, next));
    }
    group.assignmentEpoch = group.groupEpoch;
    records.push(targetAssignmentEpochRecord(group.groupId, group.assignmentEpoch, this.now()));
    this.logger.info({ group: group.groupId, epoch: group.groupEpoch, members: group.members.size, assignor: assignor.name }, 'computed a new target assignment');
    return records;
  }

  // ---------------------------------------------------------------- online migration (KIP-848)

  private get upgradeEnabled(): boolean {
    return this.config.migrationPolicy === 'upgrade' || this.config.migrationPolicy === 'bidirectional';
  }

  private get downgradeEnabled(): boolean {
    return this.config.migrationPolicy === 'downgrade' || this.config.migrationPolicy === 'bidirectional';
  }

  /** Kafka's validateOnlineUpgrade: null when the classic group may become a consumer group, else why not. */
  private upgradeRefusal(classic: GroupMetadata): string | null {
    const why = (reason: string): string => {
      this.logger.info({ group: classic.groupId }, `cannot upgrade the classic group to a consumer group because ${reason}`);
      return `Cannot upgrade classic group ${classic.groupId} to consumer group because ${reason}.`;
    };
    if (!this.upgradeEnabled) return why('online upgrade is disabled');
    if (!classic.isConsumerGroup) return why('the group does not use the consumer embedded protocol');
    if (classic.size > this.config.maxSize) return why('the group size exceeds the consumer group maximum size');
    return null;
  }

  /**
   * Kafka's convertToConsumerGroup: the classic members become members of a consumer group that
   * keep speaking the classic protocol, each Stable with its classic assignment; their parked
   * JoinGroup/SyncGroup requests are answered REBALANCE_IN_PROGRESS. The classic group's
   * metadata is deleted and the consumer group's records written in one batch. Null when done,
   * else the answer to the heartbeat that asked for it.
   */
  private async convertToConsumerGroup(holder: GroupMetadata): Promise<HeartbeatResult | null> {
    const groupId = holder.groupId;
    const topics = this.host.listTopics();
    const converted = consumerGroupFromClassic(holder, new Map(topics.map((t) => [t.name, t.topicId])));
    if (converted === 'malformed') {
      this.logger.warn({ group: groupId }, 'cannot upgrade the classic group: a member\'s embedded consumer protocol is malformed');
      return error(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    if (converted === 'custom-assignor') {
      this.logger.warn({ group: groupId }, 'cannot upgrade the classic group: an assignment carries user data of a custom assignor');
      return error(
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Cannot upgrade classic group ${groupId} to consumer group because an unsupported custom assignor is in use. Please refer to the documentation or switch to a default assignor before re-attempting the upgrade.`,
      );
    }
    this.host.retireClassicGroup(holder);
    converted.metadataSignature = this.metadataSignature(converted, topics);
    converted.metadataHash = metadataHashOf(converted.metadataSignature);
    holder.consumer = converted;
    for (const m of converted.members.values()) this.scheduleSession(converted, m);
    this.logger.info({ group: groupId, epoch: converted.groupEpoch, members: converted.members.size }, 'converted the classic group to a consumer group');
    const errorCode = await this.host.append(groupId, [classicGroupTombstone(groupId), ...consumerGroupRecords(converted, this.now())]);
    return errorCode === ErrorCode.NONE ? null : error(errorCode, null);
  }

  /** Kafka's validateOnlineDowngradeWithFencedMembers. */
  private canDowngrade(group: ConsumerGroup, leaving: ReadonlySet<string>): boolean {
    if (!group.allMembersUseClassicProtocolExcept(leaving)) return false;
    let remaining = group.members.size;
    for (const id of leaving) if (group.members.has(id)) remaining--;
    if (remaining <= 0) return false;
    // The classic group needs a protocol every remaining member supports (joins checked it).
    const stay = [...group.members.values()].filter((m) => !leaving.has(m.memberId));
    if (!stay[0]!.classic!.supportedProtocols.some((p) => stay.every((m) => m.classic!.supportedProtocols.some((q) => q.name === p.name)))) return false;
    if (!this.downgradeEnabled) {
      this.logger.info({ group: group.groupId }, 'cannot downgrade the consumer group to a classic group because the online downgrade is disabled');
      return false;
    }
    if (remaining > this.host.classicGroupMaxSize) {
      this.logger.info({ group: group.groupId }, 'cannot downgrade the consumer group to a classic group because its group size is greater than classic group max size');
      return false;
    }
    return true;
  }

  /**
   * Kafka's convertToClassicGroup: the consumer group's records are deleted and the remaining
   * classic members become a Stable classic group at generation = the group epoch, each with
   * its target assignment; the host starts a rebalance (always when a member left; after a
   * static replacement only if the subscription changed). The records to write.
   */
  private convertToClassicGroup(holder: GroupMetadata, group: ConsumerGroup, leaving: ReadonlySet<string>, rebalance = true): ConsumerRecord[] {
    const records: ConsumerRecord[] = [];
    for (const m of group.members.values()) {
      this.clearTimers(m);
      records.push(...memberTombstones(group.groupId, m.memberId));
    }
    records.push(...groupTombstones(group));
    const names = new Map(this.host.listTopics().map((t) => [t.topicId, t.name]));
    const members = classicMembersOf(group, leaving);
    group.dead = true;
    holder.consumer = null;
    records.push(this.host.installClassicGroup(holder, members, group.groupEpoch, (m, protocol) => assignmentFor(group, m, protocol, names), rebalance));
    this.logger.info({ group: group.groupId, generation: group.groupEpoch, members: members.length }, 'converted the consumer group to a classic group');
    return records;
  }

  // ---------------------------------------------------------------- classic members of a consumer group

  /**
   * Kafka's classicGroupJoinToConsumerGroup: JoinGroup from a member speaking the classic
   * protocol to a consumer group with members. The broker's target assignment decides; the
   * member reconciles towards it on each JoinGroup (its subscription's owned partitions say what
   * it still holds); its generation is its member epoch. No leader: every member is a follower.
   */
  async classicJoin(group: ConsumerGroup, p: ClassicJoinParams): Promise<JoinGroupResult> {
    const isUnknown = p.memberId === '';
    const memberId = isUnknown ? crypto.randomUUID() : p.memberId;
    if (group.members.size >= this.config.maxSize && (isUnknown || !group.members.has(memberId))) return joinError(p.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (!group.supportsClassicProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) return joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (isUnknown && p.requireKnownMemberId) return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
    const subscription = decodeSubscription(p.protocols[0]!.metadata);
    if (subscription === null) return joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const records: ConsumerRecord[] = [];
    let member = group.members.get(memberId);
    let previous = member;
    let bump = false;
    /** The static member this one replaces (a restart under the same group.instance.id). */
    let replaced: ConsumerGroupMember | undefined;
    if (p.groupInstanceId === null) {
      if (member && member.classic === null) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    } else {
      const ownerId = group.staticMembers.get(p.groupInstanceId);
      const owner = ownerId !== undefined ? group.members.get(ownerId) : undefined;
      if (isUnknown) {
        if (owner) {
          replaced = owner;
          member = this.replaceStaticMember(group, owner, memberId, records);
          previous = undefined;
        }
      } else if (!owner) {
        return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      } else if (owner.memberId !== memberId) {
        return joinError(p.memberId, ErrorCode.FENCED_INSTANCE_ID);
      }
    }
    if (!member) {
      member = new ConsumerGroupMember(memberId);
      bump = true;
      this.logger.info({ group: group.groupId, memberId, instanceId: p.groupInstanceId }, 'classic member joins the consumer group');
    }
    const updated = member.copyAs(memberId);
    if (p.groupInstanceId !== null) updated.instanceId = p.groupInstanceId;
    if (subscription.rackId !== null) updated.rackId = subscription.rackId;
    if (p.rebalanceTimeoutMs !== -1) updated.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    updated.subscribedTopicNames = [...new Set(subscription.topics)].sort();
    updated.clientId = p.clientId;
    updated.clientHost = p.clientHost;
    updated.classic = { sessionTimeoutMs: p.sessionTimeoutMs, supportedProtocols: p.protocols.map((x) => ({ name: x.name, metadata: x.metadata })) };
    const topicsChanged = updated.subscribedTopicNames.join('\u0000') !== member.subscribedTopicNames.join('\u0000');
    const changed =
      bump ||
      topicsChanged ||
      updated.instanceId !== member.instanceId ||
      updated.rackId !== member.rackId ||
      updated.rebalanceTimeoutMs !== member.rebalanceTimeoutMs ||
      updated.clientId !== member.clientId ||
      updated.clientHost !== member.clientHost ||
      !sameClassicMetadata(updated.classic, member.classic);
    if (changed) records.push(memberSubscriptionRecord(group.groupId, updated));
    if (topicsChanged) bump = true;
    group.updateMember(updated, previous);

    const ids = new Map(this.host.listTopics().map((t) => [t.name, t.topicId]));
    const owned = [...byTopicId(subscription.ownedPartitions, ids)].map(([topicId, partitions]) => ({ topicId, partitions }));
    const { reconciled } = this.advance(group, memberId, owned, bump, previous === undefined, records);
    if (reconciled.joinTimer) clearTimeout(reconciled.joinTimer);
    reconciled.joinTimer = null;
    this.scheduleSession(group, reconciled);
    this.scheduleSyncTimeout(group, reconciled);

    // Kafka's step 4: the last consumer-protocol member was a static member this classic one
    // replaced: the group goes back to a classic group (validateOnlineDowngradeWithReplacedMember),
    // rebalancing only if the subscription changed.
    const holder = this.host.getGroup(group.groupId);
    if (replaced !== undefined && replaced.classic === null && holder?.consumer === group && this.canDowngrade(group, new Set())) {
      records.push(...this.convertToClassicGroup(holder, group, new Set(), topicsChanged));
    }

    const errorCode = records.length > 0 ? await this.host.append(group.groupId, records) : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) return joinError(p.memberId, errorCode);
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: reconciled.memberEpoch,
      protocolType: CONSUMER_PROTOCOL,
      protocolName: p.protocols[0]!.name,
      leader: '',
      skipAssignment: false,
      members: [],
    };
  }

  /** Kafka's validateConsumerGroupMember with the classic checks: the member, or the error. */
  private classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null, generationId: number): ConsumerGroupMember | number {
    let member: ConsumerGroupMember | undefined;
    if (instanceId === null) {
      member = group.members.get(memberId);
    } else {
      const ownerId = group.staticMembers.get(instanceId);
      member = ownerId !== undefined ? group.members.get(ownerId) : undefined;
      if (member && member.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!member || member.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (member.memberEpoch !== generationId) return ErrorCode.ILLEGAL_GENERATION;
    return member;
  }

  /** Kafka's classicGroupSyncToConsumerGroup: the member's current assignment as a ConsumerProtocolAssignment. */
  classicSync(group: ConsumerGroup, p: ClassicSyncParams): SyncGroupResult {
    const member = this.classicMember(group, p.memberId, p.groupInstanceId, p.generationId);
    if (typeof member === 'number') return syncError(member);
    const own = member.classic!.supportedProtocols[0]!;
    if ((p.protocolType !== null && p.protocolType !== CONSUMER_PROTOCOL) || (p.protocolName !== null && p.protocolName !== own.name)) return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // A new group epoch: rejoin to catch up, unless the member still has partitions to revoke
    // (it rejoins on its own once it has revoked them).
    if (group.groupEpoch > member.memberEpoch && member.state !== MemberState.UNREVOKED_PARTITIONS) {
      this.scheduleJoinTimeout(group, member);
      return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    if (member.syncTimer) clearTimeout(member.syncTimer);
    member.syncTimer = null;
    this.scheduleSession(group, member);
    const names = new Map(this.host.listTopics().map((t) => [t.topicId, t.name]));
    return { errorCode: ErrorCode.NONE, protocolType: p.protocolType, protocolName: p.protocolName, assignment: encodeAssignment(member.assigned, names, decodeSubscription(own.metadata)?.version ?? 0) };
  }

  /**
   * Kafka's classicGroupHeartbeatToConsumerGroup: REBALANCE_IN_PROGRESS when the member must
   * rejoin: the group epoch moved, it has partitions to revoke, or partitions it waits for were
   * released. It then has its rebalance timeout to send JoinGroup.
   */
  classicHeartbeat(group: ConsumerGroup, memberId: string, instanceId: string | null, generationId: number): number {
    const member = this.classicMember(group, memberId, instanceId, generationId);
    if (typeof member === 'number') return member;
    this.scheduleSession(group, member);
    if (member.memberEpoch < group.groupEpoch || member.state === MemberState.UNREVOKED_PARTITIONS || (member.state === MemberState.UNRELEASED_PARTITIONS && !group.waitingOnUnreleasedPartition(member))) {
      this.scheduleJoinTimeout(group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  /**
   * Kafka's classicGroupLeaveToConsumerGroup: classic members leave (or are removed by instance
   * id); the group may be downgraded. The records are for the caller to write.
   */
  classicLeave(group: ConsumerGroup, leaving: readonly { memberId: string; groupInstanceId: string | null }[]): { members: { memberId: string; groupInstanceId: string | null; errorCode: number }[]; records: ConsumerRecord[] } {
    const results: { memberId: string; groupInstanceId: string | null; errorCode: number }[] = [];
    const valid = new Map<string, ConsumerGroupMember>();
    for (const l of leaving) {
      const result = (errorCode: number) => results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode });
      let member: ConsumerGroupMember | undefined;
      if (l.groupInstanceId === null) {
        member = group.members.get(l.memberId);
        if (!member || member.classic === null) {
          result(ErrorCode.UNKNOWN_MEMBER_ID);
          continue;
        }
      } else {
        const ownerId = group.staticMembers.get(l.groupInstanceId);
        member = ownerId !== undefined ? group.members.get(ownerId) : undefined;
        if (!member) {
          result(ErrorCode.UNKNOWN_MEMBER_ID);
          continue;
        }
        // An administrative removal names the instance only.
        if (l.memberId !== '' && member.memberId !== l.memberId) {
          result(ErrorCode.FENCED_INSTANCE_ID);
          continue;
        }
        if (l.memberId !== '' && member.classic === null) {
          result(ErrorCode.UNKNOWN_MEMBER_ID);
          continue;
        }
      }
      this.logger.info({ group: group.groupId, memberId: member.memberId, instanceId: member.instanceId }, 'classic member left the consumer group');
      valid.set(member.memberId, member);
      result(ErrorCode.NONE);
    }
    return { members: results, records: valid.size > 0 ? this.removeMembers(group, [...valid.values()]) : [] };
  }

  /** Kafka's consumer group join timeout: a classic member told to rejoin that does not is removed. */
  private scheduleJoinTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (member.joinTimer) return;
    const timer = setTimeout(() => {
      const m = group.members.get(member.memberId);
      if (m?.joinTimer === timer) {
        m.joinTimer = null;
        this.fence(group, m.memberId, 'did not rejoin within its rebalance timeout');
      }
    }, Math.max(member.rebalanceTimeoutMs, 1));
    timer.unref?.();
    member.joinTimer = timer;
  }

  /** Kafka's consumer group sync timeout: a classic member that joined must send SyncGroup. */
  private scheduleSyncTimeout(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (member.syncTimer) clearTimeout(member.syncTimer);
    const timer = setTimeout(() => {
      const m = group.members.get(member.memberId);
      if (m?.syncTimer === timer) {
        m.syncTimer = null;
        this.fence(group, m.memberId, 'did not send SyncGroup within its rebalance timeout');
      }
    }, Math.max(member.rebalanceTimeoutMs, 1));
    timer.unref?.();
    member.syncTimer = timer;
  }

  // ---------------------------------------------------------------- loading, unloading

  /** A group read back from __consumer_offsets: members get one session to heartbeat. */
  onLoaded(group: ConsumerGroup): void {
    // The topics as the last group epoch saw them (same hash): no new epoch on the members'
    // first heartbeats; otherwise the first heartbeat moves the epoch, as a metadata change does.
    const signature = this.metadataSignature(group, this.host.listTopics());
    if (metadataHashOf(signature) === group.metadataHash) group.metadataSignature = signature;
    for (const m of group.members.values()) this.scheduleTimers(group, m, m);
  }

  unload(group: ConsumerGroup): void {
    for (const m of group.members.values()) this.clearTimers(m);
  }

  // ---------------------------------------------------------------- describe, offsets

  describe(groupId: string, holder: GroupMetadata | undefined): DescribedConsumerGroup {
    const group = holder?.consumer;
    const missing = { groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] };
    if (!holder || holder.is('Dead') || (group && group.dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, ...missing };
    if (!group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a consumer group.`, groupId, ...missing };
    const topics = new Map(this.host.listTopics().map((t) => [t.topicId, t.name]));
    const named = (a: Assignment): { topicPartitions: { topicId: string; topicName: string; partitions: number[] }[] } => ({
      topicPartitions: [...a].filter(([, ps]) => ps.length > 0).map(([topicId, partitions]) => ({ topicId, topicName: topics.get(topicId) ?? '', partitions })),
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.preferredAssignor(this.assignors[0]!.name),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: named(m.assigned),
        targetAssignment: named(group.target.get(m.memberId) ?? new Map()),
        memberType: m.classic === null ? 1 : 0,
      })),
    };
  }

  /**
   * Kafka 4.4's ConsumerGroup.validateOffsetCommit: a commit without a member epoch (-1) only
   * into an empty group (or a transactional one without a member); otherwise from a known
   * member (UNKNOWN_MEMBER_ID), with OffsetCommit v9+ (UNSUPPORTED_VERSION), not newer than its
   * epoch (STALE_MEMBER_EPOCH). An older epoch is checked per partition (KIP-1251): the member
   * must hold the partition (assigned or pending revocation) since an epoch not newer than the
   * commit's. Returns a group-level error, or a per-partition check (null: no check).
   */
  validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number, isTransactional: boolean): number | ((topic: string, partition: number) => number) | null {
    if (memberEpoch < 0 && group.members.size === 0) return null;
    if (isTransactional && memberEpoch < 0 && memberId === '') return null;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member commits with its generation, which is its member epoch (Kafka's validateMemberEpoch).
    if (member.classic !== null) return memberEpoch === member.memberEpoch ? null : ErrorCode.ILLEGAL_GENERATION;
    if (!isTransactional && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (memberEpoch === member.memberEpoch) return null;
    if (memberEpoch > member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    const ids = new Map(this.host.listTopics().map((t) => [t.name, t.topicId]));
    return (topic, partition) => {
      const epoch = member.assignmentEpochs.get(`${ids.get(topic) ?? ''}:${partition}`);
      return epoch === undefined || memberEpoch < epoch ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.NONE;
    };
  }

  /** Kafka's ConsumerGroup.validateOffsetFetch: an admin fetch (no member id, epoch -1) always; a member's at its epoch. */
  validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number | null {
    if (memberId === null && memberEpoch < 0) return null;
    const member = group.members.get(memberId ?? '');
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return null;
  }
}

export { cloneAssignment };
