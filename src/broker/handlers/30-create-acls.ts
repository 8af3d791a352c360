// CreateAcls: v1-3 (Kafka 4.x; v0 went with KIP-896). v1+: resourcePatternType (KIP-290).
//   v2+: flexible.
// Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every creation). Without an
// authorizer: SECURITY_DISABLED for every creation. Each creation is checked as Kafka does
// (INVALID_REQUEST: ANY/UNKNOWN fields, MATCH/ANY pattern types, an empty name, a cluster not
// named kafka-cluster, a principal without a type) and stored where the authorizer keeps its
// ACLs (ZooKeeper's /kafka-acl layout, or the data dir on a single node).
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, authorizeCluster } from './authorize.js';
import { NO_AUTHORIZER_MESSAGE, toBinding } from './acl-requests.js';
import { defineHandler } from './handler.js';

export const createAclsHandler = defineHandler({
  apiKey: ApiKey.CreateAcls,
  minVersion: 1,
  maxVersion: 3,
  async handle(request, ctx) {
    const all = (errorCode: number, errorMessage: string) => ({ results: request.creations.map(() => ({ errorCode, errorMessage })) });
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const authorizer = ctx.services.authorizer;
    if (authorizer === null) return all(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_MESSAGE);
    const results = await authorizer.createAcls(request.creations.map(toBinding));
    return { results: results.map((r) => (r.error ? { errorCode: ErrorCode[r.error.code], errorMessage: r.error.message } : { errorCode: ErrorCode.NONE, errorMessage: null })) };
  },
});
