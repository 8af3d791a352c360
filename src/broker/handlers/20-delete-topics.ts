// DeleteTopics: v0-6
// v0-5: topics by name (topicNames). v4+: flexible. v5+: errorMessage. v6+: topics by name or
// id (UNKNOWN_TOPIC_ID for an unknown id). delete.topic.enable=false gives
// TOPIC_DELETION_DISABLED. Internal topics (__consumer_offsets) cannot be deleted: INVALID_REQUEST
// (the rule is topic-name.ts's internalTopicRefusal, applied by TopicService.deleteTopic).
import { ApiKey } from '../../protocol/generated/index.js';
import type { DeletableTopicResultInput } from '../../protocol/generated/delete-topics-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const deleteTopicsHandler = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const { services, apiVersion } = ctx;
    const wanted = apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = await Promise.all(wanted.map(async (w): Promise<DeletableTopicResultInput> => {
      // DELETE on the topic (KafkaApis.handleDeleteTopicsRequest); by name before its existence is told.
      const byName = w.name !== null && w.name !== '';
      const denied = (name: string | null): DeletableTopicResultInput => ({ name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
      if (byName && !authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, w.name!)) return denied(w.name);
      const topic = byName ? services.topics.getTopic(w.name!) : services.topics.getTopicById(w.topicId);
      if (topic && !byName && !authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, topic.name)) return denied(null);
      if (!topic) {
        const byId = w.name === null || w.name === '';
        return { name: w.name, topicId: w.topicId, errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: byId ? `Topic id ${w.topicId} does not exist` : 'This server does not host this topic-partition.' };
      }
      const result = await services.deleteTopic(topic.name);
      return { name: topic.name, topicId: topic.topicId, errorCode: result.errorCode, errorMessage: result.errorMessage };
    }));
    return { responses };
  },
});
