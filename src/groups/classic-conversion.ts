// The online migration of a group between the classic and the consumer protocols (KIP-848),
// after Kafka 4.4's ConsumerGroup.fromClassicGroup, ClassicGroup.fromConsumerGroup and
// ConsumerGroup.createConsumerGroupRecords. Pure: the coordinators decide when to convert,
// answer the members, own the timers and write the records.
//
// Upgrade: a classic group whose members all speak the consumer embedded protocol becomes a
// consumer group at group epoch = assignment epoch = its generation; each member keeps its
// classic assignment as both its current and its target assignment (so it is Stable), its
// supported protocols and session timeout as ClassicMemberMetadata.
// Downgrade: the remaining (classic) members of a consumer group become a Stable classic group
// at generation = the group epoch, each with its target assignment as a
// ConsumerProtocolAssignment in the version of its subscription; the caller then rebalances.
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import type { Assignment } from './consumer-assignors.js';
import { ConsumerGroup, ConsumerGroupMember, MemberState } from './consumer-group.js';
import { currentAssignmentRecord, groupEpochRecord, memberSubscriptionRecord, targetAssignmentEpochRecord, targetAssignmentMemberRecord, type ConsumerRecord } from './consumer-records.js';
import type { GroupMetadata } from './group-metadata.js';
import { MemberMetadata } from './member-metadata.js';

/** A member's ConsumerProtocolSubscription as Kafka's ConsumerProtocol reads it. */
export interface DecodedSubscription {
  readonly version: number;
  readonly topics: string[];
  readonly userData: Buffer | null;
  readonly ownedPartitions: { topic: string; partitions: number[] }[];
  readonly rackId: string | null;
}

/** Null when the bytes do not parse (Kafka's SchemaException). A newer version is read with our newest schema. */
export function decodeSubscription(bytes: Buffer): DecodedSubscription | null {
  try {
    const r = new Reader(bytes);
    const version = r.readInt16();
    if (version < 0) return null;
    const v = dataCodecs.ConsumerProtocolSubscription.decode(r, Math.min(version, dataCodecs.ConsumerProtocolSubscription.maxVersion));
    return { version, topics: v.topics, userData: v.userData, ownedPartitions: v.ownedPartitions, rackId: v.rackId };
  } catch {
    return null;
  }
}

/** Null when the bytes do not parse; an empty buffer is an empty assignment. */
export function decodeAssignment(bytes: Buffer): { topics: { topic: string; partitions: number[] }[]; userData: Buffer | null } | null {
  if (bytes.length === 0) return { topics: [], userData: null };
  try {
    const r = new Reader(bytes);
    const version = r.readInt16();
    if (version < 0) return null;
    const v = dataCodecs.ConsumerProtocolAssignment.decode(r, Math.min(version, dataCodecs.ConsumerProtocolAssignment.maxVersion));
    return { topics: v.assignedPartitions, userData: v.userData };
  } catch {
    return null;
  }
}

/** A ConsumerProtocolAssignment of partitions by topic id, topics named as they are now (unknown ids are left out). */
export function encodeAssignment(a: Assignment, topicNames: ReadonlyMap<string, string>, version: number): Buffer {
  const v = Math.max(0, Math.min(version, dataCodecs.ConsumerProtocolAssignment.maxVersion));
  const w = new Writer({ initialCapacityBytes: 128 });
  w.writeInt16(v);
  const assignedPartitions = [...a]
    .filter(([id, ps]) => ps.length > 0 && topicNames.has(id))
    .map(([id, ps]) => ({ topic: topicNames.get(id)!, partitions: [...ps].sort((x, y) => x - y) }))
    .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0));
  dataCodecs.ConsumerProtocolAssignment.encode(w, v, { assignedPartitions, userData: null });
  return w.finish();
}

/** Topic partitions by name → by topic id; topics that do not exist are dropped (Kafka's toTopicPartitionMap). */
export function byTopicId(tps: readonly { topic: string; partitions: readonly number[] }[], topicIds: ReadonlyMap<string, string>): Assignment {
  const a: Assignment = new Map();
  for (const tp of tps) {
    const id = topicIds.get(tp.topic);
    if (id === undefined || tp.partitions.length === 0) continue;
    a.set(id, [...new Set([...(a.get(id) ?? []), ...tp.partitions])].sort((x, y) => x - y));
  }
  return a;
}

