// The controller's partition leadership work with real broker processes and a real
// ZooKeeper: SIGKILL of a broker (new leaders from the ISR, epoch + 1, the broker out of every
// ISR; offline with leader -1 and the ISR kept when no ISR member is left; unclean election
// where the topic allows it), its return (offline partitions lead again), a controller
// failover that finds an undone decision in ZooKeeper, SIGKILL of the controller, controlled
// shutdown (SIGTERM: leadership moves before the broker exits), ElectLeaders, and the auto
// rebalance (its own cluster at the end).
// Replication runs alongside (the leaders take caught-up followers back into the ISR), so
// the cases that need a replica outside the ISR use partitions assigned to a broker id that
// is not running (written to ZooKeeper as Kafka's AdminZkClient does): nobody can catch up
// there. Where the test needs every replica in the ISR it writes the ISR as a caught-up
// leader would (CAS, leader and epoch kept), so it does not wait for replication either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { randomUUID } from 'node:crypto';
import { isZkError } from '../../src/cluster/zk-client.js';
import { decodeControllerEpoch, decodeLeaderAndIsr, decodeTopicAssignment, encodeLeaderAndIsr, encodeTopicAssignment, encodeTopicConfig, type LeaderAndIsr, ZkPaths } from '../../src/cluster/zk-data.js';
import { ApiKey, type ApiTypes } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const CHROOT = '/controller-test';
const SESSION_TIMEOUT_MS = 3000;

interface State extends LeaderAndIsr {
  readonly replicas: readonly number[];
  readonly zkVersion: number;
}

/** Brokers by id over one ZooKeeper, restartable on the same port and data directory. */
class Cluster {
  readonly brokers = new Map<number, BrokerProcess>();
  private readonly dirs = new Map<number, string>();
  private readonly ports = new Map<number, number>();
  zk!: ZkClient;

  constructor(
    readonly server: ZooKeeperServer,
    private readonly chroot: string,
    private readonly overrides: Record<string, string | number | boolean>,
  ) {}

