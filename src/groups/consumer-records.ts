// The records of consumer groups (KIP-848) in __consumer_offsets, in Kafka 4.4's formats
// (GroupCoordinatorRecordHelpers), so that a coordinator that takes over the partition (or
// restarts) rebuilds the group, and Kafka's tools read them:
//   key   = int16 record type + the key struct (version 0)
//           3 ConsumerGroupMetadata            (group epoch)
//           4 ConsumerGroupPartitionMetadata   (read and ignored: replaced by the metadata hash in 4.1)
//           5 ConsumerGroupMemberMetadata      (a member's subscription; ClassicMemberMetadata,
//                                              tag 0, for a member speaking the classic protocol)
//           6 ConsumerGroupTargetAssignmentMetadata (assignment epoch)
//           7 ConsumerGroupTargetAssignmentMember   (a member's target)
//           8 ConsumerGroupCurrentMemberAssignment  (a member's epoch, state, owned partitions)
//          16 ConsumerGroupRegularExpression   (a regex and the topics it resolved to)
//   value = int16 version 0 + the value struct (flexible), or null: a tombstone.
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import type { Assignment } from './consumer-assignors.js';
import { ConsumerGroup, ConsumerGroupMember, type MemberStateValue } from './consumer-group.js';
import type { ConsumerGroupMemberMetadataValue } from '../protocol/generated/consumer-group-member-metadata-value.js';
import type { ConsumerGroupCurrentMemberAssignmentValue } from '../protocol/generated/consumer-group-current-member-assignment-value.js';
import type { ConsumerGroupRegularExpressionValue } from '../protocol/generated/consumer-group-regular-expression-value.js';

export const ConsumerRecordType = {
  GROUP_METADATA: 3,
  PARTITION_METADATA: 4,
  MEMBER_METADATA: 5,
  TARGET_ASSIGNMENT_METADATA: 6,
  TARGET_ASSIGNMENT_MEMBER: 7,
  CURRENT_MEMBER_ASSIGNMENT: 8,
  REGULAR_EXPRESSION: 16,
} as const;

export function isConsumerRecordType(version: number): boolean {
  return (version >= 3 && version <= 8) || version === 16;
}

export interface ConsumerRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

const writer = new Writer({ initialCapacityBytes: 1024, maxRetainedBytes: 1024 * 1024 });

function key(type: number, fields: { groupId: string; memberId?: string; regularExpression?: string }): Buffer {
  writer.reset();
  writer.writeInt16(type);
  switch (type) {
    case ConsumerRecordType.GROUP_METADATA:
      dataCodecs.ConsumerGroupMetadataKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.PARTITION_METADATA:
      dataCodecs.ConsumerGroupPartitionMetadataKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.MEMBER_METADATA:
      dataCodecs.ConsumerGroupMemberMetadataKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.TARGET_ASSIGNMENT_METADATA:
      dataCodecs.ConsumerGroupTargetAssignmentMetadataKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.TARGET_ASSIGNMENT_MEMBER:
      dataCodecs.ConsumerGroupTargetAssignmentMemberKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.CURRENT_MEMBER_ASSIGNMENT:
      dataCodecs.ConsumerGroupCurrentMemberAssignmentKey.encode(writer, 0, fields);
      break;
    case ConsumerRecordType.REGULAR_EXPRESSION:
      dataCodecs.ConsumerGroupRegularExpressionKey.encode(writer, 0, fields);
      break;
  }
  return writer.finish();
}

function value(encode: (w: Writer) => void): Buffer {
  writer.reset();
  writer.writeInt16(0);
  encode(writer);
  return writer.finish();
}

function topicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a].filter(([, ps]) => ps.length > 0).map(([topicId, partitions]) => ({ topicId, partitions }));
}

/** With AssignmentEpochs (tagged field 0, Kafka 4.3+), one per partition. */
function withEpochs(a: Assignment, epochs: ReadonlyMap<string, number>, fallback: number): { topicId: string; partitions: number[]; assignmentEpochs: number[] }[] {
  return topicPartitions(a).map((tp) => ({ ...tp, assignmentEpochs: tp.partitions.map((p) => epochs.get(`${tp.topicId}:${p}`) ?? fallback) }));
}

