// DescribeProducers: v0 (KIP-664: what kafka-transactions.sh describe-producers shows)
// v0: flexible. For each partition asked for, the producers its local replica knows: producer
//   id and epoch, last sequence, last timestamp, the coordinator epoch of its last marker and
//   the first offset of its open transaction (-1: none). Any replica answers (the admin
//   client asks the leader unless told a broker id, as Kafka's Partition.activeProducerState).
// Errors per partition as Kafka's: UNKNOWN_TOPIC_OR_PARTITION (no such partition in the
// cluster), NOT_LEADER_OR_FOLLOWER (no replica here). Not implemented: TOPIC_AUTHORIZATION_FAILED
// (no authorizer yet).
import { ApiKey } from '../../protocol/generated/index.js';
import type { PartitionResponseInput } from '../../protocol/generated/describe-producers-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const describeProducersHandler = defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const { topics } = ctx.services;
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        // READ on the topic (KafkaApis.handleDescribeProducersRequest), before its existence is told.
        partitions: !authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name)
          ? t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] }))
          : t.partitionIndexes.map((partitionIndex): PartitionResponseInput => {
          const exists = topics.getTopic(t.name)?.partitions.some((a) => a.partition === partitionIndex) ?? false;
          if (!exists) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
          const p = topics.partition(t.name, partitionIndex);
          if (!p || p.isClosed) return { partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null, activeProducers: [] };
          return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: p.activeProducers() };
        }),
      })),
    };
  },
});
