// The SASL_SSL listener of the secured scenarios (`*-sasl-ssl`), set up alike on both brokers:
// TLS with a PEM key store made with openssl when the run starts (a CA and a server
// certificate for 127.0.0.1 and localhost, RSA 2048 as in the README's commands, in a temp
// dir), and SASL PLAIN with one user, `bench`, declared in the listener's JAAS entry. Both
// brokers keep their PLAINTEXT listener for the harness's own admin requests (bench/admin.ts)
// and the unmeasured warm-up; the load generators of the secured scenarios connect to the
// SASL_SSL one: Kafka's tools with a client properties file (--command-config), kcat with -X.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SASL_SSL_USER = 'bench';
export const SASL_SSL_PASSWORD = 'bench-secret';
const PLAIN_LOGIN = 'org.apache.kafka.common.security.plain.PlainLoginModule';

export interface SaslSsl {
  readonly dir: string;
  /** The CA certificate: the clients' trust store. */
  readonly caPem: string;
  /** Kafka's PEM key store: the server's PKCS#8 key, its certificate and the CA's. */
  readonly keystorePem: string;
  /** Client properties for Kafka's tools (--command-config). */
  readonly clientConfig: string;
  /** The same settings as librdkafka takes them (kcat -X). */
  readonly kcatArgs: readonly string[];
  /** The openssl commands that made the certificates (for the report). */
  readonly commands: readonly string[];
  remove(): void;
}

/**
 * Broker settings for the SASL_SSL listener, the same keys on both brokers. The listener
 * itself (`listeners`, and Kafka's `advertised.listeners` and protocol map) is added by
 * bench/brokers.ts next to the PLAINTEXT one, which stays the inter-broker listener.
 */
export function saslSslBrokerConfig(s: SaslSsl): Record<string, string> {
  return {
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': s.keystorePem,
    'sasl.enabled.mechanisms': 'PLAIN',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `${PLAIN_LOGIN} required username="${SASL_SSL_USER}" password="${SASL_SSL_PASSWORD}" user_${SASL_SSL_USER}="${SASL_SSL_PASSWORD}";`,
  };
}

/** Makes the CA, the server's certificate and key store, and the client settings in a new temp dir. */
export function makeSaslSsl(): SaslSsl {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-tls-'));
  const commands: string[] = [];
  const openssl = (args: string[]): void => {
    commands.push(['openssl', ...args.map((a) => (/[\s*'"$;&|<>()]/.test(a) ? `'${a}'` : a))].join(' '));
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/O=tidelog/CN=Tidelog Bench CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/O=tidelog/CN=localhost']);
  writeFileSync(path.join(dir, 'broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '2', '-extfile', 'broker.ext']);
  const keystorePem = path.join(dir, 'broker-keystore.pem');
  writeFileSync(keystorePem, ['broker.key', 'broker.pem', 'ca.pem'].map((f) => readFileSync(path.join(dir, f), 'utf8')).join(''));
  commands.push('cat broker.key broker.pem ca.pem > broker-keystore.pem');
  const caPem = path.join(dir, 'ca.pem');
  const clientConfig = path.join(dir, 'client.properties');
  writeFileSync(
    clientConfig,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=${PLAIN_LOGIN} required username="${SASL_SSL_USER}" password="${SASL_SSL_PASSWORD}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${caPem}`,
      '',
    ].join('\n'),
  );
  const kcatArgs = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${caPem}`, '-X', 'sasl.mechanisms=PLAIN', '-X', `sasl.username=${SASL_SSL_USER}`, '-X', `sasl.password=${SASL_SSL_PASSWORD}`];
  return { dir, caPem, keystorePem, clientConfig, kcatArgs, commands, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What an OpenSSL client negotiates with the listener at `hostPort` (`openssl s_client`), e.g. "TLSv1.3, TLS_AES_256_GCM_SHA384". */
export function negotiatedTls(hostPort: string, caPem: string): string {
  const r = spawnSync('openssl', ['s_client', '-connect', hostPort, '-CAfile', caPem], { input: '', encoding: 'utf8', timeout: 10_000 });
  const m = /New, (TLSv[\d.]+), Cipher is (\S+)/.exec(r.stdout ?? '');
  const verified = /Verify return code: 0 \(ok\)/.test(r.stdout ?? '') ? ', certificate verified' : ', certificate NOT verified';
  return m ? `${m[1]}, ${m[2]}${verified}` : `openssl s_client: no handshake (${(r.stderr ?? '').trim().split('\n').pop() ?? r.error?.message})`;
}