export function groupEpochRecord(groupId: string, epoch: number, metadataHash: number): ConsumerRecord {
  return { key: key(ConsumerRecordType.GROUP_METADATA, { groupId }), value: value((w) => dataCodecs.ConsumerGroupMetadataValue.encode(w, 0, { epoch, metadataHash })) };
}

export function memberSubscriptionRecord(groupId: string, m: ConsumerGroupMember): ConsumerRecord {
  return {
    key: key(ConsumerRecordType.MEMBER_METADATA, { groupId, memberId: m.memberId }),
    value: value((w) =>
      dataCodecs.ConsumerGroupMemberMetadataValue.encode(w, 0, {
        instanceId: m.instanceId,
        rackId: m.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: m.serverAssignor,
        classicMemberMetadata: m.classic === null ? null : { sessionTimeoutMs: m.classic.sessionTimeoutMs, supportedProtocols: m.classic.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata })) },
      }),
    ),
  };
}

export function targetAssignmentMemberRecord(groupId: string, memberId: string, a: Assignment): ConsumerRecord {
  return {
    key: key(ConsumerRecordType.TARGET_ASSIGNMENT_MEMBER, { groupId, memberId }),
    value: value((w) => dataCodecs.ConsumerGroupTargetAssignmentMemberValue.encode(w, 0, { topicPartitions: topicPartitions(a) })),
  };
}

export function targetAssignmentEpochRecord(groupId: string, assignmentEpoch: number, timestampMs: number): ConsumerRecord {
  return {
    key: key(ConsumerRecordType.TARGET_ASSIGNMENT_METADATA, { groupId }),
    value: value((w) => dataCodecs.ConsumerGroupTargetAssignmentMetadataValue.encode(w, 0, { assignmentEpoch, assignmentTimestamp: timestampMs })),
  };
}

export function currentAssignmentRecord(groupId: string, m: ConsumerGroupMember): ConsumerRecord {
  return {
    key: key(ConsumerRecordType.CURRENT_MEMBER_ASSIGNMENT, { groupId, memberId: m.memberId }),
    value: value((w) =>
      dataCodecs.ConsumerGroupCurrentMemberAssignmentValue.encode(w, 0, {
        memberEpoch: m.memberEpoch,
        previousMemberEpoch: m.previousMemberEpoch,
        state: m.state,
        assignedPartitions: withEpochs(m.assigned, m.assignmentEpochs, m.memberEpoch),
        partitionsPendingRevocation: withEpochs(m.pendingRevocation, m.assignmentEpochs, m.memberEpoch),
      }),
    ),
  };
}

export function regexRecord(groupId: string, regex: string, r: { topics: string[]; version: number; timestampMs: number }): ConsumerRecord {
  return {
    key: key(ConsumerRecordType.REGULAR_EXPRESSION, { groupId, regularExpression: regex }),
    value: value((w) => dataCodecs.ConsumerGroupRegularExpressionValue.encode(w, 0, { topics: r.topics, version: r.version, timestamp: r.timestampMs })),
  };
}

export function tombstone(type: number, groupId: string, extra: { memberId?: string; regularExpression?: string } = {}): ConsumerRecord {
  return { key: key(type, { groupId, ...extra }), value: null };
}

/** Kafka's order for a member leaving: its current assignment, its target, then its subscription. */
export function memberTombstones(groupId: string, memberId: string): ConsumerRecord[] {
  return [
    tombstone(ConsumerRecordType.CURRENT_MEMBER_ASSIGNMENT, groupId, { memberId }),
    tombstone(ConsumerRecordType.TARGET_ASSIGNMENT_MEMBER, groupId, { memberId }),
    tombstone(ConsumerRecordType.MEMBER_METADATA, groupId, { memberId }),
  ];
}

