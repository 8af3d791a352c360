// ACLs across three brokers over a real ZooKeeper, with kcat as the client. Brokers and clients
// all connect as User:ANONYMOUS on PLAINTEXT, so the broker principal is first a super user (as
// Kafka wants inter-broker principals to be): the topic replicates with the authorizer on, an
// ACL created through broker 1 lands in Kafka's znodes (/kafka-acl/..., /kafka-acl-extended/
// prefixed/..., with change notifications) and reaches brokers 2 and 3. Then a rolling restart
// without super.users, where CLUSTER_ACTION on the cluster is what lets the brokers replicate:
// a client is refused on every broker until a grant made through broker 1 lets it write to
// partitions led by each broker (acks=all: the followers fetched it), and DeleteAcls through
// broker 3 takes it away everywhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AclOperation as Op, AclPermissionType as Perm, PatternType, ResourceType as RT } from '../../src/protocol/acl.js';
import { BROKER_IDS, ThreeBrokerCluster, requestOnce } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)';
const CHROOT = '/tidelog-acl';
const TOPIC = 'guarded';
const overrides: Record<string, string | number | boolean> = {
  'zookeeper.session.timeout.ms': 6_000,
  'zookeeper.connection.timeout.ms': 10_000,
  'offsets.topic.replication.factor': 3,
  'auto.leader.rebalance.enable': false,
  'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
  // Inter-broker requests come from User:ANONYMOUS on PLAINTEXT.
  'super.users': 'User:ANONYMOUS',
};

const creation = (resourceType: number, resourceName: string, patternType: number, principal: string, operation: number, permissionType: number) => ({ resourceType, resourceName, resourcePatternType: patternType, principal, host: '*', operation, permissionType });

async function createAcls(port: number, creations: ReturnType<typeof creation>[]): Promise<void> {
  const r = await requestOnce(port, ApiKey.CreateAcls, 3, { creations }, 'CreateAcls');
  assert.deepEqual(r.results.map((x) => x.errorCode), creations.map(() => ErrorCode.NONE), JSON.stringify(r.results));
}

/** The ACLs (principal/operation/permission) a broker describes for one resource pattern. */
async function describeOn(port: number, resourceType: number, name: string, patternType: number): Promise<string[]> {
  const r = await requestOnce(port, ApiKey.DescribeAcls, 3, { resourceTypeFilter: resourceType, resourceNameFilter: name, patternTypeFilter: patternType, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY }, 'DescribeAcls');
  assert.equal(r.errorCode, ErrorCode.NONE, r.errorMessage ?? '');
  return r.resources.flatMap((res) => res.acls.map((a) => `${a.principal}/${a.operation}/${a.permissionType}`)).sort();
}

function produce(bootstrap: string, partition: number, value: string) {
  return kcat(['-b', bootstrap, '-P', '-t', TOPIC, '-p', String(partition), '-X', 'acks=all', '-X', 'topic.message.timeout.ms=15000'], `${value}\n`);
}

