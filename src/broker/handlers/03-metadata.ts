// Metadata: v0-12
// v0: an empty topic list means all topics. v1+: null means all topics, empty means none;
//   controllerId and isInternal. v2+: clusterId. v4+: allowAutoTopicCreation (older versions
//   always allow it). v7+: leaderEpoch. v8-10: authorized operations when asked (topics:
//   what the principal may do on each; cluster: only with DESCRIBE on it, else 0, as Kafka). v10+: topic ids; a topic may be asked for by id (v12 allows a
//   null name). Auto-creation follows auto.create.topics.enable; internal topics never are.
// An invalid name (the empty one too, in every version) gets INVALID_TOPIC_EXCEPTION for that
// topic; an unknown id UNKNOWN_TOPIC_ID, with a null name only where v12+ allows it.
// Authorization (KafkaApis.handleTopicMetadataRequest): all topics means the ones the principal
// may DESCRIBE; a named topic it may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED whether it
// exists or not (no existence leak); auto-creation needs CREATE on the cluster or the topic
// (TOPIC_AUTHORIZATION_FAILED otherwise).
// Brokers are listed with their endpoint on the listener the request came in on, as Kafka does.
// In a cluster: every live broker (/brokers/ids), the controller, and each partition's leader,
// epoch and ISR as the controller wrote them; a partition whose leader is not live (or that has
// none yet) answers LEADER_NOT_AVAILABLE with leader -1, and its dead replicas as offline.
import { ApiKey } from '../../protocol/generated/index.js';
import type { MetadataResponseTopicInput } from '../../protocol/generated/metadata-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { invalidTopicNameReason, isInternalTopic } from '../../cluster/topic-name.js';
import type { TopicMetadata } from '../../cluster/metadata-store.js';
import { brokersOnListener } from '../../cluster/cluster-view.js';
import type { BrokerServices } from '../../services/broker-services.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, ResourceType, authorize, authorizeCluster, authorizedOperations, clusterAuthorizedOperations } from './authorize.js';

export function describeTopic(ctx: RequestContext, t: TopicMetadata, includeOperations: boolean): MetadataResponseTopicInput {
  const services: BrokerServices = ctx.services;
  const live = new Set(services.cluster.liveBrokers().map((b) => b.id));
  return {
    // A topic seen before its partitions (a clustered broker learns them from ZooKeeper a
    // moment later) is not ready: clients retry LEADER_NOT_AVAILABLE, never a topic of none.
    errorCode: t.partitions.length === 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: isInternalTopic(t.name),
    partitions: t.partitions.map((a) => {
      const state = services.cluster.partitionLeadership(t.name, a.partition, () => {
        const p = services.topics.partition(t.name, a.partition);
        return p ? { leader: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isr } : null;
      });
      const leader = state ? state.leader : -1;
      return {
        errorCode: leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
        partitionIndex: a.partition,
        leaderId: leader,
        leaderEpoch: state ? state.leaderEpoch : -1,
        replicaNodes: [...a.replicas],
        isrNodes: state ? [...state.isr] : [],
        offlineReplicas: a.replicas.filter((r) => !live.has(r)),
      };
    }),
    topicAuthorizedOperations: includeOperations ? authorizedOperations(ctx, ResourceType.TOPIC, t.name) : OPERATIONS_NOT_REQUESTED,
  };
}

export const metadataHandler = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx) {
    const { services, apiVersion } = ctx;
    const includeOps = request.includeTopicAuthorizedOperations;
    const allowAutoCreate = apiVersion < 4 || request.allowAutoTopicCreation;
    const allTopics = request.topics === null || (apiVersion === 0 && request.topics.length === 0);
    const topics: MetadataResponseTopicInput[] = [];
    if (allTopics) {
      for (const t of services.topics.listTopics()) if (authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name, false)) topics.push(describeTopic(ctx, t, includeOps));
    } else {
      for (const wanted of request.topics ?? []) {
        // By id: a null name (v10+), or an empty one with an id. An empty name without an id is
        // a name, and an invalid one (below); before v10 there are no ids.
        if (wanted.name === null || (wanted.name === '' && wanted.topicId !== ZERO_UUID)) {
          const byId = wanted.topicId !== ZERO_UUID ? services.topics.getTopicById(wanted.topicId) : undefined;
          // The response's name is nullable from v12 on only; v10-11 (where Kafka refuses ids) get ''.
          if (byId && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, byId.name)) topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: apiVersion >= 12 ? null : '', topicId: wanted.topicId });
          else topics.push(byId ? describeTopic(ctx, byId, includeOps) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: apiVersion >= 12 ? null : '', topicId: wanted.topicId });
          continue;
        }
        const name = wanted.name;
        if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
          topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: isInternalTopic(name) });
          continue;
        }
        const existing = services.topics.getTopic(name);
        if (existing) {
          topics.push(describeTopic(ctx, existing, includeOps));
          continue;
        }
        if (invalidTopicNameReason(name)) {
          topics.push({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, isInternal: false });
          continue;
        }
        if (allowAutoCreate && services.config.values['auto.create.topics.enable'] && !isInternalTopic(name)) {
          if (!authorizeCluster(ctx, AclOperation.CREATE, false) && !authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, name)) {
            topics.push({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: false });
            continue;
          }
          const created = await services.topics.autoCreate(name);
          if (created.topic) topics.push(describeTopic(ctx, created.topic, includeOps));
          else topics.push({ errorCode: created.errorCode, name });
          continue;
        }
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name });
      }
    }
    return {
      brokers: brokersOnListener(services.cluster, ctx.connection.listener.name).map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack })),
      clusterId: services.clusterId,
      controllerId: services.cluster.controllerId(),
      topics,
      clusterAuthorizedOperations: !request.includeClusterAuthorizedOperations ? OPERATIONS_NOT_REQUESTED : authorizeCluster(ctx, AclOperation.DESCRIBE, false) ? clusterAuthorizedOperations(ctx) : 0,
    };
  },
});
