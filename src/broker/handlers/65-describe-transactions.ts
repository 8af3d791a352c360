// DescribeTransactions: v0 (KIP-664)
// The state of each transactional id this broker coordinates
// (TransactionCoordinator.describeTransaction): state name, timeout, start time, producer id
// and epoch, and the partitions in the transaction (while PrepareCommit/PrepareAbort, those
// still without their marker). TRANSACTIONAL_ID_NOT_FOUND for an unknown (or expiring) id,
// NOT_COORDINATOR when its partition is led elsewhere, COORDINATOR_LOAD_IN_PROGRESS while it
// loads, INVALID_REQUEST for ''. Not implemented: authorization.
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    return { throttleTimeMs: 0, transactionStates: request.transactionalIds.map((id) => ctx.services.transactions.describeTransaction(id)) };
  },
});
