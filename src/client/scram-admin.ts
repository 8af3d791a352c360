// SCRAM users over the Kafka protocol (KIP-554), as Kafka's Admin client does it:
// AlterUserScramCredentials with the salt and the salted password derived here (PBKDF2; the
// password never leaves this process), and DescribeUserScramCredentials (mechanisms and
// iterations). Used by `tidelog configs --entity-type users --bootstrap-server`.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ApiKey } from '../protocol/generated/index.js';
import type { KafkaClient } from './kafka-client.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
/** Kafka's ScramMechanism type bytes. */
export const SCRAM_TYPES: Readonly<Record<ScramMechanismName, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
const NAMES: Readonly<Record<number, ScramMechanismName>> = { 1: 'SCRAM-SHA-256', 2: 'SCRAM-SHA-512' };

export interface ScramUpsert {
  readonly user: string;
  readonly mechanism: ScramMechanismName;
  readonly iterations: number;
  readonly password: string;
}

export interface ScramDeletion {
  readonly user: string;
  readonly mechanism: ScramMechanismName;
}

export interface UserResult {
  readonly user: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface UserCredentials extends UserResult {
  readonly credentials: readonly { readonly mechanism: ScramMechanismName | string; readonly iterations: number }[];
}

export async function alterUserScramCredentials(client: KafkaClient, upserts: readonly ScramUpsert[], deletions: readonly ScramDeletion[]): Promise<UserResult[]> {
  const conn = await client.anyBroker();
  const version = conn.version(ApiKey.AlterUserScramCredentials, 0, 0, 'AlterUserScramCredentials');
  const r = await conn.send(ApiKey.AlterUserScramCredentials, version, {
    deletions: deletions.map((d) => ({ name: d.user, mechanism: SCRAM_TYPES[d.mechanism] })),
    upsertions: upserts.map((u) => {
      const salt = randomBytes(32);
      const hash = u.mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
      const saltedPassword = pbkdf2Sync(Buffer.from(u.password, 'utf8'), salt, u.iterations, hash === 'sha512' ? 64 : 32, hash);
      return { name: u.user, mechanism: SCRAM_TYPES[u.mechanism], iterations: u.iterations, salt, saltedPassword };
    }),
  });
  return r.results.map((x) => ({ user: x.user, errorCode: x.errorCode, errorMessage: x.errorMessage }));
}

/** users null: every user with credentials. */
export async function describeUserScramCredentials(client: KafkaClient, users: readonly string[] | null): Promise<{ errorCode: number; errorMessage: string | null; users: UserCredentials[] }> {
  const conn = await client.anyBroker();
  const version = conn.version(ApiKey.DescribeUserScramCredentials, 0, 0, 'DescribeUserScramCredentials');
  const r = await conn.send(ApiKey.DescribeUserScramCredentials, version, { users: users === null ? null : users.map((name) => ({ name })) });
  return {
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    users: r.results.map((u) => ({
      user: u.user,
      errorCode: u.errorCode,
      errorMessage: u.errorMessage,
      credentials: u.credentialInfos.map((c) => ({ mechanism: NAMES[c.mechanism] ?? `UNKNOWN(${c.mechanism})`, iterations: c.iterations })),
    })),
  };
}
