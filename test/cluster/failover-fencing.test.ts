// Fencing (src/cluster/broker-fencing.ts) acts only on evidence that a broker's process is
// gone, three real brokers over a real ZooKeeper:
//   1. a frozen broker (SIGSTOP, shorter than its session timeout) is not fenced: the kernel
//      still accepts connections on its listener, so nothing is refused; it keeps its
//      registration (same session) and its leaderships, and serves again after SIGCONT;
//   2. a broker whose registration disappears while it lives (as after a fencing by mistake)
//      registers again on the same session and comes back into Metadata;
//   3. SIGKILL of the controller: a survivor fences it, deleting both /brokers/ids/<id> and
//      /controller, so another controller is elected without the session timeout.
// Both show in /metrics: tidelog_fenced_while_alive_total and tidelog_brokers_fenced_total.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { ZkPaths } from '../../src/cluster/zk-data.js';
import { BROKER_IDS, ThreeBrokerCluster } from './three-brokers.js';
import { readZkState } from './zk-state.js';
import { zookeeperInstalled } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const CHROOT = '/tidelog-fencing';
const TOPIC = 'fencing';
const FROZEN_MS = 3_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('broker fencing acts only when a broker process is gone', { timeout: 240_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;

  before(async () => {
    // Kafka's default session timeout: only fencing can act within these tests' waits.
    cluster = await ThreeBrokerCluster.start({ chroot: CHROOT, overrides: { 'zookeeper.session.timeout.ms': 18_000, 'auto.leader.rebalance.enable': false, 'admin.listener': 'http://127.0.0.1:0' } });
    await cluster.createTopic(TOPIC, 3, 3, { 'min.insync.replicas': '2' });
  });
  after(async () => {
    await cluster?.close();
  });

  /** A counter's value in a broker's /metrics (Prometheus text). */
  const metric = async (brokerId: number, name: string): Promise<number> => {
    const text = await (await fetch(`${cluster.brokers.get(brokerId)!.adminUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    assert.ok(line, `${name} in /metrics of broker ${brokerId}`);
    return Number(line.split(' ')[1]);
  };

  const fencedLines = () => [...cluster.brokers.values()].flatMap((b) => b.logLines.filter((l) => l.includes('"msg":"broker fenced')));

  it('a frozen broker (SIGSTOP) keeps its registration, session and leaderships', async () => {
    const before = await readZkState(cluster.connect, TOPIC, 3, BROKER_IDS);
    const view = await cluster.metadata(TOPIC);
    const victim = view.partitions[0]!.leader;
    const child = cluster.brokers.get(victim)!.child;
    const fencedBefore = fencedLines().length;
    child.kill('SIGSTOP');
    try {
      await sleep(FROZEN_MS);
      const during = await readZkState(cluster.connect, TOPIC, 3, BROKER_IDS);
      assert.equal(during.brokerSessions.get(victim), before.brokerSessions.get(victim), 'still registered by the same session');
      assert.equal(during.partitions[0]?.leader, victim, 'still the leader in ZooKeeper');
      assert.equal(fencedLines().length, fencedBefore, 'nobody fenced it');
    } finally {
      child.kill('SIGCONT');
    }
    await waitFor('the thawed broker answers Metadata again', async () => (await cluster.metadataFromAll(TOPIC).catch(() => null))?.length === 3, { timeoutMs: 30_000, intervalMs: 100 });
  });

  it('a registration deleted while the broker lives is created again by its own session', async () => {
    const victim = 2;
    const zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    try {
      const node = await zk.getData(ZkPaths.brokerId(victim));
      assert.ok(node, 'registered');
      await zk.delete(ZkPaths.brokerId(victim), node.version);
      await waitFor('the broker registered again', async () => (await zk.getData(ZkPaths.brokerId(victim)))?.ephemeralOwner === node.ephemeralOwner, { timeoutMs: 20_000, intervalMs: 50 });
    } finally {
      zk.close();
    }
    await waitFor('every broker lists all three again', async () => (await cluster.metadataFromAll(null).catch(() => null))?.every((v) => v.brokers.size === 3) === true, { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(cluster.brokers.get(victim)!.logLines.some((l) => l.includes('registering again')), 'the broker says it registered again');
    assert.equal(await metric(victim, 'tidelog_fenced_while_alive_total'), 1, 'its metric counts the time it was fenced');
    await cluster.waitForFullIsr(TOPIC, 60_000);
  });

  it('SIGKILL of the controller: fenced (registration and /controller), another controller elected before the session timeout', async (t) => {
    const view = await cluster.metadata(null);
    const victim = view.controllerId;
    const killedAtMs = await cluster.kill(victim);
    let electedMs = -1;
    await waitFor('another controller', async () => {
      const v = await cluster.metadata(null).catch(() => null);
      if (v === null || v.controllerId <= 0 || v.controllerId === victim) return false;
      electedMs = Date.now() - killedAtMs;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 50 });
    const lines = fencedLines().filter((l) => l.includes(`"brokerId":${victim},`));
    assert.ok(lines.some((l) => l.includes('"controllerDeleted":true')), `a survivor deleted the dead controller's /controller:\n${lines.join('\n')}`);
    t.diagnostic(`controller ${victim} killed: another controller seen ${electedMs} ms later (session timeout 18 s)`);
    const counted = await Promise.all([...cluster.brokers.keys()].filter((id) => id !== victim).map((id) => metric(id, 'tidelog_brokers_fenced_total')));
    assert.ok(counted.reduce((a, b) => a + b, 0) >= 1, `a survivor counts the fencing in tidelog_brokers_fenced_total: ${counted.join(', ')}`);
    await cluster.restartBroker(victim);
    await cluster.waitForFullIsr(TOPIC, 60_000);
  });
});
