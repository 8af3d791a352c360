// SASL in a three-broker ZooKeeper cluster: the brokers' own SCRAM user is made before any
// broker runs, straight into ZooKeeper with `tidelog configs --zookeeper` (Kafka's way in
// ZooKeeper mode), and stored in Kafka's layout (/config/users/<user>, a change notification);
// the inter-broker listener is SASL_SSL (TLS with the brokers' certificate, which each broker
// trusts through its CA) with SCRAM-SHA-512, so replication (followers fetch with the
// broker's credentials) fills the ISR over it; a user made through one broker
// (AlterUserScramCredentials) logs in on the others, which learn it from the notification;
// after the leader is killed the survivors elect a new one and replicate over SASL again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { silentLogger } from '../../src/logger.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { tidelog } from '../cli/run.js';
import { metadataFrom } from '../cluster/three-brokers.js';
import { startZooKeeper, zookeeperInstalled, type ZooKeeperServer } from '../cluster/zookeeper.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { PLAIN_LOGIN, SCRAM_LOGIN } from './sasl-broker.js';

const BROKER = { user: 'broker', password: 'broker-secret' } as const;
const IDS = [1, 2, 3] as const;

interface Node {
  readonly id: number;
  readonly process: BrokerProcess;
  /** The PLAINTEXT port (the first listener) and the SASL_SSL one. */
  readonly plainPort: number;
  readonly saslPort: number;
}

let certs: TestCerts;

/** kcat's -X flags for a SASL_SSL login that trusts the test CA. */
function kcatSasl(mechanism: string, user: string, password: string): string[] {
  return ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];
}

/** Kafka client properties for a SASL_SSL login (PLAIN or SCRAM) that trusts the test CA. */
function writeClientProperties(dir: string, name: string, mechanism: string, user: string, password: string): string {
  const file = path.join(dir, name);
  const module = mechanism === 'PLAIN' ? PLAIN_LOGIN : SCRAM_LOGIN;
  writeFileSync(file, `security.protocol=SASL_SSL\nsasl.mechanism=${mechanism}\nsasl.jaas.config=${module} required username="${user}" password="${password}";\nssl.truststore.type=PEM\nssl.truststore.location=${certs.caPem}\n`);
  return file;
}

/** The SASL_SSL port from the broker's log (its line may follow the first listener's a moment later). */
async function saslPortOf(b: BrokerProcess): Promise<number> {
  let port = -1;
  await waitFor('the SASL_SSL listener in the log', () => (port = findSaslPort(b)) > 0, { timeoutMs: 30_000 });
  return port;
}

function findSaslPort(b: BrokerProcess): number {
  for (const line of b.logLines) {
    try {
      const e = JSON.parse(line) as { msg?: string; listener?: string; port?: number };
      if (e.msg === 'listening' && e.listener === 'SASL_SSL' && typeof e.port === 'number') return e.port;
    } catch {
      // not JSON
    }
  }
  return -1;
}

