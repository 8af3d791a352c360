// Fetch: v4-17
// v4+: isolationLevel: read_committed (1) reads up to the last stable offset (below it every
//   transaction is decided) and gets the aborted transactions (producer id, first offset) of
//   the range read, from the segments' txn indexes, so the consumer drops their records;
//   read_uncommitted reads up to the high watermark, abortedTransactions null. Every answer
//   carries lastStableOffset. v5+: logStartOffset. v7+: fetch sessions (KIP-227,
//   partition/fetch-sessions.ts): a full fetch with epoch 0 opens a session, an incremental
//   one names only changed partitions (and forgotten ones) and is answered with only the
//   partitions that have something new; FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH
//   and FETCH_SESSION_TOPIC_ID_ERROR as Kafka answers them. v9+:
//   currentLeaderEpoch is checked (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). v11+: rackId
//   (no follower fetching: preferredReadReplica is always -1). v12+: flexible. v13+: topic ids
//   instead of names (UNKNOWN_TOPIC_ID). v15+: the replica id moves into replicaState.
// MaxWaitMs/MinBytes long-poll: the fetch parks on its partitions and wakes when one grows.
// MaxBytes (capped by fetch.max.bytes) and partitionMaxBytes bound the response; KIP-74: the
// first batch of the first non-empty partition is returned whole even when larger.
// Record bytes never enter JS: each partition's records are a file range sent with sendfile.
// Authorization (KafkaApis.handleFetchRequest): a follower (replicaId >= 0) needs CLUSTER_ACTION
// on the cluster, a consumer READ on each topic; refused partitions answer
// TOPIC_AUTHORIZATION_FAILED and are never read. One check per topic, none without an authorizer.
// A follower's fetch is subject to the leader side of the replication throttle (KIP-73,
// KafkaApis/ReplicaManager.shouldLeaderThrottle): a partition whose
// leader.replication.throttled.replicas names this broker's replica, read for a follower out of
// the ISR, gets no records while the leader quota (leader.replication.throttled.rate) is used up;
// the bytes sent for such partitions are recorded against it once the response is built.
import { ApiKey } from '../../protocol/generated/index.js';
import type { FetchableTopicResponseInput, PartitionDataInput } from '../../protocol/generated/fetch-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { SessionPartitionRequest } from '../../partition/fetch-sessions.js';
import type { FetchPartitionResult, LeaderThrottle } from '../../partition/replica-manager.js';
import type { Partition } from '../../partition/partition.js';
import { isThrottledReplica, LEADER_THROTTLED_RATE, UNLIMITED_BYTES_PER_SEC } from '../../cluster/replication-throttle.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

const READ_COMMITTED = 1;
const NO_RECORDS = Buffer.alloc(0);

