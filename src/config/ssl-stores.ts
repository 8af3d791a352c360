// What Kafka's ssl.* settings mean to node:tls, for the broker's listeners and for this
// package's client alike: the key store (PKCS12 through `pfx`, PEM files or inline PEM,
// KIP-651) and the trust store (PKCS12, PEM files or inline PEM) read into SecureContext options,
// ssl.enabled.protocols into min/max versions, ssl.cipher.suites (IANA names, as Java takes
// them) into OpenSSL's cipher lists. Refuses what cannot be honoured, naming the key, as
// Kafka's DefaultSslEngineFactory does ("SSL key store password cannot be specified with PEM
// format"). Reads files; builds no context (the callers do, and may watch `files`).
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ConfigError } from './config-def.js';
import { pkcs12Certificates } from './pkcs12.js';

/** The ssl.* values of one listener or one client, typed. Null: not set. */
export interface SslSettings {
  readonly keystoreType: string;
  readonly keystoreLocation: string | null;
  readonly keystorePassword: string | null;
  readonly keyPassword: string | null;
  readonly keystoreKey: string | null;
  readonly keystoreCertificateChain: string | null;
  readonly truststoreType: string;
  readonly truststoreLocation: string | null;
  readonly truststorePassword: string | null;
  readonly truststoreCertificates: string | null;
  readonly enabledProtocols: readonly string[];
  readonly cipherSuites: readonly string[];
}

export interface LoadedStores {
  /** The options for tls.createSecureContext / tls.connect (key material, CAs, versions, ciphers). */
  readonly options: tls.SecureContextOptions;
  /** Whether a key store (own certificate) was configured. */
  readonly hasKeystore: boolean;
  /** Whether a trust store was configured (else Node's default CA list is trusted, as Java trusts its cacerts). */
  readonly hasTruststore: boolean;
  /** The store files read, to watch for changes. */
  readonly files: readonly string[];
}

const JKS_HINT = 'JKS is not supported here: convert it with `keytool -importkeystore -srckeystore <file>.jks -destkeystore <file>.p12 -deststoretype PKCS12` and set PKCS12, or use PEM';

/** Kafka's client-side default values (ProducerConfig/ConsumerConfig ssl.* defaults). */
export const CLIENT_SSL_DEFAULTS = {
  'ssl.keystore.type': 'JKS',
  'ssl.truststore.type': 'JKS',
  'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3',
  'ssl.endpoint.identification.algorithm': 'https',
} as const;

