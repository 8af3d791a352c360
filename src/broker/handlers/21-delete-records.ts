// DeleteRecords: v0-2
// Moves a partition's log start offset up to `offset` (-1 means the high watermark), deleting
// whole segments below it; the answer's lowWatermark is the new log start offset. An offset
// above the high watermark gets OFFSET_OUT_OF_RANGE. v2+: flexible.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

const HIGH_WATERMARK = -1;

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const { services } = ctx;
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((req) => {
          // The leader raises the log start offset; followers take it from its fetch responses.
          const { partition: p, errorCode } = services.topics.leaderReplica(t.name, req.partitionIndex);
          if (!p) return { partitionIndex: req.partitionIndex, lowWatermark: -1, errorCode };
          const offset = req.offset === HIGH_WATERMARK ? p.highWatermark : req.offset;
          if (offset < 0 || offset > p.highWatermark) return { partitionIndex: req.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          try {
            if (offset > p.logStartOffset) {
              p.deleteRecordsBefore(offset);
              services.logs.checkpointRecoveryPoints();
            }
            return { partitionIndex: req.partitionIndex, lowWatermark: p.logStartOffset, errorCode: ErrorCode.NONE };
          } catch (err) {
            services.logger.error({ err, topic: t.name, partition: req.partitionIndex }, 'delete records failed');
            return { partitionIndex: req.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          }
        }),
      })),
    };
  },
});
