// ApiVersions: v0-4
// v0-2: the list of APIs and versions served.
// v3+: flexible; the client sends its software name and version (KIP-511), validated here:
//   an invalid one gets INVALID_REQUEST, as Kafka answers.
// An unsupported ApiVersions version never reaches this file: the router answers it with
// UNSUPPORTED_VERSION in a v0 body listing what is served.
// v3+: features (KIP-584), as tagged fields: `transaction.version` supported 0-2 and finalized
//   at the broker key `transaction.version` (2 unless pinned to 1), so that Kafka 4.x clients
//   use transaction version 2 (KIP-890 part 2) or stay on 1. The finalized features epoch is 0:
//   there is no feature-update API (UpdateFeatures), the level is static broker configuration.
//   No other feature is advertised (metadata.version, kraft.version, group.version belong to
//   KRaft and the new group protocol, which Tidelog does not serve).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { TRANSACTION_VERSION_FEATURE, TRANSACTION_VERSION_MAX } from '../../txn/transaction-version.js';

/** KIP-511: the software name and version a client may send. */
const SOFTWARE_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsHandler(listApis: () => { apiKey: number; minVersion: number; maxVersion: number }[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(request, ctx) {
      // KIP-848's APIs only while the consumer protocol is on (group.coordinator.rebalance.protocols).
      const consumerProtocol = ctx.services.config.values['group.coordinator.rebalance.protocols'].includes('consumer');
      const apiKeys = consumerProtocol ? listApis() : listApis().filter((k) => k.apiKey !== ApiKey.ConsumerGroupHeartbeat && k.apiKey !== ApiKey.ConsumerGroupDescribe);
      if (ctx.apiVersion >= 3 && (!SOFTWARE_RE.test(request.clientSoftwareName) || !SOFTWARE_RE.test(request.clientSoftwareVersion))) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys };
      }
      const level = ctx.services.config.values['transaction.version'];
      return {
        errorCode: ErrorCode.NONE,
        apiKeys,
        supportedFeatures: [{ name: TRANSACTION_VERSION_FEATURE, minVersion: 0, maxVersion: TRANSACTION_VERSION_MAX }],
        finalizedFeaturesEpoch: 0,
        finalizedFeatures: [{ name: TRANSACTION_VERSION_FEATURE, maxVersionLevel: level, minVersionLevel: level }],
      };
    },
  });
}
