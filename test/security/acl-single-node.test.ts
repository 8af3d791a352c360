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
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType, ResourceType as RT } from '../../src/protocol/acl.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { tidelog } from '../cli/run.js';

const ACL_COMMAND = 'org.apache.kafka.tools.AclCommand';
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
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
    // Audit: each denial is logged as Kafka's authorizer logger words it, and counted in /metrics.
    // (kcat asks Metadata for the topic first: DESCRIBE is what is denied.)
    const denial = 'Principal = User:ANONYMOUS is Denied Operation = DESCRIBE from host = 127.0.0.1 on resource = ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL)';
    assert.ok(broker.logLines.some((l) => l.includes(denial)), broker.logLines.filter((l) => l.includes('Denied')).join('\n'));
    const metrics = await (await fetch(`${broker.adminUrl!}/metrics`)).text();
    assert.match(metrics, /tidelog_authorization_denials_total\{operation="DESCRIBE",resource_type="TOPIC"\} [1-9]/);
    assert.match(metrics, /tidelog_authorization_denials_total\{operation="DESCRIBE",resource_type="GROUP"\} [1-9]/);
    assert.match(metrics, /^tidelog_acls 0$/m);
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

  it('the Java clients: an idempotent producer is let in by WRITE on a topic (KIP-679), a consumer without its group ACL gets GroupAuthorizationException', async () => {
    const producer = await runKafkaClass(libs, KAFKA_MAIN.producerPerformance, ['--topic', 'orders', '--num-records', '100', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--command-property', 'acks=all', '--command-property', 'enable.idempotence=true'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(producer.code, 0, producer.stderr);
    assert.match(producer.stdout, /^100 records sent/m);
    const consumer = await runKafkaClass(libs, CONSOLE_CONSUMER, ['--bootstrap-server', broker.bootstrap, '--topic', 'orders', '--group', 'java-grp', '--from-beginning', '--max-messages', '1', '--timeout-ms', '20000'], { heap: '256M', timeoutMs: 120_000 });
    // ConsoleConsumer reports the exception and ends without a record (its exit status stays 0).
    assert.match(consumer.stdout + consumer.stderr, /GroupAuthorizationException: Not authorized to access group: java-grp/);
    assert.match(consumer.stderr, /Processed a total of 0 messages/);
    const allowed = await runKafkaClass(libs, CONSOLE_CONSUMER, ['--bootstrap-server', broker.bootstrap, '--topic', 'orders', '--group', 'grp', '--from-beginning', '--max-messages', '3', '--timeout-ms', '20000'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stderr, /Processed a total of 3 messages/);
  });

  it('a transactional producer needs WRITE on its transactional id: refused, then allowed by tidelog acls --producer --transactional-id', async () => {
    const args = ['--topic', 'orders', '--num-records', '50', '--record-size', '10', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--transactional-id', 'orders-tx', '--transaction-duration-ms', '100', '--command-property', 'max.block.ms=20000'];
    const refused = await runKafkaClass(libs, KAFKA_MAIN.producerPerformance, args, { heap: '256M', timeoutMs: 120_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /TransactionalIdAuthorizationException/);
    const grant = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--add', '--allow-principal', 'User:ANONYMOUS', '--producer', '--topic', 'orders', '--transactional-id', 'orders-tx']);
    assert.equal(grant.code, 0, grant.stderr);
    assert.match(grant.stdout, /ResourcePattern\(resourceType=TRANSACTIONAL_ID, name=orders-tx, patternType=LITERAL\)`: \n \t\(principal=User:ANONYMOUS, host=\*, operation=WRITE, permissionType=ALLOW\)/);
    const allowed = await runKafkaClass(libs, KAFKA_MAIN.producerPerformance, args, { heap: '256M', timeoutMs: 120_000 });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /^50 records sent/m);
  });

  it('fills the authorized-operations fields with what the principal may do, and refuses invalid ACL requests with INVALID_REQUEST', async () => {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'acl-test');
    try {
      const bits = (...ops: number[]) => ops.reduce((b, op) => b | (1 << op), 0);
      const m = await conn.request(ApiKey.Metadata, 12, { topics: [{ name: 'orders', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
      assert.equal(m.topics[0]!.topicAuthorizedOperations, bits(Op.READ, Op.WRITE, Op.CREATE, Op.DESCRIBE));
      const cluster = await conn.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      assert.equal(cluster.clusterAuthorizedOperations, bits(Op.ALTER, Op.DESCRIBE));
      const groups = await conn.request(ApiKey.DescribeGroups, 5, { groups: ['grp', 'java-grp'], includeAuthorizedOperations: true });
      assert.equal(groups.groups[0]!.authorizedOperations, bits(Op.READ, Op.DESCRIBE));
      assert.equal(groups.groups[1]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const bad = await conn.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: RT.TOPIC, resourceName: 'x', resourcePatternType: PatternType.MATCH, principal: 'User:a', host: '*', operation: Op.READ, permissionType: Perm.ALLOW }] });
      assert.equal(bad.results[0]!.errorCode, ErrorCode.INVALID_REQUEST);
      const unknown = await conn.request(ApiKey.DescribeAcls, 3, { resourceTypeFilter: RT.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.UNKNOWN, permissionType: Perm.ANY });
      assert.equal(unknown.errorCode, ErrorCode.INVALID_REQUEST);
    } finally {
      conn.close();
    }
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

describe('without authorizer.class.name', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBrokerProcess();
  });
  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('allows everything and answers the ACL APIs with SECURITY_DISABLED', async () => {
    assert.equal((await produce(broker, 'open', ['x'])).code, 0);
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'acl-test');
    try {
      const any = { resourceTypeFilter: RT.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY };
      const d = await conn.request(ApiKey.DescribeAcls, 3, any);
      assert.deepEqual([d.errorCode, d.errorMessage], [ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.']);
      const c = await conn.request(ApiKey.CreateAcls, 3, { creations: [{ resourceType: RT.TOPIC, resourceName: 'x', resourcePatternType: PatternType.LITERAL, principal: 'User:a', host: '*', operation: Op.READ, permissionType: Perm.ALLOW }] });
      assert.equal(c.results[0]!.errorCode, ErrorCode.SECURITY_DISABLED);
      const del = await conn.request(ApiKey.DeleteAcls, 3, { filters: [any] });
      assert.equal(del.filterResults[0]!.errorCode, ErrorCode.SECURITY_DISABLED);
    } finally {
      conn.close();
    }
    const list = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, '--list']);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /SECURITY_DISABLED/);
  });

  it('tidelog acls refuses incomplete command lines with kafka-acls.sh\'s messages (exit status 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--add', '--topic', 't'], /You must specify one of: --allow-principal, --deny-principal when trying to add ACLs\./],
      [['--add', '--list', '--topic', 't'], /exactly one action/],
      [['--add', '--allow-principal', 'User:a', '--operation', 'Read', '--cluster'], /ResourceType CLUSTER only supports operations/],
      [['--add', '--allow-principal', 'User:a', '--topic', 't', '--resource-pattern-type', 'MATCH'], /A '--resource-pattern-type' value of 'MATCH' is not valid when adding acls\./],
      [['--add', '--allow-principal', 'User:a', '--consumer', '--topic', 't'], /With --consumer you must specify a --group/],
      [['--remove', '--force', '--allow-principal', 'User:a'], /You must specify one of: --topic, --cluster, --group, --transactional-id when trying to remove ACLs\./],
    ];
    for (const [args, message] of cases) {
      const r = await tidelog(['acls', '--bootstrap-server', broker.bootstrap, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
