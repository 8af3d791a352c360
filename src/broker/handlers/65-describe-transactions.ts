// DescribeTransactions: v0 (KIP-664)
// The state of each transactional id this broker coordinates
// (TransactionCoordinator.describeTransaction): state name, timeout, start time, producer id
// and epoch, and the partitions in the transaction (while PrepareCommit/PrepareAbort, those
// still without their marker). TRANSACTIONAL_ID_NOT_FOUND for an unknown (or expiring) id,
// NOT_COORDINATOR when its partition is led elsewhere, COORDINATOR_LOAD_IN_PROGRESS while it
// loads, INVALID_REQUEST for ''. Not implemented: authorization.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    // DESCRIBE on each transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); its partitions
    // only of topics the principal may DESCRIBE (KafkaApis.handleDescribeTransactionsRequest).
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((id) => {
        if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)) {
          return { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
        }
        const d = ctx.services.transactions.describeTransaction(id);
        return ctx.services.authorizer === null ? d : { ...d, topics: d.topics.filter((t) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic, false)) };
      }),
    };
  },
});
