// SASL_PLAINTEXT on one broker with librdkafka (kcat) and this package's own client: PLAIN,
// SCRAM-SHA-256 and SCRAM-SHA-512 produce and consume; users made with
// AlterUserScramCredentials (`tidelog configs`) log in at once and are listed by Describe; a
// wrong password and an unknown user are refused with SASL_AUTHENTICATION_FAILED; and the
// hostile cases: a request before authentication, SaslAuthenticate before SaslHandshake, an
// oversized token (sasl.server.max.receive.size), a loop of failed logins, each ending that
// connection only while the broker goes on serving others; SaslHandshake v0 with raw tokens;
// the session lifetime of KIP-368 with re-authentication on the connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { PLAINTEXT_SECURITY, type ClientSecurity } from '../../src/client/client-security.js';
import { SaslAuthenticationError } from '../../src/client/sasl-client.js';
import { encodeRequest } from '../../src/protocol/framing.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { tidelog } from '../cli/run.js';
import { ADMIN, createScramUser, kcatSasl, saslOverrides, writeClientProperties, type Mechanism } from './sasl-broker.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const MAX_RECEIVE_BYTES = 4096;
const REAUTH_MS = 2000;

function security(mechanism: Mechanism, username: string, password: string): ClientSecurity {
  return { securityProtocol: 'SASL_PLAINTEXT', ssl: new Map(), sasl: { mechanism, username, password } };
}

