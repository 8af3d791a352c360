// GroupMember: one member of a classic consumer group (Kafka's ConsumerCoordinator, reduced):
// JoinGroup (with KIP-394's member id round trip), SyncGroup (the leader assigns partitions
// with the range assignor: each topic's partitions split in order over the sorted member
// ids), a heartbeat timer that notices rebalances, offset commits with the member's
// generation, and LeaveGroup on close. The caller polls `rebalanceNeeded` between fetches and
// calls join() again when it is set.
import { ApiKey } from '../protocol/generated/index.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, decodeAssignment, decodeSubscriptionTopics, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.js';
import { KafkaClientError, sleep, type BrokerConnection, type KafkaClient } from './kafka-client.js';

export const RANGE_ASSIGNOR = 'range';

export interface GroupMemberOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
}

/** Kafka's RangeAssignor: per topic, partitions in order, the first members get one more. */
export function rangeAssign(members: readonly { memberId: string; topics: readonly string[] }[], partitionsOf: (topic: string) => number): Map<string, TopicPartitions[]> {
  const out = new Map<string, TopicPartitions[]>(members.map((m) => [m.memberId, []]));
  const topics = new Set(members.flatMap((m) => m.topics));
  for (const topic of [...topics].sort()) {
    const consumers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const n = partitionsOf(topic);
    const per = Math.floor(n / consumers.length);
    const extra = n % consumers.length;
    let next = 0;
    consumers.forEach((memberId, i) => {
      const count = per + (i < extra ? 1 : 0);
      const partitions = Array.from({ length: count }, (_, k) => next + k);
      next += count;
      if (partitions.length > 0) out.get(memberId)!.push({ topic, partitions });
    });
  }
  return out;
}

export class GroupMember {
  memberId = '';
  generationId = -1;
  assignment: TopicPartitions[] = [];
  /** Set by the heartbeat when the group rebalances; join() again. */
  rebalanceNeeded = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private coordinator: BrokerConnection | null = null;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;

  constructor(
    private readonly client: KafkaClient,
    private readonly options: GroupMemberOptions,
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.rebalanceTimeoutMs = options.rebalanceTimeoutMs ?? 30_000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
  }

  get groupId(): string {
    return this.options.groupId;
  }

  /** Joins (or rejoins) the group and returns this member's assignment. */
  async join(): Promise<TopicPartitions[]> {
    this.stopHeartbeat();
    this.rebalanceNeeded = false;
    for (let attempt = 0; ; attempt++) {
      const conn = (this.coordinator = await this.client.coordinator(this.groupId));
      const v = conn.version(ApiKey.JoinGroup, 4, 9, 'JoinGroup');
      const joined = await conn.send(
        ApiKey.JoinGroup,
        v,
        {
          groupId: this.groupId,
          sessionTimeoutMs: this.sessionTimeoutMs,
          rebalanceTimeoutMs: this.rebalanceTimeoutMs,
          memberId: this.memberId,
          groupInstanceId: null,
          protocolType: CONSUMER_PROTOCOL_TYPE,
          protocols: [{ name: RANGE_ASSIGNOR, metadata: encodeSubscription(this.options.topics) }],
          reason: null,
        },
        this.rebalanceTimeoutMs,
      );
      if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (joined.errorCode !== ErrorCode.NONE) {
        if ((joined.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || joined.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || joined.errorCode === ErrorCode.NOT_COORDINATOR || joined.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) && attempt < 10) {
          await sleep(200);
          continue;
        }
        throw new KafkaClientError(`JoinGroup for group '${this.groupId}': ${errorName(joined.errorCode)}`, joined.errorCode);
      }
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (joined.leader === joined.memberId) {
        const members = joined.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscriptionTopics(m.metadata) ?? [] }));
        const counts = new Map<string, number>();
        for (const topic of new Set(members.flatMap((m) => m.topics))) {
          const t = await this.client.topic(topic, { refresh: true }).catch(() => null);
          counts.set(topic, t ? t.partitions.length : 0);
        }
        const assigned = rangeAssign(members, (t) => counts.get(t) ?? 0);
        assignments = [...assigned].map(([memberId, tps]) => ({ memberId, assignment: encodeAssignment(tps) }));
      }
      const sv = conn.version(ApiKey.SyncGroup, 3, 5, 'SyncGroup');
      const synced = await conn.send(
        ApiKey.SyncGroup,
        sv,
        { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: RANGE_ASSIGNOR, assignments },
        this.rebalanceTimeoutMs,
      );
      if (synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || synced.errorCode === ErrorCode.ILLEGAL_GENERATION) continue;
      if (synced.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (synced.errorCode !== ErrorCode.NONE) throw new KafkaClientError(`SyncGroup for group '${this.groupId}': ${errorName(synced.errorCode)}`, synced.errorCode);
      this.assignment = decodeAssignment(synced.assignment) ?? [];
      this.startHeartbeat();
      return this.assignment;
    }
  }

  private startHeartbeat(): void {
    const beat = async () => {
      const conn = this.coordinator;
      if (!conn || conn.closed) return;
      try {
        const v = conn.version(ApiKey.Heartbeat, 0, 4, 'Heartbeat');
        const r = await conn.send(ApiKey.Heartbeat, v, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null });
        if (r.errorCode !== ErrorCode.NONE) this.rebalanceNeeded = true;
      } catch {
        this.rebalanceNeeded = true;
      }
    };
    this.heartbeatTimer = setInterval(() => void beat(), this.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Committed offsets of the assigned partitions (-1 where none). */
  async committed(): Promise<Map<string, Map<number, number>>> {
    return this.client.fetchOffsets(this.groupId, this.assignment.map((a) => ({ topic: a.topic, partitions: a.partitions })));
  }

  /** Commits with this member's generation; a rebalance meanwhile answers an error (rejoin). */
  async commit(offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<number> {
    if (offsets.length === 0) return ErrorCode.NONE;
    const results = await this.client.commitOffsets(this.groupId, offsets, { generationId: this.generationId, memberId: this.memberId });
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) this.rebalanceNeeded = true;
    return failed?.errorCode ?? ErrorCode.NONE;
  }

  /** Leaves the group (the others rebalance at once instead of after a session timeout). */
  async leave(): Promise<void> {
    this.stopHeartbeat();
    const conn = this.coordinator;
    if (!conn || conn.closed || this.memberId === '') return;
    try {
      const v = conn.version(ApiKey.LeaveGroup, 0, 5, 'LeaveGroup');
      await conn.send(ApiKey.LeaveGroup, v, v >= 3 ? { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'the consumer is closing' }] } : { groupId: this.groupId, memberId: this.memberId });
    } catch {
      // The session timeout removes the member anyway.
    }
    this.memberId = '';
  }
}
