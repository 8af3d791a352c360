// ShareGroupCoordinator (after the share-group half of Kafka's GroupMetadataManager, KIP-932):
// share-group membership on the broker that coordinates the group (the leader of the group's
// __consumer_offsets partition, as for every group). ShareGroupHeartbeat joins (epoch 0),
// keeps alive and leaves (epoch -1); the coordinator computes the target assignment with the
// simple assignor whenever the group epoch moves (a member joined, left or changed its
// subscription, or a subscribed topic gained partitions) and gives every member its
// partitions at once: share groups have no revocation, several members may share a
// partition. ShareGroupDescribe, listings and deletion read the same state, plus the groups
// that only have share-partition state (their members gone, or before a restart).
//
// Membership is written to the group's __consumer_offsets partition in Kafka 4.4's ShareGroup*
// records (share-group-records.ts) before the heartbeat is answered: the group epoch, each
// member's subscription, target and current assignment and epoch, tombstones when a member
// leaves. A broker that becomes the partition's leader (a failover, a restart) replays them
// (loadPartition) and the members carry on with their epochs; one that resigns drops its
// groups (unloadPartition).
//
// Group configs (Kafka's GroupConfig, config/group-configs.ts, the same on every broker):
// share.auto.offset.reset (latest | earliest, default latest), share.isolation.level,
// share.record.lock.duration.ms, share.session.timeout.ms, share.heartbeat.interval.ms,
// share.delivery.count.limit, read when needed (a change applies from the next heartbeat or
// acquisition).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { effectiveInt } from '../config/group-config.js';
import type { GroupConfigs } from '../config/group-configs.js';
import type { TopicService } from '../partition/topic-service.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ShareGroupSettings } from './share-partition-manager.js';
import {
  ShareGroupReplay,
  shareCurrentAssignmentRecord,
  shareGroupEpochRecord,
  shareGroupTombstones,
  shareMemberSubscriptionRecord,
  shareMemberTombstones,
  shareTargetAssignmentEpochRecord,
  shareTargetAssignmentMemberRecord,
  type ShareGroupRecord,
} from './share-group-records.js';

/** Where the coordinator writes its records: the group's __consumer_offsets partition (GroupCoordinator). */
export interface ShareGroupRecordLog {
  /** Appends (acks=-1); a Kafka error code. */
  append(groupId: string, records: readonly ShareGroupRecord[]): Promise<number>;
  /** The __consumer_offsets partition of a group. */
  partitionFor(groupId: string): number;
}

export interface ShareMember {
  readonly memberId: string;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  rackId: string | null;
  subscribedTopicNames: string[];
  /** topic id → partitions. */
  assignment: Map<string, number[]>;
  /** The assignment last sent, to send it again only when it changed. */
  sentAssignmentKey: string | null;
  timer: NodeJS.Timeout | null;
}

export interface ShareGroup {
  readonly groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  readonly members: Map<string, ShareMember>;
  metadataKey: string;
}

export interface ShareHeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly rackId: string | null;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface ShareHeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

