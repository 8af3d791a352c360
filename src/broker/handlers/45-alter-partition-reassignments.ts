// AlterPartitionReassignments: v0 (KIP-455; flexible from v0)
// Starts (replicas) or cancels (null) the reassignment of each partition. Answered by the
// controller once the first step is in ZooKeeper (RS = TRS + ORS in the topic znode, leader
// epoch bumped), not when the data has moved: ListPartitionReassignments and the topic's
// metadata show the progress. Any other broker answers NOT_CONTROLLER at the top level, as
// Kafka's ZooKeeper-mode broker does; Kafka's admin client sends it to the controller.
// Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (no such partition, or the topic is being
// deleted), INVALID_REPLICA_ASSIGNMENT (empty, duplicate or unregistered broker),
// NO_REASSIGNMENT_IN_PROGRESS (cancel without one). Past timeoutMs: REQUEST_TIMED_OUT at the
// top level while the controller goes on. The steps and why: src/cluster/reassignment.ts.
// ALTER on the cluster (KafkaApis.handleAlterPartitionReassignmentsRequest), else
// CLUSTER_AUTHORIZATION_FAILED for the request.
import { ApiKey } from '../../protocol/generated/index.js';
import type { ReassignableTopicResponseInput } from '../../protocol/generated/alter-partition-reassignments-response.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { ReassignmentRequest, ReassignmentResult, TopicPartitionRef } from '../../cluster/controller.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

function byTopic(results: readonly ReassignmentResult[]): ReassignableTopicResponseInput[] {
  const topics = new Map<string, ReassignmentResult[]>();
  for (const r of results) topics.set(r.topic, [...(topics.get(r.topic) ?? []), r]);
  return [...topics].map(([name, list]) => ({ name, partitions: list.map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage })) }));
}

export const alterPartitionReassignmentsHandler = defineHandler({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const { services } = ctx;
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: errorMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), responses: [] };
    const requests: ReassignmentRequest[] = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
    const known = {
      all: (): TopicPartitionRef[] => services.topics.listTopics().flatMap((t) => t.partitions.map((a) => ({ topic: t.name, partition: a.partition }))),
      exists: (p: TopicPartitionRef) => services.topics.getTopic(p.topic)?.partitions.some((a) => a.partition === p.partition) ?? false,
    };
    const topLevel = (code: number) => ({ errorCode: code, errorMessage: errorMessage(code), responses: [] });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, request.timeoutMs))));
    try {
      const results = await Promise.race([services.cluster.alterPartitionReassignments(requests, known), timedOut]);
      if (results === 'timeout') return topLevel(ErrorCode.REQUEST_TIMED_OUT);
      if (results === 'not-controller') return topLevel(ErrorCode.NOT_CONTROLLER);
      return { errorCode: ErrorCode.NONE, errorMessage: null, responses: byTopic(results) };
    } finally {
      clearTimeout(timer);
    }
  },
});
