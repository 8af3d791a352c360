// A KIP-848 consumer group (the Java client 4.4, group.protocol=consumer) in a three-broker
// ZooKeeper cluster whose group coordinator is killed (SIGKILL) while records are produced:
// another broker becomes leader of the group's __consumer_offsets partition, rebuilds the group
// from its records (members, epochs, target and current assignments, in Kafka's formats), and
// the members carry on with it.
//
// The assertion, precisely: every produced record is printed by a member (none missed), and a
// record printed twice lies in a range whose commit the member saw fail (Kip848Members prints a
// poll's records only after commitSync succeeded and rewinds after a failed one, so a duplicate
// can only come from a commit that was written but whose answer was lost to the kill: Kafka's
// at-least-once bound). The topic and __consumer_offsets have replication factor 3 and
// min.insync.replicas 2: acknowledged records and commits survive the kill.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import type { JavaPrograms } from '../clients/transactions-target.js';
import { ThreeBrokerCluster, requestOnce } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { compileMembers, produce, startMember, waitFor, type JavaMember } from './consumer-protocol-members.js';

const SKIP = zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)';
const GROUP = 'java-848-failover';
const TOPIC = 'kip848-failover';
const BATCH = 1000;

describe('KIP-848 consumer group across a coordinator failover (three brokers)', { timeout: 300_000, skip: SKIP }, () => {
  let cluster: ThreeBrokerCluster;
  let programs: JavaPrograms;
  const members: JavaMember[] = [];

  before(async () => {
    programs = await compileMembers(await ensureKafkaLibs());
    cluster = await ThreeBrokerCluster.start({
      chroot: '/tidelog-kip848-failover',
      overrides: {
        'zookeeper.session.timeout.ms': 4_000,
        'zookeeper.connection.timeout.ms': 10_000,
        'replica.lag.time.max.ms': 5_000,
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 6,
        'default.replication.factor': 3,
        'num.partitions': 6,
        'min.insync.replicas': 2,
        'group.consumer.min.session.timeout.ms': 10_000,
        'group.consumer.session.timeout.ms': 10_000,
        'group.consumer.min.heartbeat.interval.ms': 500,
        'group.consumer.heartbeat.interval.ms': 1000,
      },
    });
  });

  after(async () => {
    for (const m of members) await m.kill();
    await cluster?.close();
  });

  it('the members keep consuming after the coordinator is killed; nothing is missed, duplicates only from commits whose answer was lost', async () => {
    const bootstrap = cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');
    const printed = () => members.reduce((n, m) => n + m.values().length, 0);
    const explain = () => `${members.map((m) => m.describe()).join('\n')}`;
    await produce(programs, bootstrap, TOPIC, 0, BATCH);
    const a = startMember(programs, bootstrap, GROUP, TOPIC, 'failover-a');
    const b = startMember(programs, bootstrap, GROUP, TOPIC, 'failover-b');
    members.push(a, b);
    await waitFor('two members reading the first batch', () => printed() >= BATCH && a.assignment().length > 0 && b.assignment().length > 0, explain, 120_000);

    const found = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: GROUP, keyType: 0 }, 'FindCoordinator');
    assert.equal(found.errorCode, 0);
    const coordinator = found.nodeId;
    const before = await requestOnce(found.port, ApiKey.ConsumerGroupDescribe, 0, { groupIds: [GROUP], includeAuthorizedOperations: false }, 'ConsumerGroupDescribe');
    const epochBefore = before.groups[0]!.groupEpoch;

    // Records keep coming while the coordinator dies.
    const producing = produce(programs, cluster.livePorts().filter((p) => p !== found.port).map((p) => `127.0.0.1:${p}`).join(','), TOPIC, BATCH, 3 * BATCH, 500);
    await new Promise((r) => setTimeout(r, 1500));
    await cluster.kill(coordinator);
    await producing;
    await waitFor('the members reading every record after the failover', () => printed() >= 4 * BATCH, explain, 120_000);

    // The new coordinator rebuilt the group from __consumer_offsets: same members, no new member ids.
    const now = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: GROUP, keyType: 0 }, 'FindCoordinator');
    assert.notEqual(now.nodeId, coordinator, 'another broker coordinates the group');
    const described = await requestOnce(now.port, ApiKey.ConsumerGroupDescribe, 1, { groupIds: [GROUP], includeAuthorizedOperations: false }, 'ConsumerGroupDescribe');
    const g = described.groups[0]!;
    assert.equal(g.errorCode, 0);
    assert.ok(g.groupEpoch >= epochBefore, `group epoch ${g.groupEpoch} carried over (was ${epochBefore})`);
    assert.deepEqual(g.members.map((m) => m.clientId).sort(), ['failover-a', 'failover-b']);

    // The assertion stated at the top of the file.
    const failed = members.flatMap((m) => m.events.filter((e) => e.event === 'commit-failed').flatMap((e) => e.ranges as { partition: number; from: number; to: number }[]));
    const seen = new Map<string, number>();
    const where = new Map<string, { partition: number; offset: number }>();
    for (const m of members) {
      for (const e of m.events) {
        if (e.event !== 'record') continue;
        const v = String(e.value);
        seen.set(v, (seen.get(v) ?? 0) + 1);
        where.set(v, { partition: Number(e.partition), offset: Number(e.offset) });
      }
    }
    const missing: string[] = [];
    for (let i = 0; i < 4 * BATCH; i++) if (!seen.has(`v${i}`)) missing.push(`v${i}`);
    assert.deepEqual(missing, [], `no record missed: ${explain()}`);
    const unexplained = [...seen].filter(([, n]) => n > 1).map(([v]) => v).filter((v) => {
      const w = where.get(v)!;
      return !failed.some((r) => r.partition === w.partition && w.offset >= r.from && w.offset < r.to);
    });
    assert.deepEqual(unexplained, [], `duplicates only within failed commits: ${explain()}`);
    await a.stop();
    await b.stop();
  });
});
