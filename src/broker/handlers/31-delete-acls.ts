// DeleteAcls: v1-3 (Kafka 4.x; v0 went with KIP-896). v1+: patternTypeFilter (KIP-290).
//   v2+: flexible.
// Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every filter). Without an
// authorizer: SECURITY_DISABLED for every filter. A filter with an UNKNOWN field:
// INVALID_REQUEST for that filter. Each filter answers every ACL it matched and deleted.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { invalidFilterReason } from '../../protocol/acl.js';
import { AclOperation, authorizeCluster } from './authorize.js';
import { NO_AUTHORIZER_MESSAGE, toFilter } from './acl-requests.js';
import { defineHandler } from './handler.js';

export const deleteAclsHandler = defineHandler({
  apiKey: ApiKey.DeleteAcls,
  minVersion: 1,
  maxVersion: 3,
  async handle(request, ctx) {
    const all = (errorCode: number, errorMessage: string) => ({ filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.services.authorizer;
    if (authorizer === null) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    const filters = request.filters.map(toFilter);
    const invalid = filters.map(invalidFilterReason);
    const valid = filters.filter((_, i) => invalid[i] === null);
    const results = await authorizer.deleteAcls(valid);
    let next = 0;
    return {
      filterResults: filters.map((_, i) => {
        const reason = invalid[i];
        if (reason) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: reason, matchingAcls: [] };
        const r = results[next++]!;
        if (r.error) return { errorCode: ErrorCode[r.error.code], errorMessage: r.error.message, matchingAcls: [] };
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: r.deleted.map(({ pattern, entry }) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            resourceType: pattern.resourceType,
            resourceName: pattern.name,
            patternType: pattern.patternType,
            principal: entry.principal,
            host: entry.host,
            operation: entry.operation,
            permissionType: entry.permissionType,
          })),
        };
      }),
    };
  },
});
