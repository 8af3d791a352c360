// Share-group membership records in __consumer_offsets, in Kafka 4.4's formats (the
// ShareGroup* records of kafka-group-coordinator 4.4.0, protocol/internal/ShareGroup*.json),
// so that a coordinator that takes over a group's partition (a failover, a restart) rebuilds
// its members, epochs and assignments, and Kafka's own tools decode what we write:
//   key   = int16 record type + the key struct v0 (not flexible):
//           10 ShareGroupMemberMetadata (group, member), 11 ShareGroupMetadata (group),
//           12 ShareGroupTargetAssignmentMetadata (group), 13 ShareGroupTargetAssignmentMember
//           (group, member), 14 ShareGroupCurrentMemberAssignment (group, member),
//           15 ShareGroupStatePartitionMetadata (group; read and ignored: Tidelog initializes
//           share-partition state lazily, at the share-partition leader);
//   value = int16 version 0 + the value struct (flexible), or null: a tombstone.
// Replay (ShareGroupReplay) follows Kafka's GroupMetadataManager.replay: the last record of
// each key wins, a tombstone removes; a group whose ShareGroupMetadata was tombstoned is gone.
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader, Writer } from '../protocol/primitives/index.js';

export const ShareRecordType = {
  MEMBER_METADATA: 10,
  GROUP_METADATA: 11,
  TARGET_ASSIGNMENT_METADATA: 12,
  TARGET_ASSIGNMENT_MEMBER: 13,
  CURRENT_MEMBER_ASSIGNMENT: 14,
  STATE_PARTITION_METADATA: 15,
} as const;

export function isShareRecordType(type: number): boolean {
  return type >= 10 && type <= 15;
}

export interface ShareGroupRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** Kafka's MemberState.STABLE: share-group members are always stable (no revocation). */
const STABLE = 0;

const writer = new Writer({ initialCapacityBytes: 512, maxRetainedBytes: 1024 * 1024 });

