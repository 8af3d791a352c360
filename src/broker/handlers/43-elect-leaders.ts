// ElectLeaders: v0-2 (KIP-183 preferred replica election; KIP-460 unclean election)
// v0: preferred election only. v1+: electionType (0 preferred, 1 unclean) and a top-level
// errorCode. v2+: flexible.
// topicPartitions null means every partition; then, as Kafka, partitions that needed no
// election (ELECTION_NOT_NEEDED) are left out of the results.
// Where it runs: on the controller only; any other broker answers NOT_CONTROLLER for each
// partition, as Kafka's ZooKeeper-mode controller does when it is not active. Kafka's Java
// admin client sends ElectLeaders to the controller (Metadata's controllerId), so it works
// unchanged. Why not /admin/preferred_replica_election: that znode carries neither the
// election type nor results, so the broker asking would have to guess each outcome from the
// state znodes. The controller answers once the new states are in ZooKeeper (brokers learn
// them through their watches); past timeoutMs the partitions get REQUEST_TIMED_OUT while the
// election goes on.
// Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION (topic being
// deleted), ELECTION_NOT_NEEDED (preferred: the preferred replica leads; unclean: a live leader
// exists), PREFERRED_LEADER_NOT_AVAILABLE (preferred replica not live or not in the ISR),
// ELIGIBLE_LEADERS_NOT_AVAILABLE (unclean: no live replica), INVALID_REQUEST (unknown
// election type). On a single node (no zookeeper.connect) this broker leads every partition of
// its own: every known partition is ELECTION_NOT_NEEDED.
// ALTER on the cluster (KafkaApis.handleElectLeaders): CLUSTER_AUTHORIZATION_FAILED for the
// request and every partition otherwise.
import { ApiKey } from '../../protocol/generated/index.js';
import type { ReplicaElectionResultInput } from '../../protocol/generated/elect-leaders-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ElectionResult, TopicPartitionRef } from '../../cluster/controller.js';
import type { BrokerServices } from '../../services/broker-services.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

/** ElectionType values (Kafka's org.apache.kafka.common.ElectionType). */
const PREFERRED = 0;
const UNCLEAN = 1;

function allPartitions(services: BrokerServices): TopicPartitionRef[] {
  return services.topics.listTopics().flatMap((t) => t.partitions.map((a) => ({ topic: t.name, partition: a.partition })));
}

function byTopic(results: readonly ElectionResult[]): ReplicaElectionResultInput[] {
  const topics = new Map<string, ElectionResult[]>();
  for (const r of results) {
    const list = topics.get(r.topic) ?? [];
    list.push(r);
    topics.set(r.topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitionResult: list.map((r) => ({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage })) }));
}

export const electLeadersHandler = defineHandler({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const { services } = ctx;
    const requested: TopicPartitionRef[] | null = request.topicPartitions === null ? null : request.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const each = (errorCode: number, errorMessage: string | null = null) => (requested ?? allPartitions(services)).map((p): ElectionResult => ({ ...p, errorCode, errorMessage }));
    if (!authorizeCluster(ctx, AclOperation.ALTER)) {
      // v0 has no top-level error: each partition carries it.
      return { errorCode: ctx.apiVersion >= 1 ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : ErrorCode.NONE, replicaElectionResults: byTopic(each(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.')) };
    }
    if (request.electionType !== PREFERRED && request.electionType !== UNCLEAN) {
      return { errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: byTopic(each(ErrorCode.INVALID_REQUEST, `Unknown election type ${request.electionType}`)) };
    }
    const known = {
      all: () => allPartitions(services),
      exists: (p: TopicPartitionRef) => services.topics.getTopic(p.topic)?.partitions.some((a) => a.partition === p.partition) ?? false,
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, request.timeoutMs))));
    try {
      const results = await Promise.race([services.cluster.electLeaders(request.electionType, requested, known), timedOut]);
      if (results === 'timeout') return { errorCode: ErrorCode.NONE, replicaElectionResults: byTopic(each(ErrorCode.REQUEST_TIMED_OUT)) };
      if (results === 'not-controller') return { errorCode: ErrorCode.NONE, replicaElectionResults: byTopic(each(ErrorCode.NOT_CONTROLLER)) };
      return { errorCode: ErrorCode.NONE, replicaElectionResults: byTopic(results) };
    } finally {
      clearTimeout(timer);
    }
  },
});