/** SslSettings from raw client properties (ssl.truststore.location=..., as a client config file has them). */
export function sslSettingsFromProperties(props: ReadonlyMap<string, string>): SslSettings {
  const get = (k: string): string | null => {
    const v = props.get(k);
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const list = (k: string, def: string): string[] =>
    (props.get(k) ?? def)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return {
    keystoreType: get('ssl.keystore.type') ?? CLIENT_SSL_DEFAULTS['ssl.keystore.type'],
    keystoreLocation: get('ssl.keystore.location'),
    keystorePassword: get('ssl.keystore.password'),
    keyPassword: get('ssl.key.password'),
    keystoreKey: get('ssl.keystore.key'),
    keystoreCertificateChain: get('ssl.keystore.certificate.chain'),
    truststoreType: get('ssl.truststore.type') ?? CLIENT_SSL_DEFAULTS['ssl.truststore.type'],
    truststoreLocation: get('ssl.truststore.location'),
    truststorePassword: get('ssl.truststore.password'),
    truststoreCertificates: get('ssl.truststore.certificates'),
    enabledProtocols: list('ssl.enabled.protocols', CLIENT_SSL_DEFAULTS['ssl.enabled.protocols']),
    cipherSuites: list('ssl.cipher.suites', ''),
  };
}

/**
 * Reads the stores `s` names. `keyName` turns a Kafka key into the name to show in errors
 * (listener.name.ssl.ssl.keystore.location for a per-listener value). Throws ConfigError.
 */
export function loadSslStores(s: SslSettings, keyName: (key: string) => string = (k) => k): LoadedStores {
  const fail = (key: string, value: string, reason: string): never => {
    throw new ConfigError(keyName(key), value, reason);
  };
  const files: string[] = [];
  const read = (key: string, file: string): Buffer => {
    try {
      const bytes = readFileSync(file);
      files.push(file);
      return bytes;
    } catch (err) {
      return fail(key, file, `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const options: tls.SecureContextOptions = { ...versionOptions(s.enabledProtocols, keyName), ...cipherOptions(s.cipherSuites, keyName) };

  // The key store.
  const keystoreType = s.keystoreType.toUpperCase();
  const inlineKey = s.keystoreKey !== null || s.keystoreCertificateChain !== null;
  let hasKeystore = false;
  if (inlineKey) {
    if (keystoreType !== 'PEM') fail('ssl.keystore.type', s.keystoreType, 'must be PEM when ssl.keystore.key / ssl.keystore.certificate.chain are set (KIP-651)');
    if (s.keystoreKey === null) fail('ssl.keystore.key', '', 'must be set with ssl.keystore.certificate.chain');
    if (s.keystoreCertificateChain === null) fail('ssl.keystore.certificate.chain', '', 'must be set with ssl.keystore.key');
    if (s.keystoreLocation !== null) fail('ssl.keystore.location', s.keystoreLocation, 'cannot be set with ssl.keystore.key (inline PEM)');
    options.key = s.keystoreKey!;
    options.cert = s.keystoreCertificateChain!;
    if (s.keyPassword !== null) options.passphrase = s.keyPassword;
    hasKeystore = true;
  } else if (s.keystoreLocation !== null) {
    const file = s.keystoreLocation;
    if (keystoreType === 'JKS') fail('ssl.keystore.type', s.keystoreType, JKS_HINT);
    if (keystoreType === 'PKCS12') {
      options.pfx = read('ssl.keystore.location', file);
      // Kafka reads the key with ssl.key.password, the store with ssl.keystore.password;
      // openssl-made PKCS12 files use one password for both.
      const password = s.keystorePassword ?? s.keyPassword;
      if (password !== null) options.passphrase = password;
    } else if (keystoreType === 'PEM') {
      if (s.keystorePassword !== null) fail('ssl.keystore.password', '[hidden]', 'SSL key store password cannot be specified with PEM format, only key password may be specified');
      const pem = read('ssl.keystore.location', file);
      // One file holds the PKCS#8 key and the chain; OpenSSL takes the block it needs from each.
      options.key = pem;
      options.cert = pem;
      if (s.keyPassword !== null) options.passphrase = s.keyPassword;
    } else {
      fail('ssl.keystore.type', s.keystoreType, 'must be PKCS12 or PEM');
    }
    hasKeystore = true;
  }

  // The trust store.
  const truststoreType = s.truststoreType.toUpperCase();
  let hasTruststore = false;
  if (s.truststoreCertificates !== null) {
    if (truststoreType !== 'PEM') fail('ssl.truststore.type', s.truststoreType, 'must be PEM when ssl.truststore.certificates is set (KIP-651)');
    if (s.truststoreLocation !== null) fail('ssl.truststore.location', s.truststoreLocation, 'cannot be set with ssl.truststore.certificates (inline PEM)');
    options.ca = s.truststoreCertificates;
    hasTruststore = true;
  } else if (s.truststoreLocation !== null) {
    const file = s.truststoreLocation;
    if (truststoreType === 'JKS') fail('ssl.truststore.type', s.truststoreType, JKS_HINT.replace('set PKCS12, or use PEM', 'use PEM'));
    if (truststoreType === 'PKCS12') {
      // node:tls reads PKCS12 only as a key store (`pfx` needs a private key): the
      // certificates are taken out of the file here (pkcs12.ts).
      const bytes = read('ssl.truststore.location', file);
      let certs: string[] = [];
      try {
        certs = pkcs12Certificates(bytes, s.truststorePassword);
      } catch (err) {
        fail('ssl.truststore.location', file, `cannot read the PKCS12 trust store (ssl.truststore.password): ${(err as Error).message}`);
      }
      if (certs.length === 0) fail('ssl.truststore.location', file, 'the PKCS12 trust store holds no certificate');
      options.ca = certs;
      return { options, hasKeystore, hasTruststore: true, files };
    }
    if (truststoreType !== 'PEM') fail('ssl.truststore.type', s.truststoreType, 'must be PEM');
    if (s.truststorePassword !== null) fail('ssl.truststore.password', '[hidden]', 'SSL trust store password cannot be specified for PEM format.');
    const pem = read('ssl.truststore.location', file);
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) fail('ssl.truststore.location', file, 'the file holds no PEM certificate');
    options.ca = pem;
    hasTruststore = true;
  }
  return { options, hasKeystore, hasTruststore, files };
}

/** ssl.enabled.protocols as node:tls's minVersion/maxVersion (the span from the oldest to the newest). */
function versionOptions(protocols: readonly string[], keyName: (key: string) => string): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion'> {
  const known = ['TLSv1.2', 'TLSv1.3'] as const;
  const enabled = known.filter((p) => protocols.includes(p));
  const unknown = protocols.filter((p) => !(known as readonly string[]).includes(p));
  if (unknown.length > 0 || enabled.length === 0) throw new ConfigError(keyName('ssl.enabled.protocols'), protocols.join(','), `Value must be a non-empty comma-separated list of ${known.join(', ')}`);
  return { minVersion: enabled[0]!, maxVersion: enabled[enabled.length - 1]! };
}

/**
 * ssl.cipher.suites as node:tls's `ciphers`: TLS 1.3 suites keep their names
 * (TLS_AES_128_GCM_SHA256), TLS 1.2 IANA names become OpenSSL's
 * (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 -> ECDHE-RSA-AES128-GCM-SHA256). A suite
 * OpenSSL does not know is refused, naming it.
 */
function cipherOptions(suites: readonly string[], keyName: (key: string) => string): Pick<tls.SecureContextOptions, 'ciphers'> {
  if (suites.length === 0) return {};
  const available = new Set(tls.getCiphers().map((c) => c.toUpperCase()));
  const names = suites.map((suite) => {
    const name = opensslCipherName(suite);
    if (name === null || !available.has(name.toUpperCase())) throw new ConfigError(keyName('ssl.cipher.suites'), suites.join(','), `cipher suite ${suite} is not known to this OpenSSL`);
    return name;
  });
  return { ciphers: names.join(':') };
}

const TLS13_SUITES = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256']);

/** The OpenSSL name of a cipher suite given by its IANA name (or already by its OpenSSL name); null when not convertible. */
export function opensslCipherName(suite: string): string | null {
  const s = suite.trim().toUpperCase();
  if (TLS13_SUITES.has(s)) return s;
  if (!s.startsWith('TLS_')) return s; // an OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256)
  const m = /^TLS_(.+)_WITH_(.+)$/.exec(s);
  if (!m) return null;
  const kx = m[1] === 'RSA' ? '' : m[1]!.replace(/_/g, '-');
  const cipherAndHash = m[2]!;
  let cipher: string;
  let hash: string;
  const chacha = /^CHACHA20_POLY1305_SHA256$/.exec(cipherAndHash);
  if (chacha) {
    cipher = 'CHACHA20-POLY1305';
    hash = '';
  } else {
    const c = /^AES_(128|256)_(GCM|CBC|CCM)_(SHA|SHA256|SHA384)$/.exec(cipherAndHash);
    if (!c) return null;
    cipher = c[2] === 'CBC' ? `AES${c[1]}` : `AES${c[1]}-${c[2]}`;
    hash = c[3]!;
  }
  return [kx, cipher, hash].filter((p) => p !== '').join('-');
}
