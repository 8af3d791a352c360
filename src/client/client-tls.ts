// The TLS options of this package's client for SSL and SASL_SSL connections, from Kafka's
// client ssl.* properties (ClientSecurity.ssl): the trust store the broker's certificate must
// chain to (Node's default CAs when none is set, as Java trusts its cacerts), the key store
// for mutual TLS, and ssl.endpoint.identification.algorithm (https, the default: the broker's
// certificate must name the host connected to; empty: not checked).
import net from 'node:net';
import tls from 'node:tls';
import { ConfigError } from '../config/config-def.js';
import { loadSslStores, sslSettingsFromProperties } from '../config/ssl-stores.js';
import type { ClientSecurity } from './client-security.js';

export function usesTls(security: ClientSecurity): boolean {
  return security.securityProtocol === 'SSL' || security.securityProtocol === 'SASL_SSL';
}

/** tls.connect options for `host`; throws ConfigError naming the ssl.* key of a bad setting. */
export function clientTlsOptions(security: ClientSecurity, host: string): tls.ConnectionOptions {
  const stores = loadSslStores(sslSettingsFromProperties(security.ssl));
  const algorithm = (security.ssl.get('ssl.endpoint.identification.algorithm') ?? 'https').trim();
  if (algorithm !== '' && algorithm.toLowerCase() !== 'https') {
    throw new ConfigError('ssl.endpoint.identification.algorithm', algorithm, 'Value must be https or empty');
  }
  return {
    ...stores.options,
    // SNI only for names (RFC 6066 forbids addresses).
    ...(net.isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: true,
    // The chain is always verified; only the host-name check follows the algorithm.
    checkServerIdentity: algorithm === '' ? () => undefined : tls.checkServerIdentity,
  };
}
