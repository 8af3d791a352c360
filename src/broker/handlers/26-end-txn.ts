// EndTxn: v0-4
// Commits or aborts the transaction (TransactionCoordinator.endTxn): answered once
// PrepareCommit/PrepareAbort is in __transaction_state; the markers and the Complete record
// follow in the background. A retry of a completed end answers NONE; EndTxn while the
// markers of the same end are being written answers CONCURRENT_TRANSACTIONS; the opposite end,
// or an end of an Empty transaction, INVALID_TXN_STATE.
// v1: no change. v2+: PRODUCER_FENCED as is; before v2 it is INVALID_PRODUCER_EPOCH (KIP-588).
// v3+: flexible. v4: TRANSACTION_ABORTABLE may be answered (KIP-890).
// Not served: v5 (transaction version 2, KIP-890 part 2, with the epoch bumped at every end):
// this broker does not advertise the transaction.version feature, so clients stay on v4.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    // WRITE on the transactionalId (KafkaApis.handleEndTxnRequest).
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    let errorCode: number;
    try {
      errorCode = await ctx.services.transactions.endTxn(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
    } catch (err) {
      ctx.services.logger.error({ err, transactionalId: request.transactionalId }, 'EndTxn failed in the transaction coordinator');
      errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    if (errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
});