  async connect(): Promise<void> {
    this.zk = await ZkClient.connect({ connect: `${this.server.connect}${this.chroot}`, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
  }

  async start(id: number): Promise<BrokerProcess> {
    const dataDir = this.dirs.get(id) ?? tempDir(`tidelog-controller-${id}-`);
    this.dirs.set(id, dataDir);
    const port = this.ports.get(id);
    const b = await startBrokerProcess({
      dataDir,
      ...(port === undefined ? {} : { port }),
      overrides: { 'broker.id': id, 'zookeeper.connect': `${this.server.connect}${this.chroot}`, 'zookeeper.session.timeout.ms': SESSION_TIMEOUT_MS, 'admin.listener': '', 'replica.lag.time.max.ms': 600_000, ...this.overrides },
    });
    this.ports.set(id, b.port);
    this.brokers.set(id, b);
    await waitFor(`broker ${id} registered`, async () => (await this.liveIds()).includes(id));
    return b;
  }

  /** Starts a killed broker again once its old session's registration is gone. */
  async restart(id: number): Promise<BrokerProcess> {
    await waitFor(`broker ${id}'s old registration gone`, async () => !(await this.liveIds()).includes(id), { timeoutMs: 30_000 });
    return this.start(id);
  }

  async liveIds(): Promise<number[]> {
    return ((await this.zk.getChildren(ZkPaths.brokerIds)) ?? []).map(Number).sort();
  }

  async controllerId(): Promise<number> {
    const node = await this.zk.getData(ZkPaths.controller);
    return node ? (JSON.parse(node.data.toString()) as { brokerid: number }).brokerid : -1;
  }

  async controllerEpoch(): Promise<number> {
    return decodeControllerEpoch((await this.zk.getData(ZkPaths.controllerEpoch))!.data);
  }

  /** Every partition's state znode and assignment, read from ZooKeeper. */
  async states(topic: string): Promise<State[]> {
    const assignment = decodeTopicAssignment(topic, (await this.zk.getData(ZkPaths.topic(topic)))!.data);
    const out: State[] = [];
    for (const [p, replicas] of [...assignment.partitions].sort((a, b) => a[0] - b[0])) {
      const path = ZkPaths.partitionState(topic, p);
      const node = await this.zk.getData(path);
      if (!node) throw new Error(`${path} missing`);
      out.push({ ...decodeLeaderAndIsr(path, node.data), replicas, zkVersion: node.version });
    }
    return out;
  }

  /** Rewrites a state znode with CAS, reading again when someone (a partition leader) wrote it meanwhile. */
  async casState(topic: string, partition: number, change: (s: LeaderAndIsr) => LeaderAndIsr): Promise<void> {
    const path = ZkPaths.partitionState(topic, partition);
    for (;;) {
      const node = (await this.zk.getData(path))!;
      try {
        await this.zk.setData(path, encodeLeaderAndIsr(change(decodeLeaderAndIsr(path, node.data))), node.version);
        return;
      } catch (err) {
        if (!isZkError(err, 'BAD_VERSION')) throw err;
      }
    }
  }

  /** What a leader does once every follower caught up: all replicas in the ISR, leader and leader epoch kept. */
  async fullIsr(topic: string): Promise<void> {
    for (const [p, s] of (await this.states(topic)).entries()) await this.casState(topic, p, (c) => ({ ...c, isr: [...s.replicas] }));
  }

  /** A topic written straight to ZooKeeper (Kafka's AdminZkClient), so that its replicas may name brokers that are not running. */
  async createTopicInZk(name: string, assignment: Record<number, number[]>, configs: Record<string, string> = {}): Promise<void> {
    const partitions = new Map(Object.entries(assignment).map(([p, r]) => [Number(p), r]));
    await this.zk.multi([
      { op: 'create', path: ZkPaths.topicConfig(name), data: encodeTopicConfig(configs), mode: 'persistent' },
      { op: 'create', path: ZkPaths.topic(name), data: encodeTopicAssignment(randomUUID(), partitions), mode: 'persistent' },
    ]);
  }

  /** Rewrites a topic's assignment (as a reassignment would). */
  async setAssignment(name: string, assignment: Record<number, number[]>): Promise<void> {
    const node = (await this.zk.getData(ZkPaths.topic(name)))!;
    const current = decodeTopicAssignment(name, node.data);
    await this.zk.setData(ZkPaths.topic(name), encodeTopicAssignment(current.topicId, new Map(Object.entries(assignment).map(([p, r]) => [Number(p), r]))), node.version);
  }

  async request<K extends ApiKey>(brokerId: number, apiKey: K, version: number, body: ApiTypes[K]['requestInput']): Promise<ApiTypes[K]['response']> {
    const c = await KafkaConnection.connect('127.0.0.1', this.brokers.get(brokerId)!.port, 'controller-test');
    try {
      return await c.request(apiKey, version, body);
    } finally {
      c.close();
    }
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}): Promise<void> {
    const id = (await this.liveIds())[0]!;
    // Placement uses the brokers this broker has seen register (a watch, a moment after ZooKeeper has them).
    const seen = async () => (await this.request(id, ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).brokers.length;
    await waitFor(`broker ${id} sees ${replicationFactor} live brokers`, async () => (await seen()) >= replicationFactor);
    const r = await this.request(id, ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE, r.topics[0]!.errorMessage ?? '');
    await waitFor(`${name} online`, async () => (await this.states(name).catch(() => [])).length === partitions);
  }

  /** Leaders by partition in the Metadata answer of one broker. */
  async metadataLeaders(brokerId: number, topic: string): Promise<number[]> {
    const r = await this.request(brokerId, ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return [...r.topics[0]!.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId);
  }

  running(): number[] {
    return [...this.brokers].filter(([, b]) => b.child.exitCode === null && b.child.signalCode === null).map(([id]) => id);
  }

  async close(): Promise<void> {
    for (const b of this.brokers.values()) if (b.child.exitCode === null && b.child.signalCode === null) await b.kill();
    for (const d of this.dirs.values()) removeDir(d);
    this.zk?.close();
  }
}

const without = (xs: readonly number[], id: number) => xs.filter((x) => x !== id);
const leaderOf = (ss: readonly State[], id: number) => ss.find((s) => s.leader === id);
/** Done with a broker: it leads nothing and is in no ISR of a partition that has a leader. */
const released = (ss: readonly State[], id: number) => ss.every((s) => s.leader !== id && (s.leader === -1 || !s.isr.includes(id)));

async function electLeaders(cluster: Cluster, via: number, electionType: number, partitions: { topic: string; partition: number }[] | null) {
  const byTopic = partitions === null ? null : [...new Set(partitions.map((p) => p.topic))].map((topic) => ({ topic, partitions: partitions.filter((p) => p.topic === topic).map((p) => p.partition) }));
  const r = await cluster.request(via, ApiKey.ElectLeaders, 2, { electionType, topicPartitions: byTopic, timeoutMs: 10_000 });
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
}

describe('the controller: leader election, failover, controlled shutdown, ElectLeaders', { timeout: 300_000 }, () => {
  let server: ZooKeeperServer;
  let cluster: Cluster;
  const topics = ['lead', 'single', 'offline', 'offline-unclean'];

  before(async () => {
    server = await startZooKeeper();
    cluster = new Cluster(server, CHROOT, { 'auto.leader.rebalance.enable': false });
    await cluster.connect();
    await Promise.all([1, 2, 3].map((id) => cluster.start(id)));
    await waitFor('a controller', async () => (await cluster.controllerId()) > 0);
    await cluster.createTopic('lead', 3, 3);
    await cluster.createTopic('single', 3, 1);
  });
  after(async () => {
    await cluster?.close();
    await server?.close();
  });

  it('SIGKILL of a broker: new leaders from the ISR, epoch + 1, the broker out of every ISR; offline or unclean when no ISR member is left; back when it returns', async () => {
    const controller = await cluster.controllerId();
    const victim = [1, 2, 3].find((id) => id !== controller)!;
    // Broker 4 is not running: the victim is alone in these ISRs.
    await cluster.createTopicInZk('offline', { 0: [victim, 4] });
    await cluster.createTopicInZk('offline-unclean', { 0: [victim, 4] }, { 'unclean.leader.election.enable': 'true' });
    for (const t of ['offline', 'offline-unclean']) await waitFor(`${t} led by ${victim}`, async () => (await cluster.states(t).catch(() => []))[0]?.leader === victim);
    const before = new Map(await Promise.all(topics.map(async (t) => [t, await cluster.states(t)] as const)));
    await cluster.brokers.get(victim)!.kill();
    await waitFor(`broker ${victim} released by the controller`, async () => (await Promise.all(topics.map((t) => cluster.states(t)))).every((ss) => released(ss, victim)), { timeoutMs: 30_000 });
    const controllerEpoch = await cluster.controllerEpoch();

    const lead = await cluster.states('lead');
    lead.forEach((s, p) => {
      const old = before.get('lead')![p]!;
      const leader = old.leader === victim ? old.replicas.find((r) => r !== victim && old.isr.includes(r))! : old.leader;
      assert.deepEqual({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, controllerEpoch: s.controllerEpoch }, { leader, leaderEpoch: old.leaderEpoch + 1, isr: without(old.isr, victim), controllerEpoch }, `lead-${p}`);
    });
    for (const t of ['offline', 'offline-unclean']) {
      const s = (await cluster.states(t))[0]!;
      assert.deepEqual({ leader: s.leader, isr: s.isr, leaderEpoch: s.leaderEpoch }, { leader: -1, isr: [victim], leaderEpoch: before.get(t)![0]!.leaderEpoch + 1 }, `${t}: no live replica: offline, ISR kept`);
    }
    const single = await cluster.states('single');
    const s1 = single.findIndex((s) => s.replicas[0] === victim);
    assert.deepEqual({ leader: single[s1]!.leader, isr: single[s1]!.isr }, { leader: -1, isr: [victim] });

    // The survivors' Metadata shows the new leaders.
    for (const id of cluster.running()) {
      await waitFor(`broker ${id} shows the new leaders`, async () => (await cluster.metadataLeaders(id, 'lead')).join() === lead.map((s) => s.leader).join());
    }

    // Broker 4 joins: a live replica outside the ISR. Only the topic that allows it elects it (unclean).
    await cluster.start(4);
    await waitFor('unclean election of broker 4', async () => (await cluster.states('offline-unclean'))[0]!.leader === 4, { timeoutMs: 30_000 });
    const unclean = (await cluster.states('offline-unclean'))[0]!;
    assert.deepEqual({ isr: unclean.isr, leaderEpoch: unclean.leaderEpoch }, { isr: [4], leaderEpoch: before.get('offline-unclean')![0]!.leaderEpoch + 2 });
    assert.equal((await cluster.states('offline'))[0]!.leader, -1, 'unclean.leader.election.enable=false: stays offline');

    // The victim returns: the partitions it is the ISR of lead again; the controller adds it to no other ISR.
    const afterKill = new Map(await Promise.all(topics.map(async (t) => [t, await cluster.states(t)] as const)));
    await cluster.restart(victim);
    await waitFor('the offline partitions lead again on the returning broker', async () => (await cluster.states('offline'))[0]!.leader === victim && (await cluster.states('single'))[s1]!.leader === victim, { timeoutMs: 30_000 });
    for (const t of ['offline', 'single']) {
      const p = t === 'offline' ? 0 : s1;
      const s = (await cluster.states(t))[p]!;
      // The controller wrote ISR [victim]; the new leader may since have taken broker 4 back in (replication).
      assert.deepEqual({ inIsr: s.isr.includes(victim), leaderEpoch: s.leaderEpoch }, { inIsr: true, leaderEpoch: afterKill.get(t)![p]!.leaderEpoch + 1 }, t);
    }
    // Leader epochs unchanged: the controller wrote nothing (a leader taking the victim back into its ISR keeps the epoch).
    for (const [p, s] of (await cluster.states('lead')).entries()) assert.equal(s.leaderEpoch, afterKill.get('lead')![p]!.leaderEpoch, `lead-${p}`);
    assert.equal((await cluster.states('offline-unclean'))[0]!.leader, 4);

    // Broker 4 leaves again (controlled shutdown); three brokers from here on.
    assert.equal(await cluster.brokers.get(4)!.stop(), 0);
    assert.ok(released(await cluster.states('offline-unclean'), 4));
  });

  it('controller failover: the new controller finds an undone election in ZooKeeper and makes it', async () => {
    // Every replica back in the ISR first (the broker the previous case restarted may still be
    // catching up): otherwise the new leader's own ISR expansion can land before the check.
    await cluster.fullIsr('lead');
    // As if a controller died between deciding and writing: lead-0 offline with live ISR members.
    const path = ZkPaths.partitionState('lead', 0);
    const node = (await cluster.zk.getData(path))!;
    const old = decodeLeaderAndIsr(path, node.data);
    await cluster.zk.setData(path, encodeLeaderAndIsr({ ...old, leader: -1, leaderEpoch: old.leaderEpoch + 1 }), node.version);
    const epochBefore = await cluster.controllerEpoch();
    // The controller's znode goes (as when its session ends); no broker leaves.
    await cluster.zk.delete(ZkPaths.controller);
    await waitFor('a new controller election', async () => (await cluster.controllerEpoch()) > epochBefore && (await cluster.controllerId()) > 0);
    await waitFor('lead-0 has a leader again', async () => (await cluster.states('lead'))[0]!.leader !== -1, { timeoutMs: 30_000 });
    const s = (await cluster.states('lead'))[0]!;
    const replicas = (await cluster.states('lead'))[0]!.replicas;
    assert.deepEqual({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, controllerEpoch: s.controllerEpoch }, { leader: replicas.find((r) => old.isr.includes(r)), leaderEpoch: old.leaderEpoch + 2, isr: old.isr, controllerEpoch: await cluster.controllerEpoch() });
    const newController = cluster.brokers.get(await cluster.controllerId())!;
    assert.ok(newController.logLines.some((l) => l.includes('"elected partition leader"') && l.includes('"trigger":"failover"') && l.includes('"topic":"lead"')), 'decided by the failover');
  });

  it('SIGKILL of the controller: another broker takes over and moves its leadership', async () => {
    // Replication's part: every replica back in the ISR.
    await cluster.fullIsr('lead');
    const controller = await cluster.controllerId();
    const before = await cluster.states('lead');
    const singleBefore = (await cluster.states('single')).find((s) => s.replicas[0] === controller)!;
    assert.equal(singleBefore.leader, controller);
    await cluster.brokers.get(controller)!.kill();
    await waitFor('a new controller moved the leadership', async () => released(await cluster.states('lead'), controller) && ![-1, controller].includes(await cluster.controllerId()), { timeoutMs: 30_000 });
    for (const [p, s] of (await cluster.states('lead')).entries()) {
      const old = before[p]!;
      const leader = old.leader === controller ? old.replicas.find((r) => r !== controller)! : old.leader;
      assert.deepEqual({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr }, { leader, leaderEpoch: old.leaderEpoch + 1, isr: without(old.isr, controller) }, `lead-${p}`);
    }
    await waitFor('its RF 1 partition offline', async () => (await cluster.states('single')).find((s) => s.replicas[0] === controller)!.leader === -1);
    await cluster.restart(controller);
    await waitFor('its RF 1 partition back', async () => (await cluster.states('single')).find((s) => s.replicas[0] === controller)!.leader === controller);
  });

  it('controlled shutdown (SIGTERM): leadership and ISR membership move before the broker exits', async () => {
    const controller = await cluster.controllerId();
    const stopping = [1, 2, 3].find((id) => id !== controller)!;
    // Set-up: every replica back in the ISR (replication's part), and the preferred leaders back.
    await cluster.fullIsr('lead');
    const elected = await electLeaders(cluster, controller, 0, [0, 1, 2].map((partition) => ({ topic: 'lead', partition })));
    assert.ok(elected.every((r) => r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.ELECTION_NOT_NEEDED), JSON.stringify(elected));
    // A partition only it can lead (broker 5 never runs): it goes offline, and does not hold up the shutdown.
    await cluster.createTopicInZk('alone', { 0: [stopping, 5] });
    await waitFor('alone online', async () => (await cluster.states('alone').catch(() => []))[0]?.leader === stopping);
    const before = await cluster.states('lead');
    assert.ok(leaderOf(before, stopping), `broker ${stopping} leads a partition of lead: ${JSON.stringify(before)}`);
    const b = cluster.brokers.get(stopping)!;
    assert.equal(await b.stop(), 0, 'a clean exit');
    const lines = b.logLines.map((l) => {
      try {
        return (JSON.parse(l) as { msg: string }).msg;
      } catch {
        return l;
      }
    });
    const released_ = lines.indexOf('controlled shutdown: no partition led by this broker');
    assert.ok(released_ >= 0, lines.join('\n'));
    assert.ok(released_ < lines.indexOf('shut down cleanly'));
    // Done while the broker was still running: ZooKeeper shows it now, right after the exit.
    const lead = await cluster.states('lead');
    assert.ok(released(lead, stopping), JSON.stringify(lead));
    for (const [p, s] of lead.entries()) {
      const old = before[p]!;
      assert.equal(s.leader, old.leader === stopping ? old.replicas.find((r) => r !== stopping)! : old.leader, `lead-${p}`);
      assert.deepEqual(s.isr, without(old.isr, stopping));
      assert.equal(s.leaderEpoch, old.leaderEpoch + 1);
    }
    const single = await cluster.states('single');
    const mine = single.find((s) => s.replicas[0] === stopping)!;
    assert.deepEqual({ leader: mine.leader, isr: mine.isr }, { leader: -1, isr: [stopping] }, 'RF 1: offline until it returns');
    const alone = (await cluster.states('alone'))[0]!;
    assert.deepEqual({ leader: alone.leader, isr: alone.isr }, { leader: -1, isr: [stopping] });
  });

  it('ElectLeaders: preferred and unclean, with Kafka\'s per-partition errors; NOT_CONTROLLER elsewhere', async () => {
    const controller = await cluster.controllerId();
    const stopped = [1, 2, 3].find((id) => !cluster.running().includes(id))!;
    const other = cluster.running().find((id) => id !== controller)!;

    // A partition whose only live replica... there is none: neither election can help.
    const alone = (await cluster.states('alone'))[0]!;
    assert.deepEqual({ leader: alone.leader, replicas: alone.replicas }, { leader: -1, replicas: [stopped, 5] });
    assert.deepEqual(await electLeaders(cluster, controller, 0, [{ topic: 'alone', partition: 0 }]), [
      { topic: 'alone', partition: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: 'Failed to elect leader for partition alone-0 under strategy PreferredReplicaPartitionLeaderElectionStrategy' },
    ]);
    assert.deepEqual(await electLeaders(cluster, controller, 1, [{ topic: 'alone', partition: 0 }]), [
      { topic: 'alone', partition: 0, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: 'Failed to elect leader for partition alone-0 under strategy OfflinePartitionLeaderElectionStrategy(true)' },
    ]);
    // A live replica outside the ISR joins the assignment: unclean.leader.election.enable is false, so only an unclean ElectLeaders elects it.
    await cluster.setAssignment('alone', { 0: [stopped, 5, other] });
    await waitFor('the controller knows the new assignment', async () => {
      const r = await cluster.request(controller, ApiKey.Metadata, 9, { topics: [{ name: 'alone' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      return r.topics[0]!.partitions[0]!.replicaNodes.length === 3;
    });
    assert.equal((await cluster.states('alone'))[0]!.leader, -1);
    assert.deepEqual(await electLeaders(cluster, controller, 1, [{ topic: 'alone', partition: 0 }]), [{ topic: 'alone', partition: 0, errorCode: ErrorCode.NONE, errorMessage: null }]);
    const elected = (await cluster.states('alone'))[0]!;
    assert.deepEqual({ leader: elected.leader, isr: elected.isr, leaderEpoch: elected.leaderEpoch }, { leader: other, isr: [other], leaderEpoch: alone.leaderEpoch + 1 });

    await cluster.restart(stopped);
    // Replication's part: the returned broker caught up and its leaders took it back into the ISR.
    await cluster.fullIsr('lead');
    const before = await cluster.states('lead');
    const toMove = before.map((s, p) => ({ s, p })).filter(({ s }) => s.leader !== s.replicas[0]);
    assert.ok(toMove.length > 0, JSON.stringify(before));
    const wanted = before.map((_, partition) => ({ topic: 'lead', partition }));

    assert.deepEqual(
      (await electLeaders(cluster, other, 0, wanted)).map((r) => r.errorCode),
      before.map(() => ErrorCode.NOT_CONTROLLER),
      'only the controller elects',
    );
    const results = await electLeaders(cluster, controller, 0, [...wanted, { topic: 'lead', partition: 99 }, { topic: 'nope', partition: 0 }]);
    assert.deepEqual(
      results.map((r) => [r.topic, r.partition, r.errorCode]),
      [...before.map((s, p) => ['lead', p, s.leader === s.replicas[0] ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.NONE]), ['lead', 99, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    );
    const after = await cluster.states('lead');
    for (const [p, s] of after.entries()) {
      const moved = before[p]!.leader !== before[p]!.replicas[0];
      assert.deepEqual({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr }, { leader: s.replicas[0], leaderEpoch: before[p]!.leaderEpoch + (moved ? 1 : 0), isr: before[p]!.isr }, `lead-${p}`);
    }
    assert.deepEqual((await electLeaders(cluster, controller, 0, wanted)).map((r) => r.errorCode), before.map(() => ErrorCode.ELECTION_NOT_NEEDED));
    // Unclean with live leaders: nothing to do. All partitions (null): elections not needed are left out.
    assert.deepEqual((await electLeaders(cluster, controller, 1, wanted)).map((r) => r.errorCode), before.map(() => ErrorCode.ELECTION_NOT_NEEDED));
    const all = await electLeaders(cluster, controller, 0, null);
    assert.ok(all.every((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED && r.topic !== 'lead'), JSON.stringify(all));
    for (const id of cluster.running()) {
      await waitFor(`broker ${id} shows the preferred leaders`, async () => (await cluster.metadataLeaders(id, 'lead')).join() === after.map((s) => s.replicas[0]).join());
    }
  });

  it('controlled shutdown of the controller: it moves its own leadership first, then another broker takes over', async () => {
    const controller = await cluster.controllerId();
    await cluster.fullIsr('lead');
    const before = await cluster.states('lead');
    assert.ok(leaderOf(before, controller), JSON.stringify(before));
    const b = cluster.brokers.get(controller)!;
    assert.equal(await b.stop(), 0);
    assert.ok(released(await cluster.states('lead'), controller));
    assert.ok(b.logLines.some((l) => l.includes('"elected partition leader"') && l.includes('"trigger":"brokerChange"')), 'decided by itself, before resigning');
    await waitFor('another controller', async () => ![-1, controller].includes(await cluster.controllerId()));
  });
});

describe('auto leader rebalance', { timeout: 120_000 }, () => {
  let server: ZooKeeperServer;
  let cluster: Cluster;

  before(async () => {
    server = await startZooKeeper();
    cluster = new Cluster(server, '/rebalance-test', { 'auto.leader.rebalance.enable': true, 'leader.imbalance.check.interval.seconds': 1 });
    await cluster.connect();
    await Promise.all([1, 2].map((id) => cluster.start(id)));
    await waitFor('a controller', async () => (await cluster.controllerId()) > 0);
    await cluster.createTopic('rebalance', 4, 2);
  });
  after(async () => {
    await cluster?.close();
    await server?.close();
  });

  it('moves leadership back to preferred replicas that are live and in the ISR', async () => {
    // Broker 3 never runs: the preferred replica of this partition is not live.
    await cluster.createTopicInZk('preferred-dead', { 0: [3, 2] });
    await waitFor('preferred-dead led by 2', async () => (await cluster.states('preferred-dead').catch(() => []))[0]?.leader === 2);
    const initial = await cluster.states('rebalance');
    const preferred1 = initial.map((s, p) => ({ s, p })).filter(({ s }) => s.replicas[0] === 1);
    assert.equal(preferred1.length, 2, JSON.stringify(initial));
    // As after a failover of broker 1 and its return to the ISR: broker 2 leads broker 1's partitions.
    for (const { p } of preferred1) await cluster.casState('rebalance', p, (c) => ({ ...c, leader: 2, leaderEpoch: c.leaderEpoch + 1, isr: [2, 1] }));
    const moved = await cluster.states('rebalance');
    await waitFor('the preferred leaders back by the auto rebalance', async () => {
      const now = await cluster.states('rebalance');
      return preferred1.every(({ p }) => now[p]!.leader === 1);
    }, { timeoutMs: 60_000 });
    const now = await cluster.states('rebalance');
    for (const { p } of preferred1) assert.deepEqual({ leader: now[p]!.leader, leaderEpoch: now[p]!.leaderEpoch }, { leader: 1, leaderEpoch: moved[p]!.leaderEpoch + 1 }, `rebalance-${p}`);
    assert.equal((await cluster.states('preferred-dead'))[0]!.leader, 2, 'the preferred replica is not live: stays');
    const controller = cluster.brokers.get(await cluster.controllerId())!;
    assert.ok(controller.logLines.some((l) => l.includes('"trigger":"autoLeaderRebalance"')));
  });
});
