// The broker's TLS keys (Kafka's ssl.*, with Kafka's names and defaults), also accepted per
// listener as listener.name.<listener>.ssl.*. Spread into brokerConfigKeys. What each value
// means when a context is built (and which combinations are refused) is in ssl-stores.ts;
// here only the types, the defaults and the values each key may take.
import { z } from 'zod/v3';
import { intKey, listKey, stringKey, type ConfigKey } from './config-def.js';

/**
 * A Kafka PASSWORD key: a string never shown (DescribeConfigs answers null, isSensitive) and
 * never logged. Kafka types the inline PEM keys (ssl.keystore.key, ...) as passwords too.
 */
function passwordKey<const N extends string>(name: N, doc: string): ConfigKey<string | null, N> {
  return { name, type: 'password', defaultValue: null, schema: z.string().nullable(), expected: 'Value must be a string', doc };
}

/** The TLS versions node:tls speaks that Kafka enables by default; older ones are refused. */
export const TLS_PROTOCOLS = ['TLSv1.2', 'TLSv1.3'] as const;

export const sslConfigKeys = [
  stringKey('ssl.keystore.type', 'JKS', {
    doc: 'File format of the key store: PKCS12 or PEM (KIP-651). Kafka\'s default JKS is not readable here: convert with keytool -importkeystore -deststoretype PKCS12.',
  }),
  stringKey('ssl.keystore.location', null, { doc: 'The key store file (PKCS12, or PEM with the private key and the certificate chain).' }),
  passwordKey('ssl.keystore.password', 'Password of the PKCS12 key store file; not used with PEM.'),
  passwordKey('ssl.key.password', 'Password of the private key (PKCS12: defaults to ssl.keystore.password; PEM: of an encrypted PKCS#8 key).'),
  passwordKey('ssl.keystore.key', 'The private key in PEM (PKCS#8), inline, with ssl.keystore.type=PEM (KIP-651).'),
  passwordKey('ssl.keystore.certificate.chain', 'The certificate chain in PEM, inline, with ssl.keystore.type=PEM (KIP-651).'),
  stringKey('ssl.truststore.type', 'JKS', { doc: 'File format of the trust store: PKCS12 or PEM (KIP-651). Kafka\'s default JKS is not readable here.' }),
  stringKey('ssl.truststore.location', null, { doc: 'The trust store file: the CA certificates that client certificates (or, for inter-broker connections, brokers) must chain to.' }),
  passwordKey('ssl.truststore.password', 'Password of the trust store file; not used with PEM.'),
  passwordKey('ssl.truststore.certificates', 'Trusted certificates in PEM, inline, with ssl.truststore.type=PEM (KIP-651).'),
  stringKey('ssl.client.auth', 'none', {
    oneOf: ['none', 'requested', 'required'],
    doc: 'Whether TLS clients must present a certificate (required), may (requested), or are not asked (none). SASL_SSL listeners take only the listener.name.<l>.ssl.client.auth value (KIP-684).',
  }),
  listKey('ssl.enabled.protocols', ['TLSv1.2', 'TLSv1.3'], {
    item: z.enum(TLS_PROTOCOLS),
    describe: `Value must be a comma-separated list of ${TLS_PROTOCOLS.join(', ')}`,
    doc: 'TLS versions accepted.',
  }),
  stringKey('ssl.protocol', 'TLSv1.3', { oneOf: ['TLS', 'TLSv1.2', 'TLSv1.3'], doc: "Kafka's SSLContext protocol; the versions spoken are those of ssl.enabled.protocols." }),
  listKey('ssl.cipher.suites', [], { doc: 'Cipher suites allowed, by their IANA (Java) names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL names; empty for the defaults.' }),
  // A string in Kafka (not a list): a rule's pattern may hold commas, as DNs do.
  stringKey('ssl.principal.mapping.rules', 'DEFAULT', {
    doc: 'How a client certificate\'s subject becomes the principal name: RULE:pattern/replacement/[LU] entries (separated by commas or new lines) tried in order, DEFAULT for the whole subject.',
  }),
  stringKey('ssl.endpoint.identification.algorithm', 'https', { doc: 'https: the broker checks the host name in the certificates of brokers it connects to; empty turns the check off.' }),
  // Tidelog's own (Kafka bounds a handshake only by connections.max.idle.ms): a client that
  // opens a TLS connection and never finishes the handshake holds a connection slot this long.
  intKey('ssl.handshake.timeout.ms', 10_000, { min: 1, doc: "Tidelog's own key: a TLS handshake not finished this long after the connection was accepted closes it." }),
  // Tidelog's own: Kafka reloads key stores when their path is altered dynamically; this
  // broker watches the files and reloads when one changes.
  intKey('ssl.store.check.interval.ms', 5_000, { min: 100, doc: "Tidelog's own key: how often the key store and trust store files are checked for changes; a change is loaded for new connections without a restart." }),
] as const satisfies readonly ConfigKey[];
