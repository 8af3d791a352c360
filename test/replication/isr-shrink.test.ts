// The leader's own ISR shrink (Kafka's IsrShrinksPerSec): a follower alive for ZooKeeper but
// not fetching (SIGSTOP) leaves the ISR after replica.lag.time.max.ms by the leader's check,
// which counts it in tidelog_isr_shrinks_total; after SIGCONT it catches up and rejoins,
// counted in tidelog_isr_expands_total. The ZooKeeper session outlasts the pause by far, so the
// controller (whose removals of dead brokers are not shrinks) never steps in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { metadataFrom, ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { scrapeMetric } from '../helpers/limits.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'shrinking';

describe('ISR shrink and expand counted by the leader', { skip: !zookeeperInstalled() && 'ZooKeeper is not installed (scripts/install-test-deps.sh)', timeout: 120_000 }, () => {
  let cluster: ThreeBrokerCluster;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/isr-shrink-test', overrides: { 'zookeeper.session.timeout.ms': 30_000, 'replica.lag.time.max.ms': 2000, 'offsets.topic.replication.factor': 1, 'admin.listener': 'http://127.0.0.1:0' } });
    await cluster.createTopic(TOPIC, 1, 3, {});
  });
  after(async () => {
    await cluster?.close();
  });

  it('a paused follower is taken out by the leader, counted, and counted again when it rejoins', async () => {
    const leader = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
    const url = cluster.brokers.get(leader)!.adminUrl!;
    const shrinksBefore = await scrapeMetric(url, 'tidelog_isr_shrinks_total');
    const expandsBefore = await scrapeMetric(url, 'tidelog_isr_expands_total');
    const frozen = [1, 2, 3].find((id) => id !== leader)!;
    const pid = cluster.brokers.get(frozen)!.child.pid!;
    // Asked of the leader only: the paused broker would not answer.
    const isr = async () => (await metadataFrom(cluster.brokers.get(leader)!.port, TOPIC)).partitions[0]!.isr;
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(`broker ${frozen} out of the ISR`, async () => !(await isr()).includes(frozen), { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(await scrapeMetric(url, 'tidelog_isr_shrinks_total'), shrinksBefore + 1, 'the leader counted its shrink');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(`broker ${frozen} back in the ISR`, async () => (await isr()).includes(frozen), { timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(await scrapeMetric(url, 'tidelog_isr_expands_total'), expandsBefore + 1, 'and its expansion');
  });
});
