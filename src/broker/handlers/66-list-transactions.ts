// ListTransactions: v0-1 (KIP-664)
// The transactions this broker coordinates (TransactionCoordinator.listTransactions), filtered
// by state names and producer ids (an empty filter matches everything); state names the
// coordinator does not know come back in unknownStateFilters. COORDINATOR_LOAD_IN_PROGRESS
// while a partition of __transaction_state loads.
// v1: durationFilter (KIP-994): only transactions running longer than it (when >= 0).
// Not implemented: authorization (ids the client may not describe are not filtered out).
import { ApiKey } from '../../protocol/generated/index.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const durationFilterMs = ctx.apiVersion >= 1 ? request.durationFilter : -1;
    const r = ctx.services.transactions.listTransactions(request.producerIdFilters, request.stateFilters, durationFilterMs);
    // Only the transactional ids the principal may DESCRIBE (KafkaApis.handleListTransactionsRequest).
    return { throttleTimeMs: 0, ...r, transactionStates: r.transactionStates.filter((t) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId, false)) };
  },
});