/** The records deleting an empty group (Kafka's createGroupTombstoneRecords for a consumer group). */
export function groupTombstones(group: ConsumerGroup): ConsumerRecord[] {
  const records: ConsumerRecord[] = [];
  for (const regex of group.resolvedRegexes.keys()) records.push(tombstone(ConsumerRecordType.REGULAR_EXPRESSION, group.groupId, { regularExpression: regex }));
  records.push(tombstone(ConsumerRecordType.TARGET_ASSIGNMENT_METADATA, group.groupId));
  records.push(tombstone(ConsumerRecordType.GROUP_METADATA, group.groupId));
  return records;
}

/** A decoded consumer-group key. */
export interface ConsumerRecordKey {
  readonly type: number;
  readonly groupId: string;
  readonly memberId: string;
  readonly regularExpression: string;
}

export function decodeConsumerKey(type: number, r: Reader): ConsumerRecordKey {
  switch (type) {
    case ConsumerRecordType.GROUP_METADATA:
      return { type, groupId: dataCodecs.ConsumerGroupMetadataKey.decode(r, 0).groupId, memberId: '', regularExpression: '' };
    case ConsumerRecordType.PARTITION_METADATA:
      return { type, groupId: dataCodecs.ConsumerGroupPartitionMetadataKey.decode(r, 0).groupId, memberId: '', regularExpression: '' };
    case ConsumerRecordType.MEMBER_METADATA: {
      const k = dataCodecs.ConsumerGroupMemberMetadataKey.decode(r, 0);
      return { type, groupId: k.groupId, memberId: k.memberId, regularExpression: '' };
    }
    case ConsumerRecordType.TARGET_ASSIGNMENT_METADATA:
      return { type, groupId: dataCodecs.ConsumerGroupTargetAssignmentMetadataKey.decode(r, 0).groupId, memberId: '', regularExpression: '' };
    case ConsumerRecordType.TARGET_ASSIGNMENT_MEMBER: {
      const k = dataCodecs.ConsumerGroupTargetAssignmentMemberKey.decode(r, 0);
      return { type, groupId: k.groupId, memberId: k.memberId, regularExpression: '' };
    }
    case ConsumerRecordType.CURRENT_MEMBER_ASSIGNMENT: {
      const k = dataCodecs.ConsumerGroupCurrentMemberAssignmentKey.decode(r, 0);
      return { type, groupId: k.groupId, memberId: k.memberId, regularExpression: '' };
    }
    default: {
      const k = dataCodecs.ConsumerGroupRegularExpressionKey.decode(r, 0);
      return { type, groupId: k.groupId, memberId: '', regularExpression: k.regularExpression };
    }
  }
}

/** What one group's consumer records say, as replayed in log order (the last record of a key wins). */
export class ConsumerGroupReplay {
  groupEpoch: number | null = null;
  metadataHash = 0;
  assignmentEpoch: number | null = null;
  readonly subscriptions = new Map<string, ConsumerGroupMemberMetadataValue>();
  readonly targets = new Map<string, Assignment>();
  readonly current = new Map<string, ConsumerGroupCurrentMemberAssignmentValue>();
  readonly regexes = new Map<string, ConsumerGroupRegularExpressionValue>();

