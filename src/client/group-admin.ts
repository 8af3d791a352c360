// GroupAdmin: consumer-group administration over the Kafka protocol, wherever each group's
// coordinator and each partition's leader are: list (every broker), describe with committed
// offsets and lag (the coordinator, then ListOffsets at the leaders), offset reset plans and
// commits, delete. One implementation for `tidelog consumer-groups` and the HTTP admin API,
// so both see every group of the cluster from any broker, as Kafka's AdminClient does.
import { ErrorCode, errorName } from '../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment } from './consumer-protocol.js';
import { EARLIEST_TIMESTAMP, KafkaClientError, LATEST_TIMESTAMP, type KafkaClient } from './kafka-client.js';

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Decoded assignment of a consumer group member (Stable state); empty otherwise. */
  readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
  /** Consumer-protocol groups (KIP-848): the member's epoch and target assignment; null for classic groups. */
  readonly memberEpoch: number | null;
  readonly targetAssignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null;
}

export interface GroupOffsetRow {
  readonly topic: string;
  readonly partition: number;
  /** null when nothing is committed. */
  readonly committedOffset: number | null;
  /** The high watermark; null for a partition that no longer exists. */
  readonly logEndOffset: number | null;
  /** logEndOffset - committedOffset, or null without both. */
  readonly lag: number | null;
  readonly member: GroupMember | null;
}

export interface GroupDescription {
  readonly groupId: string;
  /** Empty, PreparingRebalance, CompletingRebalance, Stable, or Dead for a group that does not exist. */
  readonly state: string;
  readonly protocolType: string;
  /** The selected protocol (classic) or the server-side assignor (consumer). */
  readonly protocol: string;
  readonly members: readonly GroupMember[];
  /** 'classic' (JoinGroup/SyncGroup) or 'consumer' (KIP-848). */
  readonly groupType: 'classic' | 'consumer';
  /** Consumer groups: the group epoch and the target assignment's epoch; null for classic groups. */
  readonly groupEpoch: number | null;
  readonly assignmentEpoch: number | null;
}

/** What a reset moves a partition to; out-of-range results go to the nearest end, as Kafka's tool. */
export type ResetTarget =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'current' }
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'shift'; readonly by: number }
  | { readonly kind: 'timestamp'; readonly timestampMs: number };

export interface ResetRow {
  readonly topic: string;
  readonly partition: number;
  readonly previousOffset: number | null;
  readonly newOffset: number;
}

