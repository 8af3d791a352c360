// CreateTopics: v0-7
// v1+: validateOnly. v4+: numPartitions/replicationFactor of -1 take num.partitions and
// default.replication.factor. v5+: flexible; the result carries numPartitions,
// replicationFactor and the topic's configs (topicConfigErrorCode). v7+: topicId.
// Each topic succeeds or fails on its own (TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION,
// INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, INVALID_REQUEST for a
// topic named twice); a failed topic leaves nothing behind.
import { ApiKey } from '../../protocol/generated/index.js';
import type { CreatableTopicResultInput } from '../../protocol/generated/create-topics-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { describeTopicConfig } from '../../config/topic-config.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

export const createTopicsHandler = defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, ctx) {
    const { services } = ctx;
    // CREATE on the cluster, or on each topic (TOPIC_AUTHORIZATION_FAILED); the configs in the
    // answer need DESCRIBE_CONFIGS on the topic (KafkaApis.handleCreateTopicsRequest).
    const clusterCreate = authorizeCluster(ctx, AclOperation.CREATE, false);
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    // Each topic's synchronous checks run in request order; with ZooKeeper the writes then overlap.
    const topics = await Promise.all(request.topics.map(async (t): Promise<CreatableTopicResultInput> => {
      const failed = (errorCode: number, errorMessage: string | null): CreatableTopicResultInput => ({
        name: t.name,
        topicId: ZERO_UUID,
        errorCode,
        errorMessage,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
      if (!clusterCreate && !authorize(ctx, AclOperation.CREATE, ResourceType.TOPIC, t.name)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
      if (counts.get(t.name)! > 1) return failed(ErrorCode.INVALID_REQUEST, `Create topics request from client contains multiple entries for the following topics: ${t.name}`);
      const configs: Record<string, string> = {};
      for (const c of t.configs) {
        if (c.value === null) return failed(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
        configs[c.name] = c.value;
      }
      const manualAssignment = t.assignments.map((a) => ({ partition: a.partitionIndex, replicas: a.brokerIds }));
      const result = await services.topics.createTopic(t.name, t.numPartitions, t.replicationFactor, configs, { validateOnly: request.validateOnly, manualAssignment });
      if (!result.topic) return failed(result.errorCode, result.errorMessage);
      const created = result.topic;
      const describable = authorize(ctx, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name, false);
      return {
        topicConfigErrorCode: describable ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        name: t.name,
        topicId: request.validateOnly ? ZERO_UUID : created.topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: created.partitions.length,
        replicationFactor: created.partitions[0]?.replicas.length ?? 1,
        configs: !describable ? null : describeTopicConfig(services.config, created.configs, services.dynamicConfig).map((e) => ({ name: e.name, value: e.value, readOnly: e.readOnly, configSource: e.source, isSensitive: e.sensitive })),
      };
    }));
    return { topics };
  },
});
