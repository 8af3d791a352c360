// DeleteRecords: v0-2
// Moves a partition's log start offset up to `offset` (-1 means the high watermark), deleting
// whole segments below it; the answer's lowWatermark is the new log start offset. An offset
// above the high watermark gets OFFSET_OUT_OF_RANGE; an internal topic (__consumer_offsets)
// INVALID_TOPIC_EXCEPTION, as Kafka. v2+: flexible. The work is TopicService.deleteRecords.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const { services } = ctx;
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        // DELETE on the topic (KafkaApis.handleDeleteRecordsRequest).
        partitions: !authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name)
          ? t.partitions.map((req) => ({ partitionIndex: req.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }))
          : t.partitions.map((req) => {
          const { errorCode, lowWatermark } = services.topics.deleteRecords(t.name, req.partitionIndex, req.offset);
          return { partitionIndex: req.partitionIndex, lowWatermark, errorCode };
        }),
      })),
    };
  },
});
