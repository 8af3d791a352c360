// AddOffsetsToTxn: v0-4
// The group's __consumer_offsets partition (GroupCoordinator.partitionFor) joins the
// transaction, so that TxnOffsetCommit may write there and EndTxn writes its marker there
// (TransactionCoordinator.addOffsetsToTransaction). Errors as AddPartitionsToTxn's.
// v1: no change. v2+: PRODUCER_FENCED as is; before v2 it is INVALID_PRODUCER_EPOCH (KIP-588).
// v3+: flexible. v4: TRANSACTION_ABORTABLE may be answered (KIP-890).
// Authorization (KafkaApis.handleAddOffsetsToTxnRequest): WRITE on the transactionalId
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (GROUP_AUTHORIZATION_FAILED).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    let errorCode: number;
    try {
      errorCode = await ctx.services.transactions.addOffsetsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.groupId);
    } catch (err) {
      ctx.services.logger.error({ err, transactionalId: request.transactionalId }, 'AddOffsetsToTxn failed in the transaction coordinator');
      errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
});
