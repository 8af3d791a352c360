// DescribeUserScramCredentials: v0 (KIP-554)
// users null or empty: every user with a SCRAM credential. Per user: its mechanisms and
// iterations (never salts or keys); RESOURCE_NOT_FOUND for a user without credentials and
// DUPLICATE_RESOURCE for a user named twice, with Kafka's messages.
// Authorization (KafkaApis): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { scramMechanism } from '../../security/sasl/scram.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const describeUserScramCredentialsHandler = defineHandler({
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
    const all = ctx.services.sasl.credentials.describe();
    const info = (credentials: readonly { mechanism: string; iterations: number }[]) => credentials.map((c) => ({ mechanism: scramMechanism(c.mechanism)!.type, iterations: c.iterations }));
    if (request.users === null || request.users.length === 0) {
      return { errorCode: ErrorCode.NONE, errorMessage: null, results: all.map((u) => ({ user: u.user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: info(u.credentials) })) };
    }
    const counts = new Map<string, number>();
    for (const u of request.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
    const byUser = new Map(all.map((u) => [u.user, u]));
    const results = [...counts].map(([user, n]) => {
      if (n > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
      const found = byUser.get(user);
      if (!found) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: info(found.credentials) };
    });
    return { errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
