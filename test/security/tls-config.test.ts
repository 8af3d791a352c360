// The ssl.* settings without a broker process: what is refused and how the refusal names the
// key (JKS stores, a wrong PKCS12 trust store password, passwords with PEM, an SSL listener
// without a key store, a per-listener value), PKCS12 trust stores from openssl and keytool,
// cipher suite names, the client certificate's subject in
// Java's RFC 2253 form (openssl-made certificates), ssl.principal.mapping.rules, and that
// DescribeConfigs never shows an ssl password.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { buildBrokerConfig, describeBrokerConfig } from '../../src/config/broker-config.js';
import { ConfigError } from '../../src/config/config-def.js';
import { loadSslStores, opensslCipherName, sslSettingsFromProperties } from '../../src/config/ssl-stores.js';
import { pkcs12Certificates } from '../../src/config/pkcs12.js';
import { interBrokerSecurity } from '../../src/security/inter-broker.js';
import { listenerClientAuth, ListenerTls } from '../../src/security/tls/listener-tls.js';
import { SslPrincipalMapper, subjectDn } from '../../src/security/tls/principal-mapper.js';
import { issue, makeTestCerts, P12_PASSWORD, type TestCerts } from '../helpers/certs.js';

const silent = pino({ level: 'silent' });

function config(entries: Record<string, string>) {
  return buildBrokerConfig(new Map(Object.entries({ 'log.dirs': '/tmp/unused', ...entries })));
}

