// ListTransactions: v0-2 (KIP-664)
// The transactions this broker coordinates (TransactionCoordinator.listTransactions), filtered
// by state names and producer ids (an empty filter matches everything); state names the
// coordinator does not know come back in unknownStateFilters. COORDINATOR_LOAD_IN_PROGRESS
// while a partition of __transaction_state loads.
// v1: durationFilter (KIP-994): only transactions running longer than it (when >= 0).
// v2: transactionalIdPattern (KIP-1152): an RE2/J pattern the whole transactional id must
//   match (null or empty: no filter); a pattern RE2 refuses answers INVALID_REGULAR_EXPRESSION.
// Authorization: only the transactional ids the principal may DESCRIBE are listed.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { compileRe2jPattern, InvalidPatternError } from '../../protocol/re2j-pattern.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const durationFilterMs = ctx.apiVersion >= 1 ? request.durationFilter : -1;
    const patternText = ctx.apiVersion >= 2 ? request.transactionalIdPattern : null;
    let pattern: RegExp | null = null;
    if (patternText !== null && patternText !== '') {
      try {
        pattern = compileRe2jPattern(patternText);
      } catch (err) {
        if (!(err instanceof InvalidPatternError)) throw err;
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters: [], transactionStates: [] };
      }
    }
    const r = ctx.services.transactions.listTransactions(request.producerIdFilters, request.stateFilters, durationFilterMs, pattern);
    // Only the transactional ids the principal may DESCRIBE (KafkaApis.handleListTransactionsRequest).
    return { throttleTimeMs: 0, ...r, transactionStates: r.transactionStates.filter((t) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId, false)) };
  },
});
