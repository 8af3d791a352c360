// ConsumerGroup: the state of one group of the consumer group protocol (KIP-848), after
// Kafka's modern/consumer/ConsumerGroup, ConsumerGroupMember and CurrentAssignmentBuilder.
//
// The group epoch moves when what the assignment depends on changes (a member joins, leaves,
// changes its subscription or assignor; a subscribed topic appears or changes its partition
// count). The target assignment is then computed again by the assignor (assignment epoch =
// group epoch). Each member reconciles towards its target on its own heartbeats:
//   STABLE                 at the assignment epoch, owning its whole target;
//   UNREVOKED_PARTITIONS   must first give up partitions (kept at its epoch until its heartbeat
//                          no longer lists them, bounded by its rebalance timeout);
//   UNRELEASED_PARTITIONS  at the new epoch but waiting for partitions another member still
//                          owns (still revoking).
// A partition is given to a new owner only once no member owns it (currentPartitionEpoch),
// which is what keeps a record from being read by two members at once.
//
// Pure state: no timers, no I/O. The coordinator (group-coordinator.ts) owns the timers and
// writes the records (consumer-records.ts) after each change. JS thread only.
import { compileRe2jPattern, InvalidPatternError } from '../protocol/re2j-pattern.js';
import { createHash } from 'node:crypto';
import type { Assignment } from './consumer-assignors.js';

/** Kafka's MemberState byte values (ConsumerGroupCurrentMemberAssignmentValue.State). */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 } as const;
export type MemberStateValue = (typeof MemberState)[keyof typeof MemberState];
const STATE_NAMES: Record<number, string> = { 0: 'STABLE', 1: 'UNREVOKED_PARTITIONS', 2: 'UNRELEASED_PARTITIONS', 127: 'UNKNOWN' };
export function memberStateName(s: number): string {
  return STATE_NAMES[s] ?? 'UNKNOWN';
}

/** Kafka's GroupState names for consumer groups (ListGroups, ConsumerGroupDescribe). */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';
export const CONSUMER_GROUP_STATES: readonly ConsumerGroupState[] = ['Empty', 'Assigning', 'Reconciling', 'Stable', 'Dead'];

/** Member epoch of a member leaving (-1) and of a static member leaving for a while (-2). */
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

/**
 * A member that speaks the classic protocol inside a consumer group (Kafka's
 * ConsumerGroupMemberMetadataValue.ClassicMemberMetadata): its session timeout and the
 * protocols of its JoinGroup (name and ConsumerProtocolSubscription bytes), in its order.
 */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  readonly supportedProtocols: readonly { readonly name: string; readonly metadata: Buffer }[];
}

