// TxnOffsetCommit: v0-6 (KIP-98)
// v0-1: transactionalId, groupId, producerId/epoch and the offsets.
// v2+: committedLeaderEpoch (KIP-320).
// v3+: generationId, memberId, groupInstanceId (KIP-447): a producer that names them must be
//   the group's current member (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID for a stale static
//   instance) of the current generation (ILLEGAL_GENERATION); -1/''/null commit from outside
//   the group, as every v0-2 request does. v3+: flexible.
// v4: the client may be answered TRANSACTION_ABORTABLE (KIP-890); INVALID_TXN_STATE before v4.
// v5: transaction version 2 (KIP-890 part 2): with `transaction.version` 2 the group's offsets
//   partition is added to the transaction here (an implicit AddOffsetsToTxn).
// v6: topics named by id (KIP-1319); an id this broker does not know answers UNKNOWN_TOPIC_ID.
// KIP-890 verification (txn/transaction-verifier.ts, before anything is written): the group's
//   offsets partition must be in the producer's ongoing transaction at its epoch (version 1)
//   or is added to it (version 2): a fenced producer answers INVALID_PRODUCER_EPOCH, a partition
//   not in the transaction INVALID_TXN_STATE / TRANSACTION_ABORTABLE, a coordinator moving or
//   busy COORDINATOR_NOT_AVAILABLE. The offsets are appended under the guard taken before
//   verifying (Kafka's VerificationGuard): a transaction that ended in between refuses them.
// The offsets are written to the group's __consumer_offsets partition as a transactional
// batch of the producer and stay pending (OffsetFetch does not answer them; with
// requireStable it answers UNSTABLE_OFFSET_COMMIT) until the transaction's marker is written
// there. Group-level errors fill every partition: INVALID_GROUP_ID (an empty group id),
// COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS (COORDINATOR_NOT_AVAILABLE for
// v0-1, whose clients before Kafka 2.0 did not retry it, as KafkaApis answers), NOT_COORDINATOR;
// ILLEGAL_GENERATION for an unknown group with a generation. Per partition:
// UNKNOWN_TOPIC_OR_PARTITION (a topic or partition that does not exist),
// OFFSET_METADATA_TOO_LARGE, and the append's error (INVALID_PRODUCER_EPOCH for a fenced
// producer, from the partition's producer state).
// Authorization (KafkaApis.handleTxnOffsetCommitRequest): WRITE on the transactionalId
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (GROUP_AUTHORIZATION_FAILED), for
// every partition; READ on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { failAll, knownPartitions, PartitionErrors } from './offset-commit-partitions.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { verifyTxnOffsetCommit } from '../../txn/transaction-verifier.js';
import { nameTopicsById } from './topic-ids.js';
import type { VerificationGuard } from '../../partition/producer-state.js';

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const { services } = ctx;
    const errors = new PartitionErrors();
    const unknownTopicIds = v >= 6 ? nameTopicsById(request.topics, services.topics) : [];
    // Their names stay empty: every such partition shares the one answer UNKNOWN_TOPIC_ID.
    for (const t of unknownTopicIds) for (const p of t.partitions) errors.set(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_ID);
    const topics = unknownTopicIds.length === 0 ? request.topics : request.topics.filter((t) => !unknownTopicIds.includes(t));
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { topics: failAll(request.topics, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return { topics: failAll(request.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const known = knownPartitions(services, topics, v >= 2, errors, (topic) => authorize(ctx, AclOperation.READ, ResourceType.TOPIC, topic));
    let verified: { errorCode: number; guard?: VerificationGuard } = { errorCode: ErrorCode.NONE };
    if (known.length > 0) {
      const { transactionalId, groupId, producerId, producerEpoch } = request;
      verified = await verifyTxnOffsetCommit(services, { transactionalId, groupId, producerId, producerEpoch, apiVersion: v });
      if (verified.errorCode !== ErrorCode.NONE) for (const t of known) for (const p of t.partitions) errors.set(t.topic, p.partition, verified.errorCode);
    }
    if (known.length > 0 && verified.errorCode === ErrorCode.NONE) {
      const results = await services.groups.commitTransactionalOffsets({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: v >= 3 ? request.generationIdOrMemberEpoch : -1,
        memberId: v >= 3 ? request.memberId : '',
        groupInstanceId: v >= 3 ? request.groupInstanceId : null,
        topics: known,
        ...(verified.guard !== undefined ? { verificationGuard: verified.guard } : {}),
      });
      for (const r of results) {
        const errorCode = v < 2 && r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : r.errorCode;
        errors.set(r.topic, r.partition, errorCode);
      }
    }
    return { topics: errors.answer(request.topics) };
  },
});
