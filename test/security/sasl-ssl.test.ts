// The whole security model on one broker, as a team would run it: a SASL_SSL listener (TLS with
// the broker's certificate, SCRAM users), ACLs (authorizer.class.name, the PLAIN admin in
// super.users), and the admin API over HTTPS with HTTP Basic against the same SCRAM users.
// kcat (SCRAM-SHA-256) and the Java client (SCRAM-SHA-512) are refused without ACLs and served
// after `tidelog acls`; wrong passwords and untrusted brokers are refused; the admin API answers
// 401/403/200 by the same users and ACLs.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { tidelog } from '../cli/run.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { kcat } from '../helpers/kcat.js';
import { ADMIN, PLAIN_LOGIN, SCRAM_LOGIN } from './sasl-broker.js';

const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
const TOPIC = 'secure-orders';

describe('SASL_SSL with SCRAM, ACLs and the admin API behind HTTPS and Basic', { timeout: 600_000 }, () => {
  let certs: TestCerts;
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let dir: string;
  let adminConfig: string;
  let adminPort: number;

  const clientProps = (mechanism: string, user: string, password: string) =>
    [
      'security.protocol=SASL_SSL',
      `sasl.mechanism=${mechanism}`,
      `sasl.jaas.config=${mechanism === 'PLAIN' ? PLAIN_LOGIN : SCRAM_LOGIN} required username="${user}" password="${password}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certs.caPem}`,
      '',
    ].join('\n');
  const propsFile = (name: string, mechanism: string, user: string, password: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, clientProps(mechanism, user, password));
    return file;
  };
  const kcatAs = (mechanism: string, user: string, password: string, ca = certs.caPem) => [
    '-b', broker.bootstrap, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${ca}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`,
  ];
  const cli = async (args: string[]) => {
    const r = await tidelog([...args, '--bootstrap-server', broker.bootstrap, '--command-config', adminConfig]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  function admin(method: string, urlPath: string, auth: string | null): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: adminPort, method, path: urlPath, ca: readFileSync(certs.caPem), headers: auth === null ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    certs = makeTestCerts();
    dir = tempDir('tidelog-sasl-ssl-');
    broker = await startBrokerProcess({
      overrides: {
        listeners: 'SASL_SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.server.keystorePem,
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'listener.name.sasl_ssl.plain.sasl.jaas.config': `${PLAIN_LOGIN} required username="${ADMIN.user}" password="${ADMIN.password}" user_${ADMIN.user}="${ADMIN.password}";`,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': `User:${ADMIN.user}`,
        'group.initial.rebalance.delay.ms': 0,
        'admin.listener': 'https://127.0.0.1:0',
        'admin.authentication': 'basic',
      },
    });
    adminPort = broker.logLines.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((e) => e.msg === 'admin listening')!.port!;
    adminConfig = propsFile('admin.properties', 'PLAIN', ADMIN.user, ADMIN.password);
    await cli(['configs', '--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'SCRAM-SHA-256=[password=alice-secret]']);
    await cli(['configs', '--alter', '--entity-type', 'users', '--entity-name', 'bob', '--add-config', 'SCRAM-SHA-512=[password=bob-secret]']);
    await cli(['topics', '--create', '--topic', TOPIC, '--partitions', '2']);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    if (dir) removeDir(dir);
    certs?.remove();
  });

  it('refuses a wrong password and a broker certificate the client does not trust', async () => {
    const wrong = await kcat([...kcatAs('SCRAM-SHA-256', 'alice', 'nope'), '-L', '-m', '10'], undefined, 30_000);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Authentication failed|SASL authentication error/i);
    const untrusted = await kcat([...kcatAs('SCRAM-SHA-256', 'alice', 'alice-secret', certs.untrusted.cert), '-L', '-m', '10'], undefined, 30_000);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate verify failed|SSL handshake failed/i);
  });

  it('a SCRAM user without ACLs is refused; after tidelog acls kcat and the Java client produce and consume with SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    const refused = await kcat([...kcatAs('SCRAM-SHA-256', 'alice', 'alice-secret'), '-P', '-t', TOPIC], 'denied\n', 30_000);
    assert.match(refused.stderr, /Topic authorization failed|TOPIC_AUTHORIZATION_FAILED/i);

    await cli(['acls', '--add', '--allow-principal', 'User:alice', '--producer', '--topic', TOPIC]);
    await cli(['acls', '--add', '--allow-principal', 'User:bob', '--consumer', '--topic', TOPIC, '--group', 'secure-readers']);
    const values = Array.from({ length: 50 }, (_, i) => `secret-${i}`);
    const produced = await kcat([...kcatAs('SCRAM-SHA-256', 'alice', 'alice-secret'), '-P', '-t', TOPIC, '-p', '0'], `${values.join('\n')}\n`, 30_000);
    assert.equal(produced.code, 0, produced.stderr);

    const consumerConfig = propsFile('bob.properties', 'SCRAM-SHA-512', 'bob', 'bob-secret');
    const consumed = await runKafkaClass(
      libs,
      CONSOLE_CONSUMER,
      ['--bootstrap-server', broker.bootstrap, '--topic', TOPIC, '--group', 'secure-readers', '--from-beginning', '--max-messages', String(values.length), '--timeout-ms', '60000', '--consumer.config', consumerConfig],
      { heap: '256M', timeoutMs: 120_000 },
    );
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.split('\n').filter((l) => l.startsWith('secret-')), values);

    // The other way round: the Java producer as alice (SCRAM-SHA-256), kcat as bob (SCRAM-SHA-512).
    const producerConfig = propsFile('alice.properties', 'SCRAM-SHA-256', 'alice', 'alice-secret');
    const javaProduced = await runKafkaClass(
      libs,
      KAFKA_MAIN.producerPerformance,
      ['--topic', TOPIC, '--num-records', '500', '--record-size', '100', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--producer.config', producerConfig, '--command-property', 'acks=all'],
      { heap: '256M', timeoutMs: 120_000 },
    );
    assert.equal(javaProduced.code, 0, javaProduced.stderr);
    assert.match(javaProduced.stdout, /^500 records sent/m);
    const bobReads = await kcat([...kcatAs('SCRAM-SHA-512', 'bob', 'bob-secret'), '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '.'], undefined, 60_000);
    assert.equal(bobReads.code, 0, bobReads.stderr);
    assert.equal(bobReads.stdout.length, values.length + 500, 'every record of both producers, once');

    // bob may read, not write: Kafka's producer ACLs were given to alice only.
    const bobWrites = await kcat([...kcatAs('SCRAM-SHA-512', 'bob', 'bob-secret'), '-P', '-t', TOPIC], 'nope\n', 30_000);
    assert.match(bobWrites.stderr, /Topic authorization failed|TOPIC_AUTHORIZATION_FAILED/i);
  });

  it('the admin API: 401 without or with wrong credentials, 403 without the ACL, 200 with it, by the same SCRAM users', async () => {
    const none = await admin('GET', `/v1/topics/${TOPIC}`, null);
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm="Tidelog admin"/);
    assert.equal((await admin('GET', `/v1/topics/${TOPIC}`, 'alice:wrong')).status, 401);
    assert.equal((await admin('GET', `/v1/topics/${TOPIC}`, 'mallory:alice-secret')).status, 401);
    // alice has WRITE on the topic, which implies DESCRIBE: its page is hers, the cluster's list is not.
    assert.equal((await admin('GET', `/v1/topics/${TOPIC}`, 'alice:alice-secret')).status, 200);
    const list = await admin('GET', '/v1/topics', 'alice:alice-secret');
    assert.equal(list.status, 403);
    assert.match(list.body, /TIDELOG_ERR_FORBIDDEN/);
    // Deleting needs DELETE: refused, and the topic is still there.
    assert.equal((await admin('DELETE', `/v1/topics/${TOPIC}`, 'alice:alice-secret')).status, 403);
    assert.equal((await admin('GET', `/v1/topics/${TOPIC}`, 'alice:alice-secret')).status, 200);
    // /metrics needs credentials (a scraper's), not an ACL; its refusals were counted.
    assert.equal((await admin('GET', '/metrics', null)).status, 401);
    const metrics = await admin('GET', '/metrics', 'alice:alice-secret');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^tidelog_admin_authentication_failures_total [2-9]/m);
  });
});