describe('ACLs across three brokers (real ZooKeeper)', { timeout: 600_000, skip: SKIP }, () => {
  let cluster: ThreeBrokerCluster;
  const port = (id: number) => cluster.brokers.get(id)!.port;
  const bootstrap = (id: number) => `127.0.0.1:${port(id)}`;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: CHROOT, overrides });
  });

  after(async () => {
    await cluster?.close();
  });

  it('replicates with the authorizer on; an ACL created via broker 1 is in Kafka\'s znodes and reaches brokers 2 and 3', async () => {
    await cluster.createTopic(TOPIC, 3, 3, {});
    await createAcls(port(1), [
      creation(RT.CLUSTER, 'kafka-cluster', PatternType.LITERAL, 'User:ANONYMOUS', Op.CLUSTER_ACTION, Perm.ALLOW),
      creation(RT.CLUSTER, 'kafka-cluster', PatternType.LITERAL, 'User:ANONYMOUS', Op.ALTER, Perm.ALLOW),
      creation(RT.TOPIC, 'forbidden-', PatternType.PREFIXED, 'User:*', Op.ALL, Perm.DENY),
    ]);
    const zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      const literal = await zk.getData('/kafka-acl/Cluster/kafka-cluster');
      assert.deepEqual(JSON.parse(literal!.data.toString()), {
        version: 1,
        acls: [
          { principal: 'User:ANONYMOUS', permissionType: 'Allow', operation: 'ClusterAction', host: '*' },
          { principal: 'User:ANONYMOUS', permissionType: 'Allow', operation: 'Alter', host: '*' },
        ],
      });
      const prefixed = await zk.getData('/kafka-acl-extended/prefixed/Topic/forbidden-');
      assert.deepEqual(JSON.parse(prefixed!.data.toString()), { version: 1, acls: [{ principal: 'User:*', permissionType: 'Deny', operation: 'All', host: '*' }] });
      const changes = (await zk.getChildren('/kafka-acl-changes'))!;
      assert.ok(changes.length >= 1 && changes.every((c) => /^acl_changes_\d{10}$/.test(c)), changes.join());
      assert.equal((await zk.getData(`/kafka-acl-changes/${changes.sort()[0]}`))!.data.toString(), 'Cluster:kafka-cluster');
      const extended = (await zk.getChildren('/kafka-acl-extended-changes'))!;
      assert.deepEqual(JSON.parse((await zk.getData(`/kafka-acl-extended-changes/${extended.sort()[0]}`))!.data.toString()), { version: 1, resourceType: 'Topic', name: 'forbidden-', patternType: 'PREFIXED' });
    } finally {
      zk.close();
    }
    for (const id of [2, 3]) {
      await waitFor(`broker ${id} describes the ACLs created via broker 1`, async () => (await describeOn(port(id), RT.CLUSTER, 'kafka-cluster', PatternType.LITERAL)).length === 2, { timeoutMs: 30_000, intervalMs: 100 });
      assert.deepEqual(await describeOn(port(id), RT.TOPIC, 'forbidden-', PatternType.PREFIXED), [`User:*/${Op.ALL}/${Perm.DENY}`]);
    }
  });

  it('after a rolling restart without super.users, a grant made via broker 1 lets the client write to partitions led by every broker', async () => {
    delete overrides['super.users'];
    for (const id of BROKER_IDS) {
      await cluster.brokers.get(id)!.stop();
      await cluster.restartBroker(id);
    }
    const leaders = new Set<number>();
    for (let p = 0; p < 3; p++) {
      const r = await produce(bootstrap(2), p, `refused-${p}`);
      assert.match(r.stderr, /Topic authorization failed/, `partition ${p}`);
    }
    await createAcls(port(1), [creation(RT.TOPIC, TOPIC, PatternType.LITERAL, 'User:ANONYMOUS', Op.WRITE, Perm.ALLOW)]);
    for (const id of [2, 3]) {
      await waitFor(`broker ${id} has the grant`, async () => (await describeOn(port(id), RT.TOPIC, TOPIC, PatternType.LITERAL)).length === 1, { timeoutMs: 30_000, intervalMs: 100 });
    }
    // The rolling restart left one broker leading everything: the preferred leaders come back
    // through ElectLeaders (ALTER on the cluster, granted above) once the ISR has them.
    await waitFor('each partition led by its preferred replica again', async () => {
      const controller = (await cluster.metadata(null)).controllerId;
      await requestOnce(port(controller), ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [0, 1, 2] }], timeoutMs: 10_000 }, 'ElectLeaders');
      leaders.clear();
      for (const p of (await cluster.metadata(TOPIC)).partitions) leaders.add(p.leader);
      return leaders.size === 3;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    for (let p = 0; p < 3; p++) {
      const r = await produce(bootstrap(3), p, `allowed-${p}`);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /failed/, `partition ${p}`);
    }
    // The followers keep fetching (CLUSTER_ACTION): a full ISR on every broker.
    await cluster.waitForFullIsr(TOPIC, 60_000);
  });

  it('ACLs created on one resource through three brokers at once are all kept (compare-and-set on the znode)', async () => {
    await Promise.all(
      BROKER_IDS.map((id) => createAcls(port(id), Array.from({ length: 5 }, (_, i) => creation(RT.GROUP, 'shared', PatternType.LITERAL, `User:b${id}-${i}`, Op.READ, Perm.ALLOW)))),
    );
    for (const id of BROKER_IDS) {
      await waitFor(`broker ${id} describes all 15`, async () => (await describeOn(port(id), RT.GROUP, 'shared', PatternType.LITERAL)).length === 15, { timeoutMs: 30_000, intervalMs: 100 });
    }
  });

  it('DeleteAcls via broker 3 takes the grant away on every broker', async () => {
    const r = await requestOnce(port(3), ApiKey.DeleteAcls, 3, { filters: [{ resourceTypeFilter: RT.TOPIC, resourceNameFilter: TOPIC, patternTypeFilter: PatternType.LITERAL, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY }] }, 'DeleteAcls');
    assert.equal(r.filterResults[0]!.errorCode, ErrorCode.NONE);
    assert.equal(r.filterResults[0]!.matchingAcls.length, 1);
    for (const id of [1, 2]) {
      await waitFor(`broker ${id} dropped the grant`, async () => (await describeOn(port(id), RT.TOPIC, TOPIC, PatternType.LITERAL)).length === 0, { timeoutMs: 30_000, intervalMs: 100 });
    }
    for (let p = 0; p < 3; p++) assert.match((await produce(bootstrap(1), p, `refused-again-${p}`)).stderr, /Topic authorization failed/);
  });
});
