// Produce: v0-12
// v0-2 are advertised because librdkafka turns compression off against brokers without them,
//   but their message sets (magic 0/1) are refused per partition with
//   UNSUPPORTED_FOR_MESSAGE_FORMAT by the log's batch check: only v2 record batches are stored.
// v3+: record batches (magic 2) and transactionalId; exactly one batch per partition, as
//   Kafka's ProduceRequest.validateRecords demands (INVALID_RECORD otherwise, nothing stored).
// v3-6: a zstd batch (codec 4) gets UNSUPPORTED_COMPRESSION_TYPE, as Kafka's
//   ProduceRequest.validateRecords answers (zstd arrived with v7, KIP-110).
// The records inside each batch are validated by the log on append (crates/storage
//   log_validator, Kafka's LogValidator): CORRUPT_MESSAGE, INVALID_RECORD or INVALID_TIMESTAMP.
// v5+: logStartOffset in the response. v8+: per-record errors (none reported yet).
// v9+: flexible. v10+: nodeEndpoints for NOT_LEADER_OR_FOLLOWER (single node: never).
// v11: TRANSACTION_ABORTABLE may be answered (KIP-890). v12: transaction version 2 (KIP-890
//   part 2): with `transaction.version` 2, a transactional batch to a partition not yet in
//   the transaction adds it (the leader asks the coordinator). v13: topics named by topic id
//   (KIP-516); an id this broker does not know answers UNKNOWN_TOPIC_ID for its partitions.
// acks 0 (no response), 1 (after the leader's append) and -1 (after the ISR has it; with one
// replica that is the leader's append, subject to min.insync.replicas). Any other value:
// INVALID_REQUIRED_ACKS for every partition.
// Transactions (KIP-98, transaction version 1): a transactional batch (attributes bit 4) opens
//   or continues its producer's transaction on the partition; the partition's producer state
//   answers INVALID_TXN_STATE for a non-transactional batch while the producer's transaction
//   is open and INVALID_PRODUCER_EPOCH for an older epoch. Transactional batches without a
//   transactionalId fail the whole request with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as in
//   Kafka. KIP-890 (txn/transaction-verifier.ts): the first transactional batch of a producer's
//   transaction on a partition is verified with the coordinator first (version 1, when
//   transaction.partition.verification.enable) or added by it (version 2): a partition not in
//   the transaction answers INVALID_TXN_STATE (TRANSACTION_ABORTABLE from v11), a fenced epoch
//   INVALID_PRODUCER_EPOCH, a coordinator moving or busy NOT_ENOUGH_REPLICAS (retried).
// Authorization (KafkaApis.handleProduceRequest): transactional records need WRITE on the
//   transactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole request); each topic
//   needs WRITE (TOPIC_AUTHORIZATION_FAILED for its partitions, whether it exists or not). As in
//   Kafka 3.x/4.x (KIP-679), an idempotent producer's IDEMPOTENT_WRITE is checked at
//   InitProducerId, not here.
// Client batches are checked as Kafka's LogValidator does (partition/client-batch.ts): control
// batches and negative sequences of idempotent producers are INVALID_RECORD.
import { ApiKey } from '../../protocol/generated/index.js';
import type { TopicProduceResponseInput } from '../../protocol/generated/produce-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { isTransactionalBatch, isZstdBatch } from '../../partition/client-batch.js';
import { verifyTransactionalProduce } from '../../txn/transaction-verifier.js';
import { tpKey } from '../../txn/transaction-metadata.js';
import { defineHandler, NO_RESPONSE } from './handler.js';
import { nameTopicsById } from './topic-ids.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { BatchHeader, batchSize } from '../../records/batch-header.js';
import type { ConnectionInfo } from '../../server/types.js';

/**
 * Per connection: settles once the connection's latest Produce has queued its appends. Kafka
 * reads a connection's next request only after answering the previous one, so one producer's
 * batches reach a partition in the order sent; Tidelog handles a connection's requests side by
 * side, and a Produce waiting for the transaction coordinator (KIP-890 verification, the
 * implicit add of transaction version 2) must not let a later Produce of the same producer
 * append the next sequence first (OUT_OF_ORDER_SEQUENCE_NUMBER, fatal to the producer).
 */
