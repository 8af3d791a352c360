// ACLs end to end on one broker with real clients: kcat (librdkafka), Kafka's own
// kafka-acls (org.apache.kafka.tools.AclCommand over the Java AdminClient) and `tidelog acls`.
// On a PLAINTEXT listener every client is User:ANONYMOUS, as in Kafka. The broker runs with
// authorizer.class.name and no ACLs: produce, consume and ACL administration are refused.
// A restart with super.users=User:ANONYMOUS creates the topics and lets ANONYMOUS administer
// ACLs (ALTER/DESCRIBE on the cluster); after a restart without it, each grant makes the same
// client succeed, a PREFIXED ACL covers its topics, a DENY wins, Metadata hides what may not
// be described, and DeleteAcls takes the access away again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { tidelog } from '../cli/run.js';

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
const AUTHORIZER = { 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'group.initial.rebalance.delay.ms': 0 };

function produce(broker: BrokerProcess, topic: string, lines: string[]) {
  return kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-X', 'topic.message.timeout.ms=10000'], `${lines.join('\n')}\n`);
}

/** The topics Metadata (all topics) shows this client. */
async function visibleTopics(broker: BrokerProcess): Promise<string[]> {
  const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'acl-test' });
  try {
    return (await client.metadata(null)).topics.map((t) => t.name).sort();
  } finally {
    client.close();
  }
}

