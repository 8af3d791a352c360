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
// Membership is in memory (Kafka writes it to __consumer_offsets): after a restart or a
// coordinator move members rejoin (their heartbeat gets UNKNOWN_MEMBER_ID, the client rejoins
// with epoch 0 at once), while what they consumed is in __share_group_state.
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
  ) {}

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

  heartbeat(req: ShareHeartbeatRequest): ShareHeartbeatResponse {
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
      this.removeMember(group, member);
      return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
    let member = group?.members.get(req.memberId);
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
      }
      member.sentAssignmentKey = null;
    } else {
      if (!group || !member) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.memberEpoch !== member.memberEpoch) {
        return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The share group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }
    if (req.rackId !== null) member.rackId = req.rackId;
    if (req.subscribedTopicNames !== null) {
      const next = [...new Set(req.subscribedTopicNames)].sort();
      if (next.join('\u0000') !== member.subscribedTopicNames.join('\u0000')) {
        member.subscribedTopicNames = next;
        changed = true;
      }
    }
    const metadataKey = this.subscriptionMetadataKey(group);
    if (metadataKey !== group.metadataKey) {
      group.metadataKey = metadataKey;
      changed = true;
    }
    if (changed) group.groupEpoch++;
    if (group.assignmentEpoch < group.groupEpoch) this.assign(group);
    member.memberEpoch = group.assignmentEpoch;
    this.touch(group, member, s.sessionTimeoutMs);
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
  private assign(group: ShareGroup): void {
    const members = [...group.members.values()].sort((a, b) => a.memberId.localeCompare(b.memberId));
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
  }

  private touch(group: ShareGroup, member: ShareMember, sessionTimeoutMs: number): void {
    if (member.timer) clearTimeout(member.timer);
    if (this.closed) return;
    member.timer = setTimeout(() => {
      member.timer = null;
      if (group.members.get(member.memberId) !== member) return;
      this.logger.info({ group: group.groupId, member: member.memberId }, 'share group member session expired');
      this.removeMember(group, member);
    }, sessionTimeoutMs);
    member.timer.unref();
  }

  private removeMember(group: ShareGroup, member: ShareMember): void {
    if (member.timer) clearTimeout(member.timer);
    group.members.delete(member.memberId);
    group.groupEpoch++;
    if (group.members.size > 0) this.assign(group);
    else group.assignmentEpoch = group.groupEpoch;
    this.onMemberLeft(group.groupId, member.memberId);
  }

  /** Removes an empty group (DeleteGroups); NON_EMPTY_GROUP while it has members. */
  deleteGroup(groupId: string): number {
    const group = this.groups.get(groupId);
    if (group && group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
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
