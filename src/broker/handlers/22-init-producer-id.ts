// InitProducerId: v0-5
// Idempotent producers (transactionalId null) get a new producer id at epoch 0, as Kafka's
// coordinator does for them; the id is never reused (ProducerIdManager). v2+: flexible.
// v3+: producerId/producerEpoch in the request (KIP-360): an idempotent producer is simply
// given a fresh id, as Kafka does without a transactional id. v4-5: same as v3.
// Not implemented: transactions. A transactional id gets UNSUPPORTED_VERSION (non-retriable,
// so the client fails at once instead of retrying a coordinator that does not exist).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    if (request.transactionalId !== null) {
      return { errorCode: ErrorCode.UNSUPPORTED_VERSION, producerId: -1, producerEpoch: -1 };
    }
    return { errorCode: ErrorCode.NONE, producerId: ctx.services.producerIds.generateProducerId(), producerEpoch: 0 };
  },
});
