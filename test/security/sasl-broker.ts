// A broker with a SASL_PLAINTEXT listener for the SASL tests: PLAIN (its JAAS entry holds the
// admin user, who creates the SCRAM users over the Kafka protocol as a Kafka operator would),
// SCRAM-SHA-256 and SCRAM-SHA-512; plus the client settings kcat, the Java client and the
// `tidelog` CLI take for it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tidelog } from '../cli/run.js';

export const ADMIN = { user: 'admin', password: 'admin-secret' } as const;
export const PLAIN_LOGIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Broker overrides: one SASL_PLAINTEXT listener on an ephemeral port, the admin in PLAIN. */
export function saslOverrides(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `${PLAIN_LOGIN} required username="${ADMIN.user}" password="${ADMIN.password}" user_${ADMIN.user}="${ADMIN.password}" user_plainuser="plain-pw";`,
    ...extra,
  };
}

/** kcat's -X flags for a SASL_PLAINTEXT login. */
export function kcatSasl(mechanism: Mechanism, user: string, password: string): string[] {
  return ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];
}

/** Kafka client properties (Java client, `tidelog --command-config`) for a SASL_PLAINTEXT login. */
export function clientProperties(mechanism: Mechanism, user: string, password: string): string {
  const module = mechanism === 'PLAIN' ? PLAIN_LOGIN : SCRAM_LOGIN;
  return `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=${mechanism}\nsasl.jaas.config=${module} required username="${user}" password="${password}";\n`;
}

export function writeClientProperties(dir: string, name: string, mechanism: Mechanism, user: string, password: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, clientProperties(mechanism, user, password));
  return file;
}

/** Creates (or changes) a SCRAM user through the broker with `tidelog configs`, logged in as the PLAIN admin. */
export async function createScramUser(bootstrap: string, adminConfig: string, user: string, credentials: string): Promise<void> {
  const r = await tidelog(['configs', '--bootstrap-server', bootstrap, '--command-config', adminConfig, '--alter', '--entity-type', 'users', '--entity-name', user, '--add-config', credentials]);
  if (r.code !== 0) throw new Error(`creating user ${user} failed: ${r.stderr}`);
}