  apply(k: ConsumerRecordKey, raw: Buffer | null): void {
    const r = raw === null ? null : new Reader(raw);
    if (r !== null) r.readInt16();
    switch (k.type) {
      case ConsumerRecordType.GROUP_METADATA:
        if (r === null) {
          this.groupEpoch = null;
        } else {
          const v = dataCodecs.ConsumerGroupMetadataValue.decode(r, 0);
          this.groupEpoch = v.epoch;
          this.metadataHash = v.metadataHash;
        }
        return;
      case ConsumerRecordType.PARTITION_METADATA:
        return;
      case ConsumerRecordType.MEMBER_METADATA:
        if (r === null) this.subscriptions.delete(k.memberId);
        else this.subscriptions.set(k.memberId, dataCodecs.ConsumerGroupMemberMetadataValue.decode(r, 0));
        return;
      case ConsumerRecordType.TARGET_ASSIGNMENT_METADATA:
        this.assignmentEpoch = r === null ? null : dataCodecs.ConsumerGroupTargetAssignmentMetadataValue.decode(r, 0).assignmentEpoch;
        return;
      case ConsumerRecordType.TARGET_ASSIGNMENT_MEMBER:
        if (r === null) this.targets.delete(k.memberId);
        else this.targets.set(k.memberId, new Map(dataCodecs.ConsumerGroupTargetAssignmentMemberValue.decode(r, 0).topicPartitions.map((tp) => [tp.topicId, [...tp.partitions].sort((a, b) => a - b)])));
        return;
      case ConsumerRecordType.CURRENT_MEMBER_ASSIGNMENT:
        if (r === null) this.current.delete(k.memberId);
        else this.current.set(k.memberId, dataCodecs.ConsumerGroupCurrentMemberAssignmentValue.decode(r, 0));
        return;
      case ConsumerRecordType.REGULAR_EXPRESSION:
        if (r === null) this.regexes.delete(k.regularExpression);
        else this.regexes.set(k.regularExpression, dataCodecs.ConsumerGroupRegularExpressionValue.decode(r, 0));
        return;
    }
  }

  /** Whether the group still exists after the replay (its epoch record was not deleted). */
  get exists(): boolean {
    return this.groupEpoch !== null;
  }
}

/**
 * The group a replay describes (Kafka's replay of the records into a ConsumerGroup): members
 * with their subscription, target and current assignment; the partition epochs follow from
 * the current assignments. Null when the group was deleted.
 */
export function rebuildConsumerGroup(groupId: string, replay: ConsumerGroupReplay): ConsumerGroup | null {
  if (!replay.exists) return null;
  const group = new ConsumerGroup(groupId);
  group.groupEpoch = replay.groupEpoch!;
  group.metadataHash = replay.metadataHash;
  group.assignmentEpoch = replay.assignmentEpoch ?? 0;
  for (const [regex, v] of replay.regexes) group.resolvedRegexes.set(regex, { topics: [...v.topics].sort(), version: v.version, timestampMs: v.timestamp });
  for (const [memberId, sub] of replay.subscriptions) {
    const m = new ConsumerGroupMember(memberId);
    m.instanceId = sub.instanceId;
    m.rackId = sub.rackId;
    m.clientId = sub.clientId;
    m.clientHost = sub.clientHost;
    m.subscribedTopicNames = [...sub.subscribedTopicNames].sort();
    m.subscribedTopicRegex = sub.subscribedTopicRegex;
    m.rebalanceTimeoutMs = sub.rebalanceTimeoutMs;
    m.serverAssignor = sub.serverAssignor;
    const classic = sub.classicMemberMetadata;
    if (classic !== null) m.classic = { sessionTimeoutMs: classic.sessionTimeoutMs, supportedProtocols: classic.supportedProtocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })) };
    const current = replay.current.get(memberId);
    if (current) {
      m.memberEpoch = current.memberEpoch;
      m.previousMemberEpoch = current.previousMemberEpoch;
      m.state = current.state as MemberStateValue;
      m.assigned = new Map(current.assignedPartitions.map((tp) => [tp.topicId, [...tp.partitions].sort((a, b) => a - b)]));
      m.pendingRevocation = new Map(current.partitionsPendingRevocation.map((tp) => [tp.topicId, [...tp.partitions].sort((a, b) => a - b)]));
      for (const tp of [...current.assignedPartitions, ...current.partitionsPendingRevocation]) {
        tp.partitions.forEach((p, i) => m.assignmentEpochs.set(`${tp.topicId}:${p}`, tp.assignmentEpochs?.[i] ?? current.memberEpoch));
      }
    }
    group.updateMember(m, undefined);
    const target = replay.targets.get(memberId);
    if (target) group.target.set(memberId, target);
  }
  return group;
}
