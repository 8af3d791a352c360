// Group configs in a three-broker cluster on a real ZooKeeper: Kafka 4.4's own ConfigCommand
// (`kafka-configs.sh --entity-type groups`) sets them through a broker that is NOT the group's
// coordinator; they are kept in /config/groups/<group> ({"version":1,"config":{...}}) with a
// /config/changes notification {"version":2,"entity_path":"groups/<group>"}, so that:
//   - every broker describes them;
//   - the share group's coordinator applies share.auto.offset.reset=earliest (Kafka's
//     KafkaShareConsumer reads the records produced before the group existed), and the
//     consumer group's coordinator consumer.heartbeat.interval.ms (ConsumerGroupHeartbeat);
//   - a coordinator killed and restarted still has them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { silentLogger } from '../../src/logger.js';
import { removeDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { compileJava, runJava, type JavaPrograms } from '../clients/transactions-target.js';
import { ThreeBrokerCluster, requestOnce } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';

const TOPIC = 'group-configs-cluster';
const SHARE_GROUP = 'configs-share';
const CONSUMER_GROUP = 'configs-consumer';

describe('group configs in a three-broker cluster (real ZooKeeper, Kafka 4.4 ConfigCommand)', { timeout: 400_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;
  let libs: KafkaLibs;
  let programs: JavaPrograms;
  let zk: ZkClient;
  const bootstrap = (): string => cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');

  before(async () => {
    libs = await ensureKafkaLibs();
    programs = await compileJava(libs, ['Out.java', 'Topics.java', 'ShareClients.java']);
    cluster = await ThreeBrokerCluster.start({
      chroot: '/tidelog-group-configs',
      overrides: {
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 3,
        'share.coordinator.state.topic.replication.factor': 3,
        'share.coordinator.state.topic.min.isr': 2,
        'share.coordinator.state.topic.num.partitions': 3,
        'zookeeper.session.timeout.ms': 4_000,
      },
    });
    zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    await cluster.createTopic(TOPIC, 1, 3, {});
    const produced = await kcat(['-P', '-b', bootstrap(), '-t', TOPIC, '-p', '0', '-X', 'acks=all'], 'e0\ne1\ne2\ne3\ne4\n');
    assert.equal(produced.code, 0, produced.stderr);
  });

  after(async () => {
    zk?.close();
    await cluster?.close();
    if (programs) removeDir(programs.dir);
  });

  const coordinatorOf = async (group: string): Promise<{ nodeId: number; port: number }> => {
    let found = { nodeId: -1, port: -1 };
    await waitFor(`the coordinator of ${group}`, async () => {
      const r = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: group, keyType: 0 }, 'FindCoordinator').catch(() => null);
      if (r?.errorCode !== ErrorCode.NONE) return false;
      found = { nodeId: r.nodeId, port: r.port };
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    return found;
  };

  const describedBy = async (port: number, group: string): Promise<Map<string, string | null>> => {
    const r = await requestOnce(port, ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 32, resourceName: group, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }, 'DescribeConfigs');
    return new Map(r.results[0]!.configs.filter((c) => c.configSource === 8).map((c) => [c.name, c.value]));
  };

  it('set through a non-coordinator with kafka-configs, kept in ZooKeeper, applied by the coordinators, kept across a coordinator restart', async () => {
    const shareCoordinator = await coordinatorOf(SHARE_GROUP);
    const consumerCoordinator = await coordinatorOf(CONSUMER_GROUP);
    const elsewhere = (id: number): number => cluster.brokers.get([1, 2, 3].find((b) => b !== id)!)!.port;

    const set = await runKafkaClass(libs, 'org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', `127.0.0.1:${elsewhere(shareCoordinator.nodeId)}`, '--alter', '--entity-type', 'groups', '--entity-name', SHARE_GROUP, '--add-config', 'share.auto.offset.reset=earliest,share.heartbeat.interval.ms=6000'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(set.code, 0, set.stderr);
    const setConsumer = await runKafkaClass(libs, 'org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', `127.0.0.1:${elsewhere(consumerCoordinator.nodeId)}`, '--alter', '--entity-type', 'groups', '--entity-name', CONSUMER_GROUP, '--add-config', 'consumer.heartbeat.interval.ms=7000'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(setConsumer.code, 0, setConsumer.stderr);

    // Kafka's layout in ZooKeeper.
    const node = await zk.getData(`/config/groups/${SHARE_GROUP}`);
    assert.deepEqual(JSON.parse(node!.data.toString('utf8')), { version: 1, config: { 'share.auto.offset.reset': 'earliest', 'share.heartbeat.interval.ms': '6000' } });
    const changes = (await zk.getChildren('/config/changes')) ?? [];
    const notes = await Promise.all(changes.map(async (c) => JSON.parse((await zk.getData(`/config/changes/${c}`))!.data.toString('utf8')) as unknown));
    assert.ok(notes.some((n) => JSON.stringify(n) === JSON.stringify({ version: 2, entity_path: `groups/${SHARE_GROUP}` })), JSON.stringify(notes));

    // Every broker describes them (each follows the notifications).
    for (const port of cluster.livePorts()) {
      await waitFor(`broker on ${port} describes the group configs`, async () => (await describedBy(port, SHARE_GROUP)).get('share.auto.offset.reset') === 'earliest', { timeoutMs: 30_000, intervalMs: 100 });
    }
    const described = await runKafkaClass(libs, 'org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', bootstrap(), '--describe', '--entity-type', 'groups', '--entity-name', SHARE_GROUP], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /share\.auto\.offset\.reset=earliest/);
    assert.match(described.stdout, /share\.heartbeat\.interval\.ms=6000/);

    // The coordinators apply them.
    const hb = await requestOnce(consumerCoordinator.port, ApiKey.ConsumerGroupHeartbeat, 1, { groupId: CONSUMER_GROUP, memberId: 'configs-member', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: [TOPIC], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] }, 'ConsumerGroupHeartbeat');
    assert.equal(hb.errorCode, ErrorCode.NONE, hb.errorMessage ?? '');
    assert.equal(hb.heartbeatIntervalMs, 7000);
    const drained = await runJava(programs, 'ShareClients', ['drain', bootstrap(), TOPIC, SHARE_GROUP, '5'], 120_000);
    assert.equal(drained.code, 0, `${drained.stdout.slice(-1500)}\n${drained.stderr.split('\n').slice(-20).join('\n')}`);
    assert.deepEqual(drained.events.filter((e) => e.event === 'read').map((e) => e.value).sort(), ['e0', 'e1', 'e2', 'e3', 'e4'], 'share.auto.offset.reset=earliest set through another broker applies on the coordinator');

    // A coordinator killed and restarted reads them back from ZooKeeper.
    await cluster.kill(shareCoordinator.nodeId);
    await cluster.startBroker(shareCoordinator.nodeId);
    const restarted = cluster.brokers.get(shareCoordinator.nodeId)!.port;
    await waitFor('the restarted broker describes the group configs', async () => (await describedBy(restarted, SHARE_GROUP).catch(() => new Map<string, string | null>())).get('share.heartbeat.interval.ms') === '6000', { timeoutMs: 60_000, intervalMs: 200 });
    assert.deepEqual(await describedBy(restarted, CONSUMER_GROUP), new Map([['consumer.heartbeat.interval.ms', '7000']]));
  });
});