describe('SASL_SSL in a three-broker ZooKeeper cluster', { skip: !zookeeperInstalled() && 'ZooKeeper is not installed', timeout: 300_000 }, () => {
  let zk: ZooKeeperServer;
  let connect: string;
  let dir: string;
  const nodes: Node[] = [];

  before(async () => {
    certs = makeTestCerts();
    zk = await startZooKeeper();
    connect = `${zk.connect}/sasl`;
    dir = tempDir('tidelog-sasl-cluster-');
    const made = await tidelog(['configs', '--zookeeper', connect, '--alter', '--entity-type', 'users', '--entity-name', BROKER.user, '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${BROKER.password}]`]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, `Completed updating config for user ${BROKER.user}.\n`);
    await Promise.all(
      IDS.map(async (id) => {
        const b = await startBrokerProcess({
          overrides: {
            'broker.id': id,
            'zookeeper.connect': connect,
            'admin.listener': '',
            listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
            'inter.broker.listener.name': 'SASL_SSL',
            // One certificate for the three (it names 127.0.0.1); each trusts the CA as a client too.
            'ssl.keystore.type': 'PEM',
            'ssl.keystore.location': certs.server.keystorePem,
            'ssl.truststore.type': 'PEM',
            'ssl.truststore.location': certs.caPem,
            'sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
            'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
            'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `${SCRAM_LOGIN} required username="${BROKER.user}" password="${BROKER.password}";`,
            'listener.name.sasl_ssl.plain.sasl.jaas.config': `${PLAIN_LOGIN} required user_ops="ops-pw";`,
            'offsets.topic.replication.factor': 3,
            'transaction.state.log.replication.factor': 3,
            'transaction.state.log.min.isr': 2,
          },
        });
        nodes.push({ id, process: b, plainPort: b.port, saslPort: await saslPortOf(b) });
      }),
    );
    nodes.sort((a, b) => a.id - b.id);
    await waitFor('three live brokers with a controller', async () => (await Promise.all(nodes.map((n) => metadataFrom(n.plainPort, null).catch(() => null)))).every((v) => v !== null && v.brokers.size === 3 && v.controllerId > 0), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.process.stop()));
    for (const n of nodes) removeDir(n.process.dataDir);
    await zk?.close();
    if (dir) removeDir(dir);
    certs?.remove();
  });

  it("stores the user in Kafka's ZooKeeper layout: /config/users/<user> and a change notification, no password", async () => {
    const client = await ZkClient.connect({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      const node = await client.getData(`/config/users/${BROKER.user}`);
      const json = JSON.parse(node!.data.toString('utf8')) as { version: number; config: Record<string, string> };
      assert.equal(json.version, 1);
      assert.match(json.config['SCRAM-SHA-512']!, /^salt=[^,]+,stored_key=[^,]+,server_key=[^,]+,iterations=4096$/);
      assert.ok(!node!.data.toString('utf8').includes(BROKER.password));
      const changes = (await client.getChildren('/config/changes')) ?? [];
      const notes = await Promise.all(changes.map(async (c) => (await client.getData(`/config/changes/${c}`))!.data.toString('utf8')));
      assert.ok(notes.some((n) => JSON.parse(n).entity_path === `users/${BROKER.user}` && JSON.parse(n).version === 2), notes.join(' '));
    } finally {
      client.close();
    }
  });

  it('replicates over the SASL_SSL inter-broker listener: every partition reaches a full ISR', async () => {
    const created = await (async () => {
      const conn = await KafkaConnection.connect('127.0.0.1', nodes[0]!.plainPort, 't', 5000);
      try {
        return await conn.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'replicated', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '3' }] }], timeoutMs: 10_000, validateOnly: false });
      } finally {
        conn.close();
      }
    })();
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const bootstrap = nodes.map((n) => `127.0.0.1:${n.saslPort}`).join(',');
    // acks=all with min.insync.replicas=3: acknowledged only once both followers fetched it over SASL.
    const p = await kcat(['-b', bootstrap, ...kcatSasl('SCRAM-SHA-512', BROKER.user, BROKER.password), '-X', 'acks=all', '-P', '-t', 'replicated'], 'a\nb\nc\nd\ne\nf\n');
    assert.equal(p.code, 0, p.stderr);
    await waitFor('a full ISR everywhere', async () => (await metadataFrom(nodes[2]!.plainPort, 'replicated')).partitions.every((x) => x.isr.length === 3), { timeoutMs: 60_000, intervalMs: 100 });
    const c = await kcat(['-b', bootstrap, ...kcatSasl('SCRAM-SHA-512', BROKER.user, BROKER.password), '-C', '-t', 'replicated', '-o', 'beginning', '-e', '-q']);
    assert.deepEqual(c.stdout.trim().split('\n').sort(), ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('a user made through broker 1 logs in on brokers 2 and 3', async () => {
    const ops = writeClientProperties(dir, 'ops.properties', 'PLAIN', 'ops', 'ops-pw');
    const r = await tidelog(['configs', '--bootstrap-server', `127.0.0.1:${nodes[0]!.saslPort}`, '--command-config', ops, '--alter', '--entity-type', 'users', '--entity-name', 'erin', '--add-config', 'SCRAM-SHA-512=[iterations=8192,password=erin-pw]']);
    assert.equal(r.code, 0, r.stderr);
    for (const n of nodes.slice(1)) {
      await waitFor(`broker ${n.id} knows erin`, async () => {
        const l = await kcat(['-b', `127.0.0.1:${n.saslPort}`, ...kcatSasl('SCRAM-SHA-512', 'erin', 'erin-pw'), '-L', '-m', '5']);
        return l.code === 0;
      }, { timeoutMs: 60_000, intervalMs: 200 });
    }
    const wrong = await kcat(['-b', `127.0.0.1:${nodes[2]!.saslPort}`, ...kcatSasl('SCRAM-SHA-512', 'erin', 'nope'), '-L', '-m', '5']);
    assert.match(wrong.stderr, /SASL authentication error/);
    const d = await tidelog(['configs', '--zookeeper', connect, '--describe', '--entity-type', 'users']);
    assert.equal(d.stdout, "SCRAM credential configs for user-principal 'broker' are SCRAM-SHA-512=iterations=4096\nSCRAM credential configs for user-principal 'erin' are SCRAM-SHA-512=iterations=8192\n");
  });

  it('fails over: after the leader is killed the others elect a leader and replicate over SASL', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', nodes[1]!.plainPort, 't', 5000);
    try {
      const r = await conn.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'failover', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }], timeoutMs: 10_000, validateOnly: false });
      assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
    } finally {
      conn.close();
    }
    const login = kcatSasl('SCRAM-SHA-512', BROKER.user, BROKER.password);
    const bootstrap = () => nodes.filter((n) => n.process.child.exitCode === null && n.process.child.signalCode === null).map((n) => `127.0.0.1:${n.saslPort}`).join(',');
    await waitFor('a full ISR', async () => (await metadataFrom(nodes[1]!.plainPort, 'failover')).partitions.every((x) => x.isr.length === 3 && x.leader > 0), { timeoutMs: 60_000, intervalMs: 100 });
    assert.equal((await kcat(['-b', bootstrap(), ...login, '-X', 'acks=all', '-P', '-t', 'failover'], 'before\n')).code, 0);
    const leader = (await metadataFrom(nodes[1]!.plainPort, 'failover')).partitions[0]!.leader;
    await nodes.find((n) => n.id === leader)!.process.kill();
    const survivor = nodes.find((n) => n.id !== leader)!;
    await waitFor('a new leader with the other two in the ISR', async () => {
      const p = (await metadataFrom(survivor.plainPort, 'failover').catch(() => null))?.partitions[0];
      return p !== undefined && p.leader > 0 && p.leader !== leader && p.isr.length === 2 && !p.isr.includes(leader);
    }, { timeoutMs: 60_000, intervalMs: 100 });
    // acks=all with min.insync.replicas=2: the new follower fetches from the new leader over SASL.
    const p = await kcat(['-b', bootstrap(), ...login, '-X', 'acks=all', '-P', '-t', 'failover'], 'after\n');
    assert.equal(p.code, 0, p.stderr);
    const c = await kcat(['-b', bootstrap(), ...login, '-C', '-t', 'failover', '-o', 'beginning', '-e', '-q']);
    assert.deepEqual(c.stdout.trim().split('\n'), ['before', 'after']);
  });
});