async function metric(broker: BrokerProcess, result: string): Promise<number> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  const m = new RegExp(`^tidelog_sasl_authentications_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('SASL_PLAINTEXT with kcat and the own client', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let dir: string;
  let adminConfig: string;

  before(async () => {
    dir = tempDir('tidelog-sasl-');
    broker = await startBrokerProcess({ overrides: saslOverrides({ 'sasl.server.max.receive.size': MAX_RECEIVE_BYTES, 'connections.max.reauth.ms': REAUTH_MS }) });
    adminConfig = writeClientProperties(dir, 'admin.properties', 'PLAIN', ADMIN.user, ADMIN.password);
    await createScramUser(broker.bootstrap, adminConfig, 'alice', 'SCRAM-SHA-256=[iterations=8192,password=alice-256],SCRAM-SHA-512=[password=alice-512]');
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
    removeDir(dir);
  });

  const logins: [Mechanism, string, string][] = [
    ['PLAIN', 'plainuser', 'plain-pw'],
    ['SCRAM-SHA-256', 'alice', 'alice-256'],
    ['SCRAM-SHA-512', 'alice', 'alice-512'],
  ];
  for (const [mechanism, user, password] of logins) {
    it(`kcat produces and consumes with ${mechanism}`, async () => {
      const topic = `kcat-${mechanism}`;
      const p = await kcat(['-b', broker.bootstrap, ...kcatSasl(mechanism, user, password), '-P', '-t', topic], 'one\ntwo\nthree\n');
      assert.equal(p.code, 0, p.stderr);
      const c = await kcat(['-b', broker.bootstrap, ...kcatSasl(mechanism, user, password), '-C', '-t', topic, '-o', 'beginning', '-e', '-q']);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trim().split('\n'), ['one', 'two', 'three']);
    });
  }

  it("tidelog's console tools log in with --producer.config / --consumer.config", async () => {
    const config = writeClientProperties(dir, 'alice-512.properties', 'SCRAM-SHA-512', 'alice', 'alice-512');
    const p = await tidelog(['console-producer', '--bootstrap-server', broker.bootstrap, '--topic', 'console-sasl', '--producer.config', config], { input: 'x1\nx2\n' });
    assert.equal(p.code, 0, p.stderr);
    const c = await tidelog(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', 'console-sasl', '--from-beginning', '--max-messages', '2', '--consumer.config', config]);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trim().split('\n'), ['x1', 'x2']);
    const wrong = writeClientProperties(dir, 'wrong.properties', 'SCRAM-SHA-512', 'alice', 'nope');
    const refused = await tidelog(['console-producer', '--bootstrap-server', broker.bootstrap, '--topic', 'console-sasl', '--producer.config', wrong], { input: 'x3\n' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });

  it('refuses a wrong password and an unknown user with an authentication error (kcat and the own client)', async () => {
    for (const [mechanism, user, password] of [
      ['SCRAM-SHA-256', 'alice', 'wrong'],
      ['SCRAM-SHA-512', 'nobody', 'alice-512'],
    ] as const) {
      const r = await kcat(['-b', broker.bootstrap, ...kcatSasl(mechanism, user, password), '-L', '-m', '5']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`));
    }
    const plain = await kcat(['-b', broker.bootstrap, ...kcatSasl('PLAIN', 'plainuser', 'nope'), '-L', '-m', '5']);
    assert.match(plain.stderr, /SASL authentication error: Authentication failed: Invalid username or password/);
    await assert.rejects(
      KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security('SCRAM-SHA-256', 'alice', 'wrong')),
      (e: unknown) => e instanceof SaslAuthenticationError && e.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED,
    );
  });

  it('a user made with AlterUserScramCredentials logs in at once; Describe lists it; deleting it refuses it', async () => {
    await createScramUser(broker.bootstrap, adminConfig, 'carol', 'SCRAM-SHA-512=[iterations=4096,password=carol-pw]');
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security('SCRAM-SHA-512', 'carol', 'carol-pw'));
    const md = await conn.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    assert.equal(md.brokers.length, 1);
    conn.close();
    const d = await tidelog(['configs', '--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--describe', '--entity-type', 'users']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(
      d.stdout,
      "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096\n" + "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-512=iterations=4096\n",
    );
    const del = await tidelog(['configs', '--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--alter', '--entity-type', 'users', '--entity-name', 'carol', '--delete-config', 'SCRAM-SHA-512']);
    assert.equal(del.code, 0, del.stderr);
    await assert.rejects(KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security('SCRAM-SHA-512', 'carol', 'carol-pw')), SaslAuthenticationError);
    const again = await tidelog(['configs', '--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--alter', '--entity-type', 'users', '--entity-name', 'carol', '--delete-config', 'SCRAM-SHA-512']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Attempt to delete a user credential that does not exist/);
    const few = await tidelog(['configs', '--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--alter', '--entity-type', 'users', '--entity-name', 'dave', '--add-config', 'SCRAM-SHA-256=[iterations=1000,password=x]']);
    assert.match(few.stderr, /Too few iterations/);
  });

  it('closes a connection whose first request is not ApiVersions or SaslHandshake, and serves others meanwhile', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, PLAINTEXT_SECURITY);
    await assert.rejects(conn.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false }));
    assert.equal(await conn.waitClosed(10_000), true);
    const early = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    const versions = await early.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    assert.equal(versions.errorCode, ErrorCode.NONE, 'ApiVersions is served before authentication');
    const chatty = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    await chatty.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    await chatty.request(ApiKey.ApiVersions, 0, {});
    await assert.rejects(chatty.request(ApiKey.ApiVersions, 0, {}));
    assert.equal(await chatty.waitClosed(10_000), true, 'a third ApiVersions before SaslHandshake closes the connection');
    await assert.rejects(early.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000admin\u0000admin-secret') }));
    assert.equal(await early.waitClosed(10_000), true, 'SaslAuthenticate before SaslHandshake closes the connection');
    const ok = await kcat(['-b', broker.bootstrap, ...kcatSasl('PLAIN', ADMIN.user, ADMIN.password), '-L', '-m', '10']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("the admin API's own Kafka client logs in with the broker's inter-broker credentials", async () => {
    const r = await fetch(`${broker.adminUrl}/v1/groups`);
    assert.equal(r.status, 200, await r.text());
  });

  it('closes a connection that sends another request between SaslHandshake and SaslAuthenticate', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    assert.equal((await conn.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })).errorCode, ErrorCode.NONE);
    await assert.rejects(conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }));
    assert.equal(await conn.waitClosed(10_000), true);
  });

  it('re-authentication keeps the principal and the mechanism, or the connection is closed', async () => {
    const plain = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`);
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    await conn.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    assert.equal((await conn.request(ApiKey.SaslAuthenticate, 2, { authBytes: plain(ADMIN.user, ADMIN.password) })).errorCode, ErrorCode.NONE);
    assert.equal((await conn.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE, 're-authentication starts');
    const other = await conn.request(ApiKey.SaslAuthenticate, 2, { authBytes: plain('plainuser', 'plain-pw') });
    assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(other.errorMessage ?? '', /Cannot change principals during re-authentication/);
    assert.equal(await conn.waitClosed(10_000), true);
    const switching = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    await switching.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    await switching.request(ApiKey.SaslAuthenticate, 2, { authBytes: plain(ADMIN.user, ADMIN.password) });
    assert.equal((await switching.request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' })).errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.equal(await switching.waitClosed(10_000), true);
  });

  it("answers AlterUserScramCredentials and DescribeUserScramCredentials mistakes with Kafka's errors", async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security('PLAIN', ADMIN.user, ADMIN.password));
    const salted = { salt: Buffer.from('salt'), saltedPassword: Buffer.alloc(32, 1) };
    const alter = await conn.request(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: 'ghost', mechanism: 1 }],
      upsertions: [
        { name: 'twice', mechanism: 1, iterations: 4096, ...salted },
        { name: 'twice', mechanism: 1, iterations: 4096, ...salted },
        { name: 'md5', mechanism: 9, iterations: 4096, ...salted },
        { name: '', mechanism: 1, iterations: 4096, ...salted },
        { name: 'many', mechanism: 2, iterations: 20_000, ...salted },
      ],
    });
    const byUser = new Map(alter.results.map((r) => [r.user, r]));
    assert.deepEqual([byUser.get('ghost')!.errorCode, byUser.get('ghost')!.errorMessage], [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist']);
    assert.equal(byUser.get('twice')!.errorCode, ErrorCode.DUPLICATE_RESOURCE);
    assert.deepEqual([byUser.get('md5')!.errorCode, byUser.get('md5')!.errorMessage], [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism']);
    assert.deepEqual([byUser.get('')!.errorCode, byUser.get('')!.errorMessage], [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty']);
    assert.deepEqual([byUser.get('many')!.errorCode, byUser.get('many')!.errorMessage], [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations']);
    const describe = await conn.request(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'twice' }, { name: 'alice' }, { name: 'alice' }] });
    const d = new Map(describe.results.map((r) => [r.user, r]));
    assert.equal(d.get('twice')!.errorCode, ErrorCode.RESOURCE_NOT_FOUND, 'a refused upsert changed nothing');
    assert.equal(d.get('alice')!.errorCode, ErrorCode.DUPLICATE_RESOURCE);
    conn.close();
  });

  it('closes a connection sending a token over sasl.server.max.receive.size', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    const handshake = await conn.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' });
    assert.equal(handshake.errorCode, ErrorCode.NONE);
    assert.deepEqual(handshake.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    await assert.rejects(conn.request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(MAX_RECEIVE_BYTES + 1, 0x61) }));
    assert.equal(await conn.waitClosed(10_000), true);
    // A size prefix alone over the bound is enough.
    const raw = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(100 * 1024 * 1024);
    await raw.writeRaw(prefix);
    assert.equal(await raw.waitClosed(10_000), true);
  });

  it('answers an unsupported mechanism with UNSUPPORTED_SASL_MECHANISM and closes', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    const r = await conn.request(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.equal(await conn.waitClosed(10_000), true);
  });

  it('keeps serving another client through 2,000 failed logins', async () => {
    const failuresBefore = await metric(broker, 'failure');
    const ATTEMPTS = 2000;
    const attempts = (async () => {
      for (let i = 0; i < ATTEMPTS; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security(j % 2 === 0 ? 'SCRAM-SHA-256' : 'PLAIN', j % 3 === 0 ? 'alice' : `nobody${i + j}`, 'wrong')).then(
              (c) => {
                c.close();
                throw new Error('a wrong password was accepted');
              },
              (e: unknown) => assert.ok(e instanceof SaslAuthenticationError, String(e)),
            ),
          ),
        );
      }
    })();
    const p = await kcat(['-b', broker.bootstrap, ...kcatSasl('SCRAM-SHA-256', 'alice', 'alice-256'), '-P', '-t', 'during-attack'], 'still here\n');
    await attempts;
    assert.equal(p.code, 0, p.stderr);
    const c = await kcat(['-b', broker.bootstrap, ...kcatSasl('SCRAM-SHA-512', 'alice', 'alice-512'), '-C', '-t', 'during-attack', '-o', 'beginning', '-e', '-q']);
    assert.equal(c.stdout.trim(), 'still here');
    assert.ok((await metric(broker, 'failure')) - failuresBefore >= ATTEMPTS);
  });

  it('serves SaslHandshake v0 with raw SASL tokens (clients before KIP-152)', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: broker.port });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    const received = async (bytes: number): Promise<Buffer> => {
      await waitFor(`${bytes} bytes from the broker`, () => Buffer.concat(chunks).length >= bytes, { timeoutMs: 10_000 });
      const all = Buffer.concat(chunks);
      chunks.length = 0;
      if (all.length > bytes) chunks.push(all.subarray(bytes));
      return all.subarray(0, bytes);
    };
    socket.write(Buffer.from(encodeRequest(ApiKey.SaslHandshake, 0, 7, 'raw', { mechanism: 'PLAIN' })));
    const sizeBytes = await received(4);
    const body = await received(sizeBytes.readInt32BE(0));
    assert.equal(body.readInt32BE(0), 7, 'correlation id');
    assert.equal(body.readInt16BE(4), ErrorCode.NONE);
    const token = Buffer.from(`\u0000${ADMIN.user}\u0000${ADMIN.password}`);
    const frame = Buffer.alloc(4 + token.length);
    frame.writeInt32BE(token.length);
    token.copy(frame, 4);
    socket.write(frame);
    assert.equal((await received(4)).readInt32BE(0), 0, 'PLAIN answers an empty raw token');
    socket.write(Buffer.from(encodeRequest(ApiKey.ApiVersions, 0, 8, 'raw', {})));
    const after = await received(4);
    assert.ok(after.readInt32BE(0) > 6, 'authenticated: ordinary requests are served');
    socket.destroy();
  });

  it(`re-authenticates on the same connection within connections.max.reauth.ms (${REAUTH_MS} ms), and closes one that does not`, async () => {
    const reauthBefore = await metric(broker, 'reauthentication');
    // The own client re-authenticates by itself (sasl-client.ts) when told the session lifetime.
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000, undefined, security('SCRAM-SHA-256', 'alice', 'alice-256'));
    await waitFor('a re-authentication', async () => (await metric(broker, 'reauthentication')) > reauthBefore, { timeoutMs: 30_000, intervalMs: 200 });
    const md = await conn.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false });
    assert.equal(md.brokers.length, 1, 'still served after the first session would have expired');
    conn.close();
    // A client that authenticates by hand and never re-authenticates: served until the session ends, then closed.
    const manual = await KafkaConnection.connect('127.0.0.1', broker.port, 't', 5000);
    assert.equal((await manual.request(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
    const auth = await manual.request(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from(`\u0000${ADMIN.user}\u0000${ADMIN.password}`) });
    assert.equal(auth.errorCode, ErrorCode.NONE);
    assert.equal(auth.sessionLifetimeMs, REAUTH_MS);
    const expiresAt = Date.now() + auth.sessionLifetimeMs;
    await waitFor('the session to end', () => Date.now() > expiresAt + 100, { timeoutMs: 30_000 });
    await assert.rejects(manual.request(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false }));
    assert.equal(await manual.waitClosed(10_000), true);
  });
});
