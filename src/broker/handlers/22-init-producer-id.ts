// InitProducerId: v0-5
// Idempotent producers (transactionalId null) get a new producer id at epoch 0, as Kafka's
// coordinator does for them; the id is never reused (ProducerIdManager). A transactional id
// goes to the transaction coordinator (TransactionCoordinator.initProducerId): a new producer
// id, or the epoch bumped, fencing older producers; an ongoing transaction is aborted first
// (CONCURRENT_TRANSACTIONS, the client retries); INVALID_TRANSACTION_TIMEOUT above
// transaction.max.timeout.ms; NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS as the id's
// partition is led elsewhere or loading. v2+: flexible.
// v3+: producerId/producerEpoch in the request (KIP-360): a producer recovering after an error
//   keeps its id with a bumped epoch; one of them -1 without the other is INVALID_REQUEST.
// v4+: PRODUCER_FENCED as is; before v4 it is answered INVALID_PRODUCER_EPOCH (KIP-588).
// v5: no change the broker sees. Not implemented: KIP-939 two-phase commit (v6).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize, authorizeByResourceType, authorizeCluster } from './authorize.js';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const fail = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const producerId = v >= 3 ? request.producerId : -1;
    const producerEpoch = v >= 3 ? request.producerEpoch : -1;
    // Kafka's KafkaApis.handleInitProducerIdRequest: both or neither.
    if ((producerId === -1) !== (producerEpoch === -1)) return fail(ErrorCode.INVALID_REQUEST);
    // Authorization (KafkaApis.handleInitProducerIdRequest): WRITE on the transactionalId; an
    // idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679).
    if (request.transactionalId !== null && !authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (request.transactionalId === null && !authorizeCluster(ctx, AclOperation.IDEMPOTENT_WRITE, false) && !authorizeByResourceType(ctx, AclOperation.WRITE, ResourceType.TOPIC)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    if (request.transactionalId === null) {
      return { errorCode: ErrorCode.NONE, producerId: ctx.services.producerIds.generateProducerId(), producerEpoch: 0 };
    }
    const expected = producerId === -1 ? null : { producerId, producerEpoch };
    let result;
    try {
      result = await ctx.services.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs, expected);
    } catch (err) {
      ctx.services.logger.error({ err, transactionalId: request.transactionalId }, 'InitProducerId failed in the transaction coordinator');
      return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    if (result.errorCode === ErrorCode.PRODUCER_FENCED && v < 4) return fail(ErrorCode.INVALID_PRODUCER_EPOCH);
    return result;
  },
});
