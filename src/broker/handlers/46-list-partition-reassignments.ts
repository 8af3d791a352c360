// ListPartitionReassignments: v0 (KIP-455; flexible from v0)
// The ongoing reassignments as the controller holds them (the topic znodes' adding_replicas
// and removing_replicas): per partition the full replica set RS, the replicas being added and
// those being removed. topics null: every ongoing one; named partitions without one (or that
// do not exist) are left out, as Kafka does. Any other broker answers NOT_CONTROLLER at the
// top level, as Kafka's ZooKeeper-mode broker does.
// DESCRIBE on the cluster (KafkaApis.handleListPartitionReassignmentsRequest), else
// CLUSTER_AUTHORIZATION_FAILED.
import { ApiKey } from '../../protocol/generated/index.js';
import type { OngoingTopicReassignmentInput } from '../../protocol/generated/list-partition-reassignments-response.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { OngoingReassignment, TopicPartitionRef } from '../../cluster/controller.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

function byTopic(list: readonly OngoingReassignment[]): OngoingTopicReassignmentInput[] {
  const topics = new Map<string, OngoingReassignment[]>();
  for (const r of list) topics.set(r.topic, [...(topics.get(r.topic) ?? []), r]);
  return [...topics].map(([name, ps]) => ({
    name,
    partitions: ps.map((r) => ({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.addingReplicas], removingReplicas: [...r.removingReplicas] })),
  }));
}

export const listPartitionReassignmentsHandler = defineHandler({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), topics: [] };
    const requested: TopicPartitionRef[] | null = request.topics === null ? null : request.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
    const list = await ctx.services.cluster.listPartitionReassignments(requested);
    if (list === 'not-controller') return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: errorMessage(ErrorCode.NOT_CONTROLLER), topics: [] };
    return { errorCode: ErrorCode.NONE, errorMessage: null, topics: byTopic(list) };
  },
});