const produceTurns = new WeakMap<ConnectionInfo, Promise<void>>();

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 13,
  async handle(request, ctx) {
    const { replicas } = ctx.services;
    const acks = request.acks;
    const unknownTopicIds = ctx.apiVersion >= 13 ? nameTopicsById(request.topicData, ctx.services.topics) : [];
    const topics = unknownTopicIds.length === 0 ? request.topicData : request.topicData.filter((t) => !unknownTopicIds.includes(t));
    const refuse = (errorCode: number, errorMessage: string | null): TopicProduceResponseInput[] =>
      topics.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
      }));
    let responses: TopicProduceResponseInput[];
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      responses = refuse(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid required acks ${acks}`);
    } else if (request.transactionalId === null && topics.some((t) => t.partitionData.some((p) => isTransactionalBatch(p.records)))) {
      // KafkaApis: transactional records need a transactionalId (to authorize); without one
      // the whole request fails.
      responses = refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional records require a transactionalId');
    } else if (
      ctx.services.authorizer !== null &&
      request.transactionalId !== null &&
      topics.some((t) => t.partitionData.some((p) => isTransactionalBatch(p.records))) &&
      !authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)
    ) {
      responses = refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null);
    } else {
      // This connection's appends go to the partitions in request order (see produceTurns):
      // verify, wait for the previous Produce to have queued its appends, queue ours (the
      // appendToPartition calls below queue synchronously), then let the next one go.
      const previous = produceTurns.get(ctx.connection);
      let done!: () => void;
      produceTurns.set(ctx.connection, new Promise<void>((resolve) => (done = resolve)));
      let appended: Promise<TopicProduceResponseInput[]>;
      try {
        const verification = await verifyTransactionalProduce(ctx.services, request.transactionalId, ctx.apiVersion, topics);
        if (previous !== undefined) await previous;
        appended = Promise.all(
          topics.map(async (t) => ({
            name: t.name,
            topicId: t.topicId,
            partitionResponses: !authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, t.name)
              ? t.partitionData.map((p) => ({ index: p.index, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }))
              : await Promise.all(
              t.partitionData.map(async (p) => {
                if (ctx.apiVersion >= 3 && holdsMoreThanOneBatch(p.records)) {
                  const errorMessage = `Produce requests with version ${ctx.apiVersion} are only allowed to contain exactly one record batch per partition`;
                  return { index: p.index, errorCode: ErrorCode.INVALID_RECORD, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
                }
                if (ctx.apiVersion < 7 && isZstdBatch(p.records)) {
                  const errorMessage = `Produce requests with version ${ctx.apiVersion} are not allowed to use ZStandard compression`;
                  return { index: p.index, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
                }
                const key = tpKey({ topic: t.name, partition: p.index });
                const refusedCode = verification.refused.get(key);
                if (refusedCode !== undefined) return { index: p.index, errorCode: refusedCode, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
                return { index: p.index, ...(await replicas.appendToPartition(t.name, p.index, p.records, acks, false, request.timeoutMs, ctx, verification.guards.get(key))) };
              }),
            ),
          })),
        );
      } finally {
        done();
      }
      responses = await appended;
    }
    if (acks === 0) return NO_RESPONSE;
    if (unknownTopicIds.length === 0) return { responses };
    // In the request's order, which the metrics rely on.
    const answered = new Map(topics.map((t, i) => [t, responses[i]!]));
    return {
      responses: request.topicData.map(
        (t) =>
          answered.get(t) ?? {
            topicId: t.topicId,
            partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
          },
      ),
    };
  },
});

/** Whether `records` goes on past its first batch. Damage inside a batch is the log's to report. */
function holdsMoreThanOneBatch(records: Buffer | null): boolean {
  return records !== null && records.length >= BatchHeader.LOG_OVERHEAD && batchSize(records) < records.length;
}
