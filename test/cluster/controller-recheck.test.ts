// A controller decision whose write fails is made later, not lost: the controller (in
// process, over a real ZooKeeper) meets a state znode it cannot read while a broker leaves;
// once the znode is readable again, its recheck elects the new leader without any further
// broker change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { silentLogger } from '../../src/logger.js';
import type { Listener } from '../../src/config/listeners.js';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { BrokerRegistration } from '../../src/cluster/broker-registration.js';
import { ClusterController } from '../../src/cluster/controller.js';
import { ControllerElection } from '../../src/cluster/controller-election.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { ZkMetadataStore } from '../../src/cluster/zk-metadata-store.js';
import { decodeLeaderAndIsr, encodeLeaderAndIsr, ZkPaths } from '../../src/cluster/zk-data.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

describe('controller recheck after a failed write', { timeout: 60_000 }, () => {
  let server: ZooKeeperServer;
  const clients: ZkClient[] = [];
  const stops: (() => unknown)[] = [];
  const connect = async () => {
    const c = await ZkClient.connect({ connect: `${server.connect}/recheck`, sessionTimeoutMs: 4000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startZooKeeper();
  });
  after(async () => {
    for (const stop of stops.reverse()) await stop();
    for (const c of clients) c.close();
    await server.close();
  });

  it('elects the leader once the state znode is readable again', async () => {
    const zk = await connect();
    const logger = silentLogger();
    // The controller's log, to see the failed write happen before the znode is repaired.
    const controllerLog: string[] = [];
    const controllerLogger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _enc, done) => (controllerLog.push(chunk.toString('utf8')), done()) }));
    const store = await ZkMetadataStore.start(zk, 3, null, logger);
    stops.push(() => store.close());
    const listeners = (port: number) => (): Listener[] => [{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }];
    // Brokers 1 and 2 registered from their own sessions; broker 3 (this one) is the controller.
    const registrations = new Map<number, BrokerRegistration>();
    for (const id of [1, 2]) {
      const reg = new BrokerRegistration(await connect(), id, listeners(9000 + id), null, logger);
      await reg.register();
      registrations.set(id, reg);
    }
    const controller = new ClusterController(zk, store, buildBrokerConfig(new Map([['broker.id', '3'], ['auto.leader.rebalance.enable', 'false']])), controllerLogger);
    const election = new ControllerElection(zk, 3, controller, logger);
    await election.start();
    stops.push(() => election.stop());
    assert.ok(election.isController);
    await waitFor('two live brokers', () => store.liveBrokers().length === 2);

    await store.createTopic('t', [{ partition: 0, replicas: [1, 2] }], {});
    const path = ZkPaths.partitionState('t', 0);
    await waitFor('t-0 online', async () => (await zk.getData(path)) !== null);
    const online = decodeLeaderAndIsr(path, (await zk.getData(path))!.data);
    assert.deepEqual({ leader: online.leader, isr: online.isr }, { leader: 1, isr: [1, 2] });

    // Something unreadable in the state znode while broker 1 leaves: the controller cannot decide.
    const other = await connect();
    await other.setData(path, 'not json', -1);
    await registrations.get(1)!.deregister();
    await waitFor('the failed write', () => controllerLog.some((l) => l.includes('"could not change the partition state"') && l.includes('"trigger":"brokerChange"')));
    // The znode is readable again; no broker comes or goes from here.
    await other.setData(path, encodeLeaderAndIsr(online), -1);
    await waitFor('the recheck elected broker 2', async () => decodeLeaderAndIsr(path, (await zk.getData(path))!.data).leader === 2, { timeoutMs: 30_000 });
    const s = decodeLeaderAndIsr(path, (await zk.getData(path))!.data);
    assert.deepEqual(s, { leader: 2, leaderEpoch: online.leaderEpoch + 1, isr: [2], controllerEpoch: 1 });
    await registrations.get(2)!.deregister();
  });
});