export class ConsumerGroupMember {
  /** Set for a member using the classic protocol (JoinGroup/SyncGroup/Heartbeat); null for ConsumerGroupHeartbeat. */
  classic: ClassicMemberMetadata | null = null;
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = '';
  clientHost = '';
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  rebalanceTimeoutMs = -1;
  serverAssignor: string | null = null;
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: MemberStateValue = MemberState.STABLE;
  assigned: Assignment = new Map();
  pendingRevocation: Assignment = new Map();
  /**
   * "topicId:partition" → the member epoch at which the partition was assigned to this member
   * (Kafka 4.3's assignment epochs, KIP-1251): a commit with an older member epoch is accepted
   * for a partition the member still holds since that epoch (assigned or pending revocation).
   */
  assignmentEpochs = new Map<string, number>();
  /** Timers (the coordinator's): session expiry, and the revocation deadline while UNREVOKED_PARTITIONS. */
  sessionTimer: NodeJS.Timeout | null = null;
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** A classic member told to rejoin must send JoinGroup within its rebalance timeout (Kafka's join timeout). */
  joinTimer: NodeJS.Timeout | null = null;
  /** A classic member that joined must send SyncGroup within its rebalance timeout (Kafka's sync timeout). */
  syncTimer: NodeJS.Timeout | null = null;

  constructor(readonly memberId: string) {}

  get usesClassicProtocol(): boolean {
    return this.classic !== null;
  }

  /**
   * A copy with the same subscription, reconciliation state and timers (the copy replaces this
   * member; a static member taking over gets a member whose timers were cleared first).
   */
  copyAs(memberId: string): ConsumerGroupMember {
    const m = new ConsumerGroupMember(memberId);
    Object.assign(m, { ...this, memberId });
    m.assigned = cloneAssignment(this.assigned);
    m.pendingRevocation = cloneAssignment(this.pendingRevocation);
    m.assignmentEpochs = new Map(this.assignmentEpochs);
    return m;
  }
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** memberId → its target assignment. */
  readonly target = new Map<string, Assignment>();
  /** "topicId:partition" → the epoch of the member owning it (assigned or still revoking). */
  private readonly partitionEpochs = new Map<string, number>();
  /** instance id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Regex → the topic names it resolved to (ConsumerGroupRegularExpression records). */
  readonly resolvedRegexes = new Map<string, { topics: string[]; version: number; timestampMs: number }>();
  /** The subscribed topics' "name:id:partitions" signature of the last target assignment. */
  metadataSignature = '';
  /**
   * ConsumerGroupMetadataValue.MetadataHash (KIP-1101): a hash of metadataSignature, written
   * with each group epoch, so that a coordinator loading the group knows whether the topics
   * changed meanwhile (Tidelog's hash, not Kafka's: a Kafka broker would rebalance once).
   */
  metadataHash = 0;
  dead = false;

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return 'Reconciling';
    return 'Stable';
  }

