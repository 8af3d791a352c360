// Fetch: v4-17
// v4+: isolationLevel: read_committed (1) reads up to the last stable offset (below it every
//   transaction is decided) and gets the aborted transactions (producer id, first offset) of
//   the range read, from the segments' txn indexes, so the consumer drops their records;
//   read_uncommitted reads up to the high watermark, abortedTransactions null. Every answer
//   carries lastStableOffset. v5+: logStartOffset. v7+: fetch sessions (KIP-227): no session is ever
//   created (the response's sessionId is 0, which tells the client to keep sending full
//   fetches); a request naming a session id gets FETCH_SESSION_ID_NOT_FOUND. v9+:
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
import { ApiKey } from '../../protocol/generated/index.js';
import type { FetchableTopicResponseInput, PartitionDataInput } from '../../protocol/generated/fetch-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { FetchPartitionRequest } from '../../partition/replica-manager.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

const READ_COMMITTED = 1;

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(request, ctx) {
    const { services, apiVersion } = ctx;
    if (request.sessionId !== 0) {
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const replicaId = apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
    const isolation = replicaId >= 0 ? 'replica' : request.isolationLevel === READ_COMMITTED ? 'read_committed' : 'read_uncommitted';

    // Authorization (KafkaApis.handleFetchRequest): a follower needs CLUSTER_ACTION on the
    // cluster, a consumer READ on each topic; refused partitions get TOPIC_AUTHORIZATION_FAILED.
    const followerAllowed = replicaId < 0 || authorizeCluster(ctx, AclOperation.CLUSTER_ACTION);
    // Resolve names (v13+ sends topic ids) and collect the partitions to read, in request order.
    const reads: FetchPartitionRequest[] = [];
    const layout: { topic: string; topicId: string; partitions: { index: number; read: number; errorCode: number }[] }[] = [];
    for (const t of request.topics) {
      const name = apiVersion >= 13 ? (services.topics.getTopicById(t.topicId)?.name ?? null) : t.topic;
      const entry = { topic: t.topic, topicId: t.topicId, partitions: [] as { index: number; read: number; errorCode: number }[] };
      // Once per topic, not per partition.
      const readable = followerAllowed && (replicaId >= 0 || name === null || authorize(ctx, AclOperation.READ, ResourceType.TOPIC, name));
      for (const p of t.partitions) {
        if (name === null) {
          entry.partitions.push({ index: p.partition, read: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
          continue;
        }
        if (!readable) {
          entry.partitions.push({ index: p.partition, read: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
          continue;
        }
        entry.partitions.push({ index: p.partition, read: reads.length, errorCode: ErrorCode.NONE });
        reads.push({ topic: name, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: apiVersion >= 9 ? p.currentLeaderEpoch : -1 });
      }
      layout.push(entry);
    }

    const results = await services.replicas.fetch(reads, {
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: Math.min(request.maxBytes, services.config.values['fetch.max.bytes']),
      isolation,
      minOneMessage: true,
      replicaId,
    }, ctx);

    const responses: FetchableTopicResponseInput[] = layout.map((t) => ({
      topic: t.topic,
      topicId: t.topicId,
      partitions: t.partitions.map((p): PartitionDataInput => {
        if (p.read < 0) return { partitionIndex: p.index, errorCode: p.errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: null };
        const r = results[p.read]!;
        return {
          partitionIndex: p.index,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          abortedTransactions: isolation === 'read_committed' ? (r.abortedTransactions ?? []) : null,
          preferredReadReplica: -1,
          records: r.records,
        };
      }),
    }));
    return { errorCode: ErrorCode.NONE, sessionId: 0, responses };
  },
});
