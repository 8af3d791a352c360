// EndTxn: v0-5
// Commits or aborts the transaction (TransactionCoordinator.endTxn): answered once
// PrepareCommit/PrepareAbort is in __transaction_state; the markers and the Complete record
// follow in the background. A retry of a completed end answers NONE; EndTxn while the
// markers of the same end are being written answers CONCURRENT_TRANSACTIONS; the opposite end,
// or an end of an Empty transaction, INVALID_TXN_STATE.
// v1: no change. v2+: PRODUCER_FENCED as is; before v2 it is INVALID_PRODUCER_EPOCH (KIP-588).
// v3+: flexible. v4: TRANSACTION_ABORTABLE may be answered (KIP-890).
// v5: transaction version 2 (KIP-890 part 2) when the broker finalized it (`transaction.version`
//   2): the epoch is bumped at every commit and abort and the response carries the producer id
//   and epoch the client continues with; an abort without partitions is allowed; a retry comes
//   with the epoch one below. With `transaction.version` pinned to 1, v5 ends a transaction as
//   v4 does and answers the unchanged producer id and epoch.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { transactionVersionOf } from '../../txn/transaction-version.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    // WRITE on the transactionalId (KafkaApis.handleEndTxnRequest).
    if (!authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const tv = transactionVersionOf(ctx.apiVersion, 5, ctx.services.config.values['transaction.version']);
    let result;
    try {
      result = await ctx.services.transactions.endTxnWithVersion(request.transactionalId, request.producerId, request.producerEpoch, request.committed, tv);
    } catch (err) {
      ctx.services.logger.error({ err, transactionalId: request.transactionalId }, 'EndTxn failed in the transaction coordinator');
      result = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, producerId: -1, producerEpoch: -1 };
    }
    const errorCode = result.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 2 ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
});
