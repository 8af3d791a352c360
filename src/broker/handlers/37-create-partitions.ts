// CreatePartitions: v0-3
// Grows a topic to `count` partitions (INVALID_PARTITIONS when not larger). Manual assignments
// must name this broker. v1 same as v0; v2+: flexible; v3 same as v2. validateOnly honoured.
// Internal topics keep their partition count: INVALID_REQUEST (topic-name.ts's rule, applied
// by TopicService.createPartitions).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const createPartitionsHandler = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const { services } = ctx;
    const results = await Promise.all(request.topics.map(async (t) => {
      // ALTER on the topic (KafkaApis.handleCreatePartitionsRequest).
      if (!authorize(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name)) return { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
      const badBroker = (t.assignments ?? []).flatMap((a) => a.brokerIds).find((id) => !services.cluster.liveBrokers().some((b) => b.id === id));
      if (badBroker !== undefined) return { name: t.name, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Unknown broker id ${badBroker} in the assignment` };
      const r = await services.topics.createPartitions(t.name, t.count, request.validateOnly);
      return { name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage };
    }));
    return { results };
  },
});
