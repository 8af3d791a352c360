// GroupMetadata (after Kafka's GroupMetadata.scala): one classic group: its state, generation,
// protocol type and selected protocol, leader, members (with the static group.instance.id →
// member.id map of KIP-345 and the pending member ids of KIP-394), and the group's committed
// offsets. Not thread-safe: the coordinator changes it on the JS thread only.
//
// Offsets come in three kinds (Kafka's GroupMetadata and OffsetMetadataManager):
//   committed       topic → partition → the offset OffsetFetch answers, with the log offset of
//                   the record that wrote it (recordOffset), so that a later record wins;
//   in flight       OffsetCommit appends not yet acknowledged (pendingOffsetCommits);
//   transactional   producerId → topic → partition → offsets a TxnOffsetCommit wrote inside a
//                   transaction (pendingTxnOffsetCommits): invisible to OffsetFetch until the
//                   transaction's COMMIT marker materializes them; an ABORT drops them. When a
//                   COMMIT comes, an offset committed by a later record outside the transaction
//                   is kept (the most recent record wins, whatever its kind).
//
// States and their transitions (Kafka's GroupState.validPreviousStates):
//   Empty               ← PreparingRebalance     (no members; offsets may remain)
//   PreparingRebalance  ← Empty, CompletingRebalance, Stable
//   CompletingRebalance ← PreparingRebalance     (waiting for the leader's assignment)
//   Stable              ← CompletingRebalance
//   Dead                ← any                    (deleted or expired; final)
import type { ConsumerGroup } from './consumer-group.js';
import { dataCodecs } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { Reader } from '../protocol/primitives/index.js';
import type { CommittedOffset } from './offsets-records.js';
import { MemberMetadata, type JoinGroupResult, type Protocol, type SyncGroupResult } from './member-metadata.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Empty', 'CompletingRebalance', 'Stable'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** An offset commit written to the log but not yet acknowledged by the append. */
type PendingToken = symbol;

/** A committed offset and the log offset of the record that wrote it (-1 when unknown). */
export interface StoredOffset extends CommittedOffset {
  readonly recordOffset: number;
}

/** A transactional offset commit waiting for its transaction's marker; recordOffset -1 until its append succeeded. */
export interface PendingTxnOffset {
  readonly value: CommittedOffset;
  recordOffset: number;
}

export class GroupMetadata {
  private stateValue: GroupState;
  /** When the group entered its current state (ms); offsets of an Empty group expire from here. */
  currentStateTimestampMs: number | null;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  /** Set when a member joins during the initial delayed join, so the delay is extended. */
  newMemberAdded = false;

  readonly members = new Map<string, MemberMetadata>();
  /** KIP-345: group.instance.id → current member.id. */
  private readonly staticMembers = new Map<string, string>();
  /** KIP-394: member ids handed out with MEMBER_ID_REQUIRED, not yet joined; value = expiry timer. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Members of the current generation that have not sent SyncGroup yet (Kafka's DelayedSync). */
  readonly pendingSyncMembers = new Set<string>();
  private numMembersAwaitingJoin = 0;
  /** Protocol name → how many members support it. */
  private readonly supportedProtocols = new Map<string, number>();

  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, StoredOffset>>();
  /** topic → partition → commits in flight (Kafka's pendingOffsetCommits). */
  private readonly pendingOffsetCommits = new Map<string, Map<number, Set<PendingToken>>>();
  /** producerId → topic → partition → transactional offsets awaiting their marker (Kafka's pendingTransactionalOffsetCommits). */
  private readonly pendingTxnOffsetCommits = new Map<number, Map<string, Map<number, PendingTxnOffset>>>();
  /** Topics the members subscribe to, when the group uses the consumer protocol and they could be read. */
  subscribedTopics: Set<string> | null = null;

  /**
   * Set when the group uses the consumer group protocol (KIP-848, consumer-group.ts): the
   * classic fields stay unused (state Empty) and this holds members, epochs and assignments.
   */
  consumer: ConsumerGroup | null = null;

