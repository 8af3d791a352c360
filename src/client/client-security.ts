// How this package's Kafka client secures a connection: the security protocol, the TLS
// settings and the SASL credentials, read from Kafka's client properties
// (`security.protocol`, `ssl.*`, `sasl.mechanism`, `sasl.jaas.config`), as a
// `--command-config` / `--producer.config` file or the broker's inter-broker settings give them.
import type { SecurityProtocol } from '../config/listeners.js';
import { parseJaasConfig } from '../config/jaas.js';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface ClientSecurity {
  readonly securityProtocol: SecurityProtocol;
  /** The ssl.* client properties as written (ssl.truststore.location, ssl.keystore.type, ...). */
  readonly ssl: ReadonlyMap<string, string>;
  /** Set for SASL_PLAINTEXT and SASL_SSL. */
  readonly sasl: SaslCredentials | null;
}

export const PLAINTEXT_SECURITY: ClientSecurity = Object.freeze({ securityProtocol: 'PLAINTEXT', ssl: new Map(), sasl: null });

export class ClientSecurityError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = 'ClientSecurityError';
  }
}

const PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Reads Kafka client properties; throws ClientSecurityError naming the key of a bad value. */
export function clientSecurityFromProperties(props: ReadonlyMap<string, string>): ClientSecurity {
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').trim().toUpperCase() as SecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) throw new ClientSecurityError('security.protocol', `${protocol} is not one of ${PROTOCOLS.join(', ')}`);
  const ssl = new Map<string, string>();
  for (const [k, v] of props) if (k.startsWith('ssl.')) ssl.set(k, v);
  let sasl: SaslCredentials | null = null;
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').trim().toUpperCase() as SaslMechanism;
    if (!MECHANISMS.includes(mechanism)) throw new ClientSecurityError('sasl.mechanism', `${mechanism} is not supported (${MECHANISMS.join(', ')})`);
    const jaas = props.get('sasl.jaas.config');
    if (jaas === undefined) throw new ClientSecurityError('sasl.jaas.config', `is required with security.protocol=${protocol}`);
    let options: ReadonlyMap<string, string>;
    try {
      options = parseJaasConfig(jaas).options;
    } catch (err) {
      throw new ClientSecurityError('sasl.jaas.config', (err as Error).message);
    }
    const username = options.get('username');
    const password = options.get('password');
    if (username === undefined || password === undefined) throw new ClientSecurityError('sasl.jaas.config', 'must set username and password');
    sasl = { mechanism, username, password };
  }
  return { securityProtocol: protocol, ssl, sasl };
}