describe('ACLs on a single node with real clients', { timeout: 300_000 }, () => {
  const dataDir = tempDir('tidelog-acl-e2e-');
  let broker: BrokerProcess;
  let libs: KafkaLibs;

  before(async () => {
    libs = await ensureKafkaLibs();
    broker = await startBrokerProcess({ dataDir, overrides: AUTHORIZER });
  });

  after(async () => {
    await broker?.stop();
    removeDir(dataDir);
  });

  it('with no ACL refuses producing, consuming and ACL administration to User:ANONYMOUS', async () => {
    const p = await produce(broker, 'orders', ['refused']);
    assert.match(p.stderr, /Topic authorization failed/);
    const c = await kcat(['-b', broker.bootstrap, '-G', 'grp', 'orders', '-e', '-q', '-X', 'session.timeout.ms=6000'], undefined, 30_000);
    assert.match(c.stderr, /Group authorization failed|GROUP_AUTHORIZATION_FAILED/);
    const list = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--list']);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /CLUSTER_AUTHORIZATION_FAILED/);
    const java = await runKafkaClass(libs, ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, '--list'], { heap: '256M', timeoutMs: 60_000 });
    assert.match(java.stdout + java.stderr, /ClusterAuthorizationException|Cluster authorization failed/);
  });

  it('a super user creates topics and lets ANONYMOUS administer ACLs (Kafka\'s kafka-acls over the Java AdminClient)', async () => {
    await broker.stop();
    broker = await startBrokerProcess({ dataDir, overrides: { ...AUTHORIZER, 'super.users': 'User:ANONYMOUS' } });
    for (const topic of ['orders', 'secret', 'app-logs', 'app-metrics']) {
      const r = await tidelog(['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', topic, '--partitions', '1']);
      assert.equal(r.code, 0, r.stderr);
    }
    const add = await runKafkaClass(libs, ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, '--add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Alter', '--operation', 'Describe', '--cluster'], { heap: '256M', timeoutMs: 60_000 });
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Adding ACLs for resource `ResourcePattern\(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL\)`: \n \t/);
    const list = await runKafkaClass(libs, ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, '--list', '--cluster'], { heap: '256M', timeoutMs: 60_000 });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /Current ACLs for resource `ResourcePattern\(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL\)`:\n\t/);
    assert.match(list.stdout, /\t\(principal=User:ANONYMOUS, host=\*, operation=ALTER, permissionType=ALLOW\)\n/);
    assert.match(list.stdout, /\t\(principal=User:ANONYMOUS, host=\*, operation=DESCRIBE, permissionType=ALLOW\)\n/);
    // `tidelog acls --list` prints the same bytes as Kafka's tool.
    const ours = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--list', '--cluster']);
    assert.equal(ours.stdout.split('\n').sort().join('\n'), list.stdout.split('\n').sort().join('\n'));
    await broker.stop();
    broker = await startBrokerProcess({ dataDir, overrides: AUTHORIZER });
  });

  it('Metadata hides the topics ANONYMOUS may not describe, and a named one answers TOPIC_AUTHORIZATION_FAILED', async () => {
    assert.deepEqual(await visibleTopics(broker), []);
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'acl-test' });
    try {
      const m = await client.metadata(['secret', 'no-such-topic']);
      // No existence leak: an existing topic and a missing one answer alike.
      assert.equal(m.topics.find((t) => t.name === 'secret')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(m.topics.find((t) => t.name === 'no-such-topic')?.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      client.close();
    }
  });

  it('after CreateAcls (tidelog acls --producer / --consumer) the same kcat produces and consumes in a group', async () => {
    const producer = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--add', '--allow-principal', 'User:ANONYMOUS', '--producer', '--topic', 'orders']);
    assert.equal(producer.code, 0, producer.stderr);
    assert.match(producer.stdout, /Adding ACLs for resource `ResourcePattern\(resourceType=TOPIC, name=orders, patternType=LITERAL\)`: \n \t\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    const p = await produce(broker, 'orders', ['one', 'two', 'three']);
    assert.equal(p.code, 0, p.stderr);
    assert.doesNotMatch(p.stderr, /failed/);

    const before = await kcat(['-b', broker.bootstrap, '-G', 'grp', 'orders', '-e', '-q', '-X', 'session.timeout.ms=6000'], undefined, 30_000);
    assert.match(before.stderr, /authorization failed/i, 'WRITE and DESCRIBE do not let ANONYMOUS read in a group');
    const consumer = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--add', '--allow-principal', 'User:ANONYMOUS', '--consumer', '--topic', 'orders', '--group', 'grp']);
    assert.equal(consumer.code, 0, consumer.stderr);
    const c = await kcat(['-b', broker.bootstrap, '-G', 'grp', 'orders', '-e', '-q', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000'], undefined, 60_000);
    assert.equal(c.stdout.trim().split('\n').sort().join(','), 'one,three,two', c.stderr);
    assert.deepEqual(await visibleTopics(broker), ['orders']);
  });

  it('a PREFIXED ACL covers every topic of the prefix, and a DENY wins over it', async () => {
    const prefixed = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--add', '--allow-principal', 'User:ANONYMOUS', '--operation', 'Write', '--operation', 'Describe', '--topic', 'app-', '--resource-pattern-type', 'PREFIXED']);
    assert.equal(prefixed.code, 0, prefixed.stderr);
    assert.equal((await produce(broker, 'app-logs', ['l'])).code, 0);
    assert.equal((await produce(broker, 'app-metrics', ['m'])).code, 0);
    assert.deepEqual(await visibleTopics(broker), ['app-logs', 'app-metrics', 'orders']);

    const deny = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--add', '--deny-principal', 'User:ANONYMOUS', '--operation', 'Write', '--topic', 'app-metrics']);
    assert.equal(deny.code, 0, deny.stderr);
    assert.match((await produce(broker, 'app-metrics', ['refused'])).stderr, /Topic authorization failed/);
    assert.equal((await produce(broker, 'app-logs', ['still'])).code, 0);
    // Kafka's kafka-acls lists the same ACLs, in its own format.
    const list = await runKafkaClass(libs, ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, '--list', '--topic', 'app-metrics'], { heap: '256M', timeoutMs: 60_000 });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=DENY\)/);
  });

  it('DeleteAcls (Kafka\'s kafka-acls --remove) takes the access away; the ACLs survive a restart', async () => {
    const remove = await runKafkaClass(libs, ACL_COMMAND, ['--bootstrap-server', broker.bootstrap, '--remove', '--force', '--topic', 'app-', '--resource-pattern-type', 'PREFIXED'], { heap: '256M', timeoutMs: 60_000 });
    assert.equal(remove.code, 0, remove.stderr);
    assert.match((await produce(broker, 'app-logs', ['refused'])).stderr, /Topic authorization failed/);
    await broker.stop();
    broker = await startBrokerProcess({ dataDir, overrides: AUTHORIZER });
    assert.deepEqual(await visibleTopics(broker), ['orders']);
    assert.equal((await produce(broker, 'orders', ['after restart'])).code, 0);
    assert.match((await produce(broker, 'app-logs', ['refused'])).stderr, /Topic authorization failed/);
  });
});