function key(type: number, groupId: string, memberId?: string): Buffer {
  writer.reset();
  writer.writeInt16(type);
  switch (type) {
    case ShareRecordType.MEMBER_METADATA:
      dataCodecs.ShareGroupMemberMetadataKey.encode(writer, 0, { groupId, memberId });
      break;
    case ShareRecordType.GROUP_METADATA:
      dataCodecs.ShareGroupMetadataKey.encode(writer, 0, { groupId });
      break;
    case ShareRecordType.TARGET_ASSIGNMENT_METADATA:
      dataCodecs.ShareGroupTargetAssignmentMetadataKey.encode(writer, 0, { groupId });
      break;
    case ShareRecordType.TARGET_ASSIGNMENT_MEMBER:
      dataCodecs.ShareGroupTargetAssignmentMemberKey.encode(writer, 0, { groupId, memberId });
      break;
    case ShareRecordType.CURRENT_MEMBER_ASSIGNMENT:
      dataCodecs.ShareGroupCurrentMemberAssignmentKey.encode(writer, 0, { groupId, memberId });
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

type Assignment = ReadonlyMap<string, readonly number[]>;

function topicPartitions(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a].filter(([, ps]) => ps.length > 0).map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

export function shareGroupEpochRecord(groupId: string, epoch: number): ShareGroupRecord {
  return { key: key(ShareRecordType.GROUP_METADATA, groupId), value: value((w) => dataCodecs.ShareGroupMetadataValue.encode(w, 0, { epoch, metadataHash: 0 })) };
}

export function shareMemberSubscriptionRecord(groupId: string, m: { memberId: string; rackId: string | null; clientId: string; clientHost: string; subscribedTopicNames: readonly string[] }): ShareGroupRecord {
  return {
    key: key(ShareRecordType.MEMBER_METADATA, groupId, m.memberId),
    value: value((w) => dataCodecs.ShareGroupMemberMetadataValue.encode(w, 0, { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: [...m.subscribedTopicNames] })),
  };
}

export function shareTargetAssignmentMemberRecord(groupId: string, memberId: string, a: Assignment): ShareGroupRecord {
  return { key: key(ShareRecordType.TARGET_ASSIGNMENT_MEMBER, groupId, memberId), value: value((w) => dataCodecs.ShareGroupTargetAssignmentMemberValue.encode(w, 0, { topicPartitions: topicPartitions(a) })) };
}

export function shareTargetAssignmentEpochRecord(groupId: string, assignmentEpoch: number, timestampMs: number): ShareGroupRecord {
  return { key: key(ShareRecordType.TARGET_ASSIGNMENT_METADATA, groupId), value: value((w) => dataCodecs.ShareGroupTargetAssignmentMetadataValue.encode(w, 0, { assignmentEpoch, assignmentTimestamp: timestampMs })) };
}

export function shareCurrentAssignmentRecord(groupId: string, memberId: string, memberEpoch: number, previousMemberEpoch: number, a: Assignment): ShareGroupRecord {
  return {
    key: key(ShareRecordType.CURRENT_MEMBER_ASSIGNMENT, groupId, memberId),
    value: value((w) => dataCodecs.ShareGroupCurrentMemberAssignmentValue.encode(w, 0, { memberEpoch, previousMemberEpoch, state: STABLE, assignedPartitions: topicPartitions(a) })),
  };
}

/** The tombstones of a member that left, in Kafka's order (current assignment, target assignment, subscription). */
export function shareMemberTombstones(groupId: string, memberId: string): ShareGroupRecord[] {
  return [
    { key: key(ShareRecordType.CURRENT_MEMBER_ASSIGNMENT, groupId, memberId), value: null },
    { key: key(ShareRecordType.TARGET_ASSIGNMENT_MEMBER, groupId, memberId), value: null },
    { key: key(ShareRecordType.MEMBER_METADATA, groupId, memberId), value: null },
  ];
}

/** The tombstones of a deleted group's metadata (its members' were written when they left). */
export function shareGroupTombstones(groupId: string): ShareGroupRecord[] {
  return [
    { key: key(ShareRecordType.TARGET_ASSIGNMENT_METADATA, groupId), value: null },
    { key: key(ShareRecordType.GROUP_METADATA, groupId), value: null },
  ];
}

/** A member as the records rebuild it. */
export interface ReplayedShareMember {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** The target assignment (what the member is to hold). */
  assignment: Map<string, number[]>;
  /** The current assignment (what the member was last given). */
  current: Map<string, number[]>;
}

export interface ReplayedShareGroup {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  members: Map<string, ReplayedShareMember>;
}

/** Replays ShareGroup* records (in log order) into groups. */
export class ShareGroupReplay {
  private readonly groups = new Map<string, ReplayedShareGroup & { exists: boolean }>();

  private group(groupId: string): ReplayedShareGroup & { exists: boolean } {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = { groupId, groupEpoch: 0, assignmentEpoch: 0, members: new Map(), exists: false }));
    return g;
  }

  private member(g: ReplayedShareGroup, memberId: string): ReplayedShareMember {
    let m = g.members.get(memberId);
    if (!m) g.members.set(memberId, (m = { memberId, memberEpoch: 0, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], assignment: new Map(), current: new Map() }));
    return m;
  }

  /** One record; throws on an unreadable one (the caller logs and skips it). */
  apply(keyBytes: Buffer, valueBytes: Buffer | null): void {
    const r = new Reader(keyBytes);
    const type = r.readInt16();
    const v = valueBytes === null ? null : new Reader(valueBytes);
    v?.readInt16();
    switch (type) {
      case ShareRecordType.GROUP_METADATA: {
        const k = dataCodecs.ShareGroupMetadataKey.decode(r, 0);
        const g = this.group(k.groupId);
        if (v === null) {
          this.groups.delete(k.groupId);
          return;
        }
        g.groupEpoch = dataCodecs.ShareGroupMetadataValue.decode(v, 0).epoch;
        g.exists = true;
        return;
      }
      case ShareRecordType.TARGET_ASSIGNMENT_METADATA: {
        const k = dataCodecs.ShareGroupTargetAssignmentMetadataKey.decode(r, 0);
        if (v !== null) this.group(k.groupId).assignmentEpoch = dataCodecs.ShareGroupTargetAssignmentMetadataValue.decode(v, 0).assignmentEpoch;
        return;
      }
      case ShareRecordType.MEMBER_METADATA: {
        const k = dataCodecs.ShareGroupMemberMetadataKey.decode(r, 0);
        const g = this.group(k.groupId);
        if (v === null) {
          g.members.delete(k.memberId);
          return;
        }
        const d = dataCodecs.ShareGroupMemberMetadataValue.decode(v, 0);
        const m = this.member(g, k.memberId);
        m.rackId = d.rackId;
        m.clientId = d.clientId;
        m.clientHost = d.clientHost;
        m.subscribedTopicNames = [...d.subscribedTopicNames].sort();
        return;
      }
      case ShareRecordType.TARGET_ASSIGNMENT_MEMBER: {
        const k = dataCodecs.ShareGroupTargetAssignmentMemberKey.decode(r, 0);
        const g = this.group(k.groupId);
        if (v === null) return;
        const d = dataCodecs.ShareGroupTargetAssignmentMemberValue.decode(v, 0);
        this.member(g, k.memberId).assignment = new Map(d.topicPartitions.map((tp) => [tp.topicId, [...tp.partitions]]));
        return;
      }
      case ShareRecordType.CURRENT_MEMBER_ASSIGNMENT: {
        const k = dataCodecs.ShareGroupCurrentMemberAssignmentKey.decode(r, 0);
        const g = this.group(k.groupId);
        if (v === null) return;
        const d = dataCodecs.ShareGroupCurrentMemberAssignmentValue.decode(v, 0);
        const m = this.member(g, k.memberId);
        m.memberEpoch = d.memberEpoch;
        m.current = new Map(d.assignedPartitions.map((tp) => [tp.topicId, [...tp.partitions]]));
        return;
      }
      case ShareRecordType.STATE_PARTITION_METADATA:
        return;
      default:
        throw new Error(`not a share group record type: ${type}`);
    }
  }

  /** The groups that exist after the replay (a ShareGroupMetadata record and no tombstone after it). */
  result(): ReplayedShareGroup[] {
    return [...this.groups.values()].filter((g) => g.exists).map(({ exists: _exists, ...g }) => g);
  }
}
