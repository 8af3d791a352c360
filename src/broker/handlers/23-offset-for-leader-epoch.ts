// OffsetForLeaderEpoch: v0-4
// For each partition, the end offset of the requested leader epoch (KIP-101/279): the start
// offset of the next higher epoch, or the log end offset for the current one; UNDEFINED
// (-1/-1) below the earliest epoch. Clients use it to detect log truncation after a leader
// change; followers to truncate before fetching. v1+: the epoch found is returned. v2+:
// currentLeaderEpoch is checked (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). v3+: replicaId
// (a consumer sends -1: answers are bounded by the high watermark... Kafka answers consumers
// from the leader's cache as well). v4+: flexible.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const { services, apiVersion } = ctx;
    // CLUSTER_ACTION on the cluster (replicas), else DESCRIBE on each topic (consumers, KIP-320);
    // refused topics answer TOPIC_AUTHORIZATION_FAILED (KafkaApis.handleOffsetForLeaderEpochRequest).
    const replica = authorizeCluster(ctx, AclOperation.CLUSTER_ACTION, false);
    return {
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: !replica && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic)
          ? t.partitions.map((req) => ({ partition: req.partition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, leaderEpoch: -1, endOffset: -1 }))
          : t.partitions.map((req) => {
          const undefinedEpoch = { partition: req.partition, leaderEpoch: -1, endOffset: -1 };
          // Only the leader's cache is authoritative (followers truncate by it).
          const { partition: p, errorCode } = services.topics.leaderReplica(t.topic, req.partition, apiVersion >= 2 ? req.currentLeaderEpoch : -1);
          if (!p) return { ...undefinedEpoch, errorCode };
          const found = p.endOffsetForEpoch(req.leaderEpoch);
          return { partition: req.partition, errorCode: ErrorCode.NONE, leaderEpoch: found.leaderEpoch, endOffset: found.endOffset };
        }),
      })),
    };
  },
});
