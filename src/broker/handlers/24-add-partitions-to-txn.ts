// AddPartitionsToTxn: v0-5
// v0-3 (from a transactional producer): one transaction; the partitions join it
//   (TransactionCoordinator.addPartitionsToTransaction). If any partition's topic or partition
//   does not exist, nothing is added: those answer UNKNOWN_TOPIC_OR_PARTITION and the others
//   OPERATION_NOT_ATTEMPTED, as Kafka's KafkaApis. Otherwise every partition gets the
//   coordinator's answer: NONE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
//   CONCURRENT_TRANSACTIONS (a transition or markers in flight), NOT_COORDINATOR,
//   COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE.
// v1: no change. v2+: PRODUCER_FENCED as is; before v2 it is INVALID_PRODUCER_EPOCH (KIP-588).
// v3+: flexible.
// v4+ (KIP-890 part 1, from partition leaders): batched transactions, a top-level errorCode
//   and per-transaction results; verifyOnly asks whether the partitions are in the ongoing
//   transaction (TRANSACTION_ABORTABLE for one that is not) without adding them.
// v5: TRANSACTION_ABORTABLE may be answered (no change to the request).
// v4+ without verifyOnly comes from a partition leader adding a partition for a client of
//   transaction version 2 (KIP-890 part 2, TransactionVerifier): the add is of version 2.
// Authorization (KafkaApis.handleAddPartitionsToTxnRequest): v4+ (brokers) needs CLUSTER_ACTION
// on the cluster (CLUSTER_AUTHORIZATION_FAILED); each transaction WRITE on its transactionalId
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for all its partitions) and on each topic
// (TOPIC_AUTHORIZATION_FAILED, the other partitions OPERATION_NOT_ATTEMPTED).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { TopicPartitionKey } from '../../txn/transaction-metadata.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeCluster } from './authorize.js';

interface TopicResult {
  name: string;
  resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[];
}

function toResults(errors: readonly { partition: TopicPartitionKey; errorCode: number }[]): TopicResult[] {
  const byTopic = new Map<string, TopicResult>();
  for (const { partition, errorCode } of errors) {
    let t = byTopic.get(partition.topic);
    if (!t) byTopic.set(partition.topic, (t = { name: partition.topic, resultsByPartition: [] }));
    t.resultsByPartition.push({ partitionIndex: partition.partition, partitionErrorCode: errorCode });
  }
  return [...byTopic.values()];
}

async function addPartitions(
  ctx: RequestContext,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  topics: readonly { name: string; partitions: readonly number[] }[],
  verifyOnly: boolean,
): Promise<TopicResult[]> {
  const partitions: TopicPartitionKey[] = [];
  const seen = new Set<string>();
  for (const t of topics) {
    for (const partition of t.partitions) {
      const key = `${t.name}\u0000${partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      partitions.push({ topic: t.name, partition });
    }
  }
  if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
    return toResults(partitions.map((partition) => ({ partition, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })));
  }
  const deniedTopics = new Set(topics.filter((t) => !authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, t.name)).map((t) => t.name));
  if (deniedTopics.size > 0) {
    return toResults(partitions.map((partition) => ({ partition, errorCode: deniedTopics.has(partition.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED })));
  }
  const coordinator = ctx.services.transactions;
  if (verifyOnly) return toResults(coordinator.verifyPartitionsInTransaction(transactionalId, producerId, producerEpoch, partitions));
  // Kafka's metadataCache.contains: the topic's metadata, not a local replica.
  const missing = partitions.filter((p) => !ctx.services.topics.getTopic(p.topic)?.partitions.some((a) => a.partition === p.partition));
  if (missing.length > 0) {
    const missingKeys = new Set(missing.map((p) => `${p.topic}\u0000${p.partition}`));
    return toResults(partitions.map((p) => ({ partition: p, errorCode: missingKeys.has(`${p.topic}\u0000${p.partition}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED })));
  }
  let errorCode: number;
  try {
    errorCode = await coordinator.addPartitionsToTransaction(transactionalId, producerId, producerEpoch, partitions, ctx.apiVersion >= 4 ? 2 : 1);
  } catch (err) {
    ctx.services.logger.error({ err, transactionalId }, 'AddPartitionsToTxn failed in the transaction coordinator');
    errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
  }
  if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
  return toResults(partitions.map((partition) => ({ partition, errorCode })));
}

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    if (ctx.apiVersion < 4) {
      const results = await addPartitions(ctx, request.v3AndBelowTransactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch, request.v3AndBelowTopics, false);
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: results };
    }
    if (!authorizeCluster(ctx, AclOperation.CLUSTER_ACTION)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
    const resultsByTransaction = await Promise.all(
      request.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: await addPartitions(ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly),
      })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
  },
});
