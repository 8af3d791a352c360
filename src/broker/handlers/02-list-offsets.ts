// ListOffsets: v1-10
// v1+: one offset per partition for a timestamp: -2 earliest (log start offset), -1 latest
//   (high watermark), or the first offset whose batch has a timestamp >= the one asked (time
//   index), found only below the latest offset.
// v2+: isolationLevel: read_committed (1) makes the latest offset the last stable offset, and
//   bounds the timestamp lookups by it, as Kafka's Partition.fetchOffsetForTimestamp. v4+: currentLeaderEpoch checked, leaderEpoch returned. v6+: flexible.
// v7+: -3 max timestamp (KIP-734). v8+: -4 earliest local (= earliest: no tiered storage).
// v9+: -5 earliest pending upload: nothing is ever uploaded, so offset -1. v10+: timeoutMs.
// v0 (several old-style offsets) is deprecated and not served.
// Authorization: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions
// (KafkaApis.handleListOffsetRequest), before the topic is looked up.
import { ApiKey } from '../../protocol/generated/index.js';
import type { ListOffsetsPartitionResponseInput } from '../../protocol/generated/list-offsets-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const EARLIEST_PENDING_UPLOAD = -5;
const READ_COMMITTED = 1;

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  handle(request, ctx) {
    const { services, apiVersion } = ctx;
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        // DESCRIBE on the topic, as Kafka's handleListOffsetRequest; before looking it up.
        partitions: !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)
          ? t.partitions.map((req) => ({ partitionIndex: req.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, timestamp: -1, offset: -1, leaderEpoch: -1 }))
          : t.partitions.map((req): ListOffsetsPartitionResponseInput => {
          const none = { partitionIndex: req.partitionIndex, timestamp: -1, offset: -1, leaderEpoch: -1 };
          // Offsets come from the leader (a follower's high watermark lags behind it).
          const { partition: p, errorCode } = services.topics.leaderReplica(t.name, req.partitionIndex, apiVersion >= 4 ? req.currentLeaderEpoch : -1);
          if (!p) return { ...none, errorCode };
          // leaderEpoch exists from v4 on; older versions must not be sent one.
          const found = (offset: number, timestamp: number) => ({ partitionIndex: req.partitionIndex, errorCode: ErrorCode.NONE, timestamp, offset, leaderEpoch: apiVersion >= 4 ? p.leaderEpoch : -1 });
          // Kafka's lastFetchableOffset: what a consumer of this isolation level may read.
          const lastFetchable = apiVersion >= 2 && request.isolationLevel === READ_COMMITTED ? p.lastStableOffset : p.highWatermark;
          switch (req.timestamp) {
            case LATEST:
              return found(lastFetchable, -1);
            case EARLIEST:
            case EARLIEST_LOCAL:
              return found(p.logStartOffset, -1);
            case EARLIEST_PENDING_UPLOAD:
              return { ...none, errorCode: ErrorCode.NONE };
            case MAX_TIMESTAMP: {
              const max = p.maxTimestampAndOffset();
              return max && max.offset < lastFetchable ? found(max.offset, max.timestamp) : { ...none, errorCode: ErrorCode.NONE };
            }
            default: {
              if (req.timestamp < 0) return { ...none, errorCode: ErrorCode.INVALID_REQUEST };
              const hit = p.offsetForTimestamp(req.timestamp);
              return hit && hit.offset < lastFetchable ? found(hit.offset, hit.timestamp) : { ...none, errorCode: ErrorCode.NONE };
            }
          }
        }),
      })),
    };
  },
});
