// The SASL mechanisms and settings on their own: SCRAM-SHA-256 against RFC 7677's example
// exchange (golden bytes from the spec), SCRAM-SHA-512 against this package's independent
// client (src/client/sasl-client.ts), Kafka's credential text, PLAIN's messages, user name
// sanitizing for ZooKeeper, the password check the admin API will use, and the start-up errors
// of the SASL settings.
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { ConfigError } from '../../src/config/config-def.js';
import { MemoryUserConfigs, ScramCredentialStore, verifyScramPassword } from '../../src/security/sasl/credential-store.js';
import { evaluatePlain } from '../../src/security/sasl/plain.js';
import { SaslFailure } from '../../src/security/sasl/sasl-failure.js';
import { saslSettingsOf } from '../../src/security/sasl/sasl-settings.js';
import {
  credentialFromSaltedPassword,
  credentialFromString,
  credentialToString,
  newScramCredential,
  saltedPassword,
  SCRAM_SHA_256,
  SCRAM_SHA_512,
  ScramServerExchange,
} from '../../src/security/sasl/scram.js';
import { desanitize, sanitize } from '../../src/cluster/sanitizer.js';

const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-pw";';

describe('SCRAM (RFC 5802 / 7677) on the broker', () => {
  it('runs RFC 7677 section 3 example exchange byte for byte', () => {
    // user "user", password "pencil", i=4096, salt W22ZaJ0SNY7soEsUEjb6gQ==.
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const credential = credentialFromSaltedPassword(SCRAM_SHA_256, salt, saltedPassword(SCRAM_SHA_256, 'pencil', salt, 4096), 4096);
    const exchange = new ScramServerExchange(SCRAM_SHA_256, (u) => (u === 'user' ? credential : undefined), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const serverFirst = exchange.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString();
    assert.equal(serverFirst, 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const serverFinal = exchange.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')).toString();
    assert.equal(serverFinal, 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    assert.ok(exchange.complete);
    assert.equal(exchange.username, 'user');
  });

  it('refuses a wrong proof, an unknown user and tokenauth with the generic Kafka message', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const credential = credentialFromSaltedPassword(SCRAM_SHA_256, salt, saltedPassword(SCRAM_SHA_256, 'pencil', salt, 4096), 4096);
    const generic = 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256';
    const wrong = new ScramServerExchange(SCRAM_SHA_256, () => credential, () => 'srv');
    wrong.evaluate(Buffer.from('n,,n=user,r=abc'));
    assert.throws(() => wrong.evaluate(Buffer.from(`c=biws,r=abcsrv,p=${Buffer.alloc(32).toString('base64')}`)), (e: unknown) => e instanceof SaslFailure && e.clientMessage === generic);
    const unknown = new ScramServerExchange(SCRAM_SHA_256, () => undefined);
    assert.throws(() => unknown.evaluate(Buffer.from('n,,n=nobody,r=abc')), (e: unknown) => e instanceof SaslFailure && e.clientMessage === generic);
    const token = new ScramServerExchange(SCRAM_SHA_256, () => credential);
    assert.throws(() => token.evaluate(Buffer.from('n,,n=user,r=abc,tokenauth=true')), (e: unknown) => e instanceof SaslFailure && /tokenauth/.test(e.detail));
    const other = new ScramServerExchange(SCRAM_SHA_256, () => credential);
    assert.throws(() => other.evaluate(Buffer.from('n,a=admin,n=user,r=abc')), (e: unknown) => e instanceof SaslFailure && /authorization id that is different/.test(e.clientMessage));
    const nonce = new ScramServerExchange(SCRAM_SHA_256, () => credential, () => 'srv');
    nonce.evaluate(Buffer.from('n,,n=user,r=abc'));
    assert.throws(() => nonce.evaluate(Buffer.from(`c=biws,r=abcOTHER,p=${Buffer.alloc(32).toString('base64')}`)), (e: unknown) => e instanceof SaslFailure && /nonce/.test(e.detail));
  });

  it('completes SCRAM-SHA-512 with a client computed here independently, and decodes =2C / =3D in names', () => {
    const credential = newScramCredential(SCRAM_SHA_512, 'pw,=x', 4096);
    const exchange = new ScramServerExchange(SCRAM_SHA_512, (u) => (u === 'a,b=c' ? credential : undefined));
    const clientFirstBare = 'n=a=2Cb=3Dc,r=clientnonce';
    const serverFirst = exchange.evaluate(Buffer.from(`n,,${clientFirstBare}`)).toString();
    const fields = new Map(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync('pw,=x', Buffer.from(fields.get('s')!, 'base64'), Number(fields.get('i')), 64, 'sha512');
    const clientKey = createHmac('sha512', salted).update('Client Key').digest();
    const withoutProof = `c=biws,r=${fields.get('r')}`;
    const auth = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const sig = createHmac('sha512', createHash('sha512').update(clientKey).digest()).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
    const final = exchange.evaluate(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).toString();
    const serverSig = createHmac('sha512', createHmac('sha512', salted).update('Server Key').digest()).update(auth).digest();
    assert.equal(final, `v=${serverSig.toString('base64')}`);
    assert.equal(exchange.username, 'a,b=c');
  });

  it("keeps Kafka's credential text and never the password", () => {
    const c = newScramCredential(SCRAM_SHA_256, 'secret-pw', 8192);
    const text = credentialToString(c);
    assert.match(text, /^salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=8192$/);
    assert.ok(!text.includes('secret-pw'));
    assert.deepEqual(credentialFromString(text), c);
  });

  it('verifies a username and password against the stored credentials (the admin API check)', () => {
    const store = new ScramCredentialStore(new MemoryUserConfigs());
    store.alter('alice', [{ mechanism: 'SCRAM-SHA-512', credential: newScramCredential(SCRAM_SHA_512, 'right', 4096) }]);
    assert.equal(verifyScramPassword(store, 'alice', 'right'), true);
    assert.equal(verifyScramPassword(store, 'alice', 'wrong'), false);
    assert.equal(verifyScramPassword(store, 'bob', 'right'), false);
    assert.deepEqual(store.describe(), [{ user: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }]);
  });
});

describe('PLAIN (RFC 4616) on the broker', () => {
  const users = new Map([['alice', 'alice-pw']]);
  it("accepts the right password and refuses the rest with Kafka's messages", () => {
    assert.equal(evaluatePlain(Buffer.from('\u0000alice\u0000alice-pw'), users), 'alice');
    assert.equal(evaluatePlain(Buffer.from('alice\u0000alice\u0000alice-pw'), users), 'alice');
    const refused = (token: string, message: RegExp) => assert.throws(() => evaluatePlain(Buffer.from(token), users), (e: unknown) => e instanceof SaslFailure && message.test(e.clientMessage));
    refused('\u0000alice\u0000nope', /^Authentication failed: Invalid username or password$/);
    refused('\u0000bob\u0000alice-pw', /^Authentication failed: Invalid username or password$/);
    refused('admin\u0000alice\u0000alice-pw', /authorization id that is different from username/);
    refused('\u0000\u0000x', /username not specified/);
    refused('\u0000alice\u0000', /password not specified/);
    refused('alice-pw', /invalid credentials with SASL mechanism PLAIN/);
  });
});

describe('ZooKeeper user names', () => {
  it("sanitizes as Kafka's Sanitizer (URL-encoding, * as %2A)", () => {
    assert.equal(sanitize('alice'), 'alice');
    assert.equal(sanitize('CN=a b,O=*'), 'CN%3Da%20b%2CO%3D%2A');
    assert.equal(desanitize(sanitize('ü*(x)~')), 'ü*(x)~');
  });
});

describe('SASL settings', () => {
  const base = (extra: [string, string][]) => buildBrokerConfig(new Map<string, string>([['listeners', 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0'], ...extra]));
  const fails = (extra: [string, string][], key: string, reason: RegExp) =>
    assert.throws(() => saslSettingsOf(base(extra)), (e: unknown) => e instanceof ConfigError && e.key === key && reason.test(e.reason) && !e.message.includes('admin-secret'));

  it('reads mechanisms per listener and PLAIN users from the JAAS entry', () => {
    const s = saslSettingsOf(base([
      ['sasl.enabled.mechanisms', 'PLAIN,SCRAM-SHA-512'],
      ['listener.name.sasl_plaintext.plain.sasl.jaas.config', PLAIN_JAAS],
    ]));
    const l = s.listeners.get('SASL_PLAINTEXT')!;
    assert.deepEqual(l.mechanisms, ['PLAIN', 'SCRAM-SHA-512']);
    assert.deepEqual([...l.plainUsers], [['admin', 'admin-secret'], ['alice', 'alice-pw']]);
    assert.equal(s.listeners.has('PLAINTEXT'), false);
    assert.equal(l.reauthMs.get('PLAIN'), 0);
    assert.equal(s.maxReceiveBytes, 524288);
  });

  it("refuses Kafka's default GSSAPI, OAUTHBEARER, PLAIN without users, a bare sasl.jaas.config and a wrong login module", () => {
    fails([], 'sasl.enabled.mechanisms', /GSSAPI/);
    fails([['listener.name.sasl_plaintext.sasl.enabled.mechanisms', 'OAUTHBEARER']], 'listener.name.sasl_plaintext.sasl.enabled.mechanisms', /OAUTHBEARER/);
    fails([['sasl.enabled.mechanisms', 'PLAIN']], 'listener.name.sasl_plaintext.plain.sasl.jaas.config', /user_<name>/);
    fails([['sasl.enabled.mechanisms', 'SCRAM-SHA-256'], ['sasl.jaas.config', PLAIN_JAAS]], 'sasl.jaas.config', /listener\.name\.<listener>\.<mechanism>\.sasl\.jaas\.config/);
    fails(
      [['sasl.enabled.mechanisms', 'PLAIN'], ['listener.name.sasl_plaintext.plain.sasl.jaas.config', 'org.apache.kafka.common.security.scram.ScramLoginModule required user_admin="admin-secret";']],
      'listener.name.sasl_plaintext.plain.sasl.jaas.config',
      /PlainLoginModule/,
    );
  });

  it('reads connections.max.reauth.ms per listener and per mechanism, as Kafka does', () => {
    const s = saslSettingsOf(base([
      ['sasl.enabled.mechanisms', 'SCRAM-SHA-256,SCRAM-SHA-512'],
      ['connections.max.reauth.ms', '1000'],
      ['listener.name.sasl_plaintext.connections.max.reauth.ms', '2000'],
      ['listener.name.sasl_plaintext.scram-sha-512.connections.max.reauth.ms', '3000'],
    ]));
    const l = s.listeners.get('SASL_PLAINTEXT')!;
    assert.deepEqual([...l.reauthMs], [['SCRAM-SHA-256', 2000], ['SCRAM-SHA-512', 3000]]);
    fails([['sasl.enabled.mechanisms', 'SCRAM-SHA-256'], ['listener.name.sasl_plaintext.scram-sha-256.connections.max.reauth.ms', 'soon']], 'listener.name.sasl_plaintext.scram-sha-256.connections.max.reauth.ms', /LONG/);
  });

  it('needs sasl.mechanism.inter.broker.protocol and credentials when the inter-broker listener is SASL', () => {
    const inter: [string, string][] = [['inter.broker.listener.name', 'SASL_PLAINTEXT'], ['sasl.enabled.mechanisms', 'PLAIN'], ['listener.name.sasl_plaintext.plain.sasl.jaas.config', PLAIN_JAAS]];
    fails(inter, 'sasl.mechanism.inter.broker.protocol', /GSSAPI is not served/);
    fails([...inter, ['sasl.mechanism.inter.broker.protocol', 'SCRAM-SHA-256']], 'sasl.mechanism.inter.broker.protocol', /one of its mechanisms \(PLAIN\)/);
    assert.ok(saslSettingsOf(base([...inter, ['sasl.mechanism.inter.broker.protocol', 'PLAIN']])).listeners.has('SASL_PLAINTEXT'));
  });
});