  /** The rebalance in progress (Kafka's DelayedJoin / InitialDelayedJoin); the coordinator owns it. */
  joinTimer: NodeJS.Timeout | null = null;
  /** True while the pending join is the initial delayed join, which only completes on its timer. */
  joinIsInitialDelay = false;
  /** Expiry of members that do not send SyncGroup in time (Kafka's DelayedSync). */
  syncTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    private readonly now: () => number,
  ) {
    this.stateValue = initialState;
    this.currentStateTimestampMs = now();
  }

  get state(): GroupState {
    return this.stateValue;
  }

  is(state: GroupState): boolean {
    return this.stateValue === state;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** Empty as far as deletion and expiration go: no classic members, no consumer-protocol members. */
  get hasNoMembers(): boolean {
    return this.is('Empty') && (this.consumer === null || this.consumer.members.size === 0);
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.stateValue);
  }

  transitionTo(target: GroupState): void {
    if (!VALID_PREVIOUS_STATES[target].includes(this.stateValue)) {
      throw new Error(`group ${this.groupId} should be in one of ${VALID_PREVIOUS_STATES[target].join(',')} before moving to ${target}; it is ${this.stateValue}`);
    }
    this.stateValue = target;
    this.currentStateTimestampMs = this.now();
  }

  /**
   * An online migration (KIP-848) replaces the group object in Kafka; here the same object
   * (which holds the offsets) drops its classic members and starts over in `state`. The
   * members' timers and parked requests are the coordinator's to settle first.
   */
  resetForMigration(state: 'Empty' | 'Stable', generationId: number, protocolType: string | null): void {
    for (const id of [...this.members.keys()]) this.remove(id);
    for (const t of this.pendingMembers.values()) clearTimeout(t);
    this.pendingMembers.clear();
    this.pendingSyncMembers.clear();
    this.generationId = generationId;
    this.protocolType = protocolType;
    this.protocolName = null;
    this.leaderId = null;
    this.subscribedTopics = null;
    this.newMemberAdded = false;
    this.stateValue = state;
    this.currentStateTimestampMs = this.now();
  }

  add(member: MemberMetadata, callback: ((r: JoinGroupResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) throw new Error(`static member ${member.groupInstanceId} is already a member of group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType) throw new Error(`member protocol type ${member.protocolType} differs from the group's ${this.protocolType}`);
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incSupportedProtocols(member);
    member.awaitingJoin = callback;
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    this.removePendingMemberId(member.memberId);
  }

  /** Removes a member (its timers are the coordinator's to clear). */
  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.decSupportedProtocols(member);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.removePendingMemberId(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  private removePendingMemberId(memberId: string): void {
    const timer = this.pendingMembers.get(memberId);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.pendingMembers.delete(memberId);
    }
  }

  /**
   * Keeps the leader if it rejoined; otherwise elects any member that did. False when no
   * member rejoined (or the group has no leader), and the join must wait longer.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const [id, m] of this.members) {
      if (m.isAwaitingJoin) {
        this.leaderId = id;
        return true;
      }
    }
    return false;
  }

  /**
   * KIP-345: a static member rejoining with an unknown member id takes a new member id; its
   * old id is fenced (a parked join or sync of the old id gets FENCED_INSTANCE_ID).
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`cannot replace non-existing member id ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.maybeInvokeSyncCallback(member, syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  get staticMemberCount(): number {
    return this.staticMembers.size;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for them. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /**
   * Whether a member may join: an Empty group takes any non-empty protocol type and list;
   * otherwise the type must match and one of its protocols must be supported by every member.
   */
  supportsProtocols(memberProtocolType: string, memberProtocols: ReadonlySet<string>): boolean {
    if (this.is('Empty')) return memberProtocolType !== '' && memberProtocols.size > 0;
    if (this.protocolType !== memberProtocolType) return false;
    for (const p of memberProtocols) if ((this.supportedProtocols.get(p) ?? 0) === this.members.size) return true;
    return false;
  }

  /**
   * Kafka's selectProtocol: the candidates are the protocols every member supports; each
   * member votes for its most preferred candidate; the most votes win. (Kafka breaks ties by
   * hash order; here the protocol that first reached the winning count wins, deterministically.)
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error('cannot select a protocol for an empty group');
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    let best: string | null = null;
    let bestVotes = 0;
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      const n = (votes.get(v) ?? 0) + 1;
      votes.set(v, n);
      if (n > bestVotes) {
        best = v;
        bestVotes = n;
      }
    }
    return best!;
  }

  /**
   * supportedProtocols counts members, so each member counts a protocol once: a JoinGroup may
   * name one twice, and counting both made the count exceed the member count, left no
   * candidate, and selectProtocol threw in the rebalance.
   */
  private static protocolNames(member: MemberMetadata): Set<string> {
    return new Set(member.supportedProtocols.map((p) => p.name));
  }

  private incSupportedProtocols(member: MemberMetadata): void {
    for (const name of GroupMetadata.protocolNames(member)) this.supportedProtocols.set(name, (this.supportedProtocols.get(name) ?? 0) + 1);
  }

  private decSupportedProtocols(member: MemberMetadata): void {
    for (const name of GroupMetadata.protocolNames(member)) {
      const n = (this.supportedProtocols.get(name) ?? 0) - 1;
      if (n <= 0) this.supportedProtocols.delete(name);
      else this.supportedProtocols.set(name, n);
    }
  }

  /** Replaces a member's protocols (and timeouts) and parks or clears its join callback. */
  updateMember(
    member: MemberMetadata,
    protocols: readonly Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: ((r: JoinGroupResult) => void) | null,
  ): void {
    this.decSupportedProtocols(member);
    member.supportedProtocols = protocols;
    this.incSupportedProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = callback;
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinGroupResult): void {
    const cb = member.awaitingJoin;
    if (cb) {
      member.awaitingJoin = null;
      this.numMembersAwaitingJoin--;
      cb(result);
    }
  }

  /** Answers a parked SyncGroup; true when there was one. */
  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (!cb) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** Every member's metadata for the selected protocol, for the leader's JoinGroup response. */
  currentMemberMetadata(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    if (this.is('Dead') || this.is('PreparingRebalance') || this.protocolName === null) {
      throw new Error(`cannot list member metadata of group ${this.groupId} in state ${this.stateValue}`);
    }
    const protocol = this.protocolName;
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  /**
   * The topics the members subscribe to, read from their ConsumerProtocolSubscription with
   * the v0 schema every version starts with (as Kafka does). Null when unknown: not a consumer
   * group, no protocol yet, or metadata that does not parse.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.readInt16(); // the subscription's own version
        for (const t of dataCodecs.ConsumerProtocolSubscription.decode(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic);
  }

  // ---------------------------------------------------------------- offsets

  offset(topic: string, partition: number): StoredOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  get numOffsets(): number {
    let n = 0;
    for (const m of this.offsets.values()) n += m.size;
    return n;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0 || this.pendingTxnOffsetCommits.size > 0;
  }

  /** An OffsetCommit of the partition is being appended. */
  hasPendingOffsetCommit(topic: string, partition: number): boolean {
    return this.pendingOffsetCommits.get(topic)?.has(partition) ?? false;
  }

  /** Some producer's open transaction holds an offset of the partition (OffsetFetch requireStable: UNSTABLE_OFFSET_COMMIT). */
  hasPendingTxnOffsetCommit(topic: string, partition: number): boolean {
    for (const byTopic of this.pendingTxnOffsetCommits.values()) if (byTopic.get(topic)?.has(partition)) return true;
    return false;
  }

  /** Sets the committed offset (loading: the latest record for a key wins). */
  putOffset(topic: string, partition: number, offset: CommittedOffset, recordOffset: number): void {
    let byPartition = this.offsets.get(topic);
    if (!byPartition) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, { ...offset, recordOffset });
  }

  deleteOffset(topic: string, partition: number): CommittedOffset | undefined {
    const byPartition = this.offsets.get(topic);
    const old = byPartition?.get(partition);
    if (byPartition) {
      byPartition.delete(partition);
      if (byPartition.size === 0) this.offsets.delete(topic);
    }
    return old;
  }

  /** Marks a commit in flight; returns its token for onOffsetCommitAppend / failPendingOffsetWrite. */
  prepareOffsetCommit(topic: string, partition: number): PendingToken {
    const token = Symbol('offset commit');
    let byPartition = this.pendingOffsetCommits.get(topic);
    if (!byPartition) this.pendingOffsetCommits.set(topic, (byPartition = new Map()));
    let tokens = byPartition.get(partition);
    if (!tokens) byPartition.set(partition, (tokens = new Set()));
    tokens.add(token);
    return token;
  }

  /**
   * A commit reached the log: it becomes the committed offset unless the offset was deleted
   * meanwhile (OffsetDelete, DeleteGroups, topic deletion), which drops its pending token.
   * Appends to one partition complete in order, so the latest commit is applied last.
   */
  onOffsetCommitAppend(topic: string, partition: number, token: PendingToken, offset: CommittedOffset, recordOffset: number): void {
    if (this.takePending(topic, partition, token)) this.putOffset(topic, partition, offset, recordOffset);
  }

  failPendingOffsetWrite(topic: string, partition: number, token: PendingToken): void {
    this.takePending(topic, partition, token);
  }

  private takePending(topic: string, partition: number, token: PendingToken): boolean {
    const byPartition = this.pendingOffsetCommits.get(topic);
    const tokens = byPartition?.get(partition);
    if (!byPartition || !tokens || !tokens.delete(token)) return false;
    if (tokens.size === 0) byPartition.delete(partition);
    if (byPartition.size === 0) this.pendingOffsetCommits.delete(topic);
    return true;
  }

  /**
   * Removes offsets, their in-flight commits and every producer's pending transactional offset
   * of them; returns those that had a committed or a transactional offset (each gets a
   * tombstone, which also drops the transactional ones on a reload: Kafka 4's replay).
   */
  removeOffsets(partitions: readonly { topic: string; partition: number }[]): { topic: string; partition: number }[] {
    const removed: { topic: string; partition: number }[] = [];
    for (const { topic, partition } of partitions) {
      const pending = this.pendingOffsetCommits.get(topic);
      if (pending) {
        pending.delete(partition);
        if (pending.size === 0) this.pendingOffsetCommits.delete(topic);
      }
      let hadTxnOffset = false;
      for (const [producerId, byTopic] of this.pendingTxnOffsetCommits) {
        const byPartition = byTopic.get(topic);
        if (!byPartition?.delete(partition)) continue;
        hadTxnOffset = true;
        if (byPartition.size === 0) byTopic.delete(topic);
        if (byTopic.size === 0) this.pendingTxnOffsetCommits.delete(producerId);
      }
      if (this.deleteOffset(topic, partition) || hadTxnOffset) removed.push({ topic, partition });
    }
    return removed;
  }

  /** Every partition with a committed offset or a pending transactional one. */
  allOffsetPartitions(): { topic: string; partition: number }[] {
    const out: { topic: string; partition: number }[] = [];
    for (const [topic, byPartition] of this.offsets) for (const partition of byPartition.keys()) out.push({ topic, partition });
    const seen = new Set<string>();
    for (const byTopic of this.pendingTxnOffsetCommits.values()) {
      for (const [topic, byPartition] of byTopic) {
        for (const partition of byPartition.keys()) {
          const key = `${topic}\u0000${partition}`;
          if (this.offsets.get(topic)?.has(partition) || seen.has(key)) continue;
          seen.add(key);
          out.push({ topic, partition });
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- transactional offsets

  /** Producers with pending transactional offsets in this group (Kafka's activeProducers). */
  get activeProducers(): number[] {
    return [...this.pendingTxnOffsetCommits.keys()];
  }

  hasPendingTxnOffsetsFrom(producerId: number): boolean {
    return this.pendingTxnOffsetCommits.has(producerId);
  }

  /** The pending transactional offset of a producer for a partition (tests and admin views). */
  pendingTxnOffset(producerId: number, topic: string, partition: number): PendingTxnOffset | undefined {
    return this.pendingTxnOffsetCommits.get(producerId)?.get(topic)?.get(partition);
  }

  /**
   * Kafka's prepareTxnOffsetCommit: a TxnOffsetCommit is about to be appended; its offsets
   * are the producer's pending ones from now on (a later commit of the same partition in the
   * same transaction replaces an earlier one). Returns the entries, for onTxnOffsetCommitAppend.
   */
  prepareTxnOffsetCommit(producerId: number, offsets: readonly { topic: string; partition: number; value: CommittedOffset }[]): PendingTxnOffset[] {
    let byTopic = this.pendingTxnOffsetCommits.get(producerId);
    if (!byTopic) this.pendingTxnOffsetCommits.set(producerId, (byTopic = new Map()));
    return offsets.map(({ topic, partition, value }) => {
      let byPartition = byTopic.get(topic);
      if (!byPartition) byTopic.set(topic, (byPartition = new Map()));
      const entry: PendingTxnOffset = { value, recordOffset: -1 };
      byPartition.set(partition, entry);
      return entry;
    });
  }

  /** The commit's record is in the log at recordOffset; unless a later commit replaced the entry (or it was removed) meanwhile. */
  onTxnOffsetCommitAppend(producerId: number, topic: string, partition: number, entry: PendingTxnOffset, recordOffset: number): void {
    if (this.pendingTxnOffset(producerId, topic, partition) === entry) entry.recordOffset = recordOffset;
  }

  /** Kafka's failPendingTxnOffsetCommit: the record was not written; the client retries (the entry goes unless replaced meanwhile). */
  failPendingTxnOffsetCommit(producerId: number, topic: string, partition: number, entry: PendingTxnOffset): void {
    if (this.pendingTxnOffset(producerId, topic, partition) !== entry) return;
    const byTopic = this.pendingTxnOffsetCommits.get(producerId)!;
    const byPartition = byTopic.get(topic)!;
    byPartition.delete(partition);
    if (byPartition.size === 0) byTopic.delete(topic);
    if (byTopic.size === 0) this.pendingTxnOffsetCommits.delete(producerId);
  }

  /** Loading: a transactional offset record read from the log, pending until its marker. */
  loadPendingTxnOffset(producerId: number, topic: string, partition: number, value: CommittedOffset, recordOffset: number): void {
    const [entry] = this.prepareTxnOffsetCommit(producerId, [{ topic, partition, value }]);
    entry!.recordOffset = recordOffset;
  }

  /**
   * Kafka's completePendingTxnOffsetCommit, after the producer's COMMIT or ABORT marker was
   * written: on COMMIT each pending offset becomes the committed one unless the partition has
   * one written by a later record; on ABORT they are dropped. Returns how many were
   * materialized and how many were skipped because their record had not been appended (the
   * marker cannot precede it; counted so that the caller can say so).
   */
  completePendingTxnOffsetCommit(producerId: number, commit: boolean): { materialized: number; unappended: number } {
    const byTopic = this.pendingTxnOffsetCommits.get(producerId);
    const outcome = { materialized: 0, unappended: 0 };
    if (!byTopic) return outcome;
    this.pendingTxnOffsetCommits.delete(producerId);
    if (!commit) return outcome;
    for (const [topic, byPartition] of byTopic) {
      for (const [partition, entry] of byPartition) {
        if (entry.recordOffset < 0) {
          outcome.unappended++;
          continue;
        }
        const current = this.offset(topic, partition);
        if (current === undefined || current.recordOffset < entry.recordOffset) {
          this.putOffset(topic, partition, entry.value, entry.recordOffset);
          outcome.materialized++;
        }
      }
    }
    return outcome;
  }

  /**
   * Kafka 2.1+ expiration (KIP-211): an Empty group's offsets expire retention after the group
   * became empty; a Stable consumer group's offsets of topics no member subscribes to expire
   * retention after their commit; a group without a protocol type (offsets only) expires each
   * offset retention after its commit. Offsets committed with an explicit retention time
   * (OffsetCommit v2-4) expire at their own expire timestamp. Commits in flight never expire.
   * Removes the expired offsets from the cache and returns them.
   */
  removeExpiredOffsets(nowMs: number, retentionMs: number): { topic: string; partition: number }[] {
    let base: ((o: CommittedOffset) => number) | null = null;
    let subscribed: ReadonlySet<string> = new Set();
    if (this.consumer !== null) {
      // Kafka's ConsumerGroup: offsets of topics the members subscribe to stay.
      base = (o) => o.commitTimestampMs;
      subscribed = this.consumer.subscribedTopicNames();
    } else if (this.protocolType !== null && this.is('Empty')) {
      const emptySince = this.currentStateTimestampMs;
      base = (o) => emptySince ?? o.commitTimestampMs;
    } else if (this.protocolType === CONSUMER_PROTOCOL_TYPE && this.subscribedTopics !== null && this.is('Stable')) {
      base = (o) => o.commitTimestampMs;
      subscribed = this.subscribedTopics;
    } else if (this.protocolType === null) {
      base = (o) => o.commitTimestampMs;
    }
    if (base === null) return [];
    const expired: { topic: string; partition: number }[] = [];
    for (const [topic, byPartition] of this.offsets) {
      if (subscribed.has(topic)) continue;
      for (const [partition, o] of byPartition) {
        if (this.hasPendingOffsetCommit(topic, partition)) continue;
        const isExpired = o.expireTimestampMs !== null ? nowMs >= o.expireTimestampMs : nowMs - base(o) >= retentionMs;
        if (isExpired) expired.push({ topic, partition });
      }
    }
    for (const { topic, partition } of expired) this.deleteOffset(topic, partition);
    return expired;
  }
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}
