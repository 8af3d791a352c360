// BrokerFencing's rules, one at a time, with a real ZooKeeper and real sockets but no broker
// process: "brokers" here are registrations written by other ZooKeeper sessions, whose
// endpoints are TCP servers of the test (or a port where nothing listens).
//   1. a registration whose endpoint was never reached (nothing ever listened there) is not
//      fenced, however often it refuses;
//   2. once reached, the listener closing (its process gone) fences it: the registration and
//      the /controller its session owns are deleted;
//   3. a broker registered again (a new session, another port) is judged by its new endpoint
//      only: the old endpoint refusing fences nothing, the new one refusing does;
//   4. stop() closes every probe connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrokerFencing } from '../../src/cluster/broker-fencing.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { encodeBrokerRegistration, encodeController, ZkPaths } from '../../src/cluster/zk-data.js';
import { ZkMetadataStore } from '../../src/cluster/zk-metadata-store.js';
import { silentLogger } from '../../src/logger.js';
import { freePort, startZooKeeper, zookeeperInstalled, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const CHROOT = '/fencing-rules';
const SELF = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP server standing for a broker's listener; closeServer ends it as a process death would (every socket closed). */
function listen(port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.once('close', () => sockets.delete(s));
    });
    (server as net.Server & { sockets: Set<net.Socket> }).sockets = sockets;
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: net.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of (server as net.Server & { sockets: Set<net.Socket> }).sockets) s.destroy();
  return closed;
}

describe('broker fencing rules', { timeout: 120_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let zkServer: ZooKeeperServer;
  const sessions: ZkClient[] = [];
  let self: ZkClient;
  let store: ZkMetadataStore;
  let fencing: BrokerFencing;

  const connect = async (): Promise<ZkClient> => {
    const c = await ZkClient.connect({ connect: `${zkServer.connect}${CHROOT}`, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
    sessions.push(c);
    return c;
  };
  /** Registers broker `id` at 127.0.0.1:port from a session of its own (the "broker"). */
  const register = async (id: number, port: number): Promise<ZkClient> => {
    const zk = await connect();
    await zk.createEphemeral(ZkPaths.brokerId(id), encodeBrokerRegistration([{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }], null, Date.now()));
    return zk;
  };
  const registered = async (id: number) => (await self.getData(ZkPaths.brokerId(id)))?.ephemeralOwner ?? null;

  before(async () => {
    zkServer = await startZooKeeper();
    self = await connect();
    store = await ZkMetadataStore.start(self, SELF, null, silentLogger());
    fencing = new BrokerFencing(self, store, SELF, 'PLAINTEXT', silentLogger());
    fencing.start();
  });
  after(async () => {
    fencing?.stop();
    store?.close();
    for (const s of sessions) s.close();
    await zkServer?.close();
  });

  it('never fences an endpoint it never reached', async () => {
    const port = await freePort(); // nothing listens there
    const zk = await register(2, port);
    await sleep(1_500);
    assert.equal(await registered(2), zk.sessionId, 'still registered');
    assert.equal(fencing.fenced.length, 0);
    zk.close();
    await waitFor('broker 2 gone with its session', async () => (await registered(2)) === null, { timeoutMs: 20_000, intervalMs: 50 });
  });

  it('fences a reached endpoint once it refuses: registration and /controller', async () => {
    const server = await listen();
    const port = (server.address() as net.AddressInfo).port;
    const zk = await register(3, port);
    await zk.create(ZkPaths.controller, encodeController(3, Date.now()), 'ephemeral');
    await waitFor('broker 3 seen and reached', async () => new Promise<boolean>((r) => server.getConnections((_e, n) => r(n > 0))), { timeoutMs: 10_000, intervalMs: 20 });
    await closeServer(server);
    await waitFor('broker 3 fenced', async () => (await registered(3)) === null, { timeoutMs: 10_000, intervalMs: 10 });
    // The registration goes first, then /controller (the same fencing, one ZooKeeper write later).
    await waitFor('/controller of the fenced session deleted', async () => (await self.getData(ZkPaths.controller)) === null && fencing.fenced.some((f) => f.brokerId === 3), { timeoutMs: 10_000, intervalMs: 10 });
    const event = fencing.fenced.find((f) => f.brokerId === 3);
    assert.ok(event?.registrationDeleted && event.controllerDeleted, JSON.stringify(fencing.fenced));
    zk.close();
  });

  it('judges a broker registered again by its new endpoint only', async () => {
    const server = await listen();
    const port = (server.address() as net.AddressInfo).port;
    const old = await register(4, port);
    await waitFor('broker 4 reached', async () => new Promise<boolean>((r) => server.getConnections((_e, n) => r(n > 0))), { timeoutMs: 10_000, intervalMs: 20 });
    // The "broker" restarts elsewhere: the old session ends, a new one registers another port.
    old.close();
    await waitFor('broker 4 gone', async () => (await registered(4)) === null, { timeoutMs: 20_000, intervalMs: 20 });
    const server2 = await listen();
    const fresh = await register(4, (server2.address() as net.AddressInfo).port);
    await closeServer(server); // the old endpoint refuses now
    await sleep(1_000);
    assert.equal(await registered(4), fresh.sessionId, 'the new registration stays');
    assert.equal(fencing.fenced.filter((f) => f.brokerId === 4).length, 0);
    await closeServer(server2);
    await waitFor('the new registration fenced once its endpoint refuses', async () => (await registered(4)) === null, { timeoutMs: 10_000, intervalMs: 10 });
    fresh.close();
  });

  it('stop() closes every probe connection', async () => {
    const server = await listen();
    const zk = await register(5, (server.address() as net.AddressInfo).port);
    await waitFor('broker 5 reached', async () => new Promise<boolean>((r) => server.getConnections((_e, n) => r(n > 0))), { timeoutMs: 10_000, intervalMs: 20 });
    fencing.stop();
    await waitFor('no probe connection left', async () => new Promise<boolean>((r) => server.getConnections((_e, n) => r(n === 0))), { timeoutMs: 5_000, intervalMs: 20 });
    await closeServer(server);
    await sleep(300);
    assert.ok((await registered(5)) !== null, 'a stopped fencer fences nobody');
    zk.close();
  });
});
