// SASL_PLAINTEXT with Apache Kafka's own Java client 4.x: Kafka's kafka-configs tool
// (ConfigCommand over the Admin client: AlterUserScramCredentials, DescribeUserScramCredentials)
// makes the SCRAM users; the producer and a consumer group work with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512; a wrong password is reported as Kafka's SaslAuthenticationException; and with
// connections.max.reauth.ms the producer re-authenticates on its connections (KIP-368) and
// keeps producing past the session lifetime.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { ADMIN, kcatSasl, saslOverrides, writeClientProperties, type Mechanism } from './sasl-broker.js';

const CONFIG_COMMAND = 'org.apache.kafka.tools.ConfigCommand';
const TOPIC_COMMAND = 'org.apache.kafka.tools.TopicCommand';
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
const RECORDS = 2000;
const REAUTH_MS = 3000;

async function metric(broker: BrokerProcess, result: string): Promise<number> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  const m = new RegExp(`^tidelog_sasl_authentications_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('SASL_PLAINTEXT with the Java client (Apache Kafka 4.x)', { timeout: 600_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let dir: string;
  let adminConfig: string;

  before(async () => {
    libs = await ensureKafkaLibs();
    dir = tempDir('tidelog-sasl-java-');
    broker = await startBrokerProcess({ overrides: saslOverrides({ 'connections.max.reauth.ms': REAUTH_MS, 'group.initial.rebalance.delay.ms': 0 }) });
    adminConfig = writeClientProperties(dir, 'admin.properties', 'PLAIN', ADMIN.user, ADMIN.password);
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
    removeDir(dir);
  });

  it("Kafka's kafka-configs makes and describes SCRAM users through the broker", async () => {
    const alter = await runKafkaClass(
      libs,
      CONFIG_COMMAND,
      ['--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--alter', '--entity-type', 'users', '--entity-name', 'javauser', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=java-256],SCRAM-SHA-512=[password=java-512]'],
      { heap: '256M', timeoutMs: 120_000 },
    );
    assert.equal(alter.code, 0, alter.stderr);
    assert.match(alter.stdout, /Completed updating config for user javauser\./);
    const describe = await runKafkaClass(libs, CONFIG_COMMAND, ['--bootstrap-server', broker.bootstrap, '--command-config', adminConfig, '--describe', '--entity-type', 'users', '--entity-name', 'javauser'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /SCRAM credential configs for user-principal 'javauser' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096/);
  });

  const logins: [Mechanism, string, string][] = [
    ['PLAIN', 'plainuser', 'plain-pw'],
    ['SCRAM-SHA-256', 'javauser', 'java-256'],
    ['SCRAM-SHA-512', 'javauser', 'java-512'],
  ];
  for (const [mechanism, user, password] of logins) {
    it(`the producer and a consumer group work with ${mechanism}`, async () => {
      const config = writeClientProperties(dir, `${mechanism}.properties`, mechanism, user, password);
      const topic = `java-${mechanism}`;
      const p = await runKafkaClass(
        libs,
        KAFKA_MAIN.producerPerformance,
        ['--topic', topic, '--num-records', String(RECORDS), '--record-size', '100', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--producer.config', config],
        { heap: '256M', timeoutMs: 120_000 },
      );
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, new RegExp(`^${RECORDS} records sent`, 'm'));
      const c = await runKafkaClass(
        libs,
        CONSOLE_CONSUMER,
        ['--bootstrap-server', broker.bootstrap, '--topic', topic, '--group', `g-${mechanism}`, '--from-beginning', '--max-messages', String(RECORDS), '--timeout-ms', '30000', '--consumer.config', config],
        { heap: '256M', timeoutMs: 120_000 },
      );
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.split('\n').filter((l) => /^[A-Z]{100}$/.test(l)).length, RECORDS);
    });
  }

  it("reports a wrong password and an unknown user as Kafka's SaslAuthenticationException", async () => {
    for (const [name, user, password] of [
      ['wrong.properties', 'javauser', 'not-the-password'],
      ['unknown.properties', 'nobody', 'java-256'],
    ] as const) {
      const config = writeClientProperties(dir, name, 'SCRAM-SHA-256', user, password);
      const r = await runKafkaClass(libs, TOPIC_COMMAND, ['--bootstrap-server', broker.bootstrap, '--command-config', config, '--list'], { heap: '256M', timeoutMs: 120_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
    }
  });

  it(`re-authenticates transparently past connections.max.reauth.ms (${REAUTH_MS} ms) and keeps producing`, async () => {
    const before = await metric(broker, 'reauthentication');
    const config = writeClientProperties(dir, 'reauth.properties', 'SCRAM-SHA-512', 'javauser', 'java-512');
    // 40 records a second for 300 records: the run lasts several session lifetimes.
    const p = await runKafkaClass(
      libs,
      KAFKA_MAIN.producerPerformance,
      ['--topic', 'java-reauth', '--num-records', '300', '--record-size', '100', '--throughput', '40', '--bootstrap-server', broker.bootstrap, '--producer.config', config],
      { heap: '256M', timeoutMs: 120_000 },
    );
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^300 records sent/m);
    assert.ok((await metric(broker, 'reauthentication')) > before, 'the producer re-authenticated on its connections');
    const c = await kcat(['-b', broker.bootstrap, ...kcatSasl('SCRAM-SHA-512', 'javauser', 'java-512'), '-C', '-t', 'java-reauth', '-o', 'beginning', '-e', '-q', '-f', '.']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.length, 300, 'every record once');
  });
});