export type UpgradeRefusal = 'malformed' | 'custom-assignor';

/**
 * Kafka's ConsumerGroup.fromClassicGroup. 'malformed' when a member's subscription or
 * assignment does not parse; 'custom-assignor' when an assignment carries user data (a
 * custom assignor's state the server-side assignors could not keep).
 */
export function consumerGroupFromClassic(classic: GroupMetadata, topicIds: ReadonlyMap<string, string>): ConsumerGroup | UpgradeRefusal {
  const group = new ConsumerGroup(classic.groupId);
  group.groupEpoch = classic.generationId;
  group.assignmentEpoch = classic.generationId;
  const protocol = classic.protocolName ?? '';
  for (const cm of classic.members.values()) {
    const own = cm.supportedProtocols.find((p) => p.name === protocol) ?? cm.supportedProtocols[0];
    const subscription = own === undefined ? null : decodeSubscription(own.metadata);
    const assignment = decodeAssignment(cm.assignment);
    if (subscription === null || assignment === null) return 'malformed';
    if (assignment.userData !== null && assignment.userData.length > 0) return 'custom-assignor';
    const assigned = byTopicId(assignment.topics, topicIds);
    const m = new ConsumerGroupMember(cm.memberId);
    m.memberEpoch = classic.generationId;
    m.previousMemberEpoch = classic.generationId;
    m.state = MemberState.STABLE;
    m.instanceId = cm.groupInstanceId;
    m.rackId = subscription.rackId;
    m.rebalanceTimeoutMs = cm.rebalanceTimeoutMs;
    m.clientId = cm.clientId;
    m.clientHost = cm.clientHost;
    m.subscribedTopicNames = [...new Set(subscription.topics)].sort();
    m.assigned = assigned;
    for (const [t, ps] of assigned) for (const p of ps) m.assignmentEpochs.set(`${t}:${p}`, classic.generationId);
    m.classic = { sessionTimeoutMs: cm.sessionTimeoutMs, supportedProtocols: cm.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata })) };
    group.target.set(m.memberId, new Map([...assigned].map(([t, ps]) => [t, [...ps]])));
    group.updateMember(m, undefined);
  }
  return group;
}

/** Kafka's ConsumerGroup.createConsumerGroupRecords: subscriptions, group epoch, targets, assignment epoch, current assignments. */
export function consumerGroupRecords(group: ConsumerGroup, timestampMs: number): ConsumerRecord[] {
  const records: ConsumerRecord[] = [];
  for (const m of group.members.values()) records.push(memberSubscriptionRecord(group.groupId, m));
  records.push(groupEpochRecord(group.groupId, group.groupEpoch, group.metadataHash));
  for (const m of group.members.values()) records.push(targetAssignmentMemberRecord(group.groupId, m.memberId, group.target.get(m.memberId) ?? new Map()));
  records.push(targetAssignmentEpochRecord(group.groupId, group.groupEpoch, timestampMs));
  for (const m of group.members.values()) records.push(currentAssignmentRecord(group.groupId, m));
  return records;
}

/**
 * Kafka's ClassicGroup.fromConsumerGroup, for the members that stay: each as a classic member
 * with its supported protocols and session timeout. The caller adds them to the classic group,
 * selects the protocol, then sets each assignment with assignmentFor.
 */
export function classicMembersOf(group: ConsumerGroup, leaving: ReadonlySet<string>): MemberMetadata[] {
  const members: MemberMetadata[] = [];
  for (const m of group.members.values()) {
    if (leaving.has(m.memberId) || m.classic === null) continue;
    members.push(new MemberMetadata(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.classic.sessionTimeoutMs, 'consumer', m.classic.supportedProtocols));
  }
  return members;
}

/** A downgraded member's assignment: its target, in the version of its subscription for the selected protocol. */
export function assignmentFor(group: ConsumerGroup, member: MemberMetadata, protocol: string, topicNames: ReadonlyMap<string, string>): Buffer {
  const subscription = decodeSubscription(member.metadata(protocol));
  return encodeAssignment(group.target.get(member.memberId) ?? new Map(), topicNames, subscription?.version ?? 0);
}