  /** The assignor's name most members asked for, or the default (Kafka's preferred assignor). */
  preferredAssignor(defaultName: string): string {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor !== null) counts.set(m.serverAssignor, (counts.get(m.serverAssignor) ?? 0) + 1);
    let best = defaultName;
    let bestCount = 0;
    for (const [name, c] of counts) if (c > bestCount) [best, bestCount] = [name, c];
    return best;
  }

  /** Every topic name the members subscribe to, regexes resolved. */
  subscribedTopicNames(): Set<string> {
    const names = new Set<string>();
    for (const m of this.members.values()) {
      for (const t of m.subscribedTopicNames) names.add(t);
      if (m.subscribedTopicRegex !== null) for (const t of this.resolvedRegexes.get(m.subscribedTopicRegex)?.topics ?? []) names.add(t);
    }
    return names;
  }

  memberTopicNames(m: ConsumerGroupMember): Set<string> {
    const names = new Set(m.subscribedTopicNames);
    if (m.subscribedTopicRegex !== null) for (const t of this.resolvedRegexes.get(m.subscribedTopicRegex)?.topics ?? []) names.add(t);
    return names;
  }

  regexesInUse(): Set<string> {
    const r = new Set<string>();
    for (const m of this.members.values()) if (m.subscribedTopicRegex !== null) r.add(m.subscribedTopicRegex);
    return r;
  }

  numClassicMembers(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.classic !== null) n++;
    return n;
  }

  /** Kafka's allMembersUseClassicProtocolExcept: every member but those leaving speaks the classic protocol. */
  allMembersUseClassicProtocolExcept(leaving: ReadonlySet<string>): boolean {
    for (const m of this.members.values()) if (!leaving.has(m.memberId) && m.classic === null) return false;
    return true;
  }

  /**
   * Kafka's ConsumerGroup.supportsClassicProtocols: a classic member may join if it speaks the
   * consumer protocol type and (unless the group is empty) one of its protocols is supported
   * by every classic member already there.
   */
  supportsClassicProtocols(protocolType: string, protocols: ReadonlySet<string>): boolean {
    if (protocolType !== 'consumer') return false;
    const classic = [...this.members.values()].filter((m) => m.classic !== null);
    if (this.members.size === 0 || classic.length === 0) return protocols.size > 0;
    for (const name of protocols) if (classic.every((m) => m.classic!.supportedProtocols.some((p) => p.name === name))) return true;
    return false;
  }

  /** Kafka's waitingOnUnreleasedPartition: a target partition of the member is still owned by another. */
  waitingOnUnreleasedPartition(m: ConsumerGroupMember): boolean {
    if (m.state !== MemberState.UNRELEASED_PARTITIONS) return false;
    for (const [t, ps] of this.target.get(m.memberId) ?? new Map<string, number[]>()) {
      const assigned = m.assigned.get(t) ?? [];
      for (const p of ps) if (!assigned.includes(p) && this.partitionEpoch(t, p) !== -1) return true;
    }
    return false;
  }

  /** Adds or replaces a member, keeping the partition epochs in step with its assignment. */
  updateMember(next: ConsumerGroupMember, previous: ConsumerGroupMember | undefined): void {
    if (previous) this.releasePartitions(previous);
    this.members.set(next.memberId, next);
    if (next.instanceId !== null) this.staticMembers.set(next.instanceId, next.memberId);
    this.claimPartitions(next);
  }

  removeMember(memberId: string): ConsumerGroupMember | undefined {
    const m = this.members.get(memberId);
    if (!m) return undefined;
    this.releasePartitions(m);
    this.members.delete(memberId);
    this.target.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
    return m;
  }

  private claimPartitions(m: ConsumerGroupMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.partitionEpochs.set(`${t}:${p}`, m.memberEpoch);
  }

  private releasePartitions(m: ConsumerGroupMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.partitionEpochs.delete(`${t}:${p}`);
  }

  /** Kafka's currentPartitionEpoch: -1 when no member owns the partition. */
  partitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(`${topicId}:${partition}`) ?? -1;
  }

  /**
   * Kafka's CurrentAssignmentBuilder.build: the member's next state towards its target.
   * `owned` is the heartbeat's TopicPartitions (null when the member did not send them).
   * Returns a new member object (the caller installs it with updateMember).
   */
  reconcile(member: ConsumerGroupMember, owned: readonly { topicId: string; partitions: readonly number[] }[] | null): ConsumerGroupMember {
    const target = this.target.get(member.memberId) ?? new Map<string, number[]>();
    switch (member.state) {
      case MemberState.STABLE:
        if (member.memberEpoch !== this.assignmentEpoch) return this.computeNext(member, member.memberEpoch, target, owned);
        return member;
      case MemberState.UNREVOKED_PARTITIONS:
        if (ownsAny(owned, member.pendingRevocation)) return member;
        return this.computeNext(member, Math.min(member.memberEpoch + 1, this.assignmentEpoch), target, owned);
      case MemberState.UNRELEASED_PARTITIONS:
        return this.computeNext(member, member.memberEpoch, target, owned);
      default:
        return this.computeNext(member, member.memberEpoch, target, owned);
    }
  }

  private computeNext(member: ConsumerGroupMember, memberEpoch: number, target: Assignment, owned: readonly { topicId: string; partitions: readonly number[] }[] | null): ConsumerGroupMember {
    const assigned: Assignment = new Map();
    const pendingRevocation: Assignment = new Map();
    const pendingAssignment: Assignment = new Map();
    let hasUnreleased = false;
    const topics = new Set([...target.keys(), ...member.assigned.keys()]);
    for (const t of topics) {
      const want = new Set(target.get(t) ?? []);
      const current = member.assigned.get(t) ?? [];
      const kept = current.filter((p) => want.has(p));
      const revoke = current.filter((p) => !want.has(p));
      const keptSet = new Set(kept);
      const toAssign: number[] = [];
      for (const p of want) {
        if (keptSet.has(p)) continue;
        const epoch = this.partitionEpoch(t, p);
        const ownedByMeRevoking = (member.pendingRevocation.get(t)?.includes(p) ?? false);
        if (epoch !== -1 && !ownedByMeRevoking) hasUnreleased = true;
        else toAssign.push(p);
      }
      if (kept.length > 0) assigned.set(t, kept.sort((a, b) => a - b));
      if (revoke.length > 0) pendingRevocation.set(t, revoke.sort((a, b) => a - b));
      if (toAssign.length > 0) pendingAssignment.set(t, toAssign.sort((a, b) => a - b));
    }
    const next = member.copyAs(member.memberId);
    next.sessionTimer = member.sessionTimer;
    next.rebalanceTimer = member.rebalanceTimer;
    if (pendingRevocation.size > 0 && ownsAny(owned, pendingRevocation)) {
      next.state = MemberState.UNREVOKED_PARTITIONS;
      next.assigned = assigned;
      next.pendingRevocation = pendingRevocation;
      setEpoch(next, memberEpoch);
      next.assignmentEpochs = keepEpochs(member.assignmentEpochs, [assigned, pendingRevocation], new Map(), next.memberEpoch);
      return next;
    }
    for (const [t, ps] of pendingAssignment) assigned.set(t, [...(assigned.get(t) ?? []), ...ps].sort((a, b) => a - b));
    next.state = hasUnreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE;
    next.assigned = assigned;
    next.pendingRevocation = new Map();
    setEpoch(next, this.assignmentEpoch);
    next.assignmentEpochs = keepEpochs(member.assignmentEpochs, [assigned], pendingAssignment, next.memberEpoch);
    return next;
  }
}

