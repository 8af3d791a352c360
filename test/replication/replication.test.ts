// Replication between three broker processes over a real ZooKeeper: followers fetch from the
// leader, acks=-1 answers once the ISR has the batch and consumers then see it (the high
// watermark), the three logs end byte for byte identical; with both followers gone the ISR
// shrinks to the leader and acks=-1 is refused with NOT_ENOUGH_REPLICAS (min.insync.replicas 2)
// while acks=1 still works; the followers come back, catch up, rejoin the ISR, and the logs
// are identical again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { requestOnce, ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { waitFor } from '../helpers/wait.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { consumeAll, logBytes, produce } from './partition-io.js';
import { scrapeMetric } from '../helpers/limits.js';

const TOPIC = 'replicated';




describe('replication on a three-broker cluster', { skip: !zookeeperInstalled() && 'ZooKeeper is not installed (scripts/install-test-deps.sh)', timeout: 180_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let leader = -1;
  const acked: string[] = [];

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/replication-test', overrides: { 'zookeeper.session.timeout.ms': 4000, 'replica.lag.time.max.ms': 3000, 'offsets.topic.replication.factor': 1, 'admin.listener': 'http://127.0.0.1:0' } });
    await cluster.createTopic(TOPIC, 1, 3, { 'min.insync.replicas': '2' });
    leader = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
  });
  after(async () => {
    await cluster?.close();
  });

  const portOf = (id: number) => cluster.brokers.get(id)!.port;
  const followers = () => [1, 2, 3].filter((id) => id !== leader);
  const sameLogsEverywhere = async (ids: number[]) => {
    await waitFor(`identical logs on brokers ${ids.join(', ')}`, () => {
      const logs = ids.map((id) => logBytes(cluster.dataDir(id), TOPIC));
      return logs.every((l) => l.equals(logs[0]!));
    }, { timeoutMs: 20_000, intervalMs: 100 });
  };

  it('acks=-1 answers once the ISR has the batch; consumers then read it; the three logs are identical', async () => {
    for (let i = 0; i < 50; i++) {
      const values = Array.from({ length: 20 }, (_, j) => `v${i * 20 + j}`);
      const r = await produce(portOf(leader), TOPIC, values, -1);
      assert.equal(r.errorCode, ErrorCode.NONE, `batch ${i}`);
      assert.equal(r.baseOffset, i * 20);
      acked.push(...values);
      // Committed on answer: the high watermark is already past the batch.
      if (i % 10 === 0) assert.ok((await consumeAll(portOf(leader), TOPIC)).highWatermark >= (i + 1) * 20);
    }
    const consumed = await consumeAll(portOf(leader), TOPIC);
    assert.equal(consumed.highWatermark, 1000);
    assert.deepEqual([...consumed.records.values()], acked);
    await sameLogsEverywhere([1, 2, 3]);
    // The followers fetched through incremental fetch sessions (KIP-227), one per follower at least.
    assert.ok((await scrapeMetric(cluster.brokers.get(leader)!.adminUrl!, 'tidelog_fetch_sessions_created_total')) >= 2);
  });

  it('without its followers the leader shrinks the ISR: acks=-1 gets NOT_ENOUGH_REPLICAS, acks=1 still works', async () => {
    for (const id of followers()) await cluster.kill(id);
    await waitFor('the ISR shrunk to the leader', async () => (await cluster.metadata(TOPIC)).partitions[0]!.isr.join() === String(leader), { timeoutMs: 30_000, intervalMs: 100 });
    const refused = await produce(portOf(leader), TOPIC, ['refused'], -1);
    assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    const one = await produce(portOf(leader), TOPIC, ['acks-1'], 1);
    assert.equal(one.errorCode, ErrorCode.NONE);
    acked.push('acks-1');
    // Kafka's metric on the leader: the partition is under-replicated there. (The controller took
    // the dead followers out of the ISR, which Kafka's IsrShrinksPerSec does not count either:
    // it counts the leader's own shrinks of followers that stopped fetching.)
    assert.equal(await scrapeMetric(cluster.brokers.get(leader)!.adminUrl!, 'tidelog_under_replicated_partitions'), 1);
  });

  it('the followers come back, catch up and rejoin the ISR; acks=-1 works again; the logs are identical', async () => {
    for (const id of followers()) await cluster.restartBroker(id);
    await cluster.waitForFullIsr(TOPIC, 30_000);
    const r = await produce(portOf(leader), TOPIC, ['after'], -1);
    assert.equal(r.errorCode, ErrorCode.NONE);
    acked.push('after');
    const consumed = await consumeAll(portOf(leader), TOPIC);
    assert.deepEqual([...consumed.records.values()], acked);
    await sameLogsEverywhere([1, 2, 3]);
    // Summed over the brokers, as a dashboard sums them: one controller, one leader of the
    // topic, nothing under-replicated or offline, and the leader's ISR expansions.
    const sum = async (name: string) => (await Promise.all([1, 2, 3].map((id) => scrapeMetric(cluster.brokers.get(id)!.adminUrl!, name)))).reduce((a, b) => a + b, 0);
    assert.equal(await sum('tidelog_active_controller_count'), 1);
    assert.equal(await sum('tidelog_offline_partitions'), 0);
    assert.equal(await sum('tidelog_under_replicated_partitions'), 0);
    assert.equal(await scrapeMetric(cluster.brokers.get(leader)!.adminUrl!, 'tidelog_leader_count') >= 1, true);
    assert.ok((await scrapeMetric(cluster.brokers.get(leader)!.adminUrl!, 'tidelog_isr_expands_total')) >= 1);
  });

  it('deleting another replicated topic leaves the fetchers of the rest alone: the ISR stays full past replica.lag.time.max.ms', async () => {
    // Three partitions: one led by each broker, so every fetcher of the cluster carried one.
    await cluster.createTopic('doomed', 3, 3, {});
    const port = portOf(leader);
    const r = await requestOnce(port, ApiKey.DeleteTopics, 4, { topicNames: ['doomed'], timeoutMs: 30_000 }, 'DeleteTopics doomed');
    assert.equal(r.responses[0]!.errorCode, ErrorCode.NONE);
    // Longer than replica.lag.time.max.ms (3 s): a fetcher stuck on the deleted partitions would have dropped out of the ISR by then.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    assert.equal((await cluster.metadata(TOPIC)).partitions[0]!.isr.join(), '1,2,3');
    const after = await produce(port, TOPIC, ['after-delete'], -1);
    assert.equal(after.errorCode, ErrorCode.NONE);
  });

});