type TopicPartition = { readonly topic: string; readonly partition: number };

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class GroupAdmin {
  constructor(private readonly client: KafkaClient) {}

  /** Every group of every broker, by id. */
  listGroups(): Promise<{ groupId: string; protocolType: string; state: string; groupType: string }[]> {
    return this.client.listGroups();
  }

  /** A group's state and members; a KafkaClientError carries the coordinator's error code. */
  async describe(groupId: string): Promise<GroupDescription> {
    // As Kafka's Admin: ConsumerGroupDescribe first; GROUP_ID_NOT_FOUND (a classic group, or
    // none) falls back to DescribeGroups.
    const c = await this.client.consumerGroupDescribe(groupId);
    if (c !== null && c.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) {
      if (c.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`cannot describe group '${groupId}': ${errorName(c.errorCode)}`, c.errorCode);
      const named = (a: { topicPartitions: { topicName: string; partitions: number[] }[] }) => a.topicPartitions.map((tp) => ({ topic: tp.topicName, partitions: [...tp.partitions].sort((x, y) => x - y) }));
      return {
        groupId,
        state: c.groupState,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocol: c.assignorName,
        groupType: 'consumer',
        groupEpoch: c.groupEpoch,
        assignmentEpoch: c.assignmentEpoch,
        members: c.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: named(m.assignment),
          memberEpoch: m.memberEpoch,
          targetAssignment: named(m.targetAssignment),
        })),
      };
    }
    const d = await this.client.describeGroup(groupId);
    if (d.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`cannot describe group '${groupId}': ${errorName(d.errorCode)}`, d.errorCode);
    const members = d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: d.protocolType === CONSUMER_PROTOCOL_TYPE ? (decodeAssignment(m.memberAssignment) ?? []).map((a) => ({ topic: a.topic, partitions: [...a.partitions] })) : [],
      memberEpoch: null,
      targetAssignment: null,
    }));
    return { groupId: d.groupId, state: d.groupState, protocolType: d.protocolType, protocol: d.protocolData, members, groupType: 'classic', groupEpoch: null, assignmentEpoch: null };
  }

  /** Committed offsets (>= 0 only): topic -> partition -> offset. */
  async committed(groupId: string): Promise<Map<string, Map<number, number>>> {
    const fetched = await this.client.fetchOffsets(groupId, null);
    for (const [topic, byPartition] of fetched) {
      for (const [p, o] of byPartition) if (o < 0) byPartition.delete(p);
      if (byPartition.size === 0) fetched.delete(topic);
    }
    return fetched;
  }

  /**
   * Per partition assigned or committed: the committed offset, the log end offset (high
   * watermark) at its leader and the lag, sorted by topic and partition (Kafka's tool shows
   * assigned partitions without a commit too: the union of both).
   */
  async offsets(group: GroupDescription): Promise<GroupOffsetRow[]> {
    const owner = new Map<string, GroupMember>();
    for (const m of group.members) for (const a of m.assignment) for (const p of a.partitions) owner.set(key(a.topic, p), m);
    const committed = await this.committed(group.groupId);
    const partitions = new Map<string, TopicPartition>();
    for (const m of group.members) for (const a of m.assignment) for (const partition of a.partitions) partitions.set(key(a.topic, partition), { topic: a.topic, partition });
    for (const [topic, byPartition] of committed) for (const partition of byPartition.keys()) partitions.set(key(topic, partition), { topic, partition });
    const sorted = [...partitions.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const ends = await this.offsetsAt(sorted, LATEST_TIMESTAMP);
    return sorted.map(({ topic, partition }) => {
      const committedOffset = committed.get(topic)?.get(partition) ?? null;
      const logEndOffset = ends.get(key(topic, partition)) ?? null;
      return {
        topic,
        partition,
        committedOffset,
        logEndOffset,
        lag: committedOffset !== null && logEndOffset !== null ? Math.max(0, logEndOffset - committedOffset) : null,
        member: owner.get(key(topic, partition)) ?? null,
      };
    });
  }

  /** ListOffsets at each partition's leader; partitions of deleted topics are left out. */
  async offsetsAt(partitions: readonly TopicPartition[], timestamp: number): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const out = new Map<string, number>();
    for (const [topic, ps] of byTopic) {
      let offsets;
      try {
        offsets = await this.client.listOffsets(topic, ps, timestamp);
      } catch {
        continue; // a deleted topic: no offsets
      }
      for (const [p, o] of offsets) if (o.errorCode === ErrorCode.NONE) out.set(key(topic, p), o.offset);
    }
    return out;
  }

  /** The partitions of a topic, or a KafkaClientError when it does not exist. */
  async partitionsOf(topic: string): Promise<number[]> {
    return (await this.client.topic(topic)).partitions.map((p) => p.partition);
  }

  /** Where a reset would move each partition, clamped to [log start, high watermark]. */
  async planReset(groupId: string, partitions: readonly TopicPartition[], target: ResetTarget): Promise<ResetRow[]> {
    const committed = await this.committed(groupId);
    const sorted = [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const earliest = await this.offsetsAt(sorted, EARLIEST_TIMESTAMP);
    const latest = await this.offsetsAt(sorted, LATEST_TIMESTAMP);
    const byTime = target.kind === 'timestamp' ? await this.offsetsAt(sorted, target.timestampMs) : new Map<string, number>();
    return sorted.map(({ topic, partition }) => {
      const k = key(topic, partition);
      const lo = earliest.get(k) ?? 0;
      const hi = latest.get(k) ?? 0;
      const current = committed.get(topic)?.get(partition) ?? null;
      let next: number;
      switch (target.kind) {
        case 'earliest': next = lo; break;
        case 'latest': next = hi; break;
        case 'current': next = current ?? hi; break;
        case 'offset': next = target.offset; break;
        case 'shift': next = (current ?? hi) + target.by; break;
        case 'timestamp': next = (byTime.get(k) ?? -1) >= 0 ? byTime.get(k)! : hi; break;
      }
      return { topic, partition, previousOffset: current, newOffset: Math.min(Math.max(next, lo), hi) };
    });
  }

  /** Commits a plan outside group management (the coordinator accepts it for an Empty group only). */
  async commit(groupId: string, plan: readonly ResetRow[]): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    return this.client.commitOffsets(groupId, plan.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.newOffset })));
  }

  deleteGroup(groupId: string): Promise<number> {
    return this.client.deleteGroup(groupId);
  }
}