export class ShareGroupCoordinator {
  private readonly groups = new Map<string, ShareGroup>();
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicService,
    private readonly logger: Logger,
    /** The groups' configs, the same on every broker (config/group-configs.ts). */
    private readonly groupConfigs: Pick<GroupConfigs, 'groupConfig'>,
    /** Called when a member leaves or is fenced, so that the records it holds are released. */
    private readonly onMemberLeft: (groupId: string, memberId: string) => void,
    /** null: membership in memory only (unit tests). */
    private readonly log: ShareGroupRecordLog | null = null,
  ) {}

  // ---------------------------------------------------------------- __consumer_offsets

  /** Rebuilds the groups of a __consumer_offsets partition this broker now leads from their records. */
  loadPartition(partition: number, records: readonly { key: Buffer; value: Buffer | null }[]): void {
    const replay = new ShareGroupReplay();
    for (const r of records) {
      try {
        replay.apply(r.key, r.value);
      } catch (err) {
        this.logger.warn({ partition, err: (err as Error).message }, 'skipping an unreadable share group record');
      }
    }
    for (const g of replay.result()) {
      const old = this.groups.get(g.groupId);
      if (old) for (const m of old.members.values()) if (m.timer) clearTimeout(m.timer);
      const group: ShareGroup = { groupId: g.groupId, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, members: new Map(), metadataKey: '' };
      for (const m of g.members.values()) {
        group.members.set(m.memberId, { memberId: m.memberId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost, rackId: m.rackId, subscribedTopicNames: m.subscribedTopicNames, assignment: m.assignment, sentAssignmentKey: assignmentKey(m.current), timer: null });
      }
      group.metadataKey = this.subscriptionMetadataKey(group);
      this.groups.set(g.groupId, group);
      // As Kafka's onLoaded: every member gets one session timeout to heartbeat.
      const s = this.settings(g.groupId);
      for (const m of group.members.values()) this.touch(group, m, s.sessionTimeoutMs);
    }
    const loaded = replay.result().length;
    if (loaded > 0) this.logger.info({ partition, groups: loaded }, 'loaded share groups');
  }

  /** Drops the groups of a partition this broker no longer leads (their members go to the new coordinator). */
  unloadPartition(partition: number): void {
    if (!this.log) return;
    for (const [id, g] of this.groups) {
      if (this.log.partitionFor(id) !== partition) continue;
      for (const m of g.members.values()) if (m.timer) clearTimeout(m.timer);
      this.groups.delete(id);
    }
  }

  private async write(groupId: string, records: readonly ShareGroupRecord[]): Promise<number> {
    if (!this.log || records.length === 0) return ErrorCode.NONE;
    return this.log.append(groupId, records);
  }

  group(groupId: string): ShareGroup | undefined {
    return this.groups.get(groupId);
  }

  allGroups(): ShareGroup[] {
    return [...this.groups.values()];
  }

  // ---------------------------------------------------------------- group configs

  /** The effective share settings of a group: its configs over the broker's group.share.* defaults. */
  settings(groupId: string): ShareGroupSettings & { sessionTimeoutMs: number; heartbeatIntervalMs: number } {
    const c = this.groupConfigs.groupConfig(groupId);
    return {
      autoOffsetReset: c.get('share.auto.offset.reset') === 'earliest' ? 'earliest' : 'latest',
      isolationLevel: c.get('share.isolation.level') === 'read_committed' ? 'read_committed' : 'read_uncommitted',
      recordLockDurationMs: effectiveInt(c, 'share.record.lock.duration.ms', this.config),
      deliveryCountLimit: effectiveInt(c, 'share.delivery.count.limit', this.config),
      sessionTimeoutMs: effectiveInt(c, 'share.session.timeout.ms', this.config),
      heartbeatIntervalMs: effectiveInt(c, 'share.heartbeat.interval.ms', this.config),
    };
  }

  // ---------------------------------------------------------------- heartbeat

  async heartbeat(req: ShareHeartbeatRequest): Promise<ShareHeartbeatResponse> {
    const s = this.settings(req.groupId);
    const fail = (errorCode: number, errorMessage: string | null): ShareHeartbeatResponse => ({ errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can\'t be empty.');
    if (req.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can\'t be empty.');
    if (req.memberEpoch < -1) return fail(ErrorCode.INVALID_REQUEST, `MemberEpoch is ${req.memberEpoch}, but must be greater than or equal to -1.`);
    if (req.memberEpoch === 0 && (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0)) {
      return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames must be set in first request.');
    }
    let group = this.groups.get(req.groupId);
    if (req.memberEpoch === -1) {
      const member = group?.members.get(req.memberId);
      if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      const written = await this.write(group.groupId, this.removeMember(group, member));
      if (written !== ErrorCode.NONE) return fail(written, null);
      return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
    let member = group?.members.get(req.memberId);
    const records: ShareGroupRecord[] = [];
    let subscriptionChanged = false;
    // One heartbeat moves the group epoch at most once (Kafka bumps it when the member, its
    // subscription or the subscribed topics' metadata changed).
    let changed = false;
    if (req.memberEpoch === 0) {
      if (!group) {
        group = { groupId: req.groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), metadataKey: '' };
        this.groups.set(req.groupId, group);
      }
      if (!member) {
        if (group.members.size >= this.config.values['group.share.max.size']) {
          return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The share group has reached its maximum capacity of ${this.config.values['group.share.max.size']} members.`);
        }
        member = { memberId: req.memberId, memberEpoch: 0, clientId: req.clientId, clientHost: req.clientHost, rackId: req.rackId, subscribedTopicNames: [], assignment: new Map(), sentAssignmentKey: null, timer: null };
        group.members.set(req.memberId, member);
        changed = true;
        subscriptionChanged = true;
      }
      member.sentAssignmentKey = null;
    } else {
      if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.memberEpoch !== member.memberEpoch) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }
    if (req.rackId !== null && req.rackId !== member.rackId) {
      member.rackId = req.rackId;
      subscriptionChanged = true;
    }
    if (req.subscribedTopicNames !== null) {
      const next = [...new Set(req.subscribedTopicNames)].sort();
      if (next.join('\u0000') !== member.subscribedTopicNames.join('\u0000')) {
        member.subscribedTopicNames = next;
        changed = true;
        subscriptionChanged = true;
      }
    }
    const metadataKey = this.subscriptionMetadataKey(group);
    if (metadataKey !== group.metadataKey) {
      group.metadataKey = metadataKey;
      changed = true;
    }
    if (subscriptionChanged) records.push(shareMemberSubscriptionRecord(group.groupId, member));
    if (changed) {
      group.groupEpoch++;
      records.push(shareGroupEpochRecord(group.groupId, group.groupEpoch));
    }
    if (group.assignmentEpoch < group.groupEpoch) records.push(...this.assign(group));
    if (member.memberEpoch !== group.assignmentEpoch || member.sentAssignmentKey === null) {
      records.push(shareCurrentAssignmentRecord(group.groupId, member.memberId, group.assignmentEpoch, member.memberEpoch, member.assignment));
    }
    member.memberEpoch = group.assignmentEpoch;
    this.touch(group, member, s.sessionTimeoutMs);
    const written = await this.write(group.groupId, records);
    if (written !== ErrorCode.NONE) {
      member.sentAssignmentKey = null;
      return fail(written, null);
    }
    const key = assignmentKey(member.assignment);
    let assignment: ShareHeartbeatResponse['assignment'] = null;
    if (member.sentAssignmentKey !== key) {
      member.sentAssignmentKey = key;
      assignment = { topicPartitions: [...member.assignment].map(([topicId, partitions]) => ({ topicId, partitions })) };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: member.memberEpoch, heartbeatIntervalMs: s.heartbeatIntervalMs, assignment };
  }

  /** Topic names of the group's subscriptions with their ids and partition counts: a change bumps the group epoch. */
  private subscriptionMetadataKey(group: ShareGroup): string {
    const names = new Set<string>();
    for (const m of group.members.values()) for (const t of m.subscribedTopicNames) names.add(t);
    const parts: string[] = [];
    for (const name of [...names].sort()) {
      const t = this.topics.getTopic(name);
      if (t) parts.push(`${name}:${t.topicId}:${t.partitions.length}`);
    }
    return parts.join(',');
  }

  /**
   * The simple assignor (Kafka's SimpleAssignor, KIP-932): per topic, its partitions spread
   * round-robin over the members subscribed to it; with more members than partitions every
   * member still gets one, so several members share a partition.
   */
  private assign(group: ShareGroup): ShareGroupRecord[] {
    const members = [...group.members.values()].sort((a, b) => a.memberId.localeCompare(b.memberId));
    const before = new Map(members.map((m) => [m.memberId, assignmentKey(m.assignment)]));
    for (const m of members) m.assignment = new Map();
    const names = new Set<string>();
    for (const m of members) for (const t of m.subscribedTopicNames) names.add(t);
    let rotation = 0;
    for (const name of [...names].sort()) {
      const t = this.topics.getTopic(name);
      if (!t) continue;
      const subscribers = members.filter((m) => m.subscribedTopicNames.includes(name));
      if (subscribers.length === 0) continue;
      const partitions = t.partitions.map((p) => p.partition).sort((a, b) => a - b);
      const give = (m: ShareMember, p: number): void => {
        const list = m.assignment.get(t.topicId) ?? [];
        if (!list.includes(p)) list.push(p);
        m.assignment.set(t.topicId, list);
      };
      if (partitions.length >= subscribers.length) {
        partitions.forEach((p, i) => give(subscribers[(i + rotation) % subscribers.length]!, p));
      } else {
        subscribers.forEach((m, j) => give(m, partitions[(j + rotation) % partitions.length]!));
      }
      rotation++;
    }
    for (const m of members) for (const list of m.assignment.values()) list.sort((a, b) => a - b);
    group.assignmentEpoch = group.groupEpoch;
    const records = members.filter((m) => before.get(m.memberId) !== assignmentKey(m.assignment)).map((m) => shareTargetAssignmentMemberRecord(group.groupId, m.memberId, m.assignment));
    records.push(shareTargetAssignmentEpochRecord(group.groupId, group.assignmentEpoch, Date.now()));
    return records;
  }

  private touch(group: ShareGroup, member: ShareMember, sessionTimeoutMs: number): void {
    if (member.timer) clearTimeout(member.timer);
    if (this.closed) return;
    member.timer = setTimeout(() => {
      member.timer = null;
      if (group.members.get(member.memberId) !== member) return;
      this.logger.info({ group: group.groupId, member: member.memberId }, 'share group member session expired');
      void this.write(group.groupId, this.removeMember(group, member)).then((errorCode) => {
        if (errorCode !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, member: member.memberId, errorCode }, 'could not write the removal of an expired share group member');
      });
    }, sessionTimeoutMs);
    member.timer.unref();
  }

  /** Removes a member; the records that say so (its tombstones, the new group epoch and assignment). */
  private removeMember(group: ShareGroup, member: ShareMember): ShareGroupRecord[] {
    if (member.timer) clearTimeout(member.timer);
    group.members.delete(member.memberId);
    group.groupEpoch++;
    const records = [...shareMemberTombstones(group.groupId, member.memberId), shareGroupEpochRecord(group.groupId, group.groupEpoch)];
    if (group.members.size > 0) records.push(...this.assign(group));
    else {
      group.assignmentEpoch = group.groupEpoch;
      records.push(shareTargetAssignmentEpochRecord(group.groupId, group.assignmentEpoch, Date.now()));
    }
    this.onMemberLeft(group.groupId, member.memberId);
    return records;
  }

  /** Creates an empty group, written to __consumer_offsets (AlterShareGroupOffsets on an id no group has yet, as Kafka's getOrMaybeCreatePersistedShareGroup). */
  async createEmptyGroup(groupId: string): Promise<number> {
    if (this.groups.has(groupId)) return ErrorCode.NONE;
    const written = await this.write(groupId, [shareGroupEpochRecord(groupId, 0)]);
    if (written !== ErrorCode.NONE) return written;
    if (!this.groups.has(groupId)) this.groups.set(groupId, { groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), metadataKey: '' });
    return ErrorCode.NONE;
  }

  /** Removes an empty group (DeleteGroups); NON_EMPTY_GROUP while it has members. */
  async deleteGroup(groupId: string): Promise<number> {
    const group = this.groups.get(groupId);
    if (group && group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    if (group) {
      const written = await this.write(groupId, shareGroupTombstones(groupId));
      if (written !== ErrorCode.NONE) return written;
    }
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  shutdown(): void {
    this.closed = true;
    for (const g of this.groups.values()) for (const m of g.members.values()) if (m.timer) clearTimeout(m.timer);
  }
}

function assignmentKey(a: Map<string, number[]>): string {
  return [...a].sort(([x], [y]) => x.localeCompare(y)).map(([t, ps]) => `${t}:${ps.join(',')}`).join(';');
}
