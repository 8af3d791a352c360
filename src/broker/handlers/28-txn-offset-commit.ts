// TxnOffsetCommit: v0-4 (KIP-98; the versions Kafka 4.0's TxnOffsetCommitRequest.json lists.
//   Kafka 4.x also serves v5, the transaction-version-2 form with an implicit
//   AddOffsetsToTxn (KIP-890 part 2); this wave serves transaction version 1, whose clients
//   use v4 at most.)
// v0-1: transactionalId, groupId, producerId/epoch and the offsets.
// v2+: committedLeaderEpoch (KIP-320).
// v3+: generationId, memberId, groupInstanceId (KIP-447): a producer that names them must be
//   the group's current member (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID for a stale static
//   instance) of the current generation (ILLEGAL_GENERATION); -1/''/null commit from outside
//   the group, as every v0-2 request does. v3+: flexible.
// v4: the client may be answered TRANSACTION_ABORTABLE (KIP-890); nothing here returns it.
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
// Not implemented: authorization (TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
// GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED): there is no ACL yet.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { knownPartitions, PartitionErrors } from './offset-commit-partitions.js';

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const { services } = ctx;
    const errors = new PartitionErrors();
    const known = knownPartitions(services, request.topics, v >= 2, errors);
    if (known.length > 0) {
      const results = await services.groups.commitTransactionalOffsets({
        transactionalId: request.transactionalId,
        groupId: request.groupId,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        generationId: v >= 3 ? request.generationIdOrMemberEpoch : -1,
        memberId: v >= 3 ? request.memberId : '',
        groupInstanceId: v >= 3 ? request.groupInstanceId : null,
        topics: known,
      });
      for (const r of results) {
        const errorCode = v < 2 && r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.COORDINATOR_NOT_AVAILABLE : r.errorCode;
        errors.set(r.topic, r.partition, errorCode);
      }
    }
    return { topics: errors.answer(request.topics) };
  },
});
