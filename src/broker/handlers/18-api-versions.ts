// ApiVersions: v0-4
// v0-2: the list of APIs and versions served.
// v3+: flexible; the client sends its software name and version (KIP-511), validated here:
//   an invalid one gets INVALID_REQUEST, as Kafka answers.
// An unsupported ApiVersions version never reaches this file: the router answers it with
// UNSUPPORTED_VERSION in a v0 body listing what is served.
// Not implemented: supported/finalized features (no feature flags yet).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';

/** KIP-511: the software name and version a client may send. */
const SOFTWARE_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsHandler(listApis: () => { apiKey: number; minVersion: number; maxVersion: number }[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(request, ctx) {
      const apiKeys = listApis();
      if (ctx.apiVersion >= 3 && (!SOFTWARE_RE.test(request.clientSoftwareName) || !SOFTWARE_RE.test(request.clientSoftwareVersion))) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys };
      }
      return { errorCode: ErrorCode.NONE, apiKeys };
    },
  });
}
