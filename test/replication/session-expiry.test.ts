// A leader that loses its ZooKeeper session: the leader process is frozen (SIGSTOP) longer
// than zookeeper.session.timeout.ms, so ZooKeeper expires its session and the controller
// elects another leader from the ISR with a new epoch. Resumed (SIGCONT), the old leader
// learns its session expired, stops leading, registers again, and rejoins as a follower:
// it answers NOT_LEADER_OR_FOLLOWER, truncates what it should not keep, catches up, returns
// to the ISR, and its log ends identical to the others'. Every acknowledged record is read
// back at its offset.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { metadataFrom, ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { waitFor } from '../helpers/wait.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { consumeAll, logBytes, produce } from './partition-io.js';

const TOPIC = 'expiring';
const SESSION_TIMEOUT_MS = 4000;




describe('a leader whose ZooKeeper session expires', { skip: !zookeeperInstalled() && 'ZooKeeper is not installed (scripts/install-test-deps.sh)', timeout: 180_000 }, () => {
  let cluster: ThreeBrokerCluster;
  const acked = new Map<number, string>();

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/session-expiry-test', overrides: { 'zookeeper.session.timeout.ms': SESSION_TIMEOUT_MS, 'replica.lag.time.max.ms': 3000, 'offsets.topic.replication.factor': 1, 'auto.leader.rebalance.enable': false } });
    await cluster.createTopic(TOPIC, 1, 3, { 'min.insync.replicas': '2' });
  });
  after(async () => {
    for (const b of cluster?.brokers.values() ?? []) if (b.child.exitCode === null) b.child.kill('SIGCONT');
    await cluster?.close();
  });

  const ack = async (port: number, values: string[]) => {
    const r = await produce(port, TOPIC, values, -1);
    assert.equal(r.errorCode, ErrorCode.NONE);
    values.forEach((v, i) => acked.set(r.baseOffset + i, v));
  };

  it('loses leadership while frozen, then rejoins as a follower with an identical log', async () => {
    const before = (await cluster.metadata(TOPIC)).partitions[0]!;
    const oldLeader = before.leader;
    const port = (id: number) => cluster.brokers.get(id)!.port;
    for (let i = 0; i < 10; i++) await ack(port(oldLeader), Array.from({ length: 10 }, (_, j) => `before-${i}-${j}`));

    const frozen = cluster.brokers.get(oldLeader)!;
    frozen.child.kill('SIGSTOP');
    const survivors = [1, 2, 3].filter((id) => id !== oldLeader);
    let newLeader = -1;
    await waitFor('a new leader among the survivors with a higher epoch', async () => {
      const p = (await metadataFrom(port(survivors[0]!), TOPIC)).partitions[0]!;
      newLeader = p.leader;
      return survivors.includes(p.leader) && p.leaderEpoch > before.leaderEpoch;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    for (let i = 0; i < 10; i++) await ack(port(newLeader), Array.from({ length: 10 }, (_, j) => `during-${i}-${j}`));

    frozen.child.kill('SIGCONT');
    // The old leader finds its session expired and follows the new leader.
    await waitFor('the old leader refuses produce (NOT_LEADER_OR_FOLLOWER)', async () => (await produce(port(oldLeader), TOPIC, ['probe'], -1).catch(() => ({ errorCode: -1, baseOffset: -1 }))).errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER, { timeoutMs: 30_000, intervalMs: 200 });
    // The log lines arrive through a pipe, a moment after the broker acted on them.
    await waitFor('the old leader saw its session expire and stepped down', () => frozen.logLines.some((l) => l.includes('ZooKeeper session expired: no longer leading or following')), { timeoutMs: 10_000, intervalMs: 50 });
    await cluster.waitForFullIsr(TOPIC, 30_000);
    await ack(port(newLeader), ['after']);

    const { records: consumed } = await consumeAll(port(newLeader), TOPIC);
    for (const [offset, value] of acked) assert.equal(consumed.get(offset), value, `acknowledged record at offset ${offset}`);
    await waitFor('identical logs on all three brokers', () => {
      const logs = [1, 2, 3].map((id) => logBytes(cluster.dataDir(id), TOPIC));
      return logs.every((l) => l.equals(logs[0]!));
    }, { timeoutMs: 20_000, intervalMs: 100 });
  });
});