/** Assignment epochs of the partitions the member holds next: kept ones keep theirs, new ones get `epoch`. */
function keepEpochs(before: ReadonlyMap<string, number>, holds: readonly Assignment[], added: Assignment, epoch: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of holds) {
    for (const [t, ps] of a) {
      for (const p of ps) {
        const k = `${t}:${p}`;
        const isNew = added.get(t)?.includes(p) ?? false;
        out.set(k, !isNew && before.has(k) ? before.get(k)! : epoch);
      }
    }
  }
  return out;
}

function setEpoch(m: ConsumerGroupMember, epoch: number): void {
  if (m.memberEpoch !== epoch) {
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = epoch;
  }
}

/** Kafka's ownsRevokedPartitions: without owned partitions in the heartbeat, assume it still owns them. */
function ownsAny(owned: readonly { topicId: string; partitions: readonly number[] }[] | null, a: Assignment): boolean {
  if (owned === null) return true;
  for (const tp of owned) {
    const ps = a.get(tp.topicId);
    if (ps && tp.partitions.some((p) => ps.includes(p))) return true;
  }
  return false;
}

export function cloneAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, ps]) => [t, [...ps]]));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const ka = [...a].filter(([, ps]) => ps.length > 0);
  const kb = [...b].filter(([, ps]) => ps.length > 0);
  if (ka.length !== kb.length) return false;
  for (const [t, ps] of ka) {
    const other = b.get(t);
    if (!other || other.length !== ps.length || ps.some((p, i) => other[i] !== p)) return false;
  }
  return true;
}

/** Is every owned partition part of the assignment (Kafka's isSubset, for a member retrying with its previous epoch)? */
export function ownedIsSubset(owned: readonly { topicId: string; partitions: readonly number[] }[] | null, a: Assignment): boolean {
  if (owned === null) return true;
  return owned.every((tp) => tp.partitions.every((p) => a.get(tp.topicId)?.includes(p) ?? false));
}

/**
 * KIP-848's regular expressions are RE2/J's (protocol/re2j-pattern.ts, shared with
 * ListTransactions' pattern): the pattern must match the whole topic name (Kafka's
 * Matcher.matches()). Returns null for one RE2/J refuses (lookaround, backreferences) or that
 * is not valid.
 */
export function compileTopicRegex(regex: string): RegExp | null {
  try {
    return compileRe2jPattern(regex);
  } catch (err) {
    if (err instanceof InvalidPatternError) return null;
    throw err;
  }
}

/** The metadata hash of a signature: 48 bits of its SHA-256 (a safe integer for the int64 field). */
export function metadataHashOf(signature: string): number {
  return createHash('sha256').update(signature).digest().readUIntBE(0, 6);
}
