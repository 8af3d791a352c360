// ConsumerCoordinator: the consumer group protocol (KIP-848) side of the group coordinator,
// after Kafka's GroupMetadataManager.consumerGroupHeartbeat and consumerGroupDescribe. It owns
// ConsumerGroupHeartbeat (join, heartbeat, leave, static members), the target assignment
// (server-side assignors), regex subscriptions, the members' session and revocation timers,
// and writes the group's records to __consumer_offsets (consumer-records.ts) before it answers.
//
// A consumer group lives in the same map as classic groups (GroupMetadataManager), as a
// GroupMetadata whose `consumer` field holds the ConsumerGroup; its offsets are stored and
// expired as a classic group's are. GroupCoordinator routes to this class and keeps the
// classic APIs off consumer groups (INCONSISTENT_GROUP_PROTOCOL, GROUP_ID_NOT_FOUND, as Kafka).
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
  ConsumerRecordType,
  type ConsumerRecord,
} from './consumer-records.js';
import { GroupMetadata } from './group-metadata.js';

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
      // A classic group: an empty one becomes a consumer group (its offsets stay); a live one
      // would need the online upgrade, which Tidelog does not do: Kafka's answer with the
      // upgrade disabled.
      if (!holder.is('Empty') || p.memberEpoch !== 0) {
        return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
      }
      if (holder.generationId > 0 && this.config.migrationPolicy !== 'upgrade' && this.config.migrationPolicy !== 'bidirectional') {
        return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${p.groupId} is not a consumer group.`);
      }
      holder.consumer = new ConsumerGroup(p.groupId);
      this.logger.info({ group: p.groupId }, 'converted an empty classic group to a consumer group');
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
          // The static member restarted: the new member id takes over its assignment and epoch.
          this.clearTimers(owner);
          group.removeMember(owner.memberId);
          records.push(...memberTombstones(group.groupId, owner.memberId));
          const target = group.target.get(owner.memberId);
          member = owner.copyAs(memberId);
          member.memberEpoch = member.previousMemberEpoch >= 0 && owner.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? member.previousMemberEpoch : owner.memberEpoch;
          previous = undefined;
          group.updateMember(member, undefined);
          if (target) group.target.set(memberId, target);
          records.push(memberSubscriptionRecord(group.groupId, member));
          if (target) records.push(targetAssignmentMemberRecord(group.groupId, memberId, target));
          this.logger.info({ group: group.groupId, memberId, instanceId: p.instanceId, previousMemberId: owner.memberId }, 'static member rejoined with a new member id');
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
    const reconciled = group.reconcile(current, p.topicPartitions);
    if (reconciled !== current) {
      group.updateMember(reconciled, current);
      if (reconciled.memberEpoch !== current.memberEpoch || reconciled.state !== current.state || !sameAssignment(reconciled.assigned, current.assigned) || !sameAssignment(reconciled.pendingRevocation, current.pendingRevocation)) {
        records.push(currentAssignmentRecord(group.groupId, reconciled));
      }
    } else if (bump && previous === undefined) {
      records.push(currentAssignmentRecord(group.groupId, reconciled));
    }
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
      const errorCode = await this.host.append(group.groupId, this.removeMember(group, member));
      if (errorCode !== ErrorCode.NONE) return error(errorCode, null);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /** Removes a member (left, session expired, or fenced): tombstones, a new group epoch and target. */
  private removeMember(group: ConsumerGroup, member: ConsumerGroupMember): ConsumerRecord[] {
    this.clearTimers(member);
    group.removeMember(member.memberId);
    const records = memberTombstones(group.groupId, member.memberId);
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
    void this.host.append(group.groupId, this.removeMember(group, member)).then((errorCode) => {
      if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, memberId, errorCode }, 'could not write the removal of a fenced member');
    });
  }

  /** Session timer (group.consumer.session.timeout.ms), and the revocation deadline (the member's rebalance timeout). */
  private scheduleTimers(group: ConsumerGroup, member: ConsumerGroupMember, before: ConsumerGroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.fence(group, member.memberId, 'session timeout expired'), this.groupConfigOf(group.groupId)?.sessionTimeoutMs ?? this.config.sessionTimeoutMs);
    member.sessionTimer.unref?.();
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

  private clearTimers(member: ConsumerGroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    if (member.rebalanceTimer) clearTimeout(member.rebalanceTimer);
    member.sessionTimer = null;
    member.rebalanceTimer = null;
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
        memberType: 1,
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