/** The ConfigError ListenerTls.create throws for the config's first listener. */
function listenerError(entries: Record<string, string>): ConfigError {
  const c = config(entries);
  try {
    ListenerTls.create(c, c.listeners[0]!, silent).close();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('ssl.* settings', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => certs.remove());

  it('an SSL listener starts with a PEM or PKCS12 key store', () => {
    for (const entries of <Record<string, string>[]>[
      { 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.server.keystorePem },
      { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.server.keystoreP12, 'ssl.keystore.password': P12_PASSWORD },
      { 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': readFileSync(certs.server.key, 'utf8'), 'ssl.keystore.certificate.chain': readFileSync(certs.server.cert, 'utf8'), 'ssl.truststore.type': 'PEM', 'ssl.truststore.certificates': readFileSync(certs.caPem, 'utf8') },
    ]) {
      const c = config({ listeners: 'SSL://127.0.0.1:0', ...entries });
      ListenerTls.create(c, c.listeners[0]!, silent).close();
    }
  });

  it('refuses what it cannot honour, naming the key', () => {
    const ssl = { listeners: 'SSL://127.0.0.1:0' };
    assert.match(listenerError({ ...ssl, 'ssl.keystore.location': certs.server.keystoreP12 }).message, /ssl\.keystore\.type: JKS is not supported here.*keytool -importkeystore/);
    assert.match(listenerError(ssl).message, /configuration ssl\.keystore\.location: listener SSL \(SSL\) needs a key store/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.server.keystorePem, 'ssl.keystore.password': 'x' }).message, /ssl\.keystore\.password: SSL key store password cannot be specified with PEM format/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.server.keystorePem, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': certs.caP12, 'ssl.truststore.password': 'wrong' }).message, /ssl\.truststore\.location: cannot read the PKCS12 trust store \(ssl\.truststore\.password\): the MAC does not match: wrong password/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.server.keystoreP12, 'ssl.keystore.password': 'wrong' }).message, /ssl\.keystore\.location: cannot use the key store/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/no/such/file.pem' }).message, /ssl\.keystore\.location: cannot read the file: ENOENT/);
    // A per-listener value is named as such.
    assert.match(listenerError({ ...ssl, 'listener.name.ssl.ssl.keystore.type': 'PEM', 'listener.name.ssl.ssl.keystore.location': '/no/such/file.pem' }).message, /configuration listener\.name\.ssl\.ssl\.keystore\.location/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.server.keystorePem, 'ssl.cipher.suites': 'TLS_NO_SUCH_CIPHER' }).message, /ssl\.cipher\.suites.*TLS_NO_SUCH_CIPHER/);
    assert.match(listenerError({ ...ssl, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.server.keystorePem, 'ssl.principal.mapping.rules': 'RULE:^CN=(.*)$' }).message, /ssl\.principal\.mapping\.rules: rule 'RULE:\^CN=\(\.\*\)\$' must be DEFAULT or RULE/);
    // Validated when read: a protocol node:tls is not given, a client auth value Kafka does not have.
    assert.throws(() => config({ 'ssl.enabled.protocols': 'TLSv1.1' }), /ssl\.enabled\.protocols/);
    assert.throws(() => config({ 'ssl.client.auth': 'always' }), /ssl\.client\.auth.*none, requested, required/);
    assert.throws(() => loadSslStores(sslSettingsFromProperties(new Map([['ssl.truststore.location', certs.caPem]]))), /ssl\.truststore\.type: JKS is not supported/);
  });

  it('reads PKCS12 trust stores made by openssl (AES, 3DES or no encryption) and by keytool', () => {
    const ca = new X509Certificate(readFileSync(certs.caPem));
    const made = [certs.caP12];
    const exportP12 = (name: string, extra: string[]) => {
      const file = path.join(certs.dir, name);
      execFileSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', certs.caPem, '-out', file, '-passout', `pass:${P12_PASSWORD}`, ...extra]);
      made.push(file);
    };
    exportP12('ca-3des.p12', ['-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']);
    exportP12('ca-clear.p12', ['-certpbe', 'NONE']);
    const keytool = path.join(certs.dir, 'ca-keytool.p12');
    execFileSync('keytool', ['-importcert', '-storetype', 'PKCS12', '-keystore', keytool, '-storepass', P12_PASSWORD, '-file', certs.caPem, '-alias', 'ca', '-noprompt'], { stdio: 'ignore' });
    made.push(keytool);
    for (const file of made) {
      const stores = loadSslStores(sslSettingsFromProperties(new Map([['ssl.truststore.type', 'PKCS12'], ['ssl.truststore.location', file], ['ssl.truststore.password', P12_PASSWORD]])));
      const cas = stores.options.ca as string[];
      assert.equal(cas.length, 1, file);
      assert.equal(new X509Certificate(cas[0]!).fingerprint256, ca.fingerprint256, file);
    }
    // Certificates stored in clear: a wrong password fails the MAC check; no password skips it, as in Java.
    const clear = (password: string | null) => loadSslStores(sslSettingsFromProperties(new Map([['ssl.truststore.type', 'PKCS12'], ['ssl.truststore.location', made[2]!], ...(password === null ? [] : [['ssl.truststore.password', password] as [string, string]])])));
    assert.throws(() => clear('wrong'), /the MAC does not match/);
    assert.equal((clear(null).options.ca as string[]).length, 1);
  });

  it('a damaged PKCS12 file is refused with an error, never a hang or a crash (seeded fuzz)', () => {
    const good = readFileSync(certs.caP12);
    let seed = 0x7e11;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let round = 0; round < 400; round++) {
      const bad = Buffer.from(good);
      for (let flips = 1 + (next() % 4); flips > 0; flips--) bad[next() % bad.length] = next() & 0xff;
      const input = round % 5 === 0 ? bad.subarray(0, next() % bad.length) : bad;
      try {
        pkcs12Certificates(input, P12_PASSWORD);
      } catch (err) {
        assert.ok(err instanceof Error, `round ${round}: ${String(err)}`);
      }
    }
  });

  it('ssl.client.auth: SASL_SSL listeners take only their own value (KIP-684)', () => {
    const c = config({ listeners: 'SSL://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094,MTLS://127.0.0.1:9095', 'listener.security.protocol.map': 'SSL:SSL,SASL_SSL:SASL_SSL,MTLS:SASL_SSL', 'ssl.client.auth': 'required', 'listener.name.mtls.ssl.client.auth': 'requested' });
    assert.deepEqual(c.listeners.map((l) => listenerClientAuth(c, l)), ['required', 'none', 'requested']);
  });

  it('cipher suites by their IANA (Java) names', () => {
    assert.equal(opensslCipherName('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
    assert.equal(opensslCipherName('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-ECDSA-CHACHA20-POLY1305');
    assert.equal(opensslCipherName('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'), 'ECDHE-RSA-AES256-SHA384');
    assert.equal(opensslCipherName('TLS_RSA_WITH_AES_128_GCM_SHA256'), 'AES128-GCM-SHA256');
    assert.equal(opensslCipherName('TLS_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384');
    const stores = loadSslStores(sslSettingsFromProperties(new Map([['ssl.cipher.suites', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256']])));
    assert.equal(stores.options.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256');
  });

  it("prints a certificate's subject as Java's X500Principal.getName() does", () => {
    const cert = (file: string) => new X509Certificate(readFileSync(file));
    assert.equal(subjectDn(cert(certs.client.cert)), 'CN=client,OU=test,O=tidelog');
    // Escaped characters, a multi-valued RDN, and emailAddress (no RFC 2253 keyword: Java prints its OID and DER value).
    const odd = issue(certs.dir, 'odd', '/C=DE/O=Acme\\, Inc./OU=a+OU=b/CN=Jane Doe/emailAddress=jane@example.com', null);
    assert.equal(subjectDn(cert(odd.cert)), '1.2.840.113549.1.9.1=#16106a616e65406578616d706c652e636f6d,CN=Jane Doe,OU=a+OU=b,O=Acme\\, Inc.,C=DE');
  });

  it('maps subjects with ssl.principal.mapping.rules (Kafka\'s RULE:pattern/replacement/[LU] grammar)', () => {
    const mapper = SslPrincipalMapper.fromRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?)$/$1@$3/L,\n  DEFAULT');
    assert.equal(mapper.name('CN=kafka-broker,OU=ServiceUsers,O=Org,C=US'), 'kafka-broker');
    assert.equal(mapper.name('CN=Client,OU=test,O=Tidelog'), 'client@tidelog');
    assert.equal(mapper.name('CN=x,C=US'), 'CN=x,C=US');
    assert.equal(SslPrincipalMapper.fromRules('DEFAULT').name('CN=client,OU=test,O=tidelog'), 'CN=client,OU=test,O=tidelog');
    // No rule applies and no DEFAULT: Kafka fails the connection ("No rules apply to ...").
    assert.equal(SslPrincipalMapper.fromRules('RULE:^CN=admin$/root/U').name('CN=client'), null);
    assert.equal(SslPrincipalMapper.fromRules('RULE:^CN=admin$/root/U').name('CN=admin'), 'ROOT');
    // A pattern with ", " (a DN as some tools print it) keeps its space.
    assert.equal(SslPrincipalMapper.fromRules('RULE:^CN=(.*), O=x$/$1/').name('CN=a, O=x'), 'a');
  });

  it('never shows an ssl password, and gives inter-broker clients the listener\'s own settings', () => {
    const c = config({
      listeners: 'PLAIN://127.0.0.1:9092,BROKERS://127.0.0.1:9093',
      'listener.security.protocol.map': 'PLAIN:PLAINTEXT,BROKERS:SSL',
      'inter.broker.listener.name': 'BROKERS',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': certs.server.keystoreP12,
      'ssl.keystore.password': P12_PASSWORD,
      'listener.name.brokers.ssl.truststore.type': 'PEM',
      'listener.name.brokers.ssl.truststore.location': certs.caPem,
    });
    const described = describeBrokerConfig(c).find((e) => e.name === 'ssl.keystore.password')!;
    assert.equal(described.value, null);
    assert.equal(described.type, 'password');
    const sec = interBrokerSecurity(c);
    assert.equal(sec.securityProtocol, 'SSL');
    assert.equal(sec.ssl.get('ssl.truststore.location'), certs.caPem);
    assert.equal(sec.ssl.get('ssl.keystore.password'), P12_PASSWORD);
    assert.equal(sec.ssl.get('ssl.endpoint.identification.algorithm'), 'https');
    assert.equal(interBrokerSecurity(config({ listeners: 'PLAINTEXT://127.0.0.1:9092' })).securityProtocol, 'PLAINTEXT');
  });
});