function refused(): FetchPartitionResult {
  return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: NO_RECORDS };
}

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(request, ctx) {
    const { services, apiVersion } = ctx;
    const replicaId = apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
    const isolation = replicaId >= 0 ? 'replica' : request.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted';
    const usesTopicIds = apiVersion >= 13;
    const nameOf = (topic: string, topicId: string): string | null => (usesTopicIds ? (services.topics.getTopicById(topicId)?.name ?? null) : topic);

    // Resolve names (v13+ sends topic ids); a partition of an unknown topic id is answered
    // UNKNOWN_TOPIC_ID and kept out of the session.
    const partitions: SessionPartitionRequest[] = [];
    const unknownIds: { topicId: string; partition: number }[] = [];
    for (const t of request.topics) {
      const name = nameOf(t.topic, t.topicId);
      for (const p of t.partitions) {
        if (name === null) unknownIds.push({ topicId: t.topicId, partition: p.partition });
        else partitions.push({ topic: name, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: apiVersion >= 9 ? p.currentLeaderEpoch : -1 });
      }
    }
    const forgotten: { topic: string; partition: number }[] = [];
    for (const f of apiVersion >= 7 ? request.forgottenTopicsData : []) {
      const name = nameOf(f.topic, f.topicId);
      if (name !== null) for (const partition of f.partitions) forgotten.push({ topic: name, partition });
    }
    const context = services.fetchSessions.newContext({
      // Fetch < v7 has no sessions: every request is a sessionless full fetch.
      sessionId: apiVersion >= 7 ? request.sessionId : 0,
      sessionEpoch: apiVersion >= 7 ? request.sessionEpoch : -1,
      privileged: replicaId >= 0,
      usesTopicIds,
      partitions,
      forgotten,
    });
    if ('errorCode' in context) return { errorCode: context.errorCode, sessionId: 0, responses: [] };

    // Authorization (KafkaApis.handleFetchRequest), over every partition the fetch reads (an
    // incremental fetch reads its session's): a follower needs CLUSTER_ACTION on the cluster,
    // a consumer READ on each topic, checked once per topic; refused partitions are not read
    // and answer TOPIC_AUTHORIZATION_FAILED.
    const followerAllowed = replicaId < 0 || authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
    const readable = new Map<string, boolean>();
    const mayRead = (topic: string): boolean => {
      let ok = readable.get(topic);
      if (ok === undefined) readable.set(topic, (ok = followerAllowed && (replicaId >= 0 || authorize(ctx, AclOperation.READ, ResourceType.TOPIC, topic))));
      return ok;
    };
    const allowed = context.reads.filter((r) => mayRead(r.topic));
    const quota = services.cluster.throttles.leaderQuota;
    const throttledFor = (p: Partition, follower: number): boolean => !p.isr.includes(follower) && isThrottledReplica(p.config.leaderThrottledReplicas, p.index, services.brokerId);
    // Nothing to check or record on the replication path while no leader rate is set (the default).
    const leaderThrottle: LeaderThrottle | undefined =
      replicaId >= 0 && services.cluster.throttles.rate(LEADER_THROTTLED_RATE) < UNLIMITED_BYTES_PER_SEC ? { shouldThrottle: (p, follower) => quota.isExceeded(Date.now()) && throttledFor(p, follower) } : undefined;
    const fetched = await services.replicas.fetch(allowed, {
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: Math.min(request.maxBytes, services.config.values['fetch.max.bytes']),
      isolation,
      minOneMessage: true,
      replicaId,
      ...(leaderThrottle ? { leaderThrottle } : {}),
    }, ctx);
    if (leaderThrottle) {
      // KafkaApis.sizeOfThrottledPartitions: what this response sends of throttled partitions.
      let throttledBytes = 0;
      allowed.forEach((read, i) => {
        const size = fetched[i]!.records?.byteLength ?? 0;
        if (size === 0) return;
        const p = services.topics.partition(read.topic, read.partition);
        if (p && throttledFor(p, replicaId)) throttledBytes += size;
      });
      if (throttledBytes > 0) quota.record(throttledBytes, Date.now());
    }
    let next = 0;
    const results = allowed.length === context.reads.length ? fetched : context.reads.map((r) => (mayRead(r.topic) ? fetched[next++]! : refused()));
    const { sessionId, include } = context.answer(results);

    // The response groups partitions by topic, in the order they were read.
    const byTopic = new Map<string, FetchableTopicResponseInput & { partitions: PartitionDataInput[] }>();
    const topicEntry = (topic: string, topicId: string) => {
      const key = usesTopicIds ? topicId : topic;
      let entry = byTopic.get(key);
      if (!entry) byTopic.set(key, (entry = { topic, topicId, partitions: [] }));
      return entry;
    };
    context.reads.forEach((read, i) => {
      if (!include[i]) return;
      const r = results[i]!;
      topicEntry(read.topic, read.topicId).partitions.push({
        partitionIndex: read.partition,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        logStartOffset: r.logStartOffset,
        abortedTransactions: isolation === 'read_committed' ? (r.abortedTransactions ?? []) : null,
        preferredReadReplica: -1,
        records: r.records,
      });
    });
    for (const u of unknownIds) {
      topicEntry('', u.topicId).partitions.push({ partitionIndex: u.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null });
    }
    return { errorCode: ErrorCode.NONE, sessionId, responses: [...byTopic.values()] };
  },
});
