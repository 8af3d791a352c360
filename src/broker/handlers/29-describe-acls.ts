// DescribeAcls: v1-3 (Kafka 4.x; v0 went with KIP-896). v1+: patternTypeFilter (KIP-290,
//   PREFIXED and MATCH). v2+: flexible.
// Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED). Without an authorizer:
// SECURITY_DISABLED, as Kafka's AclApis. A filter with an UNKNOWN field: INVALID_REQUEST.
// The matching ACLs are grouped by resource pattern, as Kafka answers.
import { ApiKey } from '../../protocol/generated/index.js';
import type { AclDescriptionInput } from '../../protocol/generated/describe-acls-response.js';
import type { ResourcePattern } from '../../protocol/acl.js';
import { ErrorCode } from '../../protocol/errors.js';
import { invalidFilterReason, patternKey } from '../../protocol/acl.js';
import { AclOperation, authorizeCluster } from './authorize.js';
import { NO_AUTHORIZER_MESSAGE, toFilter } from './acl-requests.js';
import { defineHandler } from './handler.js';

export const describeAclsHandler = defineHandler({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 1,
  maxVersion: 3,
  handle(request, ctx) {
    const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, resources: [] });
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.services.authorizer;
    if (authorizer === null) return fail(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    const filter = toFilter(request);
    const invalid = invalidFilterReason(filter);
    if (invalid) return fail(ErrorCode.INVALID_REQUEST, invalid);
    const resources = new Map<string, { pattern: ResourcePattern; acls: AclDescriptionInput[] }>();
    for (const { pattern, entry } of authorizer.describe(filter)) {
      const key = patternKey(pattern);
      let r = resources.get(key);
      if (!r) {
        r = { pattern, acls: [] };
        resources.set(key, r);
      }
      r.acls.push({ principal: entry.principal, host: entry.host, operation: entry.operation, permissionType: entry.permissionType });
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, resources: [...resources.values()].map(({ pattern, acls }) => ({ resourceType: pattern.resourceType, resourceName: pattern.name, patternType: pattern.patternType, acls })) };
  },
});
