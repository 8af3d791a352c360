// AlterUserScramCredentials: v0 (KIP-554)
// Upsertions carry the salt and the salted password the client derived (the password never
// travels); the broker keeps salt, StoredKey, ServerKey and iterations. Deletions name a user
// and mechanism. Checked per user, with Kafka's errors and messages: UNACCEPTABLE_CREDENTIAL
// ("Username must not be empty", "Too few iterations" below 4096, "Too many iterations" above
// 16384), UNSUPPORTED_SASL_MECHANISM ("Unknown SCRAM mechanism"), DUPLICATE_RESOURCE (a user
// and mechanism altered twice in one request), RESOURCE_NOT_FOUND (deleting a credential that
// does not exist). A user with any error is left unchanged. The credential works on the next
// SaslAuthenticate; in a ZooKeeper cluster the other brokers learn it through the change
// notification (zk-user-configs.ts).
// Not implemented here: authorization (ALTER on the cluster) comes with the ACLs.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CredentialChange } from '../../security/sasl/credential-store.js';
import { credentialFromSaltedPassword, scramMechanismOfType, SCRAM_MAX_ITERATIONS } from '../../security/sasl/scram.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

interface UserResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export const alterUserScramCredentialsHandler = defineHandler({
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    // Authorization (KafkaApis): ALTER on the cluster, else every user CLUSTER_AUTHORIZATION_FAILED.
    if (!authorizeCluster(ctx, AclOperation.ALTER)) {
      const names = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])];
      return { results: names.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const store = ctx.services.sasl.credentials;
    const users: string[] = [];
    const errors = new Map<string, { code: number; message: string }>();
    const changes = new Map<string, CredentialChange[]>();
    const seen = new Set<string>();
    const fail = (user: string, code: number, message: string) => {
      if (!errors.has(user)) errors.set(user, { code, message });
    };
    const note = (user: string, mechanism: number): boolean => {
      if (!users.includes(user)) users.push(user);
      if (user.length === 0) {
        fail(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
        return false;
      }
      if (!scramMechanismOfType(mechanism)) {
        fail(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
        return false;
      }
      const key = `${mechanism}:${user}`;
      if (seen.has(key)) {
        fail(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
        return false;
      }
      seen.add(key);
      return true;
    };
    for (const d of request.deletions) {
      if (!note(d.name, d.mechanism)) continue;
      const m = scramMechanismOfType(d.mechanism)!;
      if (!store.credential(d.name, m.name)) {
        fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        continue;
      }
      changes.set(d.name, [...(changes.get(d.name) ?? []), { mechanism: m.name, credential: null }]);
    }
    for (const u of request.upsertions) {
      if (!note(u.name, u.mechanism)) continue;
      const m = scramMechanismOfType(u.mechanism)!;
      if (u.iterations < m.minIterations) {
        fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
        continue;
      }
      if (u.iterations > SCRAM_MAX_ITERATIONS) {
        fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
        continue;
      }
      if (u.salt.length === 0 || u.saltedPassword.length === 0) {
        fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt and salted password must not be empty');
        continue;
      }
      const credential = credentialFromSaltedPassword(m, u.salt, u.saltedPassword, u.iterations);
      changes.set(u.name, [...(changes.get(u.name) ?? []), { mechanism: m.name, credential }]);
    }
    const results: UserResult[] = [];
    for (const user of users) {
      const e = errors.get(user);
      if (e) {
        results.push({ user, errorCode: e.code, errorMessage: e.message });
        continue;
      }
      try {
        await store.alter(user, changes.get(user) ?? []);
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        ctx.services.logger.warn({ err, user }, 'storing SCRAM credentials failed');
        results.push({ user, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `storing the credentials failed: ${(err as Error).message}` });
      }
    }
    return { results };
  },
});
